/**
 * The deterministic network simulator, faithful to the libp2p transport it stands in for.
 *
 * What it models, and where production has the same thing:
 * - connections: one per pair, dialled on the first frame to a peer (TCP + Noise + yamux: three round
 *   trips plus the handshake's CPU time), refused at once by a crashed process (a TCP RST) or timing out
 *   through a partition (`dialTimeoutMs`; a SYN lost in it is resent after 1 s as TCP does, and connects
 *   if the partition healed meanwhile); a failed dial drops what was queued and reports the peer
 *   `unreachable` (src/net/outbound.ts). A connection budget per node closes the least recently used idle
 *   connections above `maxConnections`, never one younger than `pruneGraceMs` (src/net/connection-budget.ts).
 * - outbound queues: the production FrameQueue per (peer, channel) with its limits and drop-oldest policy,
 *   and the QueueBudget across peers that refuses new frames (src/core/frame-queue.ts). Sending only
 *   enqueues; the queue drains later, in write batches, at the link's bandwidth — so a burst of frames
 *   sent at once (push-pull pages) overflows here exactly as it does over libp2p.
 * - streams: frames of a link arrive in the order they were written (FIFO); latency is base + jitter per
 *   batch, never overtaking an earlier frame.
 * - inbound rate limits per (sender, channel): the production InboundLimit buckets (src/core/rate-limit.ts).
 * - faults: loss (frames lost on the wire), asymmetric partitions, crashes, restarts, stalls (GC pauses),
 *   slow receivers, and duplicated delivery ("replay", after TigerBeetle's simulator: a frame delivered a
 *   second time, later, out of order) to show that acks, sequence numbers and flush ids are idempotent.
 *   Production never duplicates a frame; replay is a stress fault, off by default.
 *
 * Same seed ⇒ same run: every random draw comes from one seeded generator (forked per node), events at
 * equal times run in scheduling order, and nothing reads real time.
 *
 * - CPU time, when `cpu` is given (issue 14): a node has one thread. A handshake costs each end
 *   `cpu.handshakeMs` of it (Noise XX's Diffie-Hellman and signatures), done when that end's
 *   thread gets to it after TCP connected, and each frame handed to the protocol costs `cpu.frameMs`.
 *   While a node works, its timers and inbound frames wait (the stall machinery: `stalledUntil`, `runOn`),
 *   so a node handed dozens of handshakes at once answers pings late and times out its own probes — what
 *   30 peers on two cores did after every heal. A handshake whose work ends past the dial deadline fails
 *   as a timeout on the dialler's side, its CPU spent for nothing (`connectionStats.handshakeTimeouts`).
 *   Without `cpu` a node handles any number of frames per instant and a handshake costs time
 *   (`handshakeMs`) but no CPU.
 *
 * - datagrams (unless `datagrams: false`): small `swim` frames (≤ DATAGRAM_MAX_FRAME_BYTES, not sent
 *   with `{ stream: true }`) to a peer whose datagram key this node holds, confirmed, travel as UDP datagrams
 *   (src/net/datagrams.ts): no dial, no queue, no connection touched; each delivered after its own draw of the
 *   link's one-way delay (so they can be reordered), lost with `loss`, `packetLoss` and `datagramLoss` and never
 *   resent, dropped by partitions, and lost at a crashed process or one that restarted since the key was
 *   issued — the restarted one answers with a reset datagram that makes the holder drop the stale key (unless
 *   `datagramResets: false`). When a connection opens, each end issues the other a key over it and the holder confirms it with
 *   a hello datagram the other end answers: confirmed two one-way delays later if both datagrams get through,
 *   else tried again a second later, DATAGRAM_HELLO_TRIES times in all, then not until the next connection. A key
 *   outlives a connection its holder closed (its budget, `forget`). An end closing a connection for its budget
 *   or a `forget` first sends the other a `keep` datagram (if it holds a confirmed key to seal it with), and the
 *   other keeps its key too if that datagram gets through; any other close by the remote (its crash, restart, a
 *   lost keep) takes the holder's key for it with it, so the next frame dials, and a refused dial is evidence.
 *   A close across a partition does not reach the other end, which keeps its key.
 *
 * Not modelled yet: the flood detector's disconnect and cooldown, silent-connection detection, and
 * libp2p's hard connection cap.
 */
import type { Clock, Timer } from '../core/clock.js'
import { varintLength } from '../core/codec.js'
import { FrameTooLargeError } from '../core/errors.js'
import type { QueueLimits } from '../core/frame-queue.js'
import { DEFAULT_MAX_CONCURRENT_HANDSHAKES, DEFAULT_MAX_CONCURRENT_INBOUND_HANDSHAKES, DEFAULT_MAX_QUEUED_HANDSHAKES } from '../core/handshake-slots.js'
import {
  DEFAULT_DIAL_TIMEOUT_MS, DEFAULT_INBOUND_BYTE_RATE, DEFAULT_INBOUND_RATE, DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_TOTAL_QUEUED_BYTES, DEFAULT_PRUNE_GRACE_MS, DEFAULT_QUEUE_LIMITS, DEFAULT_SOCKET_INACTIVITY_TIMEOUT_MS, WRITE_BATCH_BYTES, handshakeTimeoutScale
} from '../core/link-defaults.js'
import { SeededRandom } from '../core/random.js'
import type { Random } from '../core/random.js'
import { InboundLimit } from '../core/rate-limit.js'
import type { ByteRateSpec, RateSpec } from '../core/rate-limit.js'
import { CHANNELS, DATAGRAM_MAX_FRAME_BYTES, DATAGRAM_RESETS_PER_SECOND, DEFAULT_MAX_FRAME_BYTES, FORGET_QUIET_MS, ROOM_FRACTION, perChannel } from '../core/transport.js'
import type { Channel, PeerId } from '../core/transport.js'
import { EventQueue, SimEvent } from './event-queue.js'
import type { OutLink } from './link.js'
import type { LinkHost } from './link.js'
import { SimNode } from './node.js'
import type { DatagramKey, SimConnection } from './node.js'
import type { TrafficStats } from './node.js'
import { SimKeys } from './signer.js'
import { SimTransport } from './sim-transport.js'
import { Spares } from './spares.js'

export type { TrafficStats } from './node.js'

export interface LinkSpec {
  /** Fixed one-way latency. */
  baseDelayMs: number
  /** Mean of an exponential extra delay per write batch (a long tail, as on real links); capped at 10× the mean. */
  jitterMs: number
  /**
   * Probability that a frame is dropped outright and never delivered: a datagram-like stress fault. The
   * transport runs over TCP, which never loses a frame it has accepted; `packetLoss` is what a lossy
   * network does to it.
   */
  loss: number
  /**
   * Probability that a TCP segment is lost on the wire (what `tc netem loss` does). TCP recovers it: the
   * frame arrives one retransmission timeout later (`TCP_RTO_MIN_MS`, doubling while retransmissions are lost
   * too), and every frame written after it on the connection waits behind it (head-of-line blocking). A lost
   * SYN is resent after `TCP_SYN_RTO_MS`. Default 0.
   */
  packetLoss: number
  /** Serialisation rate of this direction, bytes per second. Default 125,000,000 (1 Gbit/s). */
  bandwidthBytesPerSec: number
  /** Probability that a frame is delivered once more, up to `replayMaxDelayMs` later (replay). Default 0. */
  duplicate: number
  /**
   * Probability that a datagram (not a stream frame) is lost on this direction, on top of `loss` and
   * `packetLoss`: 1 is a path that drops UDP and passes TCP (a firewall). Default 0.
   */
  datagramLoss: number
}

/** CPU cost of the work a node's one thread does (see the file comment). */
export interface CpuModel {
  /** Each end of a connection handshake (Noise XX + yamux), ms. */
  handshakeMs: number
  /** Each inbound frame handed to the protocol (decode, signature checks, handling), ms. */
  frameMs: number
}

export interface SimNetworkOptions {
  seed: number
  /** Default link model for every pair (override per link with setLink). Default 0.3 ms + exp(0.5 ms), no loss of either kind, 1 Gbit/s. */
  link?: Partial<LinkSpec>
  /** A dial to a crashed node is refused after a round trip (like a TCP RST) rather than timing out. Default true. */
  refuseWhenCrashed?: boolean
  maxFrameBytes?: Partial<Record<Channel, number>>
  /** Outbound queue limits per (peer, channel). Default: the transport's (DEFAULT_QUEUE_LIMITS). */
  queueLimits?: Partial<Record<Channel, QueueLimits>>
  /** Bytes queued per node across all peers. Default: the transport's (DEFAULT_MAX_TOTAL_QUEUED_BYTES). */
  maxTotalQueuedBytes?: number
  /** Inbound frame rate per (sender, channel); `false` turns inbound limits off. Default: the transport's. */
  inboundRate?: Partial<Record<Channel, RateSpec>> | false
  /** Inbound byte rate per (sender, channel). Default: the transport's. */
  inboundByteRate?: Partial<Record<Channel, ByteRateSpec>>
  /**
   * Egress rate of each node, shared by all its links (its network interface), bytes per second. Default
   * 125,000,000 (1 Gbit/s). A link is as fast as the slower of the two.
   */
  nodeBandwidthBytesPerSec?: number
  /** Connections per node before idle ones are closed (LRU). Default: the transport's (64); Infinity: no budget. */
  maxConnections?: number
  /** A connection this young is never pruned. Default: the transport's (2 s). */
  pruneGraceMs?: number
  /**
   * A connection that carried no frame (datagrams do not count: they are UDP) for this long is closed by the
   * idle end's socket, and its datagram keys with it (not a close the transport notes as its own: no `keep`).
   * Default: the transport's (DEFAULT_SOCKET_INACTIVITY_TIMEOUT_MS, 0: never); @libp2p/tcp's own is 2 minutes.
   */
  socketInactivityTimeoutMs?: number
  /** A dial that gets no answer fails after this long. Default: the transport's (3 s). */
  dialTimeoutMs?: number
  /** CPU time of a connection handshake (Noise XX + yamux), on top of its three round trips. Default 20 ms (measured on loopback). */
  handshakeMs?: number
  /** A node's dials in their handshake at once; the rest wait in line. Default: the transport's (2). */
  maxConcurrentHandshakes?: number
  /** A node's accepted connections in their handshake at once. Default: the transport's (256). */
  maxConcurrentInboundHandshakes?: number
  /** Model each node's CPU (one thread): handshakes and frames take its time. Default: not modelled. */
  cpu?: Partial<CpuModel>
  /** A replayed frame arrives up to this long after the original. Default 1,000 ms. */
  replayMaxDelayMs?: number
  /**
   * Give every node a signer (Transport.signer, a keyed hash standing in for its identity key), as the
   * libp2p transport has. Default true; false runs membership unauthenticated (cheaper at very large N).
   */
  signatures?: boolean
  /**
   * Small `swim` frames travel as datagrams between peers that exchanged datagram keys over a connection (see
   * the file comment), as the libp2p transport sends them. Default true; false: every frame on a stream (tests
   * that pin the stream model say so, e.g. test/sim/transport-model.test.ts).
   */
  datagrams?: boolean
  /**
   * A connection the remote's connection budget closed leaves our key for the remote usable if the remote's
   * `keep` datagram got through, as the libp2p transport has it (src/net/datagrams.ts `noteLocalClose`).
   * Default true; false: any close by the remote drops our key (the transport before the keep datagram), to
   * measure what the keep saves (test/membership/datagrams.sim.test.ts).
   */
  keysSurviveRemotePruning?: boolean
  /**
   * A datagram sealed with a key a restarted process issued in its previous life is answered with a reset
   * datagram (if it gets through), and the holder drops that key: its next frame to the peer goes on a stream
   * (src/net/datagrams.ts `sendReset`). Default true; false: dropped without a word, as the transport did
   * before, to measure what the reset saves (test/membership/datagrams.sim.test.ts).
   */
  datagramResets?: boolean
}

/** Why frames were dropped (counted per channel in `drops`; their sum is `traffic[channel].dropped`). */
export const DROP_REASONS = ['queueOverflow', 'dialFailed', 'lost', 'crashed', 'rateLimited', 'forgotten', 'unreachable'] as const
export type DropReason = typeof DROP_REASONS[number]

/** A listener on every frame sent (SimNetwork.tap). */
/** A tap may return `false` to lose the frame (a fault a test injects), counted as `lost`. */
export type FrameTap = (from: PeerId, to: PeerId | undefined, channel: Channel, frame: Uint8Array) => boolean | undefined | void

/** Compatibility name: the node state tests and tools reach through `network.node(id)`. */
export type SimNodeState = SimNode

const ADDRESS_PREFIX = 'sim://'
/** After a stall, inbound frames are handled this long after the timers that expired during it. */
const STALL_IO_LAG_MS = 1
/**
 * How far ahead of its transmission a batch may leave the outbound queue (the kernel's socket buffer):
 * 2 ms at 1 Gbit/s is 250 KB. Beyond it frames wait in the queue, where its limits apply.
 */
const SEND_AHEAD_MS = 2
/** Round trips of a dial before the handshake's CPU time: TCP (1), Noise XX (1.5), multistream + yamux (0.5). */
const DIAL_ROUND_TRIPS = 3
/**
 * Messages of a handshake after TCP connected, each handled by one end in turn (CPU model): multistream-select,
 * Noise XX's three, yamux. (Six while the libp2p node ran identify too: src/net/node.ts.)
 */
const HANDSHAKE_STEPS = 5
/**
 * Linux's retransmission timeout on a LAN: its floor (TCP_RTO_MIN), which the tail-loss probe of a lone
 * segment also waits out. Doubles with each retransmission lost in turn.
 */
export const TCP_RTO_MIN_MS = 200
/** Linux's initial retransmission timeout, before any round trip was measured: a lost SYN or SYN-ACK. */
export const TCP_SYN_RTO_MS = 1000
/** A hello datagram that got no answer is sent again after this long (src/net/datagrams.ts)… */
export const DATAGRAM_HELLO_RETRY_MS = 1000
/** …this many times in all; then the key is dropped until the next connection. */
export const DATAGRAM_HELLO_TRIES = 3
/**
 * When TCP resends a SYN next, after `now`, for a dial whose first SYN left at `firstSynAt`: after
 * TCP_SYN_RTO_MS, then twice as long again (Linux: 1 s, 3 s, 7 s… after the first).
 */
export function nextSynResend (firstSynAt: number, now: number): number {
  let wait = TCP_SYN_RTO_MS
  let at = firstSynAt + wait
  while (at <= now) {
    wait *= 2
    at += wait
  }
  return at
}
/** Payload bytes per TCP segment (Ethernet MTU less IP and TCP headers with timestamps). */
const TCP_MSS = 1448

/**
 * Extra delay before a segment lost with probability `p` gets through: one timeout per lost copy, each twice
 * the last (exponential backoff). 0 when the first copy arrives.
 */
export function retransmitDelay (random: Random, p: number, rtoMs: number): number {
  let delay = 0
  for (let rto = rtoMs; random.next() < p && delay < 120_000; rto *= 2) delay += rto
  return delay
}

export function simAddress (id: PeerId): string {
  return `${ADDRESS_PREFIX}${id}`
}

export class SimNetwork implements LinkHost {
  readonly random: Random
  private readonly queue = new EventQueue()
  private readonly nodes = new Map<PeerId, SimNode>()
  private readonly links = new Map<string, LinkSpec>()
  private readonly blocked = new Set<string>()
  private readonly defaultLink: LinkSpec
  private readonly refuseWhenCrashed: boolean
  /** Small swim frames go as datagrams once a key is confirmed (SimNetworkOptions.datagrams). */
  readonly datagrams: boolean
  /** A restarted node answers datagrams sealed with its previous life's keys with a reset (SimNetworkOptions.datagramResets). */
  readonly datagramResets: boolean
  private readonly keysSurviveRemotePruning: boolean
  readonly maxFrameBytes: Readonly<Record<Channel, number>>
  private readonly queueLimits: Readonly<Record<Channel, QueueLimits>>
  private readonly maxTotalQueuedBytes: number
  private readonly inboundLimits: { rate: Record<Channel, RateSpec>, byteRate: Record<Channel, ByteRateSpec> } | undefined
  private readonly maxConnections: number
  private readonly pruneGraceMs: number
  private readonly dialTimeoutMs: number
  private readonly handshakeMs: number
  private cpu: CpuModel | undefined
  private readonly replayMaxDelayMs: number
  private readonly nodeMsPerByte: number
  /** Signing keys of the nodes (undefined: signatures off). */
  readonly keys: SimKeys | undefined
  private time = 0
  private readonly taps: FrameTap[] = []
  /** The pump and arrival of every link's events (bound once, not a closure per link). */
  private readonly linkHost: LinkHost = { pump: link => { this.pump(link) }, arrive: link => { this.arrive(link) } }
  /** Closed connections and forgotten links, reused. */
  private readonly spares: Spares
  /** Links sent on during the current event, pumped when it returns. */
  private readonly deferred: OutLink[] = []
  /** How many of `deferred` are current (the array is kept: emptied by `length = 0`, it dropped its store). */
  private deferredCount = 0
  readonly traffic: Record<Channel, TrafficStats> = perChannel(() => ({ frames: 0, bytes: 0, dropped: 0 }))

  readonly drops: Record<Channel, Record<DropReason, number>> = perChannel(() => zeroDrops())
  /**
   * Dials started, failed (of which handshakes past the dial deadline, with a CPU model), and connections
   * closed by a node's connection budget.
   */
  readonly connectionStats = { dials: 0, dialsFailed: 0, handshakeTimeouts: 0, pruned: 0, timedOut: 0 }
  /**
   * Dials made to send, by the channel of the frames that waited for them (the first channel with frames
   * queued, in CHANNELS order, when the link found no connection): which layer dialled. Dials made ahead
   * of any frame (`connect`) are in `connectionStats.dials` only.
   */
  readonly dialsFor: Record<Channel, number> = perChannel(() => 0)
  private connectionSerial = 0
  /** Swim frames sent as datagrams, and hello exchanges that confirmed a datagram key. */
  readonly datagramStats = { sent: 0, keysConfirmed: 0, hellosFailed: 0, resetsSent: 0, keysReset: 0 }
  /** Datagram key resets each node sent in the current second of simulated time (DATAGRAM_RESETS_PER_SECOND). */
  private readonly resetsThisSecond = new WeakMap<SimNode, { second: number, count: number }>()
  /** Frames delivered a second time (replay). */
  duplicated = 0
  /** Frames that arrived late because a segment of theirs was lost and retransmitted (`packetLoss`). */
  retransmits = 0
  eventsRun = 0

  constructor (readonly options: SimNetworkOptions) {
    this.random = new SeededRandom(options.seed)
    this.defaultLink = { baseDelayMs: 0.3, jitterMs: 0.5, loss: 0, packetLoss: 0, bandwidthBytesPerSec: 125_000_000, duplicate: 0, datagramLoss: 0, ...options.link }
    this.refuseWhenCrashed = options.refuseWhenCrashed ?? true
    this.datagrams = options.datagrams ?? true
    this.datagramResets = options.datagramResets ?? true
    this.keysSurviveRemotePruning = options.keysSurviveRemotePruning ?? true
    this.maxFrameBytes = { ...DEFAULT_MAX_FRAME_BYTES, ...options.maxFrameBytes }
    this.queueLimits = perChannel(c => ({ ...DEFAULT_QUEUE_LIMITS[c], ...options.queueLimits?.[c] }))
    this.spares = new Spares(this.queueLimits, this.linkHost)
    this.maxTotalQueuedBytes = options.maxTotalQueuedBytes ?? DEFAULT_MAX_TOTAL_QUEUED_BYTES
    const inboundRate = options.inboundRate
    this.inboundLimits = inboundRate === false
      ? undefined
      : {
          rate: perChannel(c => ({ ...DEFAULT_INBOUND_RATE[c], ...inboundRate?.[c] })),
          byteRate: perChannel(c => ({ ...DEFAULT_INBOUND_BYTE_RATE[c], ...options.inboundByteRate?.[c] }))
        }
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS
    this.pruneGraceMs = options.pruneGraceMs ?? DEFAULT_PRUNE_GRACE_MS
    const inactivityMs = options.socketInactivityTimeoutMs ?? DEFAULT_SOCKET_INACTIVITY_TIMEOUT_MS
    if (inactivityMs > 0) this.sweepIdleSockets(inactivityMs, Math.max(100, inactivityMs / 8))
    this.dialTimeoutMs = options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS
    this.handshakeMs = options.handshakeMs ?? 20
    this.cpu = options.cpu === undefined ? undefined : { handshakeMs: 0, frameMs: 0, ...options.cpu }
    this.replayMaxDelayMs = options.replayMaxDelayMs ?? 1000
    this.nodeMsPerByte = 1000 / (options.nodeBandwidthBytesPerSec ?? 125_000_000)
    this.keys = options.signatures === false ? undefined : new SimKeys(options.seed)
  }

  /** Starts (or, with undefined, stops) modelling CPU time from now on, e.g. once a mesh has formed. */
  setCpu (cpu: Partial<CpuModel> | undefined): void {
    this.cpu = cpu === undefined ? undefined : { handshakeMs: 0, frameMs: 0, ...cpu }
  }

  /** Current virtual time in ms. */
  get now (): number {
    return this.time
  }

  // ── nodes ──────────────────────────────────────────────────────────────────────────────────────

  addNode (id: PeerId): SimTransport {
    if (this.nodes.has(id)) throw new Error(`node ${id} already exists`)
    const node = new SimNode(id, this.random.fork(), this.maxTotalQueuedBytes, {
      outbound: this.options.maxConcurrentHandshakes ?? DEFAULT_MAX_CONCURRENT_HANDSHAKES,
      inbound: this.options.maxConcurrentInboundHandshakes ?? DEFAULT_MAX_CONCURRENT_INBOUND_HANDSHAKES,
      maxQueued: DEFAULT_MAX_QUEUED_HANDSHAKES
    })
    node.transport = new SimTransport(this, node)
    this.nodes.set(id, node)
    return node.transport
  }

  node (id: PeerId): SimNode {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`no node ${id}`)
    return n
  }

  nodeIds (): PeerId[] {
    return [...this.nodes.keys()]
  }

  /** A Clock bound to `id`: its timers die with a crash and wait out a stall. */
  clockFor (id: PeerId): Clock {
    const node = this.node(id)
    return {
      now: () => this.time,
      setTimeout: (fn, delayMs) => this.scheduleOn(node, Math.max(0, delayMs), fn),
      every: (intervalMs, fn) => this.repeatOn(node, intervalMs, fn)
    }
  }

  /** The process dies: timers, queues and in-flight frames to it are void; its connections close. */
  crash (id: PeerId): void {
    const node = this.node(id)
    node.crashed = true
    node.epoch++
    this.resetTransportState(node, 'crashed')
    node.datagramKeys.clear()
    node.datagramLimits.clear()
  }

  /** The process starts again with empty state: returns a fresh transport with the same id and address. */
  restart (id: PeerId): SimTransport {
    const node = this.node(id)
    this.resetTransportState(node, 'crashed')
    node.datagramKeys.clear()
    node.datagramLimits.clear()
    node.crashed = false
    node.epoch++
    node.stalledUntil = 0
    node.inboundLagMs = 0
    node.healthMultiplier = 1
    node.transport = new SimTransport(this, node)
    return node.transport
  }

  /** The node processes nothing for `durationMs` (a long GC pause): its timers and inbound frames wait. */
  stall (id: PeerId, durationMs: number): void {
    const node = this.node(id)
    node.stalledUntil = Math.max(node.stalledUntil, this.time + durationMs)
  }

  /**
   * The node handles every inbound frame `lagMs` late (0 = normal), while its timers stay on time: a
   * member too slow to keep up, whose probes time out with the acks already waiting. This is the failure
   * mode Lifeguard's local health awareness targets.
   */
  slow (id: PeerId, lagMs: number): void {
    this.node(id).inboundLagMs = Math.max(0, lagMs)
  }

  isCrashed (id: PeerId): boolean {
    return this.node(id).crashed
  }

  // ── links ──────────────────────────────────────────────────────────────────────────────────────

  setLink (from: PeerId, to: PeerId, spec: Partial<LinkSpec>): void {
    this.links.set(linkKey(from, to), { ...this.linkOf(from, to), ...spec })
  }

  /** Changes the default link model (e.g. uniform loss) for all links without an override. */
  setDefaultLink (spec: Partial<LinkSpec>): void {
    Object.assign(this.defaultLink, spec)
  }

  /** Drops everything sent from `from` to `to` (one direction only); dials between them time out. */
  block (from: PeerId, to: PeerId): void {
    this.blocked.add(linkKey(from, to))
  }

  unblock (from: PeerId, to: PeerId): void {
    this.blocked.delete(linkKey(from, to))
  }

  /** Symmetric partition between groups `a` and `b`. */
  partition (a: readonly PeerId[], b: readonly PeerId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.block(x, y)
        this.block(y, x)
      }
    }
  }

  /** Removes every block. */
  heal (): void {
    this.blocked.clear()
  }

  isBlocked (from: PeerId, to: PeerId): boolean {
    return this.blocked.size > 0 && this.blocked.has(linkKey(from, to))
  }

  /** Whether `a` and `b` have an open connection. */
  isConnected (a: PeerId, b: PeerId): boolean {
    return this.node(a).connections.get(b)?.state === 'open'
  }

  /** Whether one more connection of `node` fits its connection budget (Transport.hasConnectionRoom). */
  hasConnectionRoom (node: SimNode): boolean {
    return node.openConnections < this.maxConnections * ROOM_FRACTION
  }

  /** Open connections of `id`. */
  connectionCount (id: PeerId): number {
    return this.node(id).openConnections
  }

  /**
   * Calls `listener` with every frame a node sends, as it is sent (before the link model): a test's view
   * of the traffic, e.g. a hostile member that sees what others send; a listener that returns `false`
   * loses the frame (before it is counted as traffic). Returns an unsubscribe function.
   */
  tap (listener: FrameTap): () => void {
    this.taps.push(listener)
    return () => {
      const i = this.taps.indexOf(listener)
      if (i >= 0) this.taps.splice(i, 1)
    }
  }

  /** Frames `from` has queued for `to` (not yet written), per channel. */
  queuedFor (from: PeerId, to: PeerId): Record<Channel, number> {
    const link = this.node(from).links.get(to)
    return perChannel(c => link?.queuedOn(c) ?? 0)
  }

  // ── running ────────────────────────────────────────────────────────────────────────────────────

  /** Schedules a global (not node-bound) event, e.g. a test's fault injection. */
  at (time: number, fn: () => void): Timer {
    return this.queue.push(Math.max(time, this.time), fn)
  }

  /** Runs events until virtual time reaches `now + durationMs`. */
  runFor (durationMs: number): void {
    this.runUntilTime(this.time + durationMs)
  }

  runUntilTime (end: number): void {
    this.runDeferred()
    this.spares.settle()
    for (;;) {
      const t = this.queue.peekTime()
      if (t === undefined || t > end) break
      const ev = this.queue.pop()
      if (ev === undefined) break
      this.time = ev.time
      if (ev.cancelled) continue
      this.eventsRun++
      ev.fire()
      if (this.deferredCount > 0) this.runDeferred()
      this.spares.settle()
    }
    this.time = Math.max(this.time, end)
  }

  /** The pumps of links that were sent on during the last event (the transport's microtask turn). */
  private runDeferred (): void {
    // The list may grow while it is worked through (a pump that dials, a dial that fails at once).
    for (let i = 0; i < this.deferredCount; i++) {
      const link = this.deferred[i] as OutLink
      link.pumpDeferred = false
      this.pump(link)
    }
    this.deferredCount = 0
  }

  /**
   * Runs until `done()` holds (checked every `checkEveryMs` of virtual time) or `maxMs` passes.
   * Returns the virtual time it took, or undefined on timeout.
   */
  runUntil (done: () => boolean, maxMs: number, checkEveryMs = 50): number | undefined {
    const start = this.time
    const end = start + maxMs
    while (this.time < end) {
      if (done()) return this.time - start
      this.runUntilTime(Math.min(end, this.time + checkEveryMs))
    }
    return done() ? this.time - start : undefined
  }

  // ── the transport's side (SimTransport) ───────────────────────────────────────────────────────

  /** Resolves a destination to a node: by id, else by a `sim://id` address. */
  resolve (id: PeerId | undefined, addrs: readonly string[]): SimNode | undefined {
    if (id !== undefined) return this.nodes.get(id)
    for (const a of addrs) {
      if (a.startsWith(ADDRESS_PREFIX)) {
        const n = this.nodes.get(a.slice(ADDRESS_PREFIX.length))
        if (n !== undefined) return n
      }
    }
    return undefined
  }

  /** Dials `to` ahead of any frame (Transport.connect); nothing if a connection is open or being dialled. */
  connect (from: SimNode, to: SimNode | undefined, addrs: readonly string[]): void {
    if (to === undefined || to === from || from.connections.has(to.id)) return
    const link = this.linkFrom(from, to)
    if (addrs.length > 0) link.addrs = addrs
    this.dial(from, to)
  }

  /**
   * `from` sends one frame: it is queued on the link to `to` (dialling it if needed) and goes out with
   * the link's next write batch. Never blocks; a frame that cannot be carried is dropped and counted.
   */
  send (from: SimNode, to: SimNode | undefined, channel: Channel, frame: Uint8Array, addrs: readonly string[], stream = false): void {
    if (frame.byteLength > this.maxFrameBytes[channel]) {
      throw new FrameTooLargeError(`${channel} frame of ${frame.byteLength} bytes exceeds ${this.maxFrameBytes[channel]}`)
    }
    for (const tap of this.taps) {
      if (tap(from.id, to?.id, channel, frame) === false) {
        this.drop(from, channel, 'lost', 1)
        return
      }
    }
    const stats = this.traffic[channel]
    stats.frames++
    stats.bytes += frame.byteLength
    from.sent.frames++
    from.sent.bytes += frame.byteLength
    if (to === undefined) {
      // No such peer: the dial of an address nobody listens on is refused.
      this.drop(from, channel, 'unreachable', 1)
      const transport = from.transport
      this.scheduleOn(from, 2 * this.defaultLink.baseDelayMs, () => { transport.unreachable(undefined, addrs) })
      return
    }
    if (to === from) {
      // Delivered locally, on a later turn of the event loop (the libp2p transport uses a microtask).
      const epoch = from.epoch
      this.queue.push(this.time, () => { if (from.epoch === epoch && !from.crashed) from.transport.receive(channel, from.id, frame) })
      return
    }
    if (this.datagrams && channel === 'swim' && !stream && frame.byteLength <= DATAGRAM_MAX_FRAME_BYTES && from.datagramKeys.get(to.id)?.confirmed === true) {
      this.sendDatagram(from, to, channel, frame)
      return
    }
    const link = this.linkFrom(from, to)
    if (addrs.length > 0) link.addrs = addrs
    if (!from.budget.reserve(frame.byteLength)) {
      this.drop(from, channel, 'queueOverflow', 1)
      return
    }
    const queue = link.queue(channel)
    const before = queue.bytes
    const overflowed = queue.push(frame)
    // As in src/net/outbound.ts: the reservation covered the new frame; the queue may have dropped older ones.
    from.budget.release(before + frame.byteLength - queue.bytes)
    if (overflowed > 0) this.drop(from, channel, 'queueOverflow', overflowed)
    // The pump runs once the current event is done, as the transport's async pump runs after the
    // synchronous handler that sent: frames sent together are all queued before the first is written.
    if (!link.pumpEvent.queued && !link.pumpDeferred) {
      link.pumpDeferred = true
      this.deferred[this.deferredCount++] = link
    }
  }

  /**
   * Membership declared `to` dead: drop what is queued for it, and close the connection unless a frame
   * came from `to` within FORGET_QUIET_MS (src/net forget).
   */
  forget (from: SimNode, to: PeerId): void {
    const conn = from.connections.get(to)
    if (conn !== undefined && !(conn.state === 'open' && this.time - conn.lastReceived(from) < FORGET_QUIET_MS)) this.closeConnection(conn, from, true)
    const link = from.links.get(to)
    if (link !== undefined) this.clearLink(link, 'forgotten')
  }

  // ── links: pump and arrival (LinkHost) ─────────────────────────────────────────────────────────

  /** Writes batches from the link's queues while it has an open connection and room to send (dials if it has none). */
  pump (link: OutLink): void {
    const { from, to } = link
    if (from.crashed || link.queuedFrames === 0) return
    const conn = link.conn
    if (conn === undefined) {
      const channel = CHANNELS.find(c => link.queuedOn(c) > 0)
      if (channel !== undefined && !from.connections.has(to.id)) this.dialsFor[channel]++
      this.dial(from, to)
      return
    }
    if (conn.state !== 'open') return // the dial's end pumps again
    const now = this.time
    // Batches leave the queue while the link's write side and the node's interface (shared by all its
    // links) are busy for at most SEND_AHEAD_MS more — the kernel's socket buffer — and wait in the queue
    // beyond that, where the production limits apply.
    for (;;) {
      const free = Math.max(link.busyUntil, from.egressFreeAt)
      if (free > now + SEND_AHEAD_MS) {
        if (!link.pumpEvent.queued) this.queue.schedule(link.pumpEvent, free - SEND_AHEAD_MS)
        break
      }
      this.writeBatch(link, Math.max(now, free))
      if (link.queuedFrames === 0) break
    }
    if (link.inFlight > 0 && !link.arrivalEvent.queued) this.queue.schedule(link.arrivalEvent, link.headTime)
    conn.touch(from, now)
  }

  /** Takes one write batch from one channel (the streams take turns) and puts it on the wire from `start`. */
  private writeBatch (link: OutLink, start: number): void {
    const { from, to } = link
    // Round robin over the channels that have frames, starting at the one whose turn it is.
    const first = CHANNELS.indexOf(link.nextChannel)
    let channel = link.nextChannel
    for (let i = 0; i < CHANNELS.length; i++) {
      const c = CHANNELS[(first + i) % CHANNELS.length] as Channel
      if (link.queuedOn(c) > 0) { channel = c; break }
    }
    link.nextChannel = CHANNELS[(CHANNELS.indexOf(channel) + 1) % CHANNELS.length] as Channel
    const queue = link.queue(channel)
    const spec = this.linkOf(from.id, to.id)
    const msPerByte = Math.max(1000 / spec.bandwidthBytesPerSec, this.nodeMsPerByte)
    const jitter = spec.jitterMs > 0 ? Math.min(10 * spec.jitterMs, -spec.jitterMs * Math.log(1 - from.random.next())) : 0
    const latency = spec.baseDelayMs + jitter + to.inboundLagMs
    const blocked = this.isBlocked(from.id, to.id)
    let bytes = 0
    let count = 0
    for (let next = queue.peek(); next !== undefined; next = queue.peek()) {
      if (count > 0 && bytes + next.byteLength > WRITE_BATCH_BYTES) break
      const frame = queue.shift() as Uint8Array
      bytes += frame.byteLength
      count++
      // A frame has arrived once its last byte has: serialisation so far, then the latency.
      let arrival = start + bytes * msPerByte + latency
      if (blocked || (spec.loss > 0 && from.random.next() < spec.loss)) {
        this.drop(from, channel, 'lost', 1)
        continue
      }
      if (spec.packetLoss > 0) {
        // A frame of several segments is late if any of them is lost: the lost ones are resent together a
        // timeout after they were sent (selective acks), and again, twice as late, while a resent copy is lost.
        const segments = Math.ceil(frame.byteLength / TCP_MSS)
        const anyLost = segments <= 1 ? spec.packetLoss : 1 - (1 - spec.packetLoss) ** segments
        if (from.random.next() < anyLost) {
          this.retransmits++
          arrival += TCP_RTO_MIN_MS + retransmitDelay(from.random, spec.packetLoss, 2 * TCP_RTO_MIN_MS)
        }
      }
      // In order: a frame never arrives before one written ahead of it (TCP delivers the stream in sequence).
      if (arrival < link.lastArrival) arrival = link.lastArrival
      link.lastArrival = arrival
      link.putOnWire(frame, channel, arrival, to.epoch)
      if (spec.duplicate > 0 && from.random.next() < spec.duplicate) this.replay(link, channel, frame, arrival + from.random.next() * this.replayMaxDelayMs)
    }
    from.budget.release(bytes)
    link.busyUntil = start + bytes * msPerByte
    from.egressFreeAt = link.busyUntil
  }

  /** Delivers every frame of the link whose arrival time has come, in order. */
  arrive (link: OutLink): void {
    const now = this.time
    while (link.inFlight > 0 && link.headTime <= now) {
      const channel = link.headChannel
      const epoch = link.headEpoch
      const frame = link.takeFromWire()
      this.receive(link, channel, frame, epoch)
    }
    if (link.inFlight > 0 && !link.arrivalEvent.queued) this.queue.schedule(link.arrivalEvent, link.headTime)
    else if (link.conn === undefined) this.dropIfIdle(link)
  }

  // ── datagrams ──────────────────────────────────────────────────────────────────────────────────

  /** Whether `from` holds a confirmed datagram key for `to` (Transport.datagramPath). */
  datagramPath (from: SimNode, to: PeerId): boolean {
    return from.datagramKeys.get(to)?.confirmed === true
  }

  /**
   * A connection between `holder` and `issuer` opened: `issuer` gives `holder` a fresh key over it, which
   * `holder` confirms with a hello datagram `issuer` answers. A key already confirmed for the same process
   * stays usable meanwhile.
   */
  private issueDatagramKey (holder: SimNode, issuer: SimNode): void {
    const old = holder.datagramKeys.get(issuer.id)
    const key: DatagramKey = { confirmed: old?.confirmed === true && old.issuerEpoch === issuer.epoch, issuerEpoch: issuer.epoch }
    holder.datagramKeys.set(issuer.id, key)
    this.hello(holder, issuer, key, 1)
  }

  /** One hello exchange (the key's message over the connection counted in): answered after a round trip, or tried again. */
  private hello (holder: SimNode, issuer: SimNode, key: DatagramKey, attempt: number): void {
    const start = this.time
    const holderEpoch = holder.epoch
    const back = start + this.datagramDelay(holder, issuer) + this.datagramDelay(issuer, holder)
    this.queue.push(back, () => {
      if (holder.datagramKeys.get(issuer.id) !== key || holder.epoch !== holderEpoch || holder.crashed) return
      if (!issuer.crashed && issuer.epoch === key.issuerEpoch && !this.datagramLost(holder, issuer) && !this.datagramLost(issuer, holder)) {
        if (!key.confirmed) this.datagramStats.keysConfirmed++
        key.confirmed = true
        return
      }
      this.datagramStats.hellosFailed++
      if (attempt >= DATAGRAM_HELLO_TRIES) holder.datagramKeys.delete(issuer.id)
      else this.queue.push(Math.max(this.time, start + DATAGRAM_HELLO_RETRY_MS), () => { this.hello(holder, issuer, key, attempt + 1) })
    })
  }

  /** One datagram's one-way delay from `from` to `to` (drawn anew for each: datagrams can overtake one another). */
  private datagramDelay (from: SimNode, to: SimNode): number {
    const spec = this.linkOf(from.id, to.id)
    const jitter = spec.jitterMs > 0 ? Math.min(10 * spec.jitterMs, -spec.jitterMs * Math.log(1 - from.random.next())) : 0
    return spec.baseDelayMs + jitter
  }

  /** Whether a datagram from `from` to `to` is lost on the wire (never resent): a partition, or any kind of loss. */
  private datagramLost (from: SimNode, to: SimNode): boolean {
    if (this.isBlocked(from.id, to.id)) return true
    const spec = this.linkOf(from.id, to.id)
    return (spec.loss > 0 && from.random.next() < spec.loss) ||
      (spec.packetLoss > 0 && from.random.next() < spec.packetLoss) ||
      (spec.datagramLoss > 0 && from.random.next() < spec.datagramLoss)
  }

  /**
   * `to`, restarted, got a datagram `holder` sealed with a key of `to`'s previous life (`epoch`): the reset it
   * sends back makes `holder` drop that key, if it gets through and the key is still the one held.
   */
  private sendDatagramReset (to: SimNode, holder: SimNode, epoch: number): void {
    // At most DATAGRAM_RESETS_PER_SECOND per node, as the transport sends them.
    const second = Math.floor(this.time / 1000)
    const sent = this.resetsThisSecond.get(to)
    if (sent !== undefined && sent.second === second && sent.count >= DATAGRAM_RESETS_PER_SECOND) return
    this.resetsThisSecond.set(to, sent !== undefined && sent.second === second ? { second, count: sent.count + 1 } : { second, count: 1 })
    this.datagramStats.resetsSent++
    if (this.datagramLost(to, holder)) return
    const holderEpoch = holder.epoch
    this.queue.push(this.time + this.datagramDelay(to, holder), () => {
      const key = holder.datagramKeys.get(to.id)
      if (holder.crashed || holder.epoch !== holderEpoch || key === undefined || key.issuerEpoch !== epoch) return
      holder.datagramKeys.delete(to.id)
      this.datagramStats.keysReset++
      holder.transport.peerEvent({ type: 'datagramKeyReset', id: to.id })
    })
  }

  /** A swim frame as a datagram: no dial, no queue, no connection; its own delay, and lost for good if lost. */
  private sendDatagram (from: SimNode, to: SimNode, channel: Channel, frame: Uint8Array): void {
    this.datagramStats.sent++
    const key = from.datagramKeys.get(to.id) as DatagramKey
    if (this.datagramLost(from, to)) {
      this.drop(from, channel, 'lost', 1)
      return
    }
    const spec = this.linkOf(from.id, to.id)
    // It shares the node's interface with the streams.
    const start = Math.max(this.time, from.egressFreeAt)
    from.egressFreeAt = start + frame.byteLength * Math.max(1000 / spec.bandwidthBytesPerSec, this.nodeMsPerByte)
    const arrival = from.egressFreeAt + this.datagramDelay(from, to) + to.inboundLagMs
    const epoch = key.issuerEpoch
    this.queue.push(arrival, () => { this.receiveDatagram(from, to, channel, frame, epoch) })
    if (spec.duplicate > 0 && from.random.next() < spec.duplicate) {
      this.queue.push(arrival + from.random.next() * this.replayMaxDelayMs, () => {
        this.duplicated++
        this.receiveDatagram(from, to, channel, frame, epoch)
      })
    }
  }

  /**
   * A datagram arrives. Lost without a word at a process that crashed or restarted since it issued the key
   * (nothing listens, or the key is unknown); waits out a stall as a stream frame does; touches no connection.
   */
  private receiveDatagram (from: SimNode, to: SimNode, channel: Channel, frame: Uint8Array, epoch: number, reserved = false): void {
    if (this.lostOnArrival(from, to, channel, epoch)) {
      // A datagram (not a stream frame: a connection dies with its process) sealed with a key of the previous life.
      if (!to.crashed && to.epoch !== epoch && this.datagramResets) this.sendDatagramReset(to, from, epoch)
      return
    }
    const now = this.time
    if (!reserved && to.stalledUntil > now) {
      if (this.cpu !== undefined) {
        const at = this.burn(to, now, this.cpu.frameMs)
        this.queue.push(at, () => { this.receiveDatagram(from, to, channel, frame, epoch, true) })
      } else this.queue.push(to.stalledUntil + STALL_IO_LAG_MS, () => { this.receiveDatagram(from, to, channel, frame, epoch) })
      return
    }
    if (!this.admitDatagram(from, to, channel, frame, now)) return
    if (!reserved && this.cpu !== undefined && this.cpu.frameMs > 0) this.burn(to, now, this.cpu.frameMs)
    to.transport.receive(channel, from.id, frame, true)
  }

  /**
   * The receiver's inbound rate limit, as for a frame on a stream (src/net/inbound.ts `datagram`: the same
   * (peer, swim) buckets): the connection's if the pair has one, else the receiver's own for that sender.
   */
  private admitDatagram (from: SimNode, to: SimNode, channel: Channel, frame: Uint8Array, now: number): boolean {
    if (this.inboundLimits === undefined) return true
    const { rate, byteRate } = this.inboundLimits
    const link = from.links.get(to.id)
    let limit: InboundLimit | undefined
    if (link?.conn !== undefined) limit = link.inboundLimit(channel, rate[channel], byteRate[channel], now)
    else {
      limit = to.datagramLimits.get(from.id)
      if (limit === undefined) {
        limit = new InboundLimit(rate[channel], byteRate[channel], now)
        to.datagramLimits.set(from.id, limit)
      }
    }
    if (limit.admit(now, frame.byteLength + varintLength(frame.byteLength)) === 'ok') return true
    this.drop(from, channel, 'rateLimited', 1, false)
    return false
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────────

  /** A copy of a frame delivered once more at `time`, outside the stream's order (replay fault). */
  private replay (link: OutLink, channel: Channel, frame: Uint8Array, time: number): void {
    const epoch = link.to.epoch
    link.captured++
    this.queue.push(time, () => {
      link.captured--
      this.duplicated++
      this.receive(link, channel, frame, epoch)
    })
  }

  private linkFrom (from: SimNode, to: SimNode): OutLink {
    let link = from.links.get(to.id)
    if (link === undefined) {
      link = this.spares.link(from, to)
      from.links.set(to.id, link)
      link.listed = true
    }
    return link
  }

  /** `reserved`: the frame already took its turn on the receiver's thread (CPU model), see below. */
  private receive (link: OutLink, channel: Channel, frame: Uint8Array, epoch: number, reserved = false): void {
    const { from, to } = link
    if (this.lostOnArrival(from, to, channel, epoch)) return
    const now = this.time
    if (!reserved && to.stalledUntil > now) {
      if (this.cpu !== undefined) {
        // With the CPU model the thread's work is a line: the frame takes its place now, behind what is
        // queued, and is handled when its turn ends. Asking again at the end of the busy spell (below) let
        // handshake steps that came later jump ahead each time: a peer doing handshakes back to back read no
        // frame for seconds — not what Node does, whose event loop polls sockets between callbacks.
        const at = this.burn(to, now, this.cpu.frameMs)
        link.captured++
        this.queue.push(at, () => {
          link.captured--
          this.receive(link, channel, frame, epoch, true)
        })
        return
      }
      // Handled when the stall ends, in order, a little after the timers that expired meanwhile.
      link.captured++
      this.queue.push(to.stalledUntil + STALL_IO_LAG_MS, () => {
        link.captured--
        this.receive(link, channel, frame, epoch)
      })
      return
    }
    if (this.inboundLimits !== undefined) {
      const { rate, byteRate } = this.inboundLimits
      const limit = link.inboundLimit(channel, rate[channel], byteRate[channel], now)
      if (limit.admit(now, frame.byteLength + varintLength(frame.byteLength)) !== 'ok') {
        this.drop(from, channel, 'rateLimited', 1, false)
        return
      }
    }
    link.conn?.touch(to, now)
    link.conn?.received(to, now)
    if (!reserved && this.cpu !== undefined && this.cpu.frameMs > 0) this.burn(to, now, this.cpu.frameMs)
    to.transport.receive(channel, from.id, frame)
  }

  /**
   * Whether a frame arriving at `to` is lost (and counted): a crash or restart of the receiver since `epoch`,
   * or a partition that began while the frame was in flight.
   */
  private lostOnArrival (from: SimNode, to: SimNode, channel: Channel, epoch: number): boolean {
    if (to.epoch !== epoch || to.crashed) {
      this.drop(from, channel, 'crashed', 1, false)
      return true
    }
    if (this.isBlocked(from.id, to.id)) {
      this.drop(from, channel, 'lost', 1, false)
      return true
    }
    return false
  }

  /** `node`'s thread does `ms` of work from `from` on, after what it was already doing; returns when it is done. */
  private burn (node: SimNode, from: number, ms: number): number {
    node.stalledUntil = Math.max(node.stalledUntil, from) + ms
    return node.stalledUntil
  }

  private dial (from: SimNode, to: SimNode): void {
    if (from.connections.has(to.id)) return
    const now = this.time
    const conn = this.spares.connection(from, to, now, this.connectionSerial++)
    from.addConnection(to.id, conn)
    to.addConnection(from.id, conn)
    const out = this.linkFrom(from, to)
    out.conn = conn
    conn.outA = out
    const back = this.linkFrom(to, from)
    back.conn = conn
    conn.outB = back
    this.connectionStats.dials++
    // At most maxConcurrentHandshakes dials at once; the rest wait in line, their deadline not yet running.
    const ticket = from.handshakes.outbound.acquire(() => { this.startDial(conn) })
    if (ticket === undefined) this.failDial(conn)
    else if (conn.state === 'dialing') conn.outboundSlot = ticket
  }

  /**
   * `firstSynAt`: when the dial's first SYN left (its deadlines count from there). A SYN lost in a
   * partition is resent as TCP does, after TCP_SYN_RTO_MS and then twice that; one sent after the heal
   * connects (it used to fail at the deadline whatever happened meanwhile, up to 2 s longer than TCP takes).
   */
  private startDial (conn: SimConnection, firstSynAt = this.time): void {
    if (conn.state !== 'dialing') return
    const { a: from, b: to } = conn
    const now = this.time
    const elapsed = now - firstSynAt
    // The local health stretches the handshake's deadline, not the wait for TCP to connect (as src/net/dialer.ts):
    // a dial into a partition or to a dead host fails at the plain deadline whatever our load.
    const dialTimeoutMs = this.dialTimeoutMs * handshakeTimeoutScale(from.healthMultiplier)
    const rtt = this.linkOf(from.id, to.id).baseDelayMs + this.linkOf(to.id, from.id).baseDelayMs
    const fromEpoch = from.epoch
    const toEpoch = to.epoch
    const reachable = (): boolean => !to.crashed && to.epoch === toEpoch && !this.isBlocked(from.id, to.id) && !this.isBlocked(to.id, from.id)
    if (elapsed === 0) {
      conn.dialStartedAt = now
      if (!from.dialsUnderWay.includes(conn)) from.dialsUnderWay.push(conn)
    }
    // Lost packets of the dial: SYN or SYN-ACK resent after the initial timeout, a handshake message after the
    // measured one (the connection has a round-trip sample by then).
    const packetLoss = Math.max(this.linkOf(from.id, to.id).packetLoss, this.linkOf(to.id, from.id).packetLoss)
    const synLate = packetLoss > 0 ? retransmitDelay(from.random, 1 - (1 - packetLoss) ** 2, TCP_SYN_RTO_MS) : 0
    if (reachable()) conn.tcpConnectsAt = now + rtt + synLate
    else if (!to.crashed) {
      // Lost in a partition: the next resend, if TCP makes one before the dialler gives up.
      const resendAt = nextSynResend(firstSynAt, now)
      if (resendAt + rtt < firstSynAt + this.dialTimeoutMs) {
        this.queue.push(resendAt, () => {
          if (conn.state !== 'dialing') return
          if (from.crashed || from.epoch !== fromEpoch) this.removeConnection(conn)
          else this.startDial(conn, firstSynAt)
        })
        return
      }
    }
    let delay: number
    let timedOut = false
    // A crashed process on a live host: its kernel answers the SYN with a RST after a round trip.
    const refused = to.crashed && this.refuseWhenCrashed && !this.isBlocked(from.id, to.id) && !this.isBlocked(to.id, from.id)
    if (to.crashed) delay = refused ? rtt : this.dialTimeoutMs - elapsed
    else if (this.cpu !== undefined) {
      this.handshakeOnCpu(conn, now, firstSynAt + dialTimeoutMs, firstSynAt + this.dialTimeoutMs, rtt, reachable, synLate, packetLoss)
      return
    } else if (!reachable()) {
      // Its last SYN was lost too: the dial fails at the deadline, even if the partition healed since.
      delay = this.dialTimeoutMs - elapsed
      timedOut = true
    } else {
      let late = synLate
      for (let i = 0; packetLoss > 0 && i < HANDSHAKE_STEPS; i++) late += retransmitDelay(from.random, packetLoss, TCP_RTO_MIN_MS)
      delay = DIAL_ROUND_TRIPS * rtt + this.handshakeMs + late
      // Past its deadline the dialler gives up: TCP's connect on the plain one, the handshake on the stretched one.
      const deadline = (elapsed + synLate + rtt >= this.dialTimeoutMs ? this.dialTimeoutMs : dialTimeoutMs) - elapsed
      if (delay > deadline) {
        delay = deadline
        timedOut = true
      }
    }
    this.queue.push(now + delay, () => {
      if (conn.state !== 'dialing') return
      if (from.crashed || from.epoch !== fromEpoch) {
        this.removeConnection(conn)
        return
      }
      if (!reachable() || timedOut) {
        this.failDial(conn, refused && to.crashed)
        return
      }
      this.openConnection(conn)
    })
  }

  /**
   * A dial with the CPU model. TCP connects after a round trip; then the handshake's messages go back and
   * forth, HANDSHAKE_STEPS of them (multistream-select, Noise XX's three, yamux), each a share of
   * `cpu.handshakeMs` done on the end that handles it when its thread gets to it — behind whatever work it
   * already has, as Node interleaves everything on one thread — and half a round trip on the wire. Done past
   * the dial deadline: the dialler gives up (a handshake timeout), the work spent for nothing.
   */
  private handshakeOnCpu (conn: SimConnection, start: number, deadline: number, plainDeadline: number, rtt: number, reachable: () => boolean, synLate: number, packetLoss: number): void {
    const { a: from, b: to } = conn
    const fromEpoch = from.epoch
    const settle = (at: number, ok: () => boolean): void => {
      this.queue.push(at, () => {
        if (conn.state !== 'dialing') return
        if (from.crashed || from.epoch !== fromEpoch) {
          this.removeConnection(conn)
          return
        }
        if (ok()) this.openConnection(conn)
        else this.failDial(conn)
      })
    }
    // Unreachable with no resend left before the deadline (startDial resends a SYN lost in a partition),
    // or TCP connecting too late: the dial fails at the plain deadline (TCP never connected, so the local
    // health does not stretch it).
    if (!reachable() || start + synLate + rtt >= plainDeadline) {
      settle(plainDeadline, () => false)
      return
    }
    // Each end spends handshakeMs in all, over the steps it handles.
    const { handshakeMs } = this.cpu as CpuModel
    const listenerShare = handshakeMs / Math.ceil(HANDSHAKE_STEPS / 2)
    const diallerShare = handshakeMs / Math.floor(HANDSHAKE_STEPS / 2)
    const step = (i: number, at: number): void => {
      this.queue.push(at, () => {
        if (conn.state !== 'dialing') return
        if (!reachable() || from.crashed || from.epoch !== fromEpoch) {
          settle(Math.max(this.time, deadline), () => false)
          return
        }
        // Even steps are the listener's (it answers first), odd ones the dialler's.
        const done = i % 2 === 0 ? this.burn(to, this.time, listenerShare) : this.burn(from, this.time, diallerShare)
        if (done > deadline) {
          this.queue.push(deadline, () => { if (conn.state === 'dialing') this.connectionStats.handshakeTimeouts++ })
          settle(deadline, () => false)
        } else if (i + 1 < HANDSHAKE_STEPS) {
          const late = packetLoss > 0 ? retransmitDelay(from.random, packetLoss, TCP_RTO_MIN_MS) : 0
          step(i + 1, done + rtt / 2 + late)
        } else settle(done, reachable)
      })
    }
    // TCP connected: the listener takes the connection into one of its inbound handshake slots, or into line.
    this.queue.push(start + rtt + synLate, () => {
      if (conn.state !== 'dialing') return
      const ticket = to.handshakes.inbound.acquire(() => { step(0, this.time) })
      if (ticket === undefined) settle(this.time, () => false)
      else conn.inboundSlot = ticket
    })
  }

  private failDial (conn: SimConnection, refused = false): void {
    this.connectionStats.dialsFailed++
    const { a: from, b: to } = conn
    // Read before the connection goes: a link that only dialled (Transport.connect, nothing queued) is
    // forgotten with it, and its failure must still be reported, as the libp2p transport does.
    const addrs = from.links.get(to.id)?.addrs
    this.removeConnection(conn)
    // Refused: nothing listens there, and the key the process there issued went with it.
    if (refused) from.datagramKeys.delete(to.id)
    const link = from.links.get(to.id)
    if (link !== undefined) this.clearLink(link, 'dialFailed')
    if (addrs !== undefined) from.transport.unreachable(to.id, addrs, refused)
    // The other side may have been waiting on this connection for its own frames: it dials itself.
    this.pumpLater(to.links.get(from.id))
  }

  private openConnection (conn: SimConnection): void {
    conn.state = 'open'
    conn.opened = true
    conn.endHandshake()
    conn.openedAt = this.time
    conn.touch(conn.a, this.time)
    conn.touch(conn.b, this.time)
    conn.a.openConnections++
    conn.b.openConnections++
    conn.a.transport.peerEvent({ type: 'connected', id: conn.b.id })
    conn.b.transport.peerEvent({ type: 'connected', id: conn.a.id })
    if (this.datagrams) {
      this.issueDatagramKey(conn.a, conn.b)
      this.issueDatagramKey(conn.b, conn.a)
    }
    this.pumpLater(this.linkOn(conn.a, conn))
    this.pumpLater(this.linkOn(conn.b, conn))
    this.enforceBudget(conn.a)
    this.enforceBudget(conn.b)
  }

  /**
   * Closes a connection (both ends see `disconnected`); queued frames on either side re-dial. `closer`: the
   * end that closed it, which keeps its datagram key for the other. The other end loses its key for the
   * closer unless `keep` (a close for the budget, or `forget`) and the closer's `keep` datagram gets through,
   * or the close cannot reach it at all (a partition: no RST crosses one, so the other end keeps its key
   * until it closes the connection itself).
   */
  private closeConnection (conn: SimConnection, closer: SimNode, keep = false): void {
    const wasOpen = conn.state === 'open'
    this.removeConnection(conn)
    if (!wasOpen) return
    const { a, b } = conn
    const other = closer === a ? b : a
    // The keep datagram, sealed with the closer's key for the other end, sent just before the close.
    const told = keep && this.keysSurviveRemotePruning && closer.datagramKeys.get(other.id)?.confirmed === true && !this.datagramLost(closer, other)
    if (!told && !this.isBlocked(closer.id, other.id)) other.datagramKeys.delete(closer.id)
    a.transport.peerEvent({ type: 'disconnected', id: b.id })
    b.transport.peerEvent({ type: 'disconnected', id: a.id })
    this.pumpLater(a.links.get(b.id))
    this.pumpLater(b.links.get(a.id))
  }

  private removeConnection (conn: SimConnection): void {
    if (conn.state === 'open') {
      conn.a.openConnections--
      conn.b.openConnections--
    }
    if (conn.state !== 'closed') this.spares.releaseConnection(conn)
    conn.state = 'closed'
    conn.endHandshake()
    const { a, b } = conn
    a.removeConnection(b.id, conn)
    b.removeConnection(a.id, conn)
    this.detach(this.linkOn(a, conn), conn)
    this.detach(this.linkOn(b, conn), conn)
  }

  /**
   * `node`'s link to the other end of `conn`, as `node.links` has it: the link `dial` attached, while it
   * still runs on `conn` and is in the table (then it is the table's: a link is in at most one table, under
   * its receiver's id), else looked up (issue 11: a lookup in a table of a hundred links, at every open
   * and close, about three a second per member at N = 1,000).
   */
  private linkOn (node: SimNode, conn: SimConnection): OutLink | undefined {
    const link = node === conn.a ? conn.outA : conn.outB
    if (link !== undefined && link.conn === conn && link.listed && link.from === node) return link
    return node.links.get(conn.other(node).id)
  }

  /** `link` no longer runs on `conn` (closed): it is forgotten if it holds nothing. */
  private detach (link: OutLink | undefined, conn: SimConnection): void {
    if (link?.conn !== conn) return
    link.conn = undefined
    link.dropInboundLimits()
    this.dropIfIdle(link)
  }

  /**
   * Forgets a link with no connection and nothing queued, in flight or being written: it holds nothing a
   * new one would not (its rate limits went with the connection). Kept, every pair that ever talked held
   * one — N² links, most of the heap at N = 1,000 (issue 11), and the garbage collector's work with it.
   */
  private dropIfIdle (link: OutLink): void {
    if (link.conn !== undefined || link.queuedFrames > 0 || link.inFlight > 0 || link.pumpEvent.queued || link.arrivalEvent.queued ||
        link.pumpDeferred || link.busyUntil > this.time) return
    if (!link.listed) return
    link.from.links.delete(link.to.id)
    link.listed = false
    this.spares.releaseLink(link)
  }

  /**
   * The connection budget (src/net/connection-budget.ts peersToPrune): above `maxConnections`, close the
   * least recently used connections that have nothing queued and are older than the grace period. If young
   * or busy connections keep the node above it, look again a grace period later, as the transport's
   * ConnectionKeeper does (src/net/connection-keeper.ts); looking only when a connection opened left a node
   * whose connections all opened at once (a mesh forming) above its budget for good.
   */
  private enforceBudget (node: SimNode): void {
    while (node.openConnections > this.maxConnections) {
      const lru = this.pruneCandidate(node)
      if (lru === undefined) {
        // Everything is busy or young: stay above the cap for now, and look again.
        if (!node.budgetRecheck) {
          node.budgetRecheck = true
          this.queue.push(this.time + Math.max(50, this.pruneGraceMs), () => {
            node.budgetRecheck = false
            if (!node.crashed) this.enforceBudget(node)
          })
        }
        return
      }
      this.connectionStats.pruned++
      this.closeConnection(lru, node, true)
    }
  }

  /**
   * A socket inactivity timeout (SimNetworkOptions.socketInactivityTimeoutMs): every `everyMs`, each node
   * closes its connections idle at its end for `timeoutMs` or more (its list is least recently active first),
   * dropping the key it held; the other end, reset, drops its own.
   */
  private sweepIdleSockets (timeoutMs: number, everyMs: number): void {
    this.queue.push(this.time + everyMs, () => {
      for (const node of this.nodes.values()) {
        if (node.crashed) continue
        for (let conn = node.oldest; conn !== undefined && this.time - conn.lastActivity(node) >= timeoutMs; conn = node.oldest) {
          this.connectionStats.timedOut++
          node.datagramKeys.delete(conn.other(node).id)
          this.closeConnection(conn, node)
        }
      }
      this.sweepIdleSockets(timeoutMs, everyMs)
    })
  }

  /** The least recently active open connection that is past its grace period and has nothing queued or being written. */
  private pruneCandidate (node: SimNode): SimConnection | undefined {
    const now = this.time
    for (let conn = node.oldest; conn !== undefined; conn = node.next(conn)) {
      if (conn.state !== 'open' || now - conn.openedAt < this.pruneGraceMs) continue
      const link = this.linkOn(node, conn)
      if (link !== undefined && (link.queuedFrames > 0 || link.busyUntil > now)) continue
      return conn
    }
    return undefined
  }

  private pumpLater (link: OutLink | undefined): void {
    if (link !== undefined && link.queuedFrames > 0 && !link.pumpEvent.queued) this.queue.schedule(link.pumpEvent, this.time)
  }

  private clearLink (link: OutLink, reason: DropReason): void {
    for (const c of CHANNELS) {
      const queue = link.existingQueue(c)
      if (queue === undefined) continue
      link.from.budget.release(queue.bytes)
      const n = queue.clear()
      if (n > 0) this.drop(link.from, c, reason, n)
    }
  }

  /** A crash or restart: every queue is dropped and every connection closes (in-flight frames still land). */
  private resetTransportState (node: SimNode, reason: DropReason): void {
    for (const link of node.links.values()) {
      this.clearLink(link, reason)
      link.busyUntil = 0
    }
    const all: SimConnection[] = []
    for (let conn = node.oldest; conn !== undefined; conn = node.next(conn)) all.push(conn)
    for (const conn of all) this.closeConnection(conn, node)
    for (const link of node.links.values()) link.listed = false
    node.links.clear()
    node.egressFreeAt = 0
  }

  private drop (from: SimNode, channel: Channel, reason: DropReason, n: number, countSender = true): void {
    this.traffic[channel].dropped += n
    this.drops[channel][reason] += n
    if (countSender) from.sent.dropped += n
  }

  private scheduleOn (node: SimNode, delayMs: number, fn: () => void): Timer {
    const epoch = node.epoch
    return this.queue.push(this.time + delayMs, () => { this.runOn(node, epoch, fn) })
  }

  /**
   * A periodic timer of `node` (Clock.every): one event, queued again after each run, where every() over
   * setTimeout allocated an event and two closures per run — and a member's periodic runs (gossip 5 a
   * second, most with nothing to send, and the probe) are half the events of an idle minute (issue 11).
   * Same run as every() over scheduleOn: `fn`, then the next run queued (so the same order of events and of
   * random draws); void after a crash; deferred by a stall as runOn defers.
   */
  private repeatOn (node: SimNode, intervalMs: () => number, fn: () => void): Timer {
    let epoch = node.epoch
    let cancelled = false
    /** Waiting out a stall: with the CPU model it then runs whatever the thread is doing (runOn's `reserved`). */
    let deferred = false
    const ev: SimEvent = new SimEvent(() => {
      if (node.epoch !== epoch || node.crashed) return
      const reserved = deferred && this.cpu !== undefined
      deferred = false
      if (!reserved && node.stalledUntil > this.time) {
        deferred = true
        this.queue.schedule(ev, node.stalledUntil)
        return
      }
      if (cancelled) return
      fn()
      if (cancelled) return
      epoch = node.epoch
      this.queue.schedule(ev, this.time + Math.max(0, intervalMs()))
    })
    this.queue.schedule(ev, this.time + Math.max(0, intervalMs()))
    return {
      cancel: () => {
        cancelled = true
        ev.cancel()
      }
    }
  }

  /**
   * Runs `fn` as `node` unless it crashed since. During a stall it is deferred to the stall's end, in
   * order; inbound frames a little after timers, as in Node's event loop, which runs expired timers before
   * it polls sockets. That ordering is what makes a paused process time out probes whose acks are already
   * waiting in its socket buffer: the false suspicions Lifeguard is designed to curb.
   */
  private runOn (node: SimNode, epoch: number, fn: () => void, reserved = false): void {
    if (node.epoch !== epoch || node.crashed) return
    if (!reserved && node.stalledUntil > this.time) {
      // With the CPU model a due timer runs after the work queued before it (and before work queued after
      // it), as frames do in `receive`; without it, at the end of the stall.
      this.queue.push(node.stalledUntil, () => { this.runOn(node, epoch, fn, this.cpu !== undefined) })
      return
    }
    fn()
  }

  private linkOf (from: PeerId, to: PeerId): LinkSpec {
    return this.links.size === 0 ? this.defaultLink : this.links.get(linkKey(from, to)) ?? this.defaultLink
  }
}

function zeroDrops (): Record<DropReason, number> {
  return { queueOverflow: 0, dialFailed: 0, lost: 0, crashed: 0, rateLimited: 0, forgotten: 0, unreachable: 0 }
}

function linkKey (from: PeerId, to: PeerId): string {
  return `${from}\u0000${to}`
}
