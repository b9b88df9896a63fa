/**
 * The docs loaded in memory: opening one creates its Y.Doc, replays its persisted history from the store,
 * then gives it a fresh replica id; every later update of the doc is reported to the replicator.
 *
 * Docs load lazily (on first use: an app open, a read, a write, a sync step) and are evicted when idle —
 * unless the app holds them (`pinned`) or something about them is in flight (appends, a compaction, a
 * failed append not yet repaired, whatever `busy` reports) — so memory is bounded by what is in use, not by
 * what is stored. At `maxOpen` loaded docs, opening one more evicts the least recently used evictable one,
 * or fails with TooManyDocsError if every loaded doc is held.
 */
import * as Y from 'yjs'
import { DecodeError, NotRunningError } from '../core/errors.js'
import type { Random } from '../core/random.js'
import { SYNC_LIMITS, checkDocName } from './codec.js'
import { hasLoneSurrogate } from '../core/codec.js'
import { terminalSafeJson } from '../core/terminal-safe.js'
import { DocEntry } from './doc-entry.js'
import { InvalidDocNameError, TooManyDocsError } from './errors.js'
import { LOAD_ORIGIN } from './origins.js'
import type { DocStore } from '../core/doc-store.js'
import { MAX_REPLICA_ID } from './version-vector.js'
import type { VersionVector } from './version-vector.js'

export type OpenCallback = (err: Error | null, entry?: DocEntry) => void

const EVICTED = new NotRunningError('the doc was evicted from memory')

export interface RegistryHooks {
  /** Every update of an open doc except replayed history. `origin` is the Yjs transaction origin. */
  onUpdate(entry: DocEntry, update: Uint8Array, origin: unknown, tr: Y.Transaction): void
  /** The doc's history was replayed (`updates` entries; `corrupt` of them failed to apply). */
  onLoaded(entry: DocEntry, updates: number, corrupt: number): void
  onLoadError(entry: DocEntry, err: Error): void
}

/**
 * A replica id (Yjs clientID) for a new doc instance: random, and not one the doc's history already
 * contains, because two instances writing under one id would corrupt each other's clocks. A restart
 * therefore always writes under a new id (NOTES: every restart that writes adds one vector entry).
 */
export function freshReplicaId (random: Random, history: VersionVector): number {
  for (;;) {
    const id = random.int(MAX_REPLICA_ID + 1)
    if (!history.has(id)) return id
  }
}

export interface RegistryOptions {
  /** Docs loaded (or loading) at once; config `maxOpenDocs`. */
  maxOpen?: number
  /** Clock time, for `lastUsed`. */
  now?: () => number
  /** Something outside the registry still needs this doc in memory (a pending flush, say). */
  busy?: (entry: DocEntry) => boolean
}

export class DocRegistry {
  /** Loaded or loading docs, least recently used first (Map insertion order, refreshed by `touch`). */
  private readonly entries = new Map<string, DocEntry>()
  private readonly waiting = new Map<DocEntry, OpenCallback[]>()
  private readonly maxOpen: number
  private readonly now: () => number
  private readonly busy: (entry: DocEntry) => boolean
  /** Docs evicted since start. */
  evictions = 0
  /** Bumped by every load, eviction and update of a loaded doc (what digests of loaded docs derive from). */
  changes = 0

  constructor (
    private readonly store: DocStore,
    private readonly random: Random,
    private readonly hooks: RegistryHooks,
    options: RegistryOptions = {}
  ) {
    this.maxOpen = options.maxOpen ?? Number.POSITIVE_INFINITY
    this.now = options.now ?? (() => 0)
    this.busy = options.busy ?? (() => false)
  }

  /** Marks `entry` used now (and most recently used). */
  touch (entry: DocEntry): void {
    entry.lastUsed = this.now()
    if (this.entries.get(entry.name) === entry) {
      this.entries.delete(entry.name)
      this.entries.set(entry.name, entry)
    }
  }

  /** Whether `entry` could leave memory now without losing anything or breaking a holder. */
  evictable (entry: DocEntry): boolean {
    return entry.ready && !entry.pinned && !entry.compacting && entry.log.idle && !entry.log.failed && !this.busy(entry)
  }

  /** Evicts every evictable doc unused for `idleMs`; returns how many. */
  evictIdle (idleMs: number): number {
    const before = this.now() - idleMs
    let n = 0
    for (const entry of [...this.entries.values()]) {
      if (entry.lastUsed > before) break // LRU order: the rest were used more recently
      if (this.evictable(entry)) {
        this.evict(entry)
        n++
      }
    }
    return n
  }

  /** Evicts `name` now if it is evictable (the app closed it). */
  evictNow (name: string): boolean {
    const entry = this.entries.get(name)
    if (entry === undefined || !this.evictable(entry)) return false
    this.evict(entry)
    return true
  }

  private evict (entry: DocEntry): void {
    this.evictions++
    // Nothing waits on an evictable doc, so the error reaches no one: one instance, no stack per eviction.
    this.close(entry.name, EVICTED)
  }

  get size (): number {
    return this.entries.size
  }

  get (name: string): DocEntry | undefined {
    return this.entries.get(name)
  }

  /** The entry if it is open and loaded. */
  ready (name: string): DocEntry | undefined {
    const e = this.entries.get(name)
    return e?.ready === true ? e : undefined
  }

  readyEntries (): DocEntry[] {
    return [...this.entries.values()].filter(e => e.ready)
  }

  names (): string[] {
    return [...this.entries.keys()]
  }

  /**
   * Opens `name` (once; later calls join the first) and calls back when its history is loaded.
   * @throws InvalidDocNameError synchronously for a name the wire cannot carry.
   * @throws TooManyDocsError synchronously if `name` is not open and `maxOpen` docs are.
   */
  open (name: string, cb: OpenCallback): DocEntry {
    assertDocName(name)
    const existing = this.entries.get(name)
    if (existing !== undefined) {
      this.touch(existing)
      if (existing.ready) cb(null, existing)
      else this.waiting.get(existing)?.push(cb)
      return existing
    }
    if (this.entries.size >= this.maxOpen && !this.evictOne()) {
      throw new TooManyDocsError(`${this.entries.size} docs are loaded and in use (maxOpenDocs); "${name}" was not opened`)
    }
    const entry = new DocEntry(name, this.store)
    entry.lastUsed = this.now()
    this.entries.set(name, entry)
    this.waiting.set(entry, [cb])
    entry.doc.on('update', (update: Uint8Array, origin: unknown, _doc: Y.Doc, tr: Y.Transaction) => {
      entry.changed(tr)
      this.changes++
      if (origin === LOAD_ORIGIN || entry.state === 'closed') return
      this.hooks.onUpdate(entry, update, origin, tr)
    })
    this.store.load(name, (err, updates) => { this.loaded(entry, err, updates ?? []) })
    return entry
  }

  /** Stops replicating `name`: its doc is destroyed, pending opens and durability waits fail with `err`. */
  close (name: string, err: Error): void {
    const entry = this.entries.get(name)
    if (entry === undefined) return
    this.changes++
    this.entries.delete(name)
    this.finish(entry, err)
    entry.state = 'closed'
    entry.log.close(err)
    entry.doc.destroy()
  }

  /** Evicts the least recently used evictable doc, if there is one. */
  private evictOne (): boolean {
    for (const entry of this.entries.values()) {
      if (this.evictable(entry)) {
        this.evict(entry)
        return true
      }
    }
    return false
  }

  closeAll (err: Error): void {
    for (const name of [...this.entries.keys()]) this.close(name, err)
  }

  private loaded (entry: DocEntry, err: Error | null, updates: Uint8Array[]): void {
    if (entry.state !== 'loading') return
    if (err !== null) {
      this.entries.delete(entry.name)
      entry.state = 'closed'
      entry.log.close(err)
      entry.doc.destroy()
      this.hooks.onLoadError(entry, err)
      this.finish(entry, err)
      return
    }
    let corrupt = 0
    entry.stateBytes = updates.reduce((n, u) => n + u.byteLength, 0)
    // One transaction: one update event (ignored: LOAD_ORIGIN), one digest recomputation later.
    entry.doc.transact(() => {
      for (const u of updates) {
        try {
          Y.applyUpdate(entry.doc, u, LOAD_ORIGIN)
        } catch {
          corrupt++
        }
      }
    }, LOAD_ORIGIN)
    entry.doc.clientID = freshReplicaId(this.random, entry.vector())
    entry.state = 'ready'
    this.changes++
    this.hooks.onLoaded(entry, updates.length, corrupt)
    this.finish(entry, null)
  }

  private finish (entry: DocEntry, err: Error | null): void {
    const callbacks = this.waiting.get(entry) ?? []
    this.waiting.delete(entry)
    for (const cb of callbacks) {
      if (err === null) cb(null, entry)
      else cb(err)
    }
  }
}

/** @throws InvalidDocNameError unless `name` is a document name the wire can carry. */
export function assertDocName (name: string): void {
  const problem = docNameProblem(name)
  if (problem !== undefined) throw new InvalidDocNameError(problem)
  try {
    checkDocName(name, 'name')
  } catch (err) {
    throw new InvalidDocNameError(err instanceof DecodeError ? err.message : String(err))
  }
}

/**
 * Why `name` cannot name a doc, said for a person: the wire codec's own words ("name: 300 chars exceeds
 * 256", "name: control character in document name") reached HTTP clients and library callers as they were.
 * A value that is no string at all (a JavaScript caller's number) passed the codec's checks.
 */
function docNameProblem (name: unknown): string | undefined {
  if (typeof name !== 'string') return `a doc name is a string, not ${name === null ? 'null' : typeof name}`
  if (name.length === 0) return 'a doc name cannot be empty'
  const max = SYNC_LIMITS.docNameChars
  if (name.length > max) return `a doc name has at most ${max} characters; this one has ${name.length}`
  const control = CONTROL_CHAR.exec(name)
  if (control !== null) return `doc name ${terminalSafeJson(name.slice(0, 80))} holds a control character at character ${control.index + 1}`
  if (hasLoneSurrogate(name)) return `doc name ${terminalSafeJson(name.slice(0, 80))} is not valid Unicode (a lone surrogate)`
  return undefined
}

const CONTROL_CHAR = /[\u0000-\u001f\u007f]/
