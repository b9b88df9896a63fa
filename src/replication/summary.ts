/**
 * Anti-entropy summaries: what two homes compare first, so that an idle round costs the same for 10 docs
 * or 100,000 (Riak's active anti-entropy and Cassandra's repair compare Merkle trees for the same reason).
 *
 * The shared set of a pair (A, B) is every doc A holds that, by A's placement, both A and B home. Each doc
 * contributes a 64-bit leaf — its digest (SHA-256 of vector + delete set) mixed with its name — to one of
 * BUCKETS buckets chosen by its name; a bucket's hash is the XOR of its leaves, the root the XOR of all.
 * A round sends the root (8 bytes); equal roots end it. Otherwise the responder answers with its bucket
 * hashes (BUCKETS × 8 = 2 KiB) and the initiator lists only the docs of the buckets that differ. XOR makes
 * a leaf's change O(1) to apply and the order of docs irrelevant; a collision would need 64 bits to cancel.
 *
 * A two-level tree is enough here: a pair shares R·(R−1)·D / (N·(N−1)) docs (≈ 1,600 at D = 100,000,
 * N = 20, R = 3), i.e. a few docs per bucket, so a differing bucket lists only those few.
 */
import { SYNC_LIMITS } from './codec.js'
import { hashName } from './placement.js'

export const BUCKETS = SYNC_LIMITS.summaryBuckets
const HASH_BYTES = SYNC_LIMITS.summaryHashBytes

/** The bucket of a doc: by its name alone, so that both sides put it in the same one. */
export function bucketOf (name: string): number {
  return (hashName(name)[1] >>> 0) % BUCKETS
}

/** A doc's 64-bit leaf as two uint32 words: its digest's first 8 bytes mixed with its name's hash. */
export function leafOf (name: string, digest: Uint8Array): readonly [number, number] {
  const [a, b] = hashName(name)
  const hi = ((digest[0] ?? 0) << 24 | (digest[1] ?? 0) << 16 | (digest[2] ?? 0) << 8 | (digest[3] ?? 0)) >>> 0
  const lo = ((digest[4] ?? 0) << 24 | (digest[5] ?? 0) << 16 | (digest[6] ?? 0) << 8 | (digest[7] ?? 0)) >>> 0
  return [(hi ^ a) >>> 0, (lo ^ b) >>> 0]
}

/** The bucket hashes of a set of docs, and its root. */
export class Summary {
  /** Word pairs (hi, lo) per bucket. */
  readonly words = new Uint32Array(BUCKETS * 2)
  count = 0

  add (name: string, digest: Uint8Array): void {
    const b = bucketOf(name)
    const [hi, lo] = leafOf(name, digest)
    this.words[2 * b] = ((this.words[2 * b] as number) ^ hi) >>> 0
    this.words[2 * b + 1] = ((this.words[2 * b + 1] as number) ^ lo) >>> 0
    this.count++
  }

  /** The XOR of every bucket, as 8 bytes. */
  root (): Uint8Array {
    let hi = 0
    let lo = 0
    for (let b = 0; b < BUCKETS; b++) {
      hi = (hi ^ (this.words[2 * b] as number)) >>> 0
      lo = (lo ^ (this.words[2 * b + 1] as number)) >>> 0
    }
    const out = new Uint8Array(HASH_BYTES)
    const view = new DataView(out.buffer)
    view.setUint32(0, hi)
    view.setUint32(4, lo)
    return out
  }

  /** Every bucket hash, big-endian, BUCKETS × 8 bytes (a SummaryReply for a large set). */
  encodeBuckets (): Uint8Array {
    return this.encodeGroups(BUCKETS)
  }

  /**
   * The bucket hashes folded into `groups` hashes (a power of two ≤ BUCKETS), big-endian, 8 bytes each:
   * group g is the XOR of the buckets b with b mod groups = g. A small set answers with few groups: 2 KiB
   * of bucket hashes for a shared set of ~30 docs cost more than listing it whole, while about one group
   * per doc still confines the listing to the part of the set that differs.
   */
  encodeGroups (groups: number): Uint8Array {
    const out = new Uint8Array(groups * HASH_BYTES)
    const view = new DataView(out.buffer)
    const folded = this.fold(groups)
    for (let i = 0; i < groups * 2; i++) view.setUint32(4 * i, folded[i] as number)
    return out
  }

  /**
   * Buckets of the groups whose hash differs from the encoded `other` (a SummaryReply's hashes: its length
   * says how many groups, a power of two ≤ BUCKETS): every bucket of a differing group, ascending.
   */
  differing (other: Uint8Array): number[] {
    const groups = other.byteLength / HASH_BYTES
    const folded = this.fold(groups)
    const view = new DataView(other.buffer, other.byteOffset, other.byteLength)
    const out: number[] = []
    for (let b = 0; b < BUCKETS; b++) {
      const g = b % groups
      if (view.getUint32(8 * g) !== folded[2 * g] || view.getUint32(8 * g + 4) !== folded[2 * g + 1]) out.push(b)
    }
    return out
  }

  private fold (groups: number): Uint32Array {
    if (groups === BUCKETS) return this.words
    const out = new Uint32Array(groups * 2)
    for (let b = 0; b < BUCKETS; b++) {
      const g = b % groups
      out[2 * g] = ((out[2 * g] as number) ^ (this.words[2 * b] as number)) >>> 0
      out[2 * g + 1] = ((out[2 * g + 1] as number) ^ (this.words[2 * b + 1] as number)) >>> 0
    }
    return out
  }
}

/**
 * Groups a SummaryReply folds a shared set of `count` docs into: the largest power of two ≤ `count`, within
 * [MIN_GROUPS, BUCKETS] — about one per doc, so that a few differing docs mark a few groups and the listing
 * that follows names about as many docs as differ (more groups cost 8 bytes each; fewer list more docs).
 */
export function groupsFor (count: number): number {
  let g = MIN_GROUPS
  while (g < BUCKETS && g * 2 <= count) g *= 2
  return g
}

/** Fewest groups of a folded reply; a set smaller than this is listed whole instead (cheaper than any reply). */
export const MIN_GROUPS = 4

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
