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
