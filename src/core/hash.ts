/** Small non-cryptographic hashing shared by placement (replication) and the suspect verifiers (membership). */

/** murmur3's 32-bit finalizer: avalanches every input bit over the output (Appleby, MurmurHash3). */
export function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** FNV-1a's 32-bit offset basis and prime. */
export const FNV_OFFSET = 0x811c9dc5
export const FNV_PRIME = 0x01000193

/** FNV-1a over a string's UTF-16 code units, from `h` (the offset basis, or a seed). Not finalized: see fmix32. */
export function fnv1a (s: string, h: number = FNV_OFFSET): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME)
  return h
}
