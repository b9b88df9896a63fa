/**
 * Operation records: which idempotency keys a doc has applied, kept inside the doc itself so that they
 * are persisted and replicated with it — a retry sent to another peer finds the record there (once the
 * first attempt's update reached it) and is not applied twice. idempotency.ts decides with them; this
 * module only stores, validates and indexes them.
 *
 * Storage: the reserved root Y.Array `__murmur.ops` of plain objects `{ k, at, p, f?, m?, d? }`. An array
 * rather than a map keyed by `k`: a Y.Map keeps a few bytes per key it ever held, for ever, while deleted
 * array items merge into nothing (measured: 2,000 records deleted leave 26 bytes in an array, 39 kB in a
 * map) — and records are deleted all the time, once their window passes.
 *
 * Duplicates: two peers on either side of a partition can both apply a key (the retry arrived before the
 * first attempt's record). Both records stay, and every reader picks the same one of them — the *owner*,
 * least by (p, at, d, m) — so effects stored in records (a keyed counter increment) count once per key
 * on every replica, and converge without coordination.
 *
 * The records come from other peers: each is validated when read; a malformed one is ignored.
 */
import * as Y from 'yjs'

/** The reserved root array (tombstone.ts reserves every root name starting with `__murmur`). */
export const OPS_ARRAY = '__murmur.ops'

/** Bounds on record fields (characters); records beyond them are ignored as malformed. */
const MAX_KEY_CHARS = 64
const MAX_PEER_CHARS = 64
const MAX_FINGERPRINT_CHARS = 128
const MAX_MAP_CHARS = 256

export interface OpRecord {
  /** The key: the opId's digest (idempotency.ts `opKey`). */
  readonly k: string
  /** When the applying peer applied it, ms since the epoch on that peer's clock. */
  readonly at: number
  /** The applying peer's tag (idempotency.ts `peerTag`). */
  readonly p: string
  /** Fingerprint of the request the key was first used for, if the caller gave one. */
  readonly f?: string
  /** A keyed counter increment: the counter's map name … */
  readonly m?: string
  /** … and its delta. The increment counts while the record lives, and is folded into a slot after. */
  readonly d?: number
}

function shortString (v: unknown, max: number): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= max
}

/** The record if `value` is a well-formed one (the same object, so it can be told apart by identity). */
export function asRecord (value: unknown): OpRecord | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const r = value as Record<string, unknown>
  if (!shortString(r.k, MAX_KEY_CHARS) || !shortString(r.p, MAX_PEER_CHARS)) return undefined
  if (typeof r.at !== 'number' || !Number.isSafeInteger(r.at) || r.at < 0) return undefined
  if (r.f !== undefined && !shortString(r.f, MAX_FINGERPRINT_CHARS)) return undefined
  const hasCounter = r.m !== undefined || r.d !== undefined
  if (hasCounter && (!shortString(r.m, MAX_MAP_CHARS) || typeof r.d !== 'number' || !Number.isSafeInteger(r.d))) return undefined
  return value as OpRecord
}

/** Orders duplicates of one key; the least is the owner (the one every replica counts). */
export function compareRecords (a: OpRecord, b: OpRecord): number {
  if (a.p !== b.p) return a.p < b.p ? -1 : 1
  if (a.at !== b.at) return a.at - b.at
  if ((a.d ?? 0) !== (b.d ?? 0)) return (a.d ?? 0) - (b.d ?? 0)
  const am = a.m ?? ''
  const bm = b.m ?? ''
  return am < bm ? -1 : am > bm ? 1 : 0
}

/**
 * The live records of one doc by key, maintained incrementally from the array's events (a rebuild per
 * write would cost O(records) each time). Built on first use; lives as long as the Y.Doc.
 */
export class OpIndex {
  private readonly byKey = new Map<string, Set<OpRecord>>()
  private readonly perPeer = new Map<string, number>()
  private readonly sums = new Map<string, number>()
  private sumsValid = false
  readonly array: Y.Array<unknown>

  constructor (doc: Y.Doc) {
    this.array = doc.getArray<unknown>(OPS_ARRAY)
    for (const value of this.array.toArray()) this.add(value)
    this.array.observe((event) => {
      // Added and deleted in the same transaction are in neither set (Yjs), so the index stays exact.
      for (const item of event.changes.added) for (const v of item.content.getContent()) this.add(v)
      for (const item of event.changes.deleted) for (const v of item.content.getContent()) this.remove(v)
    })
  }

  /** Live records of `key` (duplicates included), or undefined. */
  get (key: string): ReadonlySet<OpRecord> | undefined {
    return this.byKey.get(key)
  }

  /** The record of `key` every replica counts (see the file comment). */
  owner (key: string): OpRecord | undefined {
    let best: OpRecord | undefined
    for (const r of this.byKey.get(key) ?? []) if (best === undefined || compareRecords(r, best) < 0) best = r
    return best
  }

  keys (): IterableIterator<string> {
    return this.byKey.keys()
  }

  get size (): number {
    return this.byKey.size
  }

  /** Live records applied by peer `tag`. */
  countOf (tag: string): number {
    return this.perPeer.get(tag) ?? 0
  }

  /** Σ of the deltas of keyed increments of counter `map` that are still records (one per key: the owner's). */
  counterSum (map: string): number {
    if (!this.sumsValid) {
      this.sums.clear()
      for (const key of this.byKey.keys()) {
        const o = this.owner(key)
        if (o?.m !== undefined && o.d !== undefined) this.sums.set(o.m, (this.sums.get(o.m) ?? 0) + o.d)
      }
      this.sumsValid = true
    }
    return this.sums.get(map) ?? 0
  }

  /** Appends `record` in the caller's transaction, and indexes it at once (not only when the transaction ends). */
  push (record: OpRecord): void {
    this.array.push([record])
    this.add(record)
  }

  private add (value: unknown): void {
    const r = asRecord(value)
    if (r === undefined) return
    let set = this.byKey.get(r.k)
    if (set === undefined) {
      set = new Set()
      this.byKey.set(r.k, set)
    }
    if (set.has(r)) return
    set.add(r)
    this.perPeer.set(r.p, (this.perPeer.get(r.p) ?? 0) + 1)
    this.sumsValid = false
  }

  private remove (value: unknown): void {
    const r = asRecord(value)
    if (r === undefined) return
    const set = this.byKey.get(r.k)
    if (set === undefined || !set.delete(r)) return
    if (set.size === 0) this.byKey.delete(r.k)
    const n = (this.perPeer.get(r.p) ?? 1) - 1
    if (n === 0) this.perPeer.delete(r.p)
    else this.perPeer.set(r.p, n)
    this.sumsValid = false
  }
}

const indexes = new WeakMap<Y.Doc, OpIndex>()

/** The doc's record index (created on first use). */
export function opIndexOf (doc: Y.Doc): OpIndex {
  let index = indexes.get(doc)
  if (index === undefined) {
    index = new OpIndex(doc)
    indexes.set(doc, index)
  }
  return index
}
