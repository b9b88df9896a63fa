/**
 * Every doc this peer holds, loaded or not: its name, its durable digest (the digest of what the store
 * has acknowledged, from the meta written with each append — doc-meta.ts), whether it is a tombstone and
 * its approximate size. Filled from the store's list at start, updated as appends and compactions complete.
 * What the anti-entropy summaries, placement scans and `GET /docs` read, so none of them loads a doc.
 *
 * Bounded by `maxDocs` (config): the replicator refuses to create a doc past it.
 */
import type { StoredDoc } from '../core/doc-store.js'
import { decodeDocMeta } from './doc-meta.js'
import type { DocMeta } from './doc-meta.js'
import { hashName } from './placement.js'

export interface CatalogEntry {
  readonly name: string
  /** The meta of the durable state; undefined until known (a doc persisted without a meta is read once). */
  meta: DocMeta | undefined
}

/** The 32-bit hash a compact handoff page names a doc by (anti-entropy.ts). */
export function nameHash (name: string): number {
  return hashName(name)[0]
}

export class DocCatalog {
  private readonly docs = new Map<string, CatalogEntry>()
  /** Names by `nameHash`: one name, or the few that share a hash. */
  private readonly byHash = new Map<number, string | string[]>()
  /** Bumped by every change, so derived summaries can be cached until the next one. */
  version = 0

  get size (): number {
    return this.docs.size
  }

  get (name: string): CatalogEntry | undefined {
    return this.docs.get(name)
  }

  has (name: string): boolean {
    return this.docs.has(name)
  }

  values (): IterableIterator<CatalogEntry> {
    return this.docs.values()
  }

  /** Adds what the store listed. Returns the names whose meta was missing or unreadable (to be read once). */
  addListed (stored: readonly StoredDoc[]): string[] {
    const unknown: string[] = []
    for (const { name, meta } of stored) {
      if (this.docs.has(name)) continue // noted since start: newer than the list
      const decoded = decodeDocMeta(meta)
      this.set(name, decoded)
      if (decoded === undefined) unknown.push(name)
    }
    return unknown
  }

  /** An append or compaction of `name` carrying `meta` completed: that is what the store holds now. */
  noteDurable (name: string, meta: DocMeta | undefined): void {
    this.set(name, meta)
  }

  /** The one doc held here whose `nameHash` is `hash`; undefined if none or several. */
  byNameHash (hash: number): string | undefined {
    const named = this.byHash.get(hash)
    return typeof named === 'string' ? named : undefined
  }

  remove (name: string): void {
    if (!this.docs.delete(name)) return
    this.version++
    const hash = nameHash(name)
    const named = this.byHash.get(hash)
    if (typeof named === 'string' || named === undefined) {
      this.byHash.delete(hash)
      return
    }
    const rest = named.filter(n => n !== name)
    this.byHash.set(hash, rest.length === 1 ? rest[0] as string : rest)
  }

  private set (name: string, meta: DocMeta | undefined): void {
    let entry = this.docs.get(name)
    if (entry === undefined) {
      entry = { name, meta: undefined }
      this.docs.set(name, entry)
      const hash = nameHash(name)
      const named = this.byHash.get(hash)
      this.byHash.set(hash, named === undefined ? name : typeof named === 'string' ? [named, name] : [...named, name])
    }
    if (meta !== undefined) entry.meta = meta
    this.version++
  }
}
