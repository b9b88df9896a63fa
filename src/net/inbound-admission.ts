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
 * The same class bounds the inbound handshakes in progress at once (issue 14; handshake-slots.ts), in
 * the connection protector — the first step of the upgrade, after libp2p's admission and our gater saw
 * the connection: once the remote has sent its first bytes (buffered, unread), the connection waits in
 * line until a slot is free, then the handshake proceeds. A silent connection holds no slot (it costs no
 * CPU, and a few silent sockets would otherwise lock everyone out); libp2p's pending cap and the upgrade
 * deadline bound those. The deadline is `inboundUpgradeTimeoutMs` scaled by our local health.
 */
import type { ConnectionProtector, MultiaddrConnection, Transport, Upgrader } from '@libp2p/interface'
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
  /** Inbound connections holding (or waiting for) a handshake slot: how to give it back. */
  private readonly held = new WeakMap<MultiaddrConnection, () => void>()
  /** Inbound connections whose handshake got a slot (counted as started). */
  private readonly started = new WeakSet<MultiaddrConnection>()

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

  /**
   * Wraps the connection protector (pnet, or the coalescing pass-through) so that an inbound connection
   * waits for its first bytes and a handshake slot before the handshake goes on.
   */
  wrapProtector (factory: () => ConnectionProtector): () => ConnectionProtector {
    return () => {
      const inner = factory()
      return {
        protect: async (connection, options) => {
          const maConn = connection as MultiaddrConnection
          const h = this.handshakes
          if (h !== undefined && maConn.direction === 'inbound') {
            await firstBytes(maConn, options?.signal)
            await this.slot(h, maConn, options?.signal)
          }
          return await inner.protect(connection, options)
        }
      }
    }
  }

  /** `inner` with a counting `upgradeInbound`; the other methods are inner's own. */
  wrapUpgrader (inner: Upgrader): Upgrader {
    const upgradeInbound = async (maConn: MultiaddrConnection, opts: Parameters<Upgrader['upgradeInbound']>[1]): Promise<void> => {
      const before = this.pending++
      const h = this.handshakes
      const deadline = h === undefined ? undefined : AbortSignal.timeout(h.timeoutMs())
      const signal = deadline === undefined || opts.signal === undefined ? deadline ?? opts.signal : AbortSignal.any([opts.signal, deadline])
      try {
        await inner.upgradeInbound(maConn, signal === opts.signal ? opts : { ...opts, signal })
        if (h !== undefined && this.started.has(maConn)) h.counts.completed++
      } catch (err) {
        if (err instanceof Error && err.name === 'ConnectionDeniedError') this.onRefused(refusalReason(before, this.maxPending), maConn, before)
        if (h !== undefined && this.started.has(maConn)) {
          if (deadline?.aborted === true && opts.signal?.aborted !== true) h.counts.timedOut++
          else h.counts.failed++
        }
        throw err
      } finally {
        this.held.get(maConn)?.()
        this.held.delete(maConn)
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
   * Waits for an inbound handshake slot (first come, first served); throws if `signal` aborts meanwhile,
   * the line is full, or the remote hangs up before our turn comes.
   *
   * A remote that hangs up while in line is a dialler that gave up waiting (its deadline passed while we
   * were busy): it leaves the line at once, counted as `abandonedInLine`, rather than taking a slot later
   * for a handshake nobody is waiting for — half of Noise's Diffie-Hellman work spent for nothing, on the
   * peer least able to spare it (issue 14). libp2p does not abort an upgrade when its socket closes.
   */
  private async slot (h: InboundHandshakes, maConn: MultiaddrConnection, signal: AbortSignal | undefined): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      let settled = false
      const settle = (err?: Error): void => {
        settled = true
        signal?.removeEventListener('abort', onAbort)
        maConn.removeEventListener('close', onRemoteGone)
        maConn.removeEventListener('remoteCloseWrite', onRemoteGone)
        if (err === undefined) resolve()
        else reject(err)
      }
      const abandoned = (): void => {
        h.counts.abandonedInLine++
        settle(new Error('the remote hung up while waiting for a handshake slot'))
      }
      const onAbort = (): void => {
        ticket?.cancel()
        settle(signal?.reason instanceof Error ? signal.reason : new Error('aborted while waiting for a handshake slot'))
      }
      const onRemoteGone = (): void => {
        ticket?.cancel()
        abandoned()
      }
      const ticket = h.slots.acquire((release) => {
        // Closed between its last event and our turn: skip it all the same.
        if (remoteGone(maConn)) {
          release()
          abandoned()
          return
        }
        this.started.add(maConn)
        h.counts.started++
        settle()
      })
      if (ticket === undefined) {
        reject(Object.assign(new Error('too many inbound handshakes waiting for a slot'), { name: 'ConnectionDeniedError' }))
        return
      }
      this.held.set(maConn, () => { ticket.cancel() })
      if (settled) return
      if (signal?.aborted === true) onAbort()
      else if (remoteGone(maConn)) onRemoteGone()
      else {
        signal?.addEventListener('abort', onAbort, { once: true })
        maConn.addEventListener('close', onRemoteGone, { once: true })
        maConn.addEventListener('remoteCloseWrite', onRemoteGone, { once: true })
      }
    })
  }
}

/** What the remote does first on a connection (libp2p's AbstractMessageStream calls these as it happens). */
const FIRST_SIGNS = ['onData', 'onRemoteCloseWrite', 'onRemoteReset', 'onTransportClosed'] as const

/**
 * Resolves once `maConn` has received bytes (they stay buffered for the handshake: nothing reads them
 * here), or the remote hung up (the handshake then fails at once, as before, and is diagnosed as such);
 * throws if `signal` aborts first. Event-driven: the connection's own handlers of those events are
 * wrapped on this instance until the first of them, then restored. A connection of another shape is not
 * waited for.
 */
async function firstBytes (maConn: MultiaddrConnection, signal: AbortSignal | undefined): Promise<void> {
  const conn = maConn as unknown as Record<string, unknown> & { readBufferLength?: number }
  if (typeof conn.readBufferLength !== 'number' || conn.readBufferLength > 0 || maConn.status !== 'open') return
  // Only methods of its class are wrapped (and restored by deleting the wrapper); an own property is left alone.
  if (!FIRST_SIGNS.every(name => typeof conn[name] === 'function' && !Object.hasOwn(conn, name))) return
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { done(signal?.reason instanceof Error ? signal.reason : new Error('aborted before the remote sent anything')) }
    const done = (err?: Error): void => {
      for (const name of FIRST_SIGNS) Reflect.deleteProperty(conn, name)
      signal?.removeEventListener('abort', onAbort)
      if (err === undefined) resolve()
      else reject(err)
    }
    for (const name of FIRST_SIGNS) {
      const original = conn[name] as (...args: unknown[]) => unknown
      conn[name] = function (this: unknown, ...args: unknown[]): unknown {
        done()
        return original.apply(this, args)
      }
    }
    if (signal?.aborted === true) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Whether the connection has closed (the remote's FIN or reset closes a TCP connection: no half-open sockets). */
function remoteGone (maConn: MultiaddrConnection): boolean {
  return maConn.status !== 'open'
}
