/**
 * One direction of a simulated connection (sender → receiver), as the libp2p transport has it: a bounded
 * FrameQueue per channel on the sender (the production class, limits and drop-oldest policy), drained in
 * write batches at the link's bandwidth, and the frames on the wire, which arrive in the order they were
 * written (one TCP connection: production never reorders within a stream).
 *
 * Hot-path state is plain arrays with a head index, and the link's two events (its pump and its next
 * arrival) are reused objects, so carrying a frame allocates nothing the simulator could avoid.
 */
import { FrameQueue } from '../core/frame-queue.js'
import type { QueueLimits } from '../core/frame-queue.js'
import { CHANNELS } from '../core/transport.js'
import type { Channel } from '../core/transport.js'
import { SimEvent } from './event-queue.js'
import { InboundLimit } from '../core/rate-limit.js'
import type { ByteRateSpec, RateSpec } from '../core/rate-limit.js'
import type { SimConnection, SimNode } from './node.js'

/**
 * What a link's events call back into: the network owns the logic, the link owns the state. Called
 * unbound (the same two functions for every link): pass functions that need no `this`.
 */
export interface LinkHost {
  pump: (link: OutLink) => void
  arrive: (link: OutLink) => void
}

/** What a delivered frame's slot holds until the wire arrays are reset (it must not keep the frame alive). */
const EMPTY = new Uint8Array(0)
/** Every channel, by name (queuedFrames names them, the inbound limits are kept by index): a channel added to Channel must be added here too. */
const CHANNEL_INDEX: Record<Channel, number> = { swim: 0, sync: 1, presence: 2 }
/** Slots of the wire array per frame (see OutLink.wire). */
const WIRE_STRIDE = 3

export class OutLink {
  /**
   * The outbound queue per channel, made when the channel first sends (issue 11): a link lives for one
   * connection, and at N = 1,000 about one is dialled per member per second; most carry one channel only.
   */
  private readonly queues: Partial<Record<Channel, FrameQueue>> = {}
  /** Last addresses a destination gave for the receiver (reported with `unreachable`). */
  addrs: readonly string[] = []
  /** The sender's write side is busy (serialising a batch) until this time. */
  busyUntil = 0
  /** Arrival time of the last frame put on the wire: later frames never arrive before it (FIFO). */
  lastArrival = 0
  /** Which channel the next batch comes from (the two streams share the connection, batch by batch). */
  nextChannel: Channel = 'swim'
  readonly pumpEvent: SimEvent
  /** The connection this direction runs on, while one is open or being dialled. */
  conn: SimConnection | undefined
  /**
   * The receiver's rate limits for this sender (production keeps them per connected peer), per channel
   * (CHANNEL_INDEX), each as new at the channel's first frame on a connection: a token bucket starts full, so
   * one made later is the same. Kept across connections and reset (issue 11): `limitsLive` has a bit for
   * each channel whose limit belongs to the current connection.
   */
  private readonly rateLimits: Array<InboundLimit | undefined> = [undefined, undefined, undefined]
  private limitsLive = 0
  /** Waiting in the network's list of links to pump at the end of the current event. */
  pumpDeferred = false
  /** In its sender's table of links (`from.links.get(to.id) === this`, without the lookup). */
  listed = false
  readonly arrivalEvent: SimEvent
  /**
   * The wire: frames written and not yet arrived, oldest first, from `head` to `tail`. WIRE_STRIDE slots a
   * frame in `wire` (the frame, its channel, and the receiver's epoch when it was written: a receiver that
   * crashed meanwhile never gets it) and its arrival time in `wireTimes` (a number array stores doubles
   * unboxed). Kept when the wire empties (issue 11): four arrays emptied after every frame took four new
   * backing stores for each frame written, the largest allocation of an idle simulated minute.
   */
  private readonly wire: Array<Uint8Array | Channel | number> = []
  private readonly wireTimes: number[] = []
  private head = 0
  private tail = 0
  /**
   * Events the network scheduled with this link in their closure (a frame held by a stall, a replayed
   * one), not yet run: while any is pending the link is never reused for another pair (Spares).
   */
  captured = 0

  constructor (public from: SimNode, public to: SimNode, private readonly limits: Readonly<Record<Channel, QueueLimits>>, host: LinkHost) {
    this.pumpEvent = SimEvent.calling(host.pump, this)
    this.arrivalEvent = SimEvent.calling(host.arrive, this)
  }

  /**
   * Makes a forgotten link (nothing queued, in flight or scheduled: see Spares) the link from `from` to
   * `to`, as a new OutLink would be. Its channels' queues, empty, are kept: same limits, same behaviour.
   */
  reuse (from: SimNode, to: SimNode): void {
    this.from = from
    this.to = to
    this.addrs = []
    this.busyUntil = 0
    this.lastArrival = 0
    this.nextChannel = 'swim'
    this.conn = undefined
    this.limitsLive = 0
    this.pumpDeferred = false
    this.listed = false
    this.head = 0
    this.tail = 0
  }

  /** The receiver's rate limit of `channel` for this sender on the current connection: as new at its first frame. */
  inboundLimit (channel: Channel, rate: RateSpec, byteRate: ByteRateSpec, now: number): InboundLimit {
    const i = CHANNEL_INDEX[channel]
    let limit = this.rateLimits[i]
    if ((this.limitsLive & (1 << i)) === 0) {
      if (limit === undefined) {
        limit = new InboundLimit(rate, byteRate, now)
        this.rateLimits[i] = limit
      } else limit.reset(now)
      this.limitsLive |= 1 << i
    }
    return limit as InboundLimit
  }

  /** The connection closed: as in the libp2p transport, a peer's inbound rate state goes with its last connection. */
  dropInboundLimits (): void {
    this.limitsLive = 0
  }

  /** The queue of `channel`, made on first use (to queue a frame). */
  queue (channel: Channel): FrameQueue {
    let q = this.queues[channel]
    if (q === undefined) {
      q = new FrameQueue(this.limits[channel])
      this.queues[channel] = q
    }
    return q
  }

  /** Frames queued on `channel` (0 for a channel that never sent). */
  queuedOn (channel: Channel): number {
    return this.queues[channel]?.length ?? 0
  }

  /** The queue of `channel` if it was ever used (to drain or clear it). */
  existingQueue (channel: Channel): FrameQueue | undefined {
    return this.queues[channel]
  }

  /** Asked of every link at every pump, prune and close: the channels by name, not a loop over CHANNELS. */
  get queuedFrames (): number {
    const q = this.queues
    return (q.swim?.length ?? 0) + (q.sync?.length ?? 0) + (q.presence?.length ?? 0)
  }

  get queuedBytes (): number {
    let n = 0
    for (const c of CHANNELS) n += this.queues[c]?.bytes ?? 0
    return n
  }

  /** Frames on the wire. */
  get inFlight (): number {
    return this.tail - this.head
  }

  /** Arrival time of the oldest frame on the wire. */
  get headTime (): number {
    return this.wireTimes[this.head] as number
  }

  get headChannel (): Channel {
    return this.wire[this.head * WIRE_STRIDE + 1] as Channel
  }

  get headEpoch (): number {
    return this.wire[this.head * WIRE_STRIDE + 2] as number
  }

  putOnWire (frame: Uint8Array, channel: Channel, arrival: number, epoch: number): void {
    const i = this.tail++
    const wire = this.wire
    wire[i * WIRE_STRIDE] = frame
    wire[i * WIRE_STRIDE + 1] = channel
    wire[i * WIRE_STRIDE + 2] = epoch
    this.wireTimes[i] = arrival
  }

  /** Removes the oldest frame from the wire (read headChannel/headEpoch first). */
  takeFromWire (): Uint8Array {
    const wire = this.wire
    const at = this.head * WIRE_STRIDE
    const frame = wire[at] as Uint8Array
    wire[at] = EMPTY
    this.head++
    if (this.head === this.tail) {
      this.head = 0
      this.tail = 0
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      // Compact a long backlog's dead prefix.
      wire.copyWithin(0, this.head * WIRE_STRIDE, this.tail * WIRE_STRIDE)
      this.wireTimes.copyWithin(0, this.head, this.tail)
      this.tail -= this.head
      this.head = 0
      wire.length = this.tail * WIRE_STRIDE
      this.wireTimes.length = this.tail
    }
    return frame
  }
}
