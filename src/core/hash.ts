/**
 * Rendezvous (highest-random-weight) hashing primitives: a 64-bit hash of a name and the score of a
 * (key, member) pair. Placement ranks a doc's homes with them; membership picks a suspect's verifiers.
 */

/** murmur3's 32-bit finalizer: avalanches every input bit over the output (Appleby, MurmurHash3). */
function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Two independent 32-bit hashes of a string's UTF-16 code units (a 64-bit name hash). */
export function hashName (s: string): readonly [number, number] {
  let a = 0x811c9dc5 ^ s.length
  let b = 0x9747b28c ^ Math.imul(s.length, 0x27d4eb2f)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul((b ^ c) + 0x6b43a9b5, 0x5bd1e995)
    b ^= b >>> 15
  }
  return [fmix32(a), fmix32(b ^ Math.imul(a, 0x9e3779b1))]
}

/**
 * The score of (doc, peer): 53 pseudo-random bits from both names' hashes. Independent across peers for
 * one doc (that is what spreads docs evenly) and across docs for one peer.
 */
export function score (doc: readonly [number, number], peer: readonly [number, number]): number {
  const hi = fmix32((doc[0] ^ peer[0]) + Math.imul(doc[1], 0x9e3779b1))
  const lo = fmix32((doc[1] ^ peer[1]) + Math.imul(hi ^ doc[0], 0x85ebca6b))
  return hi * 0x200000 + (lo >>> 11)
}
