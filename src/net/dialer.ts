/**
 * Every dial murmur makes: at most a few at once (the rest wait in line: handshake-slots.ts), each bounded
 * by `dialTimeoutMs` — scaled by our local health once TCP has connected (Lifeguard: an overloaded peer
 * waits longer instead of giving up on handshakes that are slow because of its own load) — counted, timed,
 * and — when it fails — explained in one rate-limited log line (diagnose.ts).
 */
import type { Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { HandshakeSlots } from '../core/handshake-slots.js'
import type { Logger, RateLimitedLog } from '../core/logger.js'
import { withoutPeerId } from './addresses.js'
import { diagnoseDialFailure } from './diagnose.js'
import type { DialDiagnosis } from './diagnose.js'
import type { FirstBytes } from './first-bytes.js'
import type { MurmurNode } from './node.js'
import type { DialReason, TransportCounters } from './stats.js'

export type DialResult =
  | { ok: true, connection: Connection, ms: number }
  | { ok: false, diagnosis: DialDiagnosis }

/** A dial that could not even wait for a handshake slot: the line was full. */
const LINE_FULL: DialDiagnosis = { kind: 'other', explanation: 'too many handshakes waiting for a slot: dial refused here (see maxQueuedHandshakes)' }

export interface DialerDeps {
  node: MurmurNode
  counters: TransportCounters
  log: Logger
  warnings: RateLimitedLog
  dialTimeoutMs: number
  /** Outbound handshakes at once; the rest wait in line. */
  slots: HandshakeSlots
  /** Multiplier of `dialTimeoutMs`: the local health (Lifeguard score + 1), 1 when healthy. */
  timeoutScale?: () => number
  pskConfigured: boolean
  /** Called with each successful dial's duration (for stats/benchmarks). */
  onDialTime?: (ms: number) => void
  /** With a pre-shared key: did TCP connect to one of `addrs` and start the key exchange since `since`? */
  protectionStartedSince?: (addrs: readonly string[], since: number) => boolean
  /** Without a key: what the remote of a connection to one of `addrs` made since `since` sent first. */
  remoteFirstBytesSince?: (addrs: readonly string[], since: number) => FirstBytes | undefined
  /** During shutdown, dial failures are expected (the node is stopping): logged at debug only. */
  isClosing?: () => boolean
}

/** A dial in flight: in line for a slot (`connected` undefined), or under way (has TCP connected yet?). */
interface InFlight {
  connected: (() => boolean) | undefined
}

export class Dialer {
  /** Dials in flight by label (a member's peer id for dials to members): what `stage` reports. */
  private readonly inFlight = new Map<string, InFlight>()
  /** Dials holding a handshake slot. */
  private readonly underWay = new Set<InFlight>()

  constructor (private readonly deps: DialerDeps) {}

  /**
   * Where a dial labelled `label` stands (Transport.dialStage without `open`): `queued` in line behind
   * handshakes under way, `handshaking` once TCP connected, `connecting` before — or in line behind dials
   * that have not connected yet (they may never: a partition) — and `none` with no dial in flight.
   */
  stage (label: string): 'queued' | 'handshaking' | 'connecting' | 'none' {
    const dial = this.inFlight.get(label)
    if (dial === undefined) return 'none'
    if (dial.connected !== undefined) return dial.connected() ? 'handshaking' : 'connecting'
    for (const ahead of this.underWay) if (ahead.connected?.() !== true) return 'connecting'
    return 'queued'
  }

  async dial (target: PeerId | Multiaddr[], label: string, reason: DialReason): Promise<DialResult> {
    this.deps.counters.dialsBy[reason]++
    const mine: InFlight = { connected: undefined }
    this.inFlight.set(label, mine)
    try {
      const release = await this.slot()
      if (release === undefined) {
        this.deps.counters.dials.failed++
        this.deps.warnings.warn('dial:line-full', `dial ${label} refused: ${LINE_FULL.explanation}`)
        return { ok: false, diagnosis: LINE_FULL }
      }
      this.underWay.add(mine)
      try {
        return await this.dialNow(target, label, mine)
      } finally {
        this.underWay.delete(mine)
        release()
      }
    } finally {
      if (this.inFlight.get(label) === mine) this.inFlight.delete(label)
    }
  }

  /** Waits for a handshake slot; undefined if the line is full. */
  private async slot (): Promise<(() => void) | undefined> {
    return await new Promise((resolve) => {
      if (this.deps.slots.acquire(resolve) === undefined) resolve(undefined)
    })
  }

  private async dialNow (target: PeerId | Multiaddr[], label: string, progress: InFlight): Promise<DialResult> {
    const { node, counters } = this.deps
    // The deadline starts now that our turn has come, not while the dial waited in line.
    const connectTimeoutMs = this.deps.dialTimeoutMs
    const stretchedMs = Math.round(connectTimeoutMs * Math.max(1, this.deps.timeoutScale?.() ?? 1))
    let handshakeStarted = false
    const tried = new Set<string>(Array.isArray(target) ? target.map(a => withoutPeerId(a).toString()) : [])
    const started = performance.now()
    // TCP connected: the remote answered, and what is left is the handshake, which our load may slow.
    const connected = (): boolean => handshakeStarted || (this.deps.protectionStartedSince?.([...tried], started) ?? false) ||
      this.deps.remoteFirstBytesSince?.([...tried], started) !== undefined
    progress.connected = connected
    const deadline = stretchedMs > connectTimeoutMs ? connectDeadline(connectTimeoutMs, stretchedMs, connected) : { signal: AbortSignal.timeout(stretchedMs), cancel: () => {} }
    let dialTimeoutMs = stretchedMs
    try {
      const connection = await node.dial(target, {
        signal: deadline.signal,
        onProgress: (evt) => {
          if (evt.type === 'upgrader:encrypt-outbound-connection') {
            handshakeStarted = true
            counters.handshakes.outbound.started++
          }
          if (evt.type === 'dial-queue:calculated-addresses') {
            for (const a of evt.detail) tried.add(withoutPeerId(a.multiaddr).toString())
          }
        }
      })
      const ms = performance.now() - started
      counters.dials.ok++
      // A dial that found a connection already open (or opening) did no handshake of its own.
      if (handshakeStarted) counters.handshakes.outbound.completed++
      this.deps.onDialTime?.(ms)
      return { ok: true, connection, ms }
    } catch (error) {
      counters.dials.failed++
      if (!connected()) dialTimeoutMs = connectTimeoutMs
      if (handshakeStarted) {
        if (isTimeout(error)) counters.handshakes.outbound.timedOut++
        else counters.handshakes.outbound.failed++
      }
      handshakeStarted ||= this.deps.protectionStartedSince?.([...tried], started) ?? false
      const remoteFirstBytes = this.deps.remoteFirstBytesSince?.([...tried], started)
      // The protector saw a connection to it: TCP connected, so the handshake had begun.
      handshakeStarted ||= remoteFirstBytes !== undefined
      const diagnosis = diagnoseDialFailure({
        error, handshakeStarted, pskConfigured: this.deps.pskConfigured, dialTimeoutMs,
        ...(remoteFirstBytes === undefined ? {} : { remoteFirstBytes })
      })
      const line = `dial ${label} failed: ${diagnosis.explanation}`
      // A refused or timed-out dial is routine (members die; membership re-tries them): debug.
      // A handshake failure is a configuration problem someone must fix: warn, rate-limited per target.
      // So is an address that answers with our own id (not one we know as ours: those are never dialled).
      const closing = this.deps.isClosing?.() ?? false
      if (!closing && (diagnosis.kind === 'handshake' || diagnosis.kind === 'wrong-peer' || diagnosis.kind === 'self' || diagnosis.kind === 'other')) {
        this.deps.warnings.warn(`dial:${diagnosis.kind}:${label}`, line)
      } else {
        this.deps.log.debug(line)
      }
      return { ok: false, diagnosis }
    } finally {
      deadline.cancel()
    }
  }
}

/**
 * The deadline of a dial whose handshake may take `stretchedMs` (Lifeguard: our own load slows it) while
 * TCP must still connect within `connectMs`: a dial into a partition, or to a host that is gone, gets no
 * SYN-ACK whatever our load, and a stretched wait for it only holds a handshake slot and the frames queued
 * for that member — after a heal, for up to 4 × the dial timeout (issue 14). The check runs on the event
 * loop's next turn after the timer: on a loop delayed past `connectMs`, a connect that completed meanwhile
 * is seen first (Node polls sockets before `setImmediate` callbacks).
 */
function connectDeadline (connectMs: number, stretchedMs: number, connected: () => boolean): { signal: AbortSignal, cancel: () => void } {
  const connect = new AbortController()
  let immediate: NodeJS.Immediate | undefined
  const timer = setTimeout(() => {
    immediate = setImmediate(() => {
      if (!connected()) connect.abort(new DOMException(`no connection within ${connectMs} ms`, 'TimeoutError'))
    })
  }, connectMs)
  return {
    signal: AbortSignal.any([AbortSignal.timeout(stretchedMs), connect.signal]),
    cancel: () => {
      clearTimeout(timer)
      if (immediate !== undefined) clearImmediate(immediate)
    }
  }
}

/** The dial's deadline passed (our signal, or libp2p's own timeout), as diagnose.ts tells it. */
function isTimeout (error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError' || /timed? ?out|aborted/i.test(error.message))
}
