/**
 * Outbound pacing of the sync channel, per destination: a token bucket of frames and one of bytes, kept
 * below what a receiver accepts from one peer (net/config.ts DEFAULT_INBOUND_RATE / _BYTE_RATE: 1,000
 * frames/s and 32 MiB/s on the sync channel, beyond which it drops frames and, if that goes on,
 * disconnects us as a flooder). A heal with thousands of differing docs therefore queues here, in order,
 * instead of bursting into a neighbour's limits. A frame that finds tokens goes out at once (a write's
 * push pays nothing while the budget is unused). Overflow: past `maxQueuedBytes` per destination, new
 * frames are dropped and counted — anti-entropy sends them again in a later round.
 */
import type { Clock, Timer } from '../core/clock.js'
import type { PeerId } from '../core/transport.js'

export interface PaceLimits {
  framesPerSec: number
  burstFrames: number
  bytesPerSec: number
  burstBytes: number
  maxQueuedBytes: number
}

interface Lane {
  frames: number
  bytes: number
  last: number
  readonly queue: Uint8Array[]
  queuedBytes: number
  timer: Timer | undefined
}

export class Pacer {
  private readonly lanes = new Map<PeerId, Lane>()
  /** Frames that waited for tokens, and frames dropped because a destination's queue was full. */
  delayed = 0
  dropped = 0

  constructor (
    private readonly limits: PaceLimits,
    private readonly clock: Clock,
    private readonly transmit: (to: PeerId, frame: Uint8Array) => void
  ) {}

  /** Bytes waiting, all destinations. */
  get queuedBytes (): number {
    let n = 0
    for (const lane of this.lanes.values()) n += lane.queuedBytes
    return n
  }

  /** Sends `frame` to `to` now if the budget allows, else queues it. False if it was dropped. */
  send (to: PeerId, frame: Uint8Array): boolean {
    const lane = this.lane(to)
    if (lane.queue.length === 0 && this.take(lane, frame.byteLength)) {
      this.transmit(to, frame)
      return true
    }
    if (lane.queuedBytes + frame.byteLength > this.limits.maxQueuedBytes && lane.queue.length > 0) {
      this.dropped++
      return false
    }
    lane.queue.push(frame)
    lane.queuedBytes += frame.byteLength
    this.delayed++
    this.schedule(to, lane)
    return true
  }

  clear (): void {
    for (const lane of this.lanes.values()) lane.timer?.cancel()
    this.lanes.clear()
  }

  /** Forgets a destination (gone from the mesh): its queued frames are dropped. */
  forget (to: PeerId): void {
    const lane = this.lanes.get(to)
    if (lane === undefined) return
    lane.timer?.cancel()
    this.dropped += lane.queue.length
    this.lanes.delete(to)
  }

  private lane (to: PeerId): Lane {
    let lane = this.lanes.get(to)
    if (lane === undefined) {
      lane = { frames: this.limits.burstFrames, bytes: this.limits.burstBytes, last: this.clock.now(), queue: [], queuedBytes: 0, timer: undefined }
      this.lanes.set(to, lane)
    }
    return lane
  }

  private refill (lane: Lane): void {
    const now = this.clock.now()
    const elapsed = Math.max(0, now - lane.last)
    lane.last = now
    lane.frames = Math.min(this.limits.burstFrames, lane.frames + elapsed * this.limits.framesPerSec / 1000)
    lane.bytes = Math.min(this.limits.burstBytes, lane.bytes + elapsed * this.limits.bytesPerSec / 1000)
  }

  /** Takes one frame and `bytes` tokens if both are there (a frame larger than the burst needs a full bucket). */
  private take (lane: Lane, bytes: number): boolean {
    this.refill(lane)
    const cost = Math.min(bytes, this.limits.burstBytes)
    if (lane.frames < 1 || lane.bytes < cost) return false
    lane.frames -= 1
    lane.bytes -= cost
    return true
  }

  private schedule (to: PeerId, lane: Lane): void {
    if (lane.timer !== undefined) return
    const next = lane.queue[0]
    if (next === undefined) return
    this.refill(lane)
    const cost = Math.min(next.byteLength, this.limits.burstBytes)
    const waitFrames = lane.frames >= 1 ? 0 : (1 - lane.frames) * 1000 / this.limits.framesPerSec
    const waitBytes = lane.bytes >= cost ? 0 : (cost - lane.bytes) * 1000 / this.limits.bytesPerSec
    lane.timer = this.clock.setTimeout(() => {
      lane.timer = undefined
      while (lane.queue.length > 0) {
        const frame = lane.queue[0] as Uint8Array
        if (!this.take(lane, frame.byteLength)) break
        lane.queue.shift()
        lane.queuedBytes -= frame.byteLength
        this.transmit(to, frame)
      }
      this.schedule(to, lane)
    }, Math.max(1, Math.ceil(Math.max(waitFrames, waitBytes))))
  }
}
