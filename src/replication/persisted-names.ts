/**
 * Names of the docs with persisted state, known without opening them: the store's list, read once at
 * start, plus every doc persisted since (an append or a compaction that succeeded). What lets a reader tell
 * a doc that exists from a name it would create by opening it, and what a peer re-opens at start-up.
 * Bounded by the store: every name here is (or was, before a delete the store does not offer) in it.
 */
import type { DocStore, StoreCallback } from '../core/doc-store.js'

export class PersistedNames {
  private readonly names = new Set<string>()

  constructor (private readonly store: DocStore) {}

  has (name: string): boolean {
    return this.names.has(name)
  }

  add (name: string): void {
    this.names.add(name)
  }

  /** Reads the store's list (remembering it) and calls back with it, sorted. */
  read (cb: StoreCallback<string[]>): void {
    this.store.listDocs((err, names) => {
      if (err !== null) {
        cb(err)
        return
      }
      for (const name of names ?? []) this.names.add(name)
      cb(null, [...names ?? []].sort())
    })
  }
}
