/**
 * libp2p's own inbound admission, made visible. Before murmur's gater sees an inbound connection,
 * libp2p's connection manager refuses it when `maxIncomingPendingConnections` connections are still in
 * their upgrade, when its IP opened more than `inboundConnectionThreshold` in the last second, or at its
 * connection cap — and says so only in its debug log (`upgradeInbound` throws ConnectionDeniedError and
 * the TCP listener closes the socket).
 *
 * To count those refusals, the TCP transport's listeners get an upgrader whose `upgradeInbound` reports a
 * ConnectionDeniedError here. libp2p does not say which limit refused; counting the upgrades in flight
 * ourselves tells the pending cap (an attack holding slots, or a connection storm) from the rest.
 * Everything else is passed through untouched.
 *
 * The same wrapper bounds the inbound handshakes in progress at once (issue 14; handshake-slots.ts): a
 * connection waits in line, its bytes buffered, until a slot is free, and only then starts the upgrade and
 * its deadline — `inboundUpgradeTimeoutMs` scaled by our local health. A connection that closed (its
 * dialler gave up) while it waited is skipped; one that waited the whole deadline is closed.
 */
import type { MultiaddrConnection, Transport, Upgrader } from '@libp2p/interface'
import type { HandshakeSlots } from '../core/handshake-slots.js'
import type { HandshakeCounts } from './stats.js'

/** `pendingFull`: too many connections in their upgrade. `inboundLimit`: per-IP rate or connection cap. */
export type AdmissionRefusal = 'pendingFull' | 'inboundLimit'

/**
 * Which limit refused a connection, given how many upgrades were in flight when it arrived. libp2p checks
 * the pending cap first (connection-manager `acceptIncomingConnection`), so at or over it that is the reason.
 */
export function refusalReason (pendingBefore: number, maxPending: number): AdmissionRefusal {
  return pendingBefore >= maxPending ? 'pendingFull' : 'inboundLimit'
}

/** The bounded inbound handshakes, and how long each may take. */
export interface InboundHandshakes {
  slots: HandshakeSlots
  counts: HandshakeCounts
  /** The upgrade's deadline, ms: `inboundUpgradeTimeoutMs` × local health, read when the upgrade starts. */
  timeoutMs: () => number
}

export class InboundAdmission {
  private pending = 0

  constructor (
    private readonly maxPending: number,
    private readonly onRefused: (reason: AdmissionRefusal, maConn: MultiaddrConnection, pending: number) => void,
    private readonly handshakes?: InboundHandshakes
  ) {}

  /** Inbound connections in their upgrade right now (as libp2p counts them, within a microtask). */
  get pendingUpgrades (): number {
    return this.pending
  }

  /** Wraps a transport factory (e.g. `tcp()`) so that its listeners report refused connections here. */
  wrapTransport<C> (factory: (components: C) => Transport): (components: C) => Transport {
    return (components) => {
      const transport = factory(components)
      const createListener = transport.createListener.bind(transport)
      transport.createListener = (options) => createListener({ ...options, upgrader: this.wrapUpgrader(options.upgrader) })
      return transport
    }
  }

  /** `inner` with a counting `upgradeInbound`; the other methods are inner's own. */
  wrapUpgrader (inner: Upgrader): Upgrader {
    const upgradeInbound = async (maConn: MultiaddrConnection, opts: Parameters<Upgrader['upgradeInbound']>[1]): Promise<void> => {
      const before = this.pending++
      let release: (() => void) | undefined
      let signal: AbortSignal | undefined
      let started = false
      try {
        release = await this.slot(maConn, before)
        const h = this.handshakes
        if (h !== undefined) {
          const deadline = AbortSignal.timeout(h.timeoutMs())
          signal = opts.signal === undefined ? deadline : AbortSignal.any([opts.signal, deadline])
          h.counts.started++
          started = true
        }
        await inner.upgradeInbound(maConn, signal === undefined ? opts : { ...opts, signal })
        if (started && this.handshakes !== undefined) this.handshakes.counts.completed++
      } catch (err) {
        if (err instanceof Error && err.name === 'ConnectionDeniedError') this.onRefused(refusalReason(before, this.maxPending), maConn, before)
        if (started && this.handshakes !== undefined) {
          if (signal?.aborted === true && opts.signal?.aborted !== true) this.handshakes.counts.timedOut++
          else this.handshakes.counts.failed++
        }
        throw err
      } finally {
        release?.()
        this.pending--
      }
    }
    return {
      upgradeInbound: upgradeInbound as Upgrader['upgradeInbound'],
      upgradeOutbound: inner.upgradeOutbound.bind(inner),
      createInboundAbortSignal: inner.createInboundAbortSignal.bind(inner),
      getStreamMuxers: inner.getStreamMuxers.bind(inner),
      getConnectionEncrypters: inner.getConnectionEncrypters.bind(inner)
    }
  }

  /**
   * Waits for an inbound handshake slot (none without `handshakes`). Throws ConnectionDeniedError (counted
   * like libp2p's own refusals) if the line is full, and an error if the connection closed or its whole
   * deadline passed while it waited.
   */
  private async slot (maConn: MultiaddrConnection, pendingBefore: number): Promise<(() => void) | undefined> {
    const h = this.handshakes
    if (h === undefined) return undefined
    return await new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      let granted = false
      const ticket = h.slots.acquire((release) => {
        granted = true
        clearTimeout(timer)
        if (maConn.status !== 'open') {
          release()
          reject(new Error('inbound connection closed while it waited for a handshake slot'))
          return
        }
        resolve(release)
      })
      if (ticket === undefined) {
        const err = new Error(`${pendingBefore} inbound handshakes pending: connection denied`)
        err.name = 'ConnectionDeniedError'
        reject(err)
        return
      }
      if (!granted) {
        timer = setTimeout(() => {
          ticket.cancel()
          reject(Object.assign(new Error('waited the whole upgrade timeout for a handshake slot'), { name: 'TimeoutError' }))
        }, h.timeoutMs())
      }
    })
  }
}
