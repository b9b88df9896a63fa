/**
 * Periodic compaction: once a doc's store has accumulated enough updates or bytes since its last
 * compaction, replace its history with one re-encoded state (`encodeStateAsUpdate`, NOTES: ~20× smaller
 * than the individual updates and ~10× smaller than mergeUpdates). Only when no append of the doc is in
 * flight, so the compacted state covers every update the store was given.
 */
import * as Y from 'yjs'
import type { ReplicationConfig } from './config.js'
import type { DocEntry } from './doc-entry.js'
import type { DocRegistry } from './doc-registry.js'
import type { ReplicatorCounters } from './stats.js'
import type { DocStore } from './storage.js'

export interface CompactorOptions {
  store: DocStore
  registry: DocRegistry
  config: ReplicationConfig
  counters: ReplicatorCounters
  onCompacted(entry: DocEntry, bytes: number): void
  onError(entry: DocEntry, err: Error): void
}

export class Compactor {
  constructor (private readonly o: CompactorOptions) {}

  run (): void {
    for (const entry of this.o.registry.readyEntries()) this.maybeCompact(entry)
  }

  maybeCompact (entry: DocEntry): void {
    if (entry.compacting || !entry.ready || !entry.log.idle) return
    const pending = this.o.store.pending(entry.name)
    // A failed append is repaired by compacting: the state written includes the update the store lost.
    const due = pending.updates >= this.o.config.compactMinUpdates || pending.bytes >= this.o.config.compactMinBytes
    if (!entry.log.failed && (!due || pending.updates < 2)) return
    entry.compacting = true
    const position = entry.log.position
    const state = Y.encodeStateAsUpdate(entry.doc)
    this.o.store.compact(entry.name, state, (err) => {
      entry.compacting = false
      if (err !== null) {
        this.o.counters.storeErrors++
        this.o.onError(entry, err)
        return
      }
      entry.log.compacted(position)
      this.o.counters.compactions++
      this.o.onCompacted(entry, state.byteLength)
    })
  }
}
