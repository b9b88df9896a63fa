/**
 * Forgets idempotency records whose window has passed, and folds keyed counter increments into this
 * peer's slots (idempotency.ts says when and why). Runs periodically over the loaded docs, and on a doc
 * whose writer reached its count limit; each sweep that changes something is one local transaction, so it
 * is persisted and replicated like any write. Skipped while the store is failing (it could not be
 * persisted) and for docs not in memory (they are swept when next loaded and written).
 */
import type { DocStore } from '../core/doc-store.js'
import type { ReplicationConfig } from './config.js'
import type { DocEntry } from './doc-entry.js'
import type { DocRegistry } from './doc-registry.js'
import { applyForget, isEmptyPlan, planForget } from './idempotency.js'
import { OPS_ARRAY, opIndexOf } from './op-records.js'
import type { ReplicatorCounters } from './stats.js'

/** The origin of a sweep's transaction: local (persisted and pushed like a write), not the app's. */
export const SWEEP_ORIGIN: unique symbol = Symbol('murmur.replication.sweep')

export interface OpSweeperOptions {
  registry: DocRegistry
  store: DocStore
  config: ReplicationConfig
  counters: ReplicatorCounters
  peerId: string
  selfTag: string
  /** Wall-clock ms since the epoch (records are compared across peers and restarts). */
  wallTime: () => number
}

/** Sweep period: a quarter of the window, between 1 s and 1 min. */
export function sweepIntervalMs (windowMs: number): number {
  return Math.min(60_000, Math.max(1_000, Math.floor(windowMs / 4)))
}

export class OpSweeper {
  constructor (private readonly o: OpSweeperOptions) {}

  run (): void {
    for (const entry of this.o.registry.readyEntries()) this.sweep(entry)
  }

  /**
   * Sweeps one doc now; `room`: own records to make room for beyond the limit (a write about to record
   * one more, in its own transaction).
   */
  sweep (entry: DocEntry, room = 0): void {
    if (!entry.ready || entry.log.failed || this.o.store.health().state !== 'ok') return
    const type = entry.doc.share.get(OPS_ARRAY)
    if (type === undefined || type._length === 0) return
    const index = opIndexOf(entry.doc)
    const plan = planForget(index, {
      selfTag: this.o.selfTag,
      now: this.o.wallTime(),
      windowMs: this.o.config.idempotencyWindowMs,
      maxKeys: this.o.config.maxIdempotencyKeys - room
    })
    if (isEmptyPlan(plan)) return
    entry.doc.transact(() => { applyForget(entry.doc, index, plan, this.o.peerId) }, SWEEP_ORIGIN)
    this.o.counters.opsForgotten += plan.forget.size
    for (const r of plan.forget) if (r.d !== undefined) this.o.counters.opsFolded++
  }
}
