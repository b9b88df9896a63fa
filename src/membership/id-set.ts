/**
 * A set of member ids that is also a dense array: O(1) add, delete, membership and uniform random pick,
 * and k distinct random picks in O(k). The member table keeps one per state, so that the protocol's
 * periodic choices (a push-pull partner, k ping-req helpers, gossip targets, a dead member to retry)
 * cost O(k) instead of a scan of all N members (issue 11: at N = 1,000 those scans, run by every member
 * several times a second, were most of an idle simulated minute).
 *
 * Order is insertion order until a delete, which moves the last id into the hole.
 */
import type { Random } from '../core/random.js'
import type { PeerId } from '../core/transport.js'

export class IdSet {
  private readonly list: PeerId[] = []
  private readonly index = new Map<PeerId, number>()

  get size (): number {
    return this.list.length
  }

  has (id: PeerId): boolean {
    return this.index.has(id)
  }

  add (id: PeerId): void {
    if (this.index.has(id)) return
    this.index.set(id, this.list.length)
    this.list.push(id)
  }

  delete (id: PeerId): void {
    const i = this.index.get(id)
    if (i === undefined) return
    this.index.delete(id)
    const last = this.list.pop() as PeerId
    if (i < this.list.length) {
      this.list[i] = last
      this.index.set(last, i)
    }
  }

  /** The id at position `i` (0 ≤ i < size). */
  at (i: number): PeerId {
    return this.list[i] as PeerId
  }

  /** A uniformly random id, or undefined if empty. */
  pick (random: Random): PeerId | undefined {
    return this.list.length === 0 ? undefined : this.list[random.int(this.list.length)]
  }

  clear (): void {
    this.list.length = 0
    this.index.clear()
  }

  /** A copy of the ids. */
  toArray (): PeerId[] {
    return this.list.slice()
  }

  values (): IterableIterator<PeerId> {
    return this.list.values()
  }
}

/**
 * Up to `count` distinct indices in [0, n), in random order, in O(count) expected time when count is much
 * smaller than n (rejection of repeats), else by a partial shuffle of all n.
 */
export function sampleIndices (random: Random, n: number, count: number): number[] {
  const k = Math.min(count, n)
  if (k <= 0) return []
  if (4 * k > n) {
    const all = Array.from({ length: n }, (_, i) => i)
    for (let i = 0; i < k; i++) {
      const j = i + random.int(n - i)
      const t = all[i] as number
      all[i] = all[j] as number
      all[j] = t
    }
    return all.slice(0, k)
  }
  const out: number[] = []
  while (out.length < k) {
    const i = random.int(n)
    if (!out.includes(i)) out.push(i)
  }
  return out
}
