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
 */
import type { MultiaddrConnection, Transport, Upgrader } from '@libp2p/interface'

/** `pendingFull`: too many connections in their upgrade. `inboundLimit`: per-IP rate or connection cap. */
export type AdmissionRefusal = 'pendingFull' | 'inboundLimit'

/**
 * Which limit refused a connection, given how many upgrades were in flight when it arrived. libp2p checks
 * the pending cap first (connection-manager `acceptIncomingConnection`), so at or over it that is the reason.
 */
export function refusalReason (pendingBefore: number, maxPending: number): AdmissionRefusal {
  return pendingBefore >= maxPending ? 'pendingFull' : 'inboundLimit'
}

export class InboundAdmission {
  private pending = 0

  constructor (
    private readonly maxPending: number,
    private readonly onRefused: (reason: AdmissionRefusal, maConn: MultiaddrConnection, pending: number) => void
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
      try {
        await inner.upgradeInbound(maConn, opts)
      } catch (err) {
        if (err instanceof Error && err.name === 'ConnectionDeniedError') this.onRefused(refusalReason(before, this.maxPending), maConn, before)
        throw err
      } finally {
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
}
