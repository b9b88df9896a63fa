/**
 * Keys set by a write that had to be applied to a doc this peer held nothing of: its homes were silent past
 * the write's wait (overloaded), or cut off (a partition). For Yjs such a set is concurrent with every value
 * the key already had — the writer did not know them — and a key's concurrent values are settled by replica
 * id: about half the time the later write lost to the value it was meant to replace, and a write that had
 * been acknowledged was gone on every replica once the doc's state arrived.
 *
 * So the key's value is watched: once remote state arrived (`check`), a set whose item was deleted in favour
 * of a value that did not know it — that value's chain of origins (each Y.Map value records the value it
 * replaced) never reaches the set — is lost, and is set again, now after that value. A set replaced by a
 * later write that knew it is not: that write replaced it as any write does. Each set is set again at most
 * once, so two peers that both wrote blind cannot take turns for ever.
 *
 * Only top-level Y.Map keys holding plain values (JSON, binary) are watched: the HTTP API's `PUT …/kv/:key`,
 * and an app's `doc.getMap(name).set(key, value)`. A nested shared type cannot be copied back; inserts into
 * text and arrays are merged by Yjs, not replaced, so nothing of them is lost.
 */
import * as Y from 'yjs'
import type { Clock, Timer } from '../core/clock.js'
import type { Logger } from '../core/logger.js'

/** One key set by a blind write: where, its item's id, and the value to set again. */
export interface BlindSet {
  readonly map: string
  readonly key: string
  readonly client: number
  readonly clock: number
  readonly value: unknown
  readonly bytes: number
}

/** How many origins a check follows before it takes the set as known to the value (a key written that often). */
const MAX_CHAIN = 10_000

/**
 * The keys of top-level Y.Maps that `tr` (a write's transaction, before it commits) set to a plain value:
 * the items it created that hold the key's value now.
 */
export function blindSetsOf (doc: Y.Doc, tr: Y.Transaction): BlindSet[] {
  const out: BlindSet[] = []
  const before = tr.beforeState.get(doc.clientID) ?? 0
  for (const [type, keys] of tr.changed) {
    if (!(type instanceof Y.Map) || type._item !== null) continue
    const map = rootName(doc, type)
    if (map === undefined) continue
    for (const key of keys) {
      if (key === null) continue
      const item = type._map.get(key)
      if (item === undefined || item.deleted || item.id.client !== doc.clientID || item.id.clock < before) continue
      if (item.content instanceof Y.ContentType || item.content instanceof Y.ContentDoc) continue
      const value: unknown = item.content.getContent()[0]
      out.push({ map, key, client: item.id.client, clock: item.id.clock, value, bytes: roughBytes(key, value) })
    }
  }
  return out
}

/**
 * What became of a blind set in `doc`: still the value, replaced by a write that knew it, lost to one that did
 * not, or undecided (not held here, or the key has no value now).
 */
export function fateOf (doc: Y.Doc, s: BlindSet): 'holding' | 'replaced' | 'lost' | 'unknown' {
  const own = structAt(doc, s.client, s.clock)
  if (own === undefined) return 'unknown' // not (or no longer) held here: nothing to decide from
  if (!own.deleted) return 'holding'
  const current = doc.getMap(s.map)._map.get(s.key)
  // No value at all: the key deleted by a write that knew it (a delete sets no new value), or the set
  // deleted by a peer whose value of the key has not been integrated here yet (still pending, its
  // dependencies missing). Undecided: a value that arrives later decides it.
  if (current === undefined || current.deleted) return 'unknown'
  let at: Y.Item | Y.GC | undefined = current
  for (let i = 0; i < MAX_CHAIN && at instanceof Y.Item; i++) {
    const origin: Y.ID | null = at.origin
    if (origin === null) return 'lost'
    // A map value is one clock long: a value set right after this one names exactly its clock.
    if (origin.client === s.client && origin.clock === s.clock) return 'replaced'
    at = structAt(doc, origin.client, origin.clock)
  }
  // A chain longer than MAX_CHAIN, or one through collected structs: undecidable, and a set again could
  // replace a later write, so the doubt goes to the value the doc holds.
  return 'replaced'
}

/** The struct holding clock `clock` of `client`, or undefined if the doc has none. */
function structAt (doc: Y.Doc, client: number, clock: number): Y.Item | Y.GC | undefined {
  const structs = doc.store.clients.get(client)
  if (structs === undefined || structs.length === 0) return undefined
  const last = structs[structs.length - 1] as Y.Item | Y.GC
  if (clock >= last.id.clock + last.length) return undefined
  return structs[Y.findIndexSS(structs, clock)] as Y.Item | Y.GC
}

function rootName (doc: Y.Doc, type: object): string | undefined {
  for (const [name, t] of doc.share) if (t === type) return name
  return undefined
}

function roughBytes (key: string, value: unknown): number {
  if (value instanceof Uint8Array) return key.length + value.byteLength
  if (typeof value === 'string') return key.length + 2 * value.length
  return key.length + (JSON.stringify(value)?.length ?? 8)
}

export interface BlindWritesLimits {
  /** How long a set is watched after its write (ms). */
  windowMs: number
  /** Sets watched at most, over all docs (the oldest go first). */
  maxSets: number
  /** Bytes of values kept at most, over all docs (the oldest go first). */
  maxBytes: number
}

interface Watched { readonly set: BlindSet, readonly until: number }

/** The blind sets being watched, per doc, bounded in number, bytes and time. */
export class BlindWrites {
  private readonly byDoc = new Map<string, Watched[]>()
  private sets = 0
  private bytes = 0

  constructor (private readonly limits: BlindWritesLimits) {}

  watch (doc: string, sets: readonly BlindSet[], now: number): void {
    if (sets.length === 0) return
    const list = this.byDoc.get(doc) ?? []
    for (const set of sets) {
      if (set.bytes > this.limits.maxBytes) continue
      list.push({ set, until: now + this.limits.windowMs })
      this.sets++
      this.bytes += set.bytes
    }
    // Re-inserted last: the map's order is the order docs were last written blind, oldest first.
    this.byDoc.delete(doc)
    if (list.length > 0) this.byDoc.set(doc, list)
    this.trim(now)
  }

  watching (doc: string): boolean {
    return this.byDoc.has(doc)
  }

  get size (): number {
    return this.sets
  }

  /**
   * Decides the watched sets of `doc` against `y` (its state now): returns the lost ones (to be set again)
   * and stops watching them and the replaced ones. Sets not decidable yet (not held here) stay watched.
   */
  check (doc: string, y: Y.Doc, now: number): BlindSet[] {
    const list = this.byDoc.get(doc)
    if (list === undefined) return []
    const lost: BlindSet[] = []
    const kept = list.filter(w => {
      if (w.until <= now) return this.forget(w)
      const fate = fateOf(y, w.set)
      if (fate === 'lost') lost.push(w.set)
      return fate === 'lost' || fate === 'replaced' ? this.forget(w) : true
    })
    if (kept.length === 0) this.byDoc.delete(doc)
    else this.byDoc.set(doc, kept)
    return lost
  }

  private forget (w: Watched): false {
    this.sets--
    this.bytes -= w.set.bytes
    return false
  }

  /**
   * Drops docs whose last blind set expired, then the oldest docs' sets while over the limits. The map is in
   * the order docs were last written blind, so both stop at the first doc they keep (a doc's earlier,
   * expired sets go at its next check).
   */
  private trim (now: number): void {
    for (const [doc, list] of this.byDoc) {
      const over = this.sets > this.limits.maxSets || this.bytes > this.limits.maxBytes
      if (!over && (list[list.length - 1] as Watched).until > now) break
      for (const w of list) this.forget(w)
      this.byDoc.delete(doc)
    }
  }
}

/** Watched for 10 minutes: a partition or an overload outlasting that has the doc's state arrive too late to tell. */
export const BLIND_WRITES_LIMITS: Readonly<BlindWritesLimits> = Object.freeze({ windowMs: 600_000, maxSets: 10_000, maxBytes: 16 * 1024 * 1024 })

export interface BlindRepairDeps {
  clock: Clock
  log: Logger
  /** The doc as held here now, if loaded. */
  doc(name: string): Y.Doc | undefined
  /** A write of this peer's (durable, pushed to the homes as any). */
  write(name: string, fn: (doc: Y.Doc) => void): Promise<unknown>
}

/**
 * Watches the blind sets of this peer's writes (`record`) and sets again the lost ones once remote state of
 * their doc arrived (`remoteChange`, checked on the next turn: after Yjs finished the transaction).
 */
export class BlindRepair {
  private readonly sets: BlindWrites
  private readonly due = new Map<string, Timer>()
  private repaired = 0

  constructor (private readonly deps: BlindRepairDeps, limits: BlindWritesLimits = BLIND_WRITES_LIMITS) {
    this.sets = new BlindWrites(limits)
  }

  /** After a blind write of `name` was acknowledged: its sets (blindSetsOf, taken in its transaction). */
  record (name: string, sets: readonly BlindSet[]): void {
    if (sets.length === 0) return
    this.sets.watch(name, sets, this.deps.clock.now())
    // The doc's state may have arrived while the write became durable: no later change would say so.
    this.schedule(name)
    this.deps.log.debug('a write was applied before the doc arrived (its homes silent or cut off): watching its keys, to set them again if an earlier value wins', { doc: name, keys: sets.length })
  }

  /** Remote state of `name` was applied here. */
  remoteChange (name: string): void {
    if (this.sets.watching(name)) this.schedule(name)
  }

  private schedule (name: string): void {
    if (this.due.has(name)) return
    this.due.set(name, this.deps.clock.setTimeout(() => {
      this.due.delete(name)
      this.check(name)
    }, 0))
  }

  /** Keys set again so far. */
  get repairs (): number {
    return this.repaired
  }

  stop (): void {
    for (const t of this.due.values()) t.cancel()
    this.due.clear()
  }

  private check (name: string): void {
    const doc = this.deps.doc(name)
    if (doc === undefined) return
    const lost = this.sets.check(name, doc, this.deps.clock.now())
    if (lost.length === 0) return
    const named = lost.slice(0, 5).map(s => `${s.map}.${s.key}`).join(',')
    const keys = lost.length > 5 ? `${named} (+${lost.length - 5} more)` : named
    // Decided again inside the write: the doc may have changed since.
    this.deps.write(name, (d) => {
      for (const s of lost) {
        if (fateOf(d, s) !== 'lost') continue
        d.getMap(s.map).set(s.key, s.value)
        this.repaired++
      }
    }).then(() => {
      this.deps.log.info('a key set before the doc arrived had lost to an earlier value: set again', { doc: name, keys })
    }, (err: unknown) => {
      this.deps.log.warn('a key set before the doc arrived had lost to an earlier value; setting it again failed', { doc: name, keys, error: err instanceof Error ? err.message : String(err) })
    })
  }
}
