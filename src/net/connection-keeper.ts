/**
 * Which connections we keep, applied: after every new connection, (1) prune least-recently-used idle
 * peers above `maxConnections` (policy: connection-budget.ts), and (2) once a simultaneous dial has had
 * time to show up, close the duplicate connection this end is responsible for (peer-link.ts:
 * redundantConnections). Both close gracefully, then abort if that takes longer than CLOSE_MS.
 */
import type { Connection, PeerId as Libp2pPeerId } from '@libp2p/interface'
import type { Logger } from '../core/logger.js'
import type { PeerId } from '../core/transport.js'
import type { Libp2pTransportConfig } from './config.js'
import { peersToPrune } from './connection-budget.js'
import { toError } from './describe-error.js'
import type { ConnectedPeer } from './connection-budget.js'
import type { MurmurNode } from './node.js'
import type { Outbound } from './outbound.js'
import { redundantConnections } from './peer-link.js'
import type { TransportCounters } from './stats.js'

/** Graceful close of a pruned or duplicate connection before it is aborted. */
const CLOSE_MS = 500
/** After a connection opens, how long to wait for the other half of a simultaneous dial. */
const DUPLICATE_SETTLE_MS = 100

export interface ConnectionKeeperDeps {
  node: MurmurNode
  localId: PeerId
  config: Libp2pTransportConfig
  counters: TransportCounters
  outbound: Outbound
  log: Logger
  /** Last frame to or from the peer (monotonic ms). */
  lastActivity: (id: PeerId) => number | undefined
  /** About to close the connections to `id` for the budget (its datagram key outlives them). */
  onPrune?: (id: PeerId) => void
}

export class ConnectionKeeper {
  private budgetTimer: NodeJS.Timeout | undefined
  private running = true

  constructor (private readonly deps: ConnectionKeeperDeps) {}

  onConnectionOpen (connection: Connection): void {
    if (!this.running) return
    const dedupe = setTimeout(() => { void this.retireDuplicates(connection.remotePeer) }, DUPLICATE_SETTLE_MS)
    dedupe.unref()
    this.scheduleBudget(0)
  }

  stop (): void {
    this.running = false
    clearTimeout(this.budgetTimer)
  }

  private scheduleBudget (delayMs: number): void {
    if (this.budgetTimer !== undefined) return
    this.budgetTimer = setTimeout(() => {
      this.budgetTimer = undefined
      this.enforceBudget()
    }, delayMs)
    this.budgetTimer.unref()
  }

  private enforceBudget (): void {
    if (!this.running) return
    const { node, config, counters, outbound, log } = this.deps
    const byPeer = new Map<PeerId, ConnectedPeer & { conns: Connection[] }>()
    for (const conn of node.getConnections()) {
      if (conn.status !== 'open') continue
      const id = conn.remotePeer.toString()
      const p = byPeer.get(id) ?? { id, connections: 0, newestOpenedAt: 0, lastActivity: this.deps.lastActivity(id), busy: outbound.isBusy(id), conns: [] }
      p.connections++
      p.conns.push(conn)
      p.newestOpenedAt = Math.max(p.newestOpenedAt, conn.timeline.open)
      byPeer.set(id, p)
    }
    const peers = [...byPeer.values()]
    let remaining = peers.reduce((n, p) => n + p.connections, 0)
    if (remaining <= config.maxConnections) return
    for (const id of peersToPrune(peers, config.maxConnections, Date.now(), config.pruneGraceMs)) {
      const conns = byPeer.get(id)?.conns ?? []
      remaining -= conns.length
      counters.prunedConnections++
      log.debug('pruning least recently used connection (connection budget)', { peer: id, max: config.maxConnections })
      outbound.dropPeer(id, 'closed')
      this.deps.onPrune?.(id)
      for (const conn of conns) closeGracefully(conn)
    }
    // Young or busy connections kept us above the cap: look again once they may have aged or gone idle.
    if (remaining > config.maxConnections) this.scheduleBudget(Math.max(50, config.pruneGraceMs))
  }

  private async retireDuplicates (peer: Libp2pPeerId): Promise<void> {
    if (!this.running) return
    const id = peer.toString()
    for (const conn of redundantConnections(this.deps.node.getConnections(peer), this.deps.localId)) {
      this.deps.counters.duplicateConnectionsClosed++
      this.deps.log.debug('closing duplicate connection from a simultaneous dial', { peer: id })
      await this.deps.outbound.retireStreamsOn(id, conn, CLOSE_MS)
      closeGracefully(conn)
    }
  }
}

function closeGracefully (conn: Connection): void {
  conn.close({ signal: AbortSignal.timeout(CLOSE_MS) }).catch((err: unknown) => {
    conn.abort(toError(err))
  })
}
