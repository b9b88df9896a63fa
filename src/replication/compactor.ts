/**
 * Periodic compaction: once a doc's store has accumulated enough updates or bytes since its last
 * compaction, replace its history with one re-encoded state (`encodeStateAsUpdate`, NOTES: ~20× smaller
 * than the individual updates and ~10× smaller than mergeUpdates), without what Yjs holds pending (never
 * persisted as applied; doc-entry.ts `withoutPending`). Only when no append of the doc is in flight, so the
 * compacted state covers every update the store was given. A failed append is repaired the same way, soon.
 */
import type { Clock, Timer } from '../core/clock.js'
import type { ReplicationConfig } from './config.js'
import type { DocEntry, EncodedMeta } from './doc-entry.js'
import type { DocRegistry } from './doc-registry.js'
import type { ReplicatorCounters } from './stats.js'
import type { DocStore } from '../core/doc-store.js'

/**
 * A failed append is repaired by a compaction this long after it (not at the next periodic check, up to
 * compactIntervalMs later: until then every write of the doc is refused as not durable). Batches a burst
 * of failures into one compaction; a disk that keeps failing costs at most one attempt per doc per delay.
 */
const REPAIR_DELAY_MS = 1_000

export interface CompactorOptions {
  store: DocStore
  clock: Clock
  registry: DocRegistry
  config: ReplicationConfig
  counters: ReplicatorCounters
  onCompacted(entry: DocEntry, bytes: number, meta: EncodedMeta): void
  onError(entry: DocEntry, err: Error): void
}

export class Compactor {
  private readonly repairs = new Map<DocEntry, Timer>()

  constructor (private readonly o: CompactorOptions) {}

  /** An append of `entry` failed: compact it soon, so that its whole state supersedes the lost update. */
  repairSoon (entry: DocEntry): void {
    if (this.repairs.has(entry)) return
    this.repairs.set(entry, this.o.clock.setTimeout(() => {
      this.repairs.delete(entry)
      this.maybeCompact(entry) // not idle yet: the periodic check repairs it
    }, REPAIR_DELAY_MS))
  }

  /** Compacts `entry` soon, whatever its pending counts (its size estimate needs folding). */
  compactSoon (entry: DocEntry): void {
    if (this.repairs.has(entry)) return
    this.repairs.set(entry, this.o.clock.setTimeout(() => {
      this.repairs.delete(entry)
      this.maybeCompact(entry, true)
    }, 0))
  }

  clear (): void {
    for (const t of this.repairs.values()) t.cancel()
    this.repairs.clear()
  }

  run (): void {
    for (const entry of this.o.registry.readyEntries()) this.maybeCompact(entry)
  }

  maybeCompact (entry: DocEntry, force = false): void {
    if (entry.compacting || !entry.ready || !entry.log.idle) return
    const pending = this.o.store.pending(entry.name)
    // A failed append is repaired by compacting: the state written includes the update the store lost.
    const due = force || pending.updates >= this.o.config.compactMinUpdates || pending.bytes >= this.o.config.compactMinBytes
    if (!entry.log.failed && (!due || pending.updates < 2)) return
    entry.compacting = true
    const position = entry.log.position
    const state = entry.encodeState()
    const meta = entry.metaNow(state.byteLength)
    const bytesBefore = entry.stateBytes
    this.o.store.compact(entry.name, state, meta.bytes, (err) => {
      entry.compacting = false
      if (err !== null) {
        this.o.onError(entry, err) // counted there (storeErrors), once
        return
      }
      entry.log.compacted(position)
      // The state replaced what was persisted before; updates appended since still count on top.
      entry.stateBytes = state.byteLength + Math.max(0, entry.stateBytes - bytesBefore)
      this.o.counters.compactions++
      this.o.onCompacted(entry, state.byteLength, meta)
    })
  }
}
