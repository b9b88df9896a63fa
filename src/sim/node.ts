/**
 * A simulated process and what its transport holds: outbound links (queues, and the receiver's rate limits
 * for each sender), connections, and the queue budget across all peers.
 */
import { QueueBudget } from '../core/frame-queue.js'
import type { Random } from '../core/random.js'
import type { PeerId } from '../core/transport.js'
import type { OutLink } from './link.js'
import type { SimTransport } from './sim-transport.js'

export interface TrafficStats {
  frames: number
  bytes: number
  dropped: number
}

/**
 * A connection between two nodes (one per pair, whoever dialled: libp2p settles on one after a
 * simultaneous dial). `dialing` until the handshake is done; frames wait in the queues meanwhile.
 */
export class SimConnection {
  state: 'dialing' | 'open' | 'closed' = 'dialing'
  openedAt = 0
  /** Last frame sent or received on it, per end (the connection budget's LRU). */
  lastActivityA = 0
  lastActivityB = 0
  /** Positions in a's and b's connection lists. */
  indexA = -1
  indexB = -1

  /**
   * `serial`: the order connections were dialled in this network; among equally idle connections the
   * budget closes the oldest first (the order of a node's connection list changes as connections close).
   */
  constructor (readonly a: SimNode, readonly b: SimNode, now: number, readonly serial: number) {
    this.lastActivityA = now
    this.lastActivityB = now
  }

  other (node: SimNode): SimNode {
    return node === this.a ? this.b : this.a
  }

  touch (node: SimNode, now: number): void {
    if (node === this.a) this.lastActivityA = now
    else this.lastActivityB = now
  }

  lastActivity (node: SimNode): number {
    return node === this.a ? this.lastActivityA : this.lastActivityB
  }
}

export class SimNode {
  /** Increases at every crash and restart; events of old epochs are void. */
  epoch = 0
  crashed = false
  stalledUntil = 0
  /** Extra delay before each inbound frame is handled: a CPU-starved process working through a backlog. */
  inboundLagMs = 0
  transport!: SimTransport
  readonly sent: TrafficStats = { frames: 0, bytes: 0, dropped: 0 }
  readonly links = new Map<PeerId, OutLink>()
  readonly connections = new Map<PeerId, SimConnection>()
  /** The same connections in a dense array: the connection budget scans it at every new connection. */
  readonly connectionList: SimConnection[] = []
  /** The node's network interface is busy sending until this time (all links share it). */
  egressFreeAt = 0
  /** Connections in state `open` (the budget counts these). */
  openConnections = 0
  readonly budget: QueueBudget

  constructor (readonly id: PeerId, readonly random: Random, maxQueuedBytes: number) {
    this.budget = new QueueBudget(maxQueuedBytes)
  }

  addConnection (peer: PeerId, conn: SimConnection): void {
    this.connections.set(peer, conn)
    if (conn.a === this) conn.indexA = this.connectionList.length
    else conn.indexB = this.connectionList.length
    this.connectionList.push(conn)
  }

  removeConnection (peer: PeerId, conn: SimConnection): void {
    if (this.connections.get(peer) !== conn) return
    this.connections.delete(peer)
    const i = conn.a === this ? conn.indexA : conn.indexB
    const last = this.connectionList.pop() as SimConnection
    if (last !== conn) {
      this.connectionList[i] = last
      if (last.a === this) last.indexA = i
      else last.indexB = i
    }
  }
}
