/**
 * The transmit-limited dissemination queue (SWIM §4.1, memberlist queue.go).
 *
 * Each membership update is piggybacked on outgoing frames until it has been sent `limit(n)` times.
 * Updates sent fewest times go first (new news spreads fastest); a newer update about a member replaces the
 * queued one; the queue is bounded and, when full, drops the updates that were already sent most often.
 *
 * Items are kept in buckets by transmit count, so picking a frame's worth is O(items picked), not a sort.
 */
import type { PeerId } from '../core/transport.js'
import type { MemberUpdate } from './member.js'

interface Item {
  readonly key: PeerId
  readonly update: MemberUpdate
  readonly size: number
  readonly id: number
  transmits: number
  /** Sends after which the item leaves the queue, if fewer than the limit given to take(). */
  readonly maxTransmits: number
  /** Still the queued update about its member: false once replaced, sent `limit` times or dropped. */
  live: boolean
}

export interface BroadcastQueueStats {
  queued: number
  dropped: number
}

export class BroadcastQueue {
  private readonly current = new Map<PeerId, Item>()
  /** buckets[t]: items sent t times, oldest first; may hold stale entries (lazy deletion). */
  private buckets: Item[][] = []
  private nextId = 0
  private staleEntries = 0
  private droppedCount = 0
  /** Smallest update size queued so far (a lower bound is enough: it only ends scans early). */
  private minSize = Number.POSITIVE_INFINITY

  constructor (
    private readonly maxItems: number,
    private readonly sizeOf: (u: MemberUpdate) => number
  ) {}

  get length (): number {
    return this.current.size
  }

  stats (): BroadcastQueueStats {
    return { queued: this.current.size, dropped: this.droppedCount }
  }

  /** Queues `update`, replacing any queued update about the same member; sent at most `maxTransmits` times. */
  enqueue (update: MemberUpdate, maxTransmits = Number.POSITIVE_INFINITY): void {
    const old = this.current.get(update.id)
    if (old !== undefined) {
      old.live = false
      this.staleEntries++
    }
    const item: Item = { key: update.id, update, size: this.sizeOf(update), id: this.nextId++, transmits: 0, maxTransmits, live: true }
    if (item.size < this.minSize) this.minSize = item.size
    this.current.set(update.id, item)
    this.bucket(0).push(item)
    if (this.current.size > this.maxItems) this.dropMostSent()
    this.maybeCompact()
  }

  /** Whether an update about `id` is still queued (e.g. a leave waiting to be sent). */
  has (id: PeerId): boolean {
    return this.current.has(id)
  }

  /** Transmit count of the queued update about `id`, or undefined. */
  transmitsOf (id: PeerId): number | undefined {
    return this.current.get(id)?.transmits
  }

  /**
   * Takes updates totalling at most `budgetBytes`, fewest-sent and newest first, counting one transmit for
   * each; updates that reach `limit` transmits leave the queue. `skip`: members whose update the caller
   * already placed in the frame.
   */
  take (budgetBytes: number, limit: number, skip?: ReadonlySet<PeerId>): MemberUpdate[] {
    const out: MemberUpdate[] = []
    let budget = budgetBytes
    const picked: Item[] = []
    const pick = (item: Item): void => {
      budget -= item.size
      picked.push(item)
      out.push(item.update)
    }
    // Stop scanning once not even the smallest queued update could fit.
    for (let t = 0; t < this.buckets.length && budget >= this.minSize; t++) {
      const bucket = this.buckets[t]
      if (bucket === undefined) continue
      for (let i = bucket.length - 1; i >= 0 && budget >= this.minSize; i--) {
        const item = bucket[i] as Item
        if (!this.isLive(item, t) || skip?.has(item.key) === true) continue
        if (item.size <= budget) pick(item)
      }
    }
    // Bump oldest first, so that in the next bucket (iterated from its end) the newest still comes first.
    for (let i = picked.length - 1; i >= 0; i--) this.bump(picked[i] as Item, limit)
    this.maybeCompact()
    return out
  }

  clear (): void {
    for (const item of this.current.values()) item.live = false
    this.current.clear()
    this.buckets = []
    this.staleEntries = 0
  }

  /**
   * Whether a bucket entry is current: its item is still queued and in this bucket. A flag rather than a
   * lookup in `current`: a take scans stale entries too, and that lookup per entry was a tenth of a forming
   * N = 1,000 cluster's CPU time (issue 11).
   */
  private isLive (item: Item, bucketIndex: number): boolean {
    return item.live && item.transmits === bucketIndex
  }

  private bump (item: Item, limit: number): void {
    item.transmits++
    this.staleEntries++ // its entry in the old bucket is now stale
    if (item.transmits >= Math.min(limit, item.maxTransmits)) {
      item.live = false
      this.current.delete(item.key)
    } else {
      this.bucket(item.transmits).push(item)
    }
  }

  private bucket (t: number): Item[] {
    while (this.buckets.length <= t) this.buckets.push([])
    return this.buckets[t] as Item[]
  }

  private dropMostSent (): void {
    for (let t = this.buckets.length - 1; t >= 0 && this.current.size > this.maxItems; t--) {
      const bucket = this.buckets[t] as Item[]
      for (const item of bucket) {
        if (this.current.size <= this.maxItems) break
        if (this.isLive(item, t)) {
          item.live = false
          this.current.delete(item.key)
          this.droppedCount++
          this.staleEntries++
        }
      }
    }
  }

  /** Rebuilds the buckets once stale entries outnumber live ones, keeping memory O(queued). */
  private maybeCompact (): void {
    if (this.staleEntries < 64 || this.staleEntries < this.current.size) return
    const live = [...this.current.values()].sort((a, b) => a.id - b.id)
    this.buckets = []
    for (const item of live) this.bucket(item.transmits).push(item)
    this.staleEntries = 0
  }
}
