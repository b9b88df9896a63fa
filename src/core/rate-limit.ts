/**
 * Inbound rate limiting, as pure state machines over an injected `now` (ms), so they are table-testable.
 *
 * - TokenBucket: each inbound frame takes a token (or, for a byte bucket, one token per byte); tokens
 *   refill at `ratePerSec` up to `burst`. Overflow: a frame that finds either of its (peer, channel)
 *   buckets short is dropped (and counted) — the stream stays open, because one burst is not an attack
 *   and SWIM/sync tolerate loss.
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

/** Inbound bytes per (peer, channel): the frame payload plus its length prefix. */
export interface ByteRateSpec {
  /** Sustained bytes per second. */
  bytesPerSec: number
  /** Bytes accepted back-to-back from a full bucket; at least one maximal frame. */
  burstBytes: number
}

export class TokenBucket {
  private tokens: number
  private last: number
  /** The spec's two numbers, not the spec: ofBytes made a spec object per bucket, one per (peer, channel). */
  private readonly ratePerSec: number
  private readonly burst: number

  constructor (spec: RateSpec, now: number) {
    this.ratePerSec = spec.ratePerSec
    this.burst = spec.burst
    this.tokens = spec.burst
    this.last = now
  }

  /** A bucket of bytes: one token per byte. */
  static ofBytes (spec: ByteRateSpec, now: number): TokenBucket {
    return new TokenBucket({ ratePerSec: spec.bytesPerSec, burst: spec.burstBytes }, now)
  }

  /** Whether `cost` tokens are available now (refills, takes nothing). */
  has (now: number, cost = 1): boolean {
    const elapsedMs = Math.max(0, now - this.last)
    this.last = now
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSec) / 1000)
    return this.tokens >= cost
  }

  /** Whole tokens available now (refills, takes nothing). */
  available (now: number): number {
    this.has(now, 0)
    return Math.floor(this.tokens)
  }

  /** Takes `cost` tokens if available; takes nothing otherwise. */
  take (now: number, cost = 1): boolean {
    if (!this.has(now, cost)) return false
    this.tokens -= cost
    return true
  }

  /** Takes `cost` tokens right after `has` said they are there (no second refill). */
  spend (cost = 1): void {
    this.tokens -= cost
  }

  /** Full again from `now`: the same bucket as a new one made at `now` (the simulator reuses them). */
  reset (now: number): void {
    this.tokens = this.burst
    this.last = now
  }
}

/** Which of a frame's two buckets was short, or 'ok' (then both were charged). */
export type Admission = 'ok' | 'frames' | 'bytes'

/**
 * The pair of buckets of one (peer, channel): a frame passes only if both have room, and a frame refused
 * by one costs the other nothing. Used by the libp2p transport's reader and by the simulator alike.
 */
export class InboundLimit {
  private readonly frames: TokenBucket
  private readonly bytes: TokenBucket

  constructor (rate: RateSpec, byteRate: ByteRateSpec, now: number) {
    this.frames = new TokenBucket(rate, now)
    this.bytes = TokenBucket.ofBytes(byteRate, now)
  }

  /** The same limit as a new one made at `now` with the same specs (the simulator reuses them). */
  reset (now: number): void {
    this.frames.reset(now)
    this.bytes.reset(now)
  }

  /** `cost`: the frame's bytes including its length prefix. */
  admit (now: number, cost: number): Admission {
    const framesOk = this.frames.has(now)
    const bytesOk = this.bytes.has(now, cost)
    if (!framesOk) return 'frames'
    if (!bytesOk) return 'bytes'
    this.frames.spend()
    this.bytes.spend(cost)
    return 'ok'
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
