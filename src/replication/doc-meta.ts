/**
 * What the replicator keeps beside each persisted doc (the store's opaque `meta`): the doc's convergence
 * digest, whether it is a tombstone, its approximate size and (when small) its version vector — written in
 * the same atomic batch as the update or compaction it describes. This is how a peer knows what it holds
 * without loading it: anti-entropy compares digests of docs that are not in memory, `GET /docs` lists them,
 * and a peer with 100,000 docs keeps 100,000 of these (~80 bytes each) instead of 100,000 live Y.Docs.
 *
 *   byte 0      format (1)
 *   byte 1      flags: bit 0 = deleted (a tombstone, see tombstone.ts)
 *   32 bytes    SHA-256 digest of (state vector + delete set)
 *   varint      approximate bytes of the doc's persisted state
 *   rest        Yjs-encoded state vector, or nothing when it was larger than MAX_META_VECTOR_BYTES
 */
import { fromStateVector } from './version-vector.js'
import type { VersionVector } from './version-vector.js'

/**
 * A decoded meta, over its encoded bytes: the digest and state vector are views made on access (a catalog
 * keeps one of these per doc, so each holds one buffer and two numbers, not three arrays).
 */
export class DocMeta {
  constructor (
    readonly encoded: Uint8Array,
    readonly deleted: boolean,
    /** Approximate bytes of the doc's persisted state. */
    readonly bytes: number,
    private readonly vectorAt: number
  ) {}

  get digest (): Uint8Array {
    return this.encoded.subarray(2, 2 + DIGEST_BYTES)
  }

  /** The Yjs-encoded state vector; empty when it was too large to keep in the meta. */
  get stateVector (): Uint8Array {
    return this.encoded.subarray(this.vectorAt)
  }
}

export const DOC_META_FORMAT = 1
export const DIGEST_BYTES = 32
/** Vectors larger than this are not kept in the meta (a doc written by hundreds of replica ids). */
export const MAX_META_VECTOR_BYTES = 1024

export function encodeDocMeta (digest: Uint8Array, deleted: boolean, bytes: number, stateVector: Uint8Array): Uint8Array {
  const size: number[] = []
  let n = Math.max(0, Math.floor(bytes))
  while (n >= 0x80) { size.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80) }
  size.push(n)
  const vector = stateVector.byteLength <= MAX_META_VECTOR_BYTES ? stateVector : new Uint8Array(0)
  const out = new Uint8Array(2 + DIGEST_BYTES + size.length + vector.byteLength)
  out[0] = DOC_META_FORMAT
  out[1] = deleted ? 1 : 0
  out.set(digest.subarray(0, DIGEST_BYTES), 2)
  out.set(size, 2 + DIGEST_BYTES)
  out.set(vector, 2 + DIGEST_BYTES + size.length)
  return out
}

/**
 * Undefined for bytes this version did not write (an unknown format, or damage): the doc is then re-read.
 * It keeps `bytes` (no copies: the store's index holds the same buffer).
 */
export function decodeDocMeta (bytes: Uint8Array | undefined): DocMeta | undefined {
  if (bytes === undefined || bytes.byteLength < 3 + DIGEST_BYTES || bytes[0] !== DOC_META_FORMAT) return undefined
  const flags = bytes[1] as number
  if ((flags & ~1) !== 0) return undefined
  let size = 0
  let scale = 1
  let i = 2 + DIGEST_BYTES
  for (;; i++) {
    const b = bytes[i]
    if (b === undefined || scale > 2 ** 49) return undefined
    size += (b & 0x7f) * scale
    scale *= 0x80
    if (b < 0x80) break
  }
  return new DocMeta(bytes, (flags & 1) === 1, size, i + 1)
}

/** The version vector of a meta's state vector (undefined if it was not kept, or does not decode). */
export function metaVector (meta: DocMeta): VersionVector | undefined {
  if (meta.stateVector.byteLength === 0) return undefined
  try {
    return fromStateVector(meta.stateVector)
  } catch {
    return undefined
  }
}
