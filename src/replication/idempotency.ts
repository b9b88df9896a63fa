/**
 * Idempotency keys: a write carrying an `opId` is applied at most once per document, wherever in the mesh
 * it is sent, for as long as its key is remembered (`idempotencyWindowMs`, `maxIdempotencyKeys`). The
 * record of each applied key lives in the doc (op-records.ts), so it is persisted with the change it
 * names — in the same Yjs transaction, hence the same update, the same append, the same push — and a
 * retry that reaches any replica holding that update finds it and is not applied again. A retry that
 * arrives while the first attempt is still settling waits for the same durability and answers alike.
 *
 * What the records cannot stop, nothing can without coordination: in an AP mesh a retry can reach a peer
 * on the other side of a partition before the first attempt's update does, and both apply the key. So
 * effects should converge to one per key by themselves: a keyed counter increment lives in its record
 * (counted once per key, op-records.ts), a chat message is stored under an id derived from its key (the
 * app), a kv write sets the same value twice. Plain `write` functions with non-idempotent effects (say,
 * an array push) are protected by the record only, i.e. except across a partition.
 *
 * Forgetting: a peer forgets its own records once the window has passed (or beyond the count limit,
 * oldest first); anyone forgets a record twice the window old (its peer may be gone for good). A keyed
 * counter increment is not forgotten but folded: the owner of its key deletes every record of the key
 * and adds the delta to its own slot in one transaction. Folding is where the window matters for
 * exactly-once: a duplicate applied across a partition that lasts longer than the window, and merged
 * after the fold, counts again. That bound is documented (docs/LIMITS.md).
 */
import { createHash } from 'node:crypto'
import type * as Y from 'yjs'
import { hasLoneSurrogate } from '../core/codec.js'
import { MAX_OP_ID_CHARS } from '../core/idempotency-key.js'
import { InvalidOpIdError } from '../core/outcome.js'
import type { OpIndex, OpRecord } from './op-records.js'
import { PNCounter } from './pn-counter.js'

export { MAX_OP_ID_CHARS }
/** A key's digest: 128 bits (collisions are out of reach), 22 base64url characters in the record. */
const KEY_BYTES = 16
/** A peer's tag in its records: 72 bits of its id's digest (12 characters instead of ~52). */
const PEER_TAG_BYTES = 9
/** When a peer is at its count limit, it forgets this share of its own records at once (amortises the sort). */
const CAP_HEADROOM = 0.1

// Control characters (C0, DEL, C1): a key is an identifier, not text.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * @throws InvalidOpIdError unless `opId` is 1–MAX_OP_ID_CHARS characters of well-formed text (no lone
 * surrogate: it is hashed as UTF-8, where `'\ud800'` and `'\ufffd'` would be one key) without control characters.
 */
export function checkOpId (opId: unknown): string {
  if (typeof opId !== 'string' || opId.length === 0 || opId.length > MAX_OP_ID_CHARS || CONTROL.test(opId) || hasLoneSurrogate(opId)) {
    throw new InvalidOpIdError(`an idempotency key must be 1–${MAX_OP_ID_CHARS} characters of well-formed text without control characters`)
  }
  return opId
}

function digest (text: string, bytes: number): string {
  return createHash('sha256').update(text, 'utf8').digest().subarray(0, bytes).toString('base64url')
}

/** The key stored for `opId` (validated). @throws InvalidOpIdError */
export function opKey (opId: string): string {
  return digest(`op\u0000${checkOpId(opId)}`, KEY_BYTES)
}

/** The tag a peer's records carry. */
export function peerTag (peerId: string): string {
  return digest(`peer\u0000${peerId}`, PEER_TAG_BYTES)
}

/** A fingerprint of a request (method, route, body…): a key reused for another request is refused. */
export function fingerprintOf (...parts: readonly string[]): string {
  return digest(parts.join('\u0000'), KEY_BYTES)
}

export interface ForgetOptions {
  /** This peer's tag and id (records it may forget; the slot it folds into). */
  selfTag: string
  /** Wall-clock time now (ms since the epoch), comparable with records' `at`. */
  now: number
  windowMs: number
  /** Own records to keep at most. */
  maxKeys: number
}

export interface ForgetPlan {
  /** Records to delete. */
  readonly forget: ReadonlySet<OpRecord>
  /** Keyed increments to add to this peer's slot, as they are folded: counter map → delta. */
  readonly fold: ReadonlyMap<string, number>
}

/**
 * What this peer should forget or fold now (pure: table-tested). Own records beyond `maxKeys` go oldest
 * first; when the count is exceeded, CAP_HEADROOM of the limit goes at once so that a peer writing at its
 * limit does not sort its records on every write.
 */
export function planForget (index: OpIndex, o: ForgetOptions): ForgetPlan {
  const forget = new Set<OpRecord>()
  const fold = new Map<string, number>()
  const excess = index.countOf(o.selfTag) - o.maxKeys
  const overCap = new Set<string>()
  if (excess > 0) {
    const own: OpRecord[] = []
    for (const key of index.keys()) for (const r of index.get(key) ?? []) if (r.p === o.selfTag) own.push(r)
    own.sort((a, b) => a.at - b.at)
    const n = Math.min(own.length, excess + Math.floor(o.maxKeys * CAP_HEADROOM))
    for (const r of own.slice(0, n)) overCap.add(r.k)
  }
  for (const key of index.keys()) {
    const records = [...index.get(key) ?? []]
    const owner = index.owner(key)
    if (owner === undefined) continue
    const oldest = Math.min(...records.map(r => r.at))
    if (owner.m !== undefined && owner.d !== undefined) {
      // Only the owner folds, and it folds every duplicate with it: the delta moves from the records to
      // its slot in one transaction, so every replica counts it once before and once after.
      if (owner.p !== o.selfTag || !(o.now - oldest > o.windowMs || overCap.has(key))) continue
      for (const r of records) forget.add(r)
      fold.set(owner.m, (fold.get(owner.m) ?? 0) + owner.d)
      continue
    }
    for (const r of records) {
      const mine = r.p === o.selfTag && (o.now - r.at > o.windowMs || overCap.has(key))
      if (mine || o.now - r.at > 2 * o.windowMs) forget.add(r)
    }
  }
  return { forget, fold }
}

/** Whether `plan` changes nothing. */
export function isEmptyPlan (plan: ForgetPlan): boolean {
  return plan.forget.size === 0 && plan.fold.size === 0
}

/** Applies `plan` in the caller's transaction: deletes the records (contiguous runs at once) and folds into this peer's slots. */
export function applyForget (doc: Y.Doc, index: OpIndex, plan: ForgetPlan, peerId: string): void {
  const values = index.array.toArray()
  const runs: Array<[number, number]> = []
  for (let i = 0; i < values.length; i++) {
    if (!plan.forget.has(values[i] as OpRecord)) continue
    const last = runs[runs.length - 1]
    if (last !== undefined && last[0] + last[1] === i) last[1]++
    else runs.push([i, 1])
  }
  // Last run first: deleting it does not move the indexes of the ones before it.
  for (let r = runs.length - 1; r >= 0; r--) {
    const [at, len] = runs[r] as [number, number]
    index.array.delete(at, len)
  }
  for (const [map, delta] of plan.fold) new PNCounter(doc, peerId, map).increment(delta)
}
