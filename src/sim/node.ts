/**
 * A simulated process and what its transport holds: outbound links (queues, and the receiver's rate limits
 * for each sender), connections, and the queue budget across all peers.
 */
import { QueueBudget } from '../core/frame-queue.js'
import { HandshakeSlots } from '../core/handshake-slots.js'
import type { SlotTicket } from '../core/handshake-slots.js'
import type { Random } from '../core/random.js'
import type { InboundLimit } from '../core/rate-limit.js'
import type { DialStage, PeerId } from '../core/transport.js'
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
  /** Went through `open` (then nothing the dial scheduled still refers to it: see Spares). */
  opened = false
  openedAt = 0
  /** Last frame sent or received on it, per end (the connection budget's LRU). */
  lastActivityA = 0
  lastActivityB = 0
  /** Neighbours in a's and b's connection lists, least recently active first (see SimNode). */
  prevA: SimConnection | undefined
  nextA: SimConnection | undefined
  prevB: SimConnection | undefined
  nextB: SimConnection | undefined
  /**
   * In a's and b's connection tables (and lists): what `connections.get(other) === this` says, without
   * the lookup (issue 11: asked at every frame sent or received, by `touch`).
   */
  listedA = false
  listedB = false
  /**
   * a's and b's outbound links on it, as `dial` attached them: the network reaches them without a lookup
   * in the nodes' link tables while they still run on it (SimNetwork.linkOn).
   */
  outA: OutLink | undefined
  outB: OutLink | undefined
  /** Last frame received on it, per end (`forget` keeps a connection that still delivers). */
  lastReceivedA = Number.NEGATIVE_INFINITY
  lastReceivedB = Number.NEGATIVE_INFINITY
  /**
   * The handshake slots the dial holds or waits for, the dialler's and (with the CPU model) the listener's;
   * freed (or the line left) once it ends. Two fields, not an array: a dial is made about once a second per
   * member at N = 1,000 (issue 11).
   */
  outboundSlot: SlotTicket | undefined
  inboundSlot: SlotTicket | undefined
  /** While dialing: when the dial got its handshake slot (undefined: still in line). */
  dialStartedAt: number | undefined
  /** While dialing: when TCP connects and the handshake begins (infinite: it never will, e.g. a partition). */
  tcpConnectsAt = Number.POSITIVE_INFINITY
  /** The dialler and the listener. */
  a: SimNode
  b: SimNode
  /**
   * The order connections were dialled in this network; among equally idle connections the budget closes
   * the oldest first (the order of a node's connection list changes as connections close).
   */
  serial: number

  constructor (a: SimNode, b: SimNode, now: number, serial: number) {
    this.a = a
    this.b = b
    this.serial = serial
    this.lastActivityA = now
    this.lastActivityB = now
  }

  /** Makes a closed connection a new dial from `a` to `b`, as `new SimConnection(a, b, now, serial)` would (Spares). */
  reuse (a: SimNode, b: SimNode, now: number, serial: number): void {
    this.state = 'dialing'
    this.opened = false
    this.openedAt = 0
    this.lastActivityA = now
    this.lastActivityB = now
    this.prevA = undefined
    this.nextA = undefined
    this.prevB = undefined
    this.nextB = undefined
    this.listedA = false
    this.listedB = false
    this.outA = undefined
    this.outB = undefined
    this.lastReceivedA = Number.NEGATIVE_INFINITY
    this.lastReceivedB = Number.NEGATIVE_INFINITY
    this.outboundSlot = undefined
    this.inboundSlot = undefined
    this.dialStartedAt = undefined
    this.tcpConnectsAt = Number.POSITIVE_INFINITY
    this.a = a
    this.b = b
    this.serial = serial
  }

  /** The stage a sender waiting on this connection sees at `now` (Transport.dialStage). */
  stage (now: number): DialStage {
    if (this.state === 'open') return 'open'
    if (this.state === 'closed') return 'none'
    if (this.dialStartedAt === undefined) {
      // In line: behind handshakes under way, or behind dials still waiting for TCP (which may never connect).
      for (const ahead of this.a.dialsUnderWay) if (now < ahead.tcpConnectsAt) return 'connecting'
      return 'queued'
    }
    return now >= this.tcpConnectsAt ? 'handshaking' : 'connecting'
  }

  other (node: SimNode): SimNode {
    return node === this.a ? this.b : this.a
  }

  /** A frame went out or came in at `node`'s end: it becomes that node's most recently active connection. */
  touch (node: SimNode, now: number): void {
    if (node === this.a) this.lastActivityA = now
    else this.lastActivityB = now
    node.moveToNewest(this)
  }

  lastActivity (node: SimNode): number {
    return node === this.a ? this.lastActivityA : this.lastActivityB
  }

  received (node: SimNode, now: number): void {
    if (node === this.a) this.lastReceivedA = now
    else this.lastReceivedB = now
  }

  lastReceived (node: SimNode): number {
    return node === this.a ? this.lastReceivedA : this.lastReceivedB
  }

  /** The handshake ended (open, failed, closed): its slots are free. */
  endHandshake (): void {
    const under = this.a.dialsUnderWay
    const i = under.indexOf(this)
    if (i >= 0) under.splice(i, 1)
    // Both let go before either is cancelled: a freed slot may start another dial at once, which may end this one.
    const outbound = this.outboundSlot
    const inbound = this.inboundSlot
    this.outboundSlot = undefined
    this.inboundSlot = undefined
    outbound?.cancel()
    inbound?.cancel()
  }
}

/**
 * A datagram key a node holds for a peer (SimNetwork's datagram model): issued by the peer over a connection,
 * usable once a hello datagram was answered (`confirmed`). Valid only while the peer's process lives:
 * `issuerEpoch` is the peer's epoch when it issued the key (a restart loses the keys it issued).
 */
export interface DatagramKey {
  confirmed: boolean
  readonly issuerEpoch: number
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
  /** Datagram keys this node holds, by the peer that issued them (lost with the process: crash, restart). */
  readonly datagramKeys = new Map<PeerId, DatagramKey>()
  /**
   * This node's inbound rate limits for datagrams from senders it has no connection with (with one, the
   * connection's limits count them, shared with the stream, as src/net/inbound.ts keeps one state per peer).
   * Lost with the process.
   */
  readonly datagramLimits = new Map<PeerId, InboundLimit>()
  /** Our dials holding an outbound handshake slot (at most its limit). */
  readonly dialsUnderWay: SimConnection[] = []
  /**
   * The same connections in a doubly linked list ordered by last activity, least recent first: the
   * connection budget looks for the least recently used idle connection at every new one, which a scan of
   * all of them made O(connections) per dial (issue 11). Activity times only grow, so moving a touched
   * connection to the end keeps the order.
   */
  oldest: SimConnection | undefined
  newest: SimConnection | undefined
  /** The node's network interface is busy sending until this time (all links share it). */
  egressFreeAt = 0
  /** Connections in state `open` (the budget counts these). */
  openConnections = 0
  /** A look at the connection budget is scheduled (the node stayed above it: its connections were young or busy). */
  budgetRecheck = false
  readonly budget: QueueBudget
  /** Handshakes at once per direction, the rest in line (src/core/handshake-slots.ts, as the libp2p transport). */
  readonly handshakes: { inbound: HandshakeSlots, outbound: HandshakeSlots }
  /** Local health multiplier membership reported (Transport.setLocalHealth): stretches dial deadlines once TCP connected. */
  healthMultiplier = 1

  constructor (readonly id: PeerId, readonly random: Random, maxQueuedBytes: number, handshakeSlots: { outbound: number, inbound: number, maxQueued: number }) {
    this.budget = new QueueBudget(maxQueuedBytes)
    this.handshakes = {
      inbound: new HandshakeSlots(handshakeSlots.inbound, handshakeSlots.maxQueued),
      outbound: new HandshakeSlots(handshakeSlots.outbound, handshakeSlots.maxQueued)
    }
  }

  addConnection (peer: PeerId, conn: SimConnection): void {
    this.connections.set(peer, conn)
    this.append(conn)
  }

  removeConnection (peer: PeerId, conn: SimConnection): void {
    if (this.connections.get(peer) !== conn) return
    this.connections.delete(peer)
    this.unlink(conn)
  }

  moveToNewest (conn: SimConnection): void {
    if (this.newest === conn || !(conn.a === this ? conn.listedA : conn.listedB)) return
    this.unlink(conn)
    this.append(conn)
  }

  /** The connection after `conn` in this node's list (more recently active). */
  next (conn: SimConnection): SimConnection | undefined {
    return conn.a === this ? conn.nextA : conn.nextB
  }

  private append (conn: SimConnection): void {
    const last = this.newest
    if (conn.a === this) {
      conn.prevA = last
      conn.nextA = undefined
      conn.listedA = true
    } else {
      conn.prevB = last
      conn.nextB = undefined
      conn.listedB = true
    }
    if (last === undefined) this.oldest = conn
    else if (last.a === this) last.nextA = conn
    else last.nextB = conn
    this.newest = conn
  }

  private unlink (conn: SimConnection): void {
    const mine = conn.a === this
    const prev = mine ? conn.prevA : conn.prevB
    const next = mine ? conn.nextA : conn.nextB
    if (prev === undefined) this.oldest = next
    else if (prev.a === this) prev.nextA = next
    else prev.nextB = next
    if (next === undefined) this.newest = prev
    else if (next.a === this) next.prevA = prev
    else next.prevB = prev
    if (mine) {
      conn.prevA = undefined
      conn.nextA = undefined
      conn.listedA = false
    } else {
      conn.prevB = undefined
      conn.nextB = undefined
      conn.listedB = false
    }
  }
}
