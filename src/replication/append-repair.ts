/**
 * Repairing lost appends by appending the lost updates again. A failed append leaves the doc's history
 * not durable (durable-log.ts) until something supersedes the failure; a compaction does, but it rewrites
 * the whole doc — on a disk that just ran full, a multi-megabyte doc may not fit although the update that
 * was lost (and everything else the writes need) does, and every write to the doc stays refused. So the
 * lost updates are kept (bounded) and appended again once the store is healthy; a compaction remains the
 * fallback when they were too many or too big to keep.
 *
 * Order does not matter: Yjs integrates an update whose dependencies come later once they arrive (on load,
 * all persisted updates are applied in one transaction), and applying one twice changes nothing.
 */
import type { Clock, Timer } from '../core/clock.js'
import type { DocEntry, EncodedMeta } from './doc-entry.js'

/** Lost updates kept per doc, and their bytes; beyond either the doc is repaired by a compaction instead. */
export const MAX_LOST_UPDATES = 256
export const MAX_LOST_BYTES = 16 * 1024 * 1024
/** A repair is tried this long after an append failed (a burst of failures becomes one repair). */
export const REPAIR_DELAY_MS = 1_000

interface Lost {
  updates: Uint8Array[]
  bytes: number
  /** Some lost update was not kept: only a compaction can repair the doc. */
  overflow: boolean
}

export interface AppendRepairOptions {
  clock: Clock
  /** Repairs `entry` now (the replicator decides between re-appending and compacting). */
  repair: (entry: DocEntry) => void
  /**
   * Every lost update of `entry` is in the store again, which holds the doc as `meta` says: the catalog
   * learns the new digest and the updates go to the doc's homes, as a successful append's would have.
   */
  repaired: (entry: DocEntry, updates: readonly Uint8Array[], meta: EncodedMeta) => void
}

export class AppendRepair {
  private readonly lost = new Map<DocEntry, Lost>()
  private readonly timers = new Map<DocEntry, Timer>()

  constructor (private readonly o: AppendRepairOptions) {}

  /** An append of `update` to `entry` failed: keep it to append again, and repair soon. */
  failed (entry: DocEntry, update: Uint8Array): void {
    const lost = this.lost.get(entry) ?? { updates: [], bytes: 0, overflow: false }
    this.lost.set(entry, lost)
    if (!lost.overflow && lost.updates.length < MAX_LOST_UPDATES && lost.bytes + update.byteLength <= MAX_LOST_BYTES) {
      lost.updates.push(update)
      lost.bytes += update.byteLength
    } else {
      lost.overflow = true
      lost.updates = []
      lost.bytes = 0
    }
    this.soon(entry)
  }

  /** Tries `repair(entry)` after REPAIR_DELAY_MS (once, however many failures came meanwhile). */
  soon (entry: DocEntry): void {
    if (this.timers.has(entry)) return
    this.timers.set(entry, this.o.clock.setTimeout(() => {
      this.timers.delete(entry)
      this.o.repair(entry)
    }, REPAIR_DELAY_MS))
  }

  /**
   * Appends again what `entry` lost, if it kept all of it (false: compact instead). Only with no append
   * of the doc in flight: then every failure the log remembers is one whose update is kept here, so once
   * they all succeed the history up to here is durable again.
   */
  reappend (entry: DocEntry): boolean {
    const lost = this.lost.get(entry)
    if (lost === undefined || lost.overflow || !entry.log.idle) return false
    this.lost.delete(entry)
    const position = entry.log.position
    let pending = lost.updates.length
    let ok = true
    // The doc's meta with the last one: once it succeeds, the store holds the doc as it is now.
    const meta = entry.metaNow()
    lost.updates.forEach((update, i) => {
      entry.log.append(update, i === lost.updates.length - 1 ? meta.bytes : undefined, (err) => {
        if (err !== null) {
          ok = false
          this.failed(entry, update)
        }
        if (--pending === 0 && ok) {
          entry.log.compacted(position)
          this.o.repaired(entry, lost.updates, meta)
        }
      })
    })
    return true
  }

  /** `entry` left memory or was compacted: nothing of it is kept any more. */
  forget (entry: DocEntry): void {
    this.lost.delete(entry)
    this.timers.get(entry)?.cancel()
    this.timers.delete(entry)
  }

  clear (): void {
    for (const t of this.timers.values()) t.cancel()
    this.timers.clear()
    this.lost.clear()
  }
}
