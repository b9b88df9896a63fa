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
import type { InboundLimit } from '../core/rate-limit.js'
import type { SimConnection, SimNode } from './node.js'

/** What a link's events call back into: the network owns the logic, the link owns the state. */
export interface LinkHost {
  pump: (link: OutLink) => void
  arrive: (link: OutLink) => void
}

/** What a delivered frame's slot holds until the wire arrays are reset (it must not keep the frame alive). */
const EMPTY = new Uint8Array(0)

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
   * The receiver's rate limits for this sender (production keeps them per connected peer), per channel,
   * each made at the channel's first frame: a token bucket starts full, so one made later is the same.
   */
  inboundLimits: Partial<Record<Channel, InboundLimit>> | undefined
  /** Waiting in the network's list of links to pump at the end of the current event. */
  pumpDeferred = false
  readonly arrivalEvent: SimEvent
  // The wire: frames written and not yet arrived, oldest first (parallel arrays, head index).
  private wireFrames: Uint8Array[] = []
  private wireChannels: Channel[] = []
  private wireTimes: number[] = []
  /** Receiver's epoch when each frame was written: a receiver that crashed meanwhile never gets it. */
  private wireEpochs: number[] = []
  private head = 0

  constructor (readonly from: SimNode, readonly to: SimNode, private readonly limits: Readonly<Record<Channel, QueueLimits>>, host: LinkHost) {
    this.pumpEvent = new SimEvent(() => { host.pump(this) })
    this.arrivalEvent = new SimEvent(() => { host.arrive(this) })
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

  get queuedFrames (): number {
    let n = 0
    for (const c of CHANNELS) n += this.queues[c]?.length ?? 0
    return n
  }

  get queuedBytes (): number {
    let n = 0
    for (const c of CHANNELS) n += this.queues[c]?.bytes ?? 0
    return n
  }

  /** Frames on the wire. */
  get inFlight (): number {
    return this.wireFrames.length - this.head
  }

  /** Arrival time of the oldest frame on the wire. */
  get headTime (): number {
    return this.wireTimes[this.head] as number
  }

  get headChannel (): Channel {
    return this.wireChannels[this.head] as Channel
  }

  get headEpoch (): number {
    return this.wireEpochs[this.head] as number
  }

  putOnWire (frame: Uint8Array, channel: Channel, arrival: number, epoch: number): void {
    this.wireFrames.push(frame)
    this.wireChannels.push(channel)
    this.wireTimes.push(arrival)
    this.wireEpochs.push(epoch)
  }

  /** Removes the oldest frame from the wire (read headChannel/headEpoch first). */
  takeFromWire (): Uint8Array {
    const frame = this.wireFrames[this.head] as Uint8Array
    this.wireFrames[this.head] = EMPTY
    this.head++
    if (this.head === this.wireFrames.length) {
      this.wireFrames.length = 0
      this.wireChannels.length = 0
      this.wireTimes.length = 0
      this.wireEpochs.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.wireFrames.length) {
      this.wireFrames = this.wireFrames.slice(this.head)
      this.wireChannels = this.wireChannels.slice(this.head)
      this.wireTimes = this.wireTimes.slice(this.head)
      this.wireEpochs = this.wireEpochs.slice(this.head)
      this.head = 0
    }
    return frame
  }
}
