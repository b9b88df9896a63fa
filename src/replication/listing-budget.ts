/**
 * The docs an anti-entropy listing may make this peer work for, per sender. A `digests` frame names docs
 * with digests (or, for a shared listing, implies every doc both home in its buckets); each doc whose digest
 * differs from ours costs the receiver a lookup, maybe a store read to load it, and a step 1 sent back — and
 * a member may send such listings, with made-up digests or names, as fast as its inbound limits allow
 * (a 13-byte shared listing marked `full` asked for every shared doc). The budget is a token bucket per
 * sender, one token per doc worked for (anti-entropy.ts `handleDigests`, `handleCompact`); a doc past it
 * is left out of the reply (not counted in `differing`, so the sender's round still completes) and is
 * compared again by a later round. The reply then says it was `trimmed`: the sender's round did not compare
 * every doc both home, and does not count toward its catch-up (catch-up.ts) — it used to, so a restarted
 * peer could call itself caught up with docs its responders had left out still stale.
 *
 * Above what an honest sender asks: a round lists at most `maxDocsPerRound` docs (4,096), and a peer starts
 * about one round with a given member per anti-entropy interval (its shared round, plus a handoff or a
 * fetch). The burst holds four whole rounds, the refill two rounds per interval.
 */
import type { RateSpec } from '../core/rate-limit.js'
import { TokenBucket } from '../core/rate-limit.js'
import type { PeerId } from '../core/transport.js'

/** Senders whose budget is tracked; past it the map starts over (as membership/signing.ts). */
const MAX_TRACKED_SENDERS = 4096
/** Rounds' worth of docs a sender may ask for at once, and per anti-entropy interval after that. */
const BURST_ROUNDS = 4
const REFILL_ROUNDS_PER_INTERVAL = 2

/** The per-sender budget for a configuration's round size and interval. */
export function listingBudgetSpec (maxDocsPerRound: number, antiEntropyIntervalMs: number): RateSpec {
  return {
    burst: BURST_ROUNDS * maxDocsPerRound,
    ratePerSec: (REFILL_ROUNDS_PER_INTERVAL * maxDocsPerRound * 1000) / antiEntropyIntervalMs
  }
}

export class ListingBudget {
  private readonly buckets = new Map<PeerId, TokenBucket>()

  constructor (private readonly spec: () => RateSpec, private readonly now: () => number) {}

  /** Whether `sender` may make us work for one more doc now (takes nothing). */
  has (sender: PeerId): boolean {
    return this.bucket(sender).has(this.now())
  }

  /** Docs `sender` may make us work for now, at most `max` (takes nothing). */
  available (sender: PeerId, max: number): number {
    return Math.min(max, this.bucket(sender).available(this.now()))
  }

  /** Takes one doc (or `cost`) from `sender`'s budget; false, taking nothing, if short. */
  take (sender: PeerId, cost = 1): boolean {
    return this.bucket(sender).take(this.now(), cost)
  }

  private bucket (sender: PeerId): TokenBucket {
    let bucket = this.buckets.get(sender)
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_TRACKED_SENDERS) this.buckets.clear()
      bucket = new TokenBucket(this.spec(), this.now())
      this.buckets.set(sender, bucket)
    }
    return bucket
  }

  clear (): void {
    this.buckets.clear()
  }
}
