/**
 * PresenceTable: the awareness states this peer knows, per doc — its own clients' and other peers'
 * clients' — with y-protocols' rules and no I/O, no clock of its own (callers pass `now`).
 *
 * Rules (y-protocols awareness.js, `applyAwarenessUpdate`): an entry replaces the one held for its client
 * when its clock is higher, or when the clock is equal and it removes a state that is present. A removal
 * keeps its clock as a tombstone so that an older state arriving late cannot bring the client back; the
 * tombstone is forgotten after the outdated timeout. Two additions for a mesh of servers:
 *   - every entry has an owner: the peer its client is connected to (this peer for our own clients). An
 *     equal-clock refresh from the owner marks the entry as fresh (the owner is the authority on whether
 *     its client is still there; remote entries are only expired when their owner falls silent);
 *   - when an owner goes away (a peer dead or left, or a peer saying bye for a doc) its entries are
 *     dropped outright, without tombstones, so that its refresh after a heal is taken at once.
 */
import type { PeerId } from '../core/transport.js'
import type { AwarenessEntry } from './codec.js'

/** An accepted change, as it is passed on to clients and peers. */
export interface PresenceChange extends AwarenessEntry {
  readonly owner: PeerId
}

export interface StoredEntry {
  clock: number
  /** JSON text, or null for a tombstone. */
  state: string | null
  owner: PeerId
  updatedAt: number
}

export interface PresenceTableLimits {
  /** Docs with entries. */
  maxDocs: number
  /** Entries (tombstones included) per doc. */
  maxEntriesPerDoc: number
}

export interface ApplyResult {
  changes: PresenceChange[]
  /** Entries refused because a limit was reached. */
  refused: number
}

export class PresenceTable {
  private readonly docs = new Map<string, Map<number, StoredEntry>>()

  constructor (private readonly limits: PresenceTableLimits) {}

  /** Applies entries from `owner`; returns the ones that changed something visible to clients. */
  apply (doc: string, owner: PeerId, entries: readonly AwarenessEntry[], now: number): ApplyResult {
    const changes: PresenceChange[] = []
    let refused = 0
    let table = this.docs.get(doc)
    for (const e of entries) {
      const current = table?.get(e.clientId)
      const currentClock = current?.clock ?? 0
      if (current !== undefined && e.clock === currentClock && current.owner === owner && e.state !== null && current.state !== null) {
        current.updatedAt = now // a refresh: same state, still there
        continue
      }
      const newer = currentClock < e.clock
      const removesPresent = e.clock === currentClock && e.state === null && current !== undefined && current.state !== null
      if (!newer && !removesPresent) continue
      if (current === undefined) {
        if (table === undefined) {
          if (this.docs.size >= this.limits.maxDocs) { refused++; continue }
          table = new Map()
          this.docs.set(doc, table)
        }
        if (table.size >= this.limits.maxEntriesPerDoc) { refused++; continue }
        table.set(e.clientId, { clock: e.clock, state: e.state, owner, updatedAt: now })
        if (e.state === null) continue // a tombstone for a client nobody showed: nothing visible changed
      } else {
        const visible = current.state !== null || e.state !== null
        current.clock = e.clock
        current.state = e.state
        current.owner = owner
        current.updatedAt = now
        if (!visible) continue
      }
      changes.push({ clientId: e.clientId, clock: e.clock, state: e.state, owner })
    }
    return { changes, refused }
  }

  /**
   * Removes `owner`'s entries (of one doc, or of every doc): no tombstones, so the owner's states are
   * taken again as soon as it sends them. Returns the removals clients must be told about, per doc.
   */
  dropOwner (owner: PeerId, doc?: string): Map<string, PresenceChange[]> {
    const out = new Map<string, PresenceChange[]>()
    const docs = doc === undefined ? [...this.docs.keys()] : [doc]
    for (const name of docs) {
      const table = this.docs.get(name)
      if (table === undefined) continue
      const removed: PresenceChange[] = []
      for (const [clientId, e] of table) {
        if (e.owner !== owner) continue
        table.delete(clientId)
        if (e.state !== null) removed.push({ clientId, clock: e.clock, state: null, owner })
      }
      if (table.size === 0) this.docs.delete(name)
      if (removed.length > 0) out.set(name, removed)
    }
    return out
  }

  /** Forgets a doc entirely (no local interest left). */
  dropDoc (doc: string): void {
    this.docs.delete(doc)
  }

  /**
   * Removes states not refreshed within `timeoutMs` (y-protocols' outdatedTimeout: clients renew every
   * 15 s, so 30 s without news means the client or its connection is gone) and forgets tombstones as old.
   * Returns the removals, per doc.
   */
  expire (now: number, timeoutMs: number): Map<string, PresenceChange[]> {
    const out = new Map<string, PresenceChange[]>()
    for (const [name, table] of this.docs) {
      const removed: PresenceChange[] = []
      for (const [clientId, e] of table) {
        if (now - e.updatedAt < timeoutMs) continue
        if (e.state === null) {
          table.delete(clientId)
          continue
        }
        // Keep a tombstone with the same clock: the removal is passed on as (clock, null), as y-protocols does.
        e.state = null
        e.updatedAt = now
        removed.push({ clientId, clock: e.clock, state: null, owner: e.owner })
      }
      if (table.size === 0) this.docs.delete(name)
      if (removed.length > 0) out.set(name, removed)
    }
    return out
  }

  /** The entry held for a client (tombstones included). */
  get (doc: string, clientId: number): Readonly<StoredEntry> | undefined {
    return this.docs.get(doc)?.get(clientId)
  }

  /** Present states of `doc` (no tombstones), optionally only `owner`'s. */
  states (doc: string, owner?: PeerId): Array<Readonly<StoredEntry> & { clientId: number }> {
    const table = this.docs.get(doc)
    if (table === undefined) return []
    const out: Array<StoredEntry & { clientId: number }> = []
    for (const [clientId, e] of table) {
      if (e.state !== null && (owner === undefined || e.owner === owner)) out.push({ clientId, ...e })
    }
    return out
  }

  /** Docs with at least one entry. */
  docNames (): string[] {
    return [...this.docs.keys()]
  }

  get size (): number {
    let n = 0
    for (const t of this.docs.values()) n += t.size
    return n
  }
}
