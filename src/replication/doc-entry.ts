/**
 * One open document: the Y.Doc, its durability log, and cached digest and vector (recomputed only after
 * the doc changed, so an idle doc costs nothing per anti-entropy round).
 */
import * as Y from 'yjs'
import { DecodeError } from '../core/errors.js'
import { decodeDocMeta, encodeDocMeta } from './doc-meta.js'
import type { DocMeta } from './doc-meta.js'
import { DurableLog } from './durable-log.js'
import type { RemoteOrigin } from './origins.js'
import { isDeleted } from './tombstone.js'
import type { DocStore } from '../core/doc-store.js'
import { DeletedRanges, digestOf } from './deleted-ranges.js'
import { encodeDiff } from './diff-encoding.js'
import { MAX_REPLICA_ID, WIRE_DIGEST_BYTES, fromStateVector } from './version-vector.js'
import type { VersionVector } from './version-vector.js'

export type DocState = 'loading' | 'ready' | 'closed'

/** What a remote update did: changed the doc, changed nothing, or (partly) waits for missing dependencies. */
export type RemoteResult = 'applied' | 'duplicate' | 'pending'

/** The empty vector: a diff against it is the whole doc. */
const NOTHING: VersionVector = new Map()

/** Bytes Yjs holds for `doc` waiting for missing dependencies (structs and deletions). */
export function pendingBytes (doc: Y.Doc): number {
  return (doc.store.pendingStructs?.update.byteLength ?? 0) + (doc.store.pendingDs?.byteLength ?? 0)
}

/**
 * Yjs structs `doc` holds: its items, deleted ones included (an overwritten map value stays as one), and GC
 * ranges. Its CRDT history, which memory grows with; O(clients): the struct arrays are counted, not walked.
 */
export function structCount (doc: Y.Doc): number {
  let n = 0
  for (const structs of doc.store.clients.values()) n += structs.length
  return n
}

/**
 * Deepest nesting of arrays and objects accepted in a value inside a Yjs update (a map or array entry, an
 * embed, a format attribute, a subdocument's options). Yjs reads and writes such values recursively:
 * around 4,000 levels, reading the doc as JSON (`GET /docs/:name`) overflowed the stack on every request,
 * and decoding the update itself does past ~5,000. The HTTP API takes 64 (`MAX_JSON_DEPTH`); this leaves
 * Yjs apps room and the stack a wide margin.
 */
export const MAX_VALUE_DEPTH = 512

/**
 * Parses a remote Yjs update and checks what Yjs itself does not: replica ids are uint32 and clocks stay
 * safe integers (Yjs reads both as 53-bit varints and would integrate a forged id or clock, after which the
 * doc's state vector could no longer be represented, or sent, as a version vector), and no value nests
 * deeper than MAX_VALUE_DEPTH.
 * @throws DecodeError
 */
export function checkUpdate (doc: string, update: Uint8Array): void {
  let decoded: { structs: Array<{ id: { client: number, clock: number }, length: number, content?: unknown }>, ds: { clients: Map<number, Array<{ clock: number, len: number }>> } }
  try {
    decoded = Y.decodeUpdate(update)
  } catch (err) {
    throw new DecodeError(`malformed Yjs update for "${doc}": ${err instanceof Error ? err.message : String(err)}`)
  }
  for (const s of decoded.structs) {
    checkRange(doc, s.id.client, s.id.clock, s.length)
    const values = valuesOf(s.content)
    if (values !== undefined && valueDepth(values) > MAX_VALUE_DEPTH) {
      throw new DecodeError(`Yjs update for "${doc}": a value nests arrays and objects deeper than ${MAX_VALUE_DEPTH} levels`)
    }
  }
  for (const [client, items] of decoded.ds.clients) for (const d of items) checkRange(doc, client, d.clock, d.len)
}

/** The values a struct's content carries that Yjs decoded as arbitrary JSON-like data, if any. */
function valuesOf (content: unknown): unknown[] | undefined {
  if (content instanceof Y.ContentAny || content instanceof Y.ContentJSON) return content.arr
  if (content instanceof Y.ContentEmbed) return [content.embed]
  if (content instanceof Y.ContentFormat) return [content.value]
  if (content instanceof Y.ContentDoc) return [content.opts]
  return undefined
}

/** How deep arrays and plain objects nest in `values` (the list itself not counted), without recursion. */
export function valueDepth (values: readonly unknown[]): number {
  let max = 0
  const stack: Array<[unknown, number]> = values.map(v => [v, 1])
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [v, depth] = next
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) continue
    if (depth > max) max = depth
    if (max > MAX_VALUE_DEPTH) return max
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1])
  }
  return max
}

function checkRange (doc: string, client: number, clock: number, length: number): void {
  if (!Number.isSafeInteger(client) || client < 0 || client > MAX_REPLICA_ID) throw new DecodeError(`Yjs update for "${doc}": replica id ${client} is not a uint32`)
  if (!Number.isSafeInteger(clock) || !Number.isSafeInteger(length) || clock < 0 || length < 0 || !Number.isSafeInteger(clock + length)) {
    throw new DecodeError(`Yjs update for "${doc}": clock range ${clock}+${length} is out of range`)
  }
}

export interface EncodedMeta {
  readonly meta: DocMeta
  readonly bytes: Uint8Array
}

export class DocEntry {
  state: DocState = 'loading'
  readonly doc: Y.Doc
  readonly log: DurableLog
  /** A compaction of this doc is in flight. */
  compacting = false
  /** The app holds this doc (`open`/`doc`/`find`) until it closes it: never evicted meanwhile. */
  pinned = false
  /** Clock time of the last use (load, read, write, sync step): idle docs are evicted. */
  lastUsed = 0
  /** Approximate bytes of the doc's persisted state: what was loaded or compacted, plus updates since. */
  stateBytes = 0
  private digest: Uint8Array | undefined
  /** The doc's delete set, kept up to date by `changed` once the first digest needed it (deleted-ranges.ts). */
  private ranges: DeletedRanges | undefined
  private version: VersionVector | undefined
  private deletedCache: boolean | undefined
  /** The doc's Yjs-encoded state vector, shared by the meta and the vector (one encoding per change). */
  private stateVectorCache: Uint8Array | undefined

  constructor (readonly name: string, store: DocStore) {
    // gc: deleted content is dropped (deletions stay in the delete set): what every Yjs provider does.
    // guid: the doc's name (Yjs only uses it to tell subdocuments apart); without one, Yjs draws a random
    // uuid with 32 calls to the OS random source, for every load of every doc.
    this.doc = new Y.Doc({ gc: true, guid: name })
    this.log = new DurableLog(store, name)
  }

  get ready (): boolean {
    return this.state === 'ready'
  }

  /** The doc changed in `tr` (called from every update of the doc, its load included). */
  changed (tr: Y.Transaction): void {
    this.ranges?.noteTransaction(tr)
    this.invalidate()
  }

  /** Forget the cached digest and vector. */
  private invalidate (): void {
    this.digest = undefined
    this.version = undefined
    this.deletedCache = undefined
    this.stateVectorCache = undefined
  }

  /** A tombstone with no live content (tombstone.ts). */
  get deleted (): boolean {
    this.deletedCache ??= isDeleted(this.doc)
    return this.deletedCache
  }

  /** The doc's meta as of now (written with the next append or compaction; doc-meta.ts). */
  metaNow (stateBytes = this.stateBytes): EncodedMeta {
    const bytes = encodeDocMeta(this.digestBytes(), this.deleted, stateBytes, this.stateVector())
    // Decoded as views into `bytes`: one buffer per doc, shared with the store's index.
    return { bytes, meta: decodeDocMeta(bytes) as DocMeta }
  }

  /** SHA-256 of the doc's snapshot (state vector + delete set): version-vector.ts `digestBytes`, without walking the doc. */
  digestBytes (): Uint8Array {
    this.digest ??= digestOf(this.doc, this.deleteSet())
    return this.digest
  }

  /** The digest as sent on the wire (a prefix). */
  wireDigest (): Uint8Array {
    return this.digestBytes().subarray(0, WIRE_DIGEST_BYTES)
  }

  vector (): VersionVector {
    this.version ??= fromStateVector(this.stateVector())
    return this.version
  }

  /** `Y.encodeStateVector(doc)`, kept until the doc changes (callers must not modify it). */
  private stateVector (): Uint8Array {
    this.stateVectorCache ??= Y.encodeStateVector(this.doc)
    return this.stateVectorCache
  }

  /**
   * What a replica at `remote` lacks: the inserts past its vector plus our whole delete set (diff-encoding.ts).
   * Nothing pending: `Y.encodeStateAsUpdate` appends the pending structs and deletions to what it encodes, and
   * relayed in every diff and persisted by every compaction, a pending blob (possibly never integrable, from
   * a hostile peer) would follow the doc to every replica and across restarts, and inflate its diffs past
   * maxTransferBytes. Pending stays local instead: the peer that lacks the dependency gets it from
   * anti-entropy, and then the diff it sends carries both.
   */
  diffFor (remote: VersionVector): Uint8Array {
    return encodeDiff(this.doc, this.deleteSet(), remote)
  }

  /** The whole doc as one update, for compaction (nothing pending: that was never persisted as applied). */
  encodeState (): Uint8Array {
    return encodeDiff(this.doc, this.deleteSet(), NOTHING)
  }

  /** The doc's delete set, kept up to date from the first time it is needed (one walk of the doc then). */
  private deleteSet (): DeletedRanges {
    this.ranges ??= DeletedRanges.of(this.doc)
    return this.ranges
  }

  /** Bytes of remote updates waiting for missing dependencies. */
  get pendingBytes (): number {
    return pendingBytes(this.doc)
  }

  /**
   * Drops everything pending if it exceeds `limit` bytes; returns the bytes dropped (0 if none). The doc
   * itself is unchanged: pending structs were never integrated, so no update event, append or ack saw them.
   */
  dropPendingOver (limit: number): number {
    const bytes = this.pendingBytes
    if (bytes <= limit) return 0
    this.doc.store.pendingStructs = null
    this.doc.store.pendingDs = null
    return bytes
  }

  /**
   * Applies a remote Yjs update after checking that it parses.
   * @throws DecodeError if the bytes are not a well-formed update (the doc is untouched).
   */
  applyRemote (update: Uint8Array, origin: RemoteOrigin): RemoteResult {
    checkUpdate(this.name, update)
    const pendingBefore = this.pendingBytes
    try {
      Y.applyUpdate(this.doc, update, origin)
    } catch (err) {
      // Parsed but failed to integrate: whatever was integrated is a valid CRDT state; report as bad input.
      throw new DecodeError(`Yjs rejected an update for "${this.name}": ${err instanceof Error ? err.message : String(err)}`)
    }
    if (origin.changed) return 'applied'
    return this.pendingBytes > pendingBefore ? 'pending' : 'duplicate'
  }
}
