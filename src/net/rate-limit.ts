/**
 * Inbound rate limiting, as pure state machines over an injected `now` (ms), so they are table-testable.
 *
 * - TokenBucket: each inbound frame takes a token; tokens refill at `ratePerSec` up to `burst`.
 *   Overflow: a frame that finds the bucket empty is dropped (and counted) — the stream stays open,
 *   because one burst is not an attack and SWIM/sync tolerate loss.
 * - FloodDetector: counts those drops over a fixed window. A peer that keeps flooding (more than
 *   `dropThreshold` drops within `windowMs`) is declared a flooder: the transport disconnects it and refuses
 *   it for a cooldown. Other peers have their own buckets and are unaffected.
 */

export interface RateSpec {
  /** Sustained frames per second. */
  ratePerSec: number
  /** Frames accepted back-to-back from a full bucket. */
  burst: number
}

export class TokenBucket {
  private tokens: number
  private last: number

  constructor (private readonly spec: RateSpec, now: number) {
    this.tokens = spec.burst
    this.last = now
  }

  /** Takes one token if available. */
  take (now: number): boolean {
    const elapsedMs = Math.max(0, now - this.last)
    this.last = now
    this.tokens = Math.min(this.spec.burst, this.tokens + (elapsedMs * this.spec.ratePerSec) / 1000)
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

export interface FloodSpec {
  /** Length of the counting window. */
  windowMs: number
  /** Rate-limited drops within one window that make a peer a flooder. */
  dropThreshold: number
}

export class FloodDetector {
  private windowStart: number
  private drops = 0

  constructor (private readonly spec: FloodSpec, now: number) {
    this.windowStart = now
  }

  /** Records one rate-limited drop; true when the peer has just crossed the flood threshold. */
  noteDrop (now: number): boolean {
    if (now - this.windowStart >= this.spec.windowMs) {
      this.windowStart = now
      this.drops = 0
    }
    this.drops++
    return this.drops === this.spec.dropThreshold + 1
  }
}
