/**
 * Who verifies a suspicion that ran out (issue 11, "scale-aware deaths"): the `k` members with the
 * smallest hash of (member id, suspect id, suspect incarnation), among the members an observer lists as
 * alive or suspect, itself included and the suspect excluded. Every observer computes the same set as far
 * as their views agree, with no message exchanged; a new incarnation (a refutation, then a new suspicion)
 * draws a new set, so no member is the verifier of a given suspect for ever.
 *
 * The hash only has to spread choices evenly and agree between peers (all run this code): FNV-1a over the
 * strings' UTF-16 code units, finished with murmur3's avalanche step so that ids differing only in their
 * last characters still land far apart. Not a defence against a member choosing its id to be picked:
 * being a verifier only means sending one more ping.
 */
import { FNV_OFFSET, FNV_PRIME, fmix32, fnv1a } from '../core/hash.js'
import type { PeerId } from '../core/transport.js'
import type { IdSet } from './id-set.js'

/**
 * The verifiers of `subject` at `incarnation` among `self` and the members of `others` (subject skipped),
 * smallest hash first. O(N) per call, O(k) allocated.
 */
export function pickVerifiers (subject: PeerId, incarnation: number, self: PeerId, others: readonly IdSet[], k: number): PeerId[] {
  const seed = mixUint32(fnv1a(subject, FNV_OFFSET), incarnation)
  const hashes: number[] = []
  const ids: PeerId[] = []
  const consider = (id: PeerId): void => {
    if (id === subject) return
    const h = fmix32(fnv1a(id, seed))
    if (ids.length === k && !before(h, id, hashes[k - 1] as number, ids[k - 1] as PeerId)) return
    let i = Math.min(ids.length, k - 1)
    // Insertion into the (short, sorted) list of the k smallest so far.
    while (i > 0 && before(h, id, hashes[i - 1] as number, ids[i - 1] as PeerId)) {
      hashes[i] = hashes[i - 1] as number
      ids[i] = ids[i - 1] as PeerId
      i--
    }
    hashes[i] = h
    ids[i] = id
  }
  if (k <= 0) return ids
  consider(self)
  for (const set of others) for (let i = 0; i < set.size; i++) consider(set.at(i))
  return ids
}

/** Ordered by hash, ties (rare: 32 bits) by id, so that every peer orders the same way. */
function before (h: number, id: PeerId, otherH: number, otherId: PeerId): boolean {
  return h < otherH || (h === otherH && id < otherId)
}

function mixUint32 (h: number, n: number): number {
  for (let shift = 0; shift < 32; shift += 8) h = Math.imul(h ^ ((n >>> shift) & 0xff), FNV_PRIME)
  return h
}
