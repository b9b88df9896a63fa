/**
 * Version vectors over Yjs replica ids (clientIDs), and the convergence digest.
 *
 * A Yjs state vector maps each replica id to the number of items (inserts) it has produced that this doc
 * has integrated: exactly a version vector over inserts. Deletes live in a separate delete set and are NOT
 * covered (NOTES-LIBP2P-YJS.md): a delete-only change leaves vectors equal while contents differ. So vectors
 * order writes (flush acknowledgements, "has the peer seen my inserts"), and convergence is judged by
 * `digest`, which hashes the state vector AND the delete set.
 */
import { hash } from 'node:crypto'
import * as Y from 'yjs'
import { DecodeError } from '../core/errors.js'

/** replica id (Yjs clientID, uint32) → clock (items produced). Absent entries mean 0. */
export type VersionVector = ReadonlyMap<number, number>

/** JSON form: `{ "<replica id in decimal>": clock }`, as served by the HTTP API. */
export type VersionVectorJSON = Readonly<Record<string, number>>

export type Ordering = 'equal' | 'before' | 'after' | 'concurrent'

/** Yjs clientIDs are uint32 (lib0 random.uint32). */
export const MAX_REPLICA_ID = 0xffff_ffff

/** Bytes of the wire digest: the first 128 bits of the SHA-256 (accidental collisions are out of reach). */
export const WIRE_DIGEST_BYTES = 16

const EMPTY: VersionVector = new Map()

/** An empty vector (the version of a doc with no inserts). */
export function emptyVector (): VersionVector {
  return EMPTY
}

/** Drops zero entries so that equal versions have equal representations. */
function normalized (entries: Iterable<readonly [number, number]>): VersionVector {
  const out = new Map<number, number>()
  for (const [id, clock] of entries) if (clock > 0) out.set(id, clock)
  return out
}

/** The version vector of a Yjs encoded state vector. @throws DecodeError on malformed bytes. */
export function fromStateVector (stateVector: Uint8Array): VersionVector {
  let decoded: Map<number, number>
  try {
    decoded = Y.decodeStateVector(stateVector)
  } catch (err) {
    throw new DecodeError(`malformed state vector: ${err instanceof Error ? err.message : String(err)}`)
  }
  for (const [id, clock] of decoded) checkEntry(id, clock)
  return normalized(decoded)
}

/** The current version vector of `doc`. */
export function ofDoc (doc: Y.Doc): VersionVector {
  return fromStateVector(Y.encodeStateVector(doc))
}

/** Yjs encoding (what `Y.encodeStateAsUpdate(doc, sv)` takes). */
export function toStateVector (v: VersionVector): Uint8Array {
  return Y.encodeStateVector(new Map(v))
}

/** How `a` relates to `b`: `before` means every entry of a ≤ b's and one is smaller (a happened before b). */
export function compare (a: VersionVector, b: VersionVector): Ordering {
  let aAhead = false
  let bAhead = false
  for (const [id, clock] of a) {
    const other = b.get(id) ?? 0
    if (clock > other) aAhead = true
    else if (clock < other) bAhead = true
  }
  for (const [id, clock] of b) {
    if (!a.has(id) && clock > 0) bAhead = true
  }
  if (aAhead && bAhead) return 'concurrent'
  if (aAhead) return 'after'
  if (bAhead) return 'before'
  return 'equal'
}

/** Whether `a` has seen everything `b` has (a ≥ b entry-wise). */
export function dominates (a: VersionVector, b: VersionVector): boolean {
  for (const [id, clock] of b) if ((a.get(id) ?? 0) < clock) return false
  return true
}

/** The entry-wise maximum: the least vector that dominates both. */
export function merge (a: VersionVector, b: VersionVector): VersionVector {
  const out = new Map(a)
  for (const [id, clock] of b) if (clock > (out.get(id) ?? 0)) out.set(id, clock)
  return normalized(out)
}

/** Sum of the clocks: how many inserts the vector covers (for logs and metrics). */
export function size (v: VersionVector): number {
  let n = 0
  for (const clock of v.values()) n += clock
  return n
}

export function toJSON (v: VersionVector): VersionVectorJSON {
  const out: Record<string, number> = {}
  // Sorted by replica id so that equal vectors print identically.
  for (const id of [...v.keys()].sort((x, y) => x - y)) out[String(id)] = v.get(id) as number
  return out
}

/**
 * Parses the JSON form (from an HTTP client or a file): keys are decimal uint32, values safe non-negative
 * integers. @throws DecodeError naming the first offending entry.
 */
export function fromJSON (json: unknown): VersionVector {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DecodeError('version vector must be a JSON object')
  const out = new Map<number, number>()
  for (const [key, value] of Object.entries(json)) {
    if (!/^(0|[1-9][0-9]{0,9})$/.test(key)) throw new DecodeError(`version vector: bad replica id "${key.slice(0, 32)}"`)
    const id = Number(key)
    if (typeof value !== 'number') throw new DecodeError(`version vector: clock of ${key} is not a number`)
    checkEntry(id, value)
    out.set(id, value)
  }
  return normalized(out)
}

function checkEntry (id: number, clock: number): void {
  if (!Number.isSafeInteger(id) || id < 0 || id > MAX_REPLICA_ID) throw new DecodeError(`version vector: replica id ${id} is not a uint32`)
  if (!Number.isSafeInteger(clock) || clock < 0) throw new DecodeError(`version vector: clock ${clock} of ${id} is not a safe non-negative integer`)
}

/**
 * SHA-256 of `encodeSnapshot(snapshot(doc))`: the state vector plus the delete set, both written by Yjs in
 * a canonical order (clients sorted, deleted runs merged). Equal exactly when two replicas hold the same
 * content, whatever order the updates arrived in (checked by test/replication/version-vector.test.ts).
 */
export function digestBytes (doc: Y.Doc): Uint8Array {
  return snapshotDigest(Y.snapshot(doc))
}

/** The digest of a snapshot: what `digestBytes` hashes, for a snapshot built another way (deleted-ranges.ts). */
export function snapshotDigest (snapshot: Y.Snapshot): Uint8Array {
  // One-shot `hash`, not createHash: the digest is taken after every change of a doc (for the meta each
  // append writes), and creating a Hash object cost about as much as encoding the snapshot (issue 14).
  return new Uint8Array(hash('sha256', Y.encodeSnapshot(snapshot), 'buffer'))
}

/** `digestBytes` in lowercase hex (the HTTP API's `digest`). */
export function digest (doc: Y.Doc): string {
  return digestHex(digestBytes(doc))
}

/** A digest's bytes in lowercase hex. */
export function digestHex (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
