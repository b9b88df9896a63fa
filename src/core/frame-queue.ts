/**
 * A bounded FIFO of outbound frames for one (peer, channel).
 *
 * Overflow policy: DROP OLDEST. A frame waits here only while the link is dialling or the stream is
 * applying backpressure; when the bound is hit, the oldest frames are the stalest (a ping whose probe has
 * already timed out, a sync message a later one supersedes), and both protocols recover from loss (SWIM
 * re-probes, anti-entropy re-syncs). Keeping the newest keeps what is still useful.
 */
import { CHANNELS } from './transport.js'
import type { Channel } from './transport.js'

export interface QueueLimits {
  maxFrames: number
  maxBytes: number
}

export class FrameQueue {
  /** Slots before `head` are emptied (undefined) as frames leave: a sent frame must not stay reachable. */
  private frames: Array<Uint8Array | undefined> = []
  private head = 0
  private queuedBytes = 0

  constructor (private readonly limits: QueueLimits) {}

  get length (): number {
    return this.frames.length - this.head
  }

  get bytes (): number {
    return this.queuedBytes
  }

  /** Appends `frame`; returns how many older frames were dropped to make room. */
  push (frame: Uint8Array): number {
    this.frames.push(frame)
    this.queuedBytes += frame.byteLength
    let dropped = 0
    while (this.length > 1 && (this.length > this.limits.maxFrames || this.queuedBytes > this.limits.maxBytes)) {
      this.shiftOne()
      dropped++
    }
    return dropped
  }

  /** Removes and returns frames from the front, at least one, up to `maxBatchBytes` in total. */
  takeBatch (maxBatchBytes: number): Uint8Array[] {
    const out: Uint8Array[] = []
    let bytes = 0
    while (this.length > 0) {
      const next = this.frames[this.head] as Uint8Array
      if (out.length > 0 && bytes + next.byteLength > maxBatchBytes) break
      out.push(this.shiftOne())
      bytes += next.byteLength
    }
    return out
  }

  /** The oldest frame, left in place. */
  peek (): Uint8Array | undefined {
    return this.frames[this.head]
  }

  /** Removes and returns the oldest frame (the simulator drains frame by frame, without a batch array). */
  shift (): Uint8Array | undefined {
    return this.length > 0 ? this.shiftOne() : undefined
  }

  /** Empties the queue; returns the number of frames dropped. */
  clear (): number {
    const n = this.length
    this.frames = []
    this.head = 0
    this.queuedBytes = 0
    return n
  }

  private shiftOne (): Uint8Array {
    const frame = this.frames[this.head] as Uint8Array
    // Let go of it: the queue is a frame's last holder once it is written (a push-pull page is 512 KiB).
    this.frames[this.head] = undefined
    this.head++
    this.queuedBytes -= frame.byteLength
    if (this.head === this.frames.length) {
      this.frames.length = 0
      this.head = 0
    } else if (this.head > 64 && this.head * 2 > this.frames.length) {
      // Compact occasionally so a long-lived queue does not keep a growing dead prefix.
      this.frames = this.frames.slice(this.head)
      this.head = 0
    }
    return frame
  }
}

/**
 * Outbound bytes queued across all peers, against one limit (memory bound). Overflow: the NEW frame is
 * refused — dropping another peer's oldest would punish a healthy peer for a slow one.
 */
export class QueueBudget {
  private used = 0

  constructor (readonly limitBytes: number) {}

  get bytes (): number {
    return this.used
  }

  /** Reserves `n` bytes if they fit. */
  reserve (n: number): boolean {
    if (this.used + n > this.limitBytes) return false
    this.used += n
    return true
  }

  release (n: number): void {
    this.used = Math.max(0, this.used - n)
  }
}

/** Frames waiting in one link's per-channel queues (the libp2p peer link and the simulator's link alike). */
export function queuedFrames (queues: Readonly<Record<Channel, FrameQueue>>): number {
  let n = 0
  for (const c of CHANNELS) n += queues[c].length
  return n
}

/** Bytes waiting in one link's per-channel queues. */
export function queuedBytes (queues: Readonly<Record<Channel, FrameQueue>>): number {
  let n = 0
  for (const c of CHANNELS) n += queues[c].bytes
  return n
}
