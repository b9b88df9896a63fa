/**
 * Two processes with one identity: a data dir copied to start another peer, or one peer.key given to two.
 * Both authenticate as the same PeerId, so every peer they reach takes them for one member, answers
 * whichever connection it sends on, and the other never hears back (its join "gets no answer").
 *
 * A single process sends each channel's frames on one stream at a time; it moves to another connection
 * once (a redial, or the close of a simultaneous dial's duplicate), and the old stream's last frames may
 * trail the move briefly. Two processes keep alternating: frames of one channel arrive on two connections,
 * both open, back and forth. This tracks, per peer and channel, the connection the last frame came on,
 * and reports a clash when frames switched connections `switches` times within `windowMs`.
 */
import type { Connection } from '@libp2p/interface'

export interface ClashLimits {
  /** Switches between two open connections, on one channel… */
  switches: number
  /** …within this long, ms. */
  windowMs: number
}

export const DEFAULT_CLASH_LIMITS: Readonly<ClashLimits> = Object.freeze({ switches: 4, windowMs: 10_000 })

export class ChannelClash {
  private last: Connection | undefined
  /** Times of the recent switches, oldest first (at most `switches` kept). */
  private readonly times: number[] = []

  constructor (private readonly limits: Readonly<ClashLimits>) {}

  /**
   * A frame arrived on `conn` at `now`. Returns the two connections when this frame completes a clash
   * (then starts counting afresh), else undefined.
   */
  note (conn: Connection, now: number): readonly [Connection, Connection] | undefined {
    const previous = this.last
    this.last = conn
    if (previous === undefined || previous === conn || previous.status !== 'open') return undefined
    this.times.push(now)
    while (this.times.length > 0 && now - (this.times[0] as number) > this.limits.windowMs) this.times.shift()
    if (this.times.length > this.limits.switches) this.times.shift()
    if (this.times.length < this.limits.switches) return undefined
    this.times.length = 0
    return [previous, conn]
  }
}
