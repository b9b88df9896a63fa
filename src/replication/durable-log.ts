/**
 * The durability tracker of one doc: numbers every append to the store and answers "is everything up to
 * here durable?" from the store's callbacks, without promises (the simulator's loop is synchronous).
 *
 * A write is acknowledged, a flush request answered and a local update pushed only from here, i.e. only
 * after the store's callback: that is what makes "no acknowledged write lost" hold across crashes.
 *
 * "Durable" covers the doc's whole history, not just one update: a Yjs update may depend on an earlier
 * one (it edits an item the earlier one inserted), so if any earlier append failed, a later write is not
 * recoverable after a restart either. Failures are therefore remembered until a compaction, which persists
 * the whole in-memory doc, supersedes them.
 */
import { NotRunningError } from '../core/errors.js'
import type { DocStore } from '../core/doc-store.js'

export type DurableCallback = (err: Error | null) => void

interface Waiter {
  to: number
  cb: DurableCallback
}

interface Failure {
  seq: number
  err: Error
}

/** Failed appends remembered individually; beyond this they collapse into one conservative range. */
const MAX_REMEMBERED_FAILURES = 256

export class DurableLog {
  private issued = 0
  private done = 0
  private readonly waiters: Waiter[] = []
  /** Appends the store failed since the last compaction that covered them, ascending. */
  private failures: Failure[] = []
  /** Failures beyond MAX_REMEMBERED_FAILURES: treated as if every append in [min, max] failed. */
  private overflow: { min: number, max: number, err: Error } | undefined
  private closedWith: Error | undefined

  constructor (private readonly store: DocStore, readonly doc: string) {}

  /** Sequence number of the last append issued. */
  get position (): number {
    return this.issued
  }

  /** Whether every append issued has completed. */
  get idle (): boolean {
    return this.done === this.issued
  }

  /** Whether a failed append is not yet superseded by a compaction (a compaction would repair it). */
  get failed (): boolean {
    return this.failures.length > 0 || this.overflow !== undefined
  }

  /**
   * Appends `update` (with the doc's `meta` as of now, written in the same batch); `onDone` runs once the
   * store called back (after earlier appends of this doc).
   */
  append (update: Uint8Array, meta: Uint8Array | undefined, onDone?: DurableCallback): number {
    const seq = ++this.issued
    if (this.closedWith !== undefined) {
      this.complete(seq, this.closedWith, onDone)
      return seq
    }
    this.store.append(this.doc, update, meta, (err) => { this.complete(seq, err, onDone) })
    return seq
  }

  /**
   * Calls `cb` once every append issued so far has completed: with null if the doc's history up to here is
   * durable, else with the error of the first failed append not yet superseded by a compaction.
   */
  whenDurable (cb: DurableCallback): void {
    const waiter = { to: this.issued, cb }
    if (this.done >= waiter.to || this.closedWith !== undefined) {
      this.settle(waiter)
      return
    }
    this.waiters.push(waiter)
  }

  /** A compaction issued at `position` persisted the whole doc as it was then: failures up to there are moot. */
  compacted (position: number): void {
    this.failures = this.failures.filter(f => f.seq > position)
    if (this.overflow !== undefined) {
      if (this.overflow.max <= position) this.overflow = undefined
      else this.overflow.min = Math.max(this.overflow.min, position + 1)
    }
  }

  /** Fails every waiter (and future appends' callbacks) with `err`, e.g. on stop or close. */
  close (err: Error = new NotRunningError('replication stopped')): void {
    if (this.closedWith !== undefined) return
    this.closedWith = err
    for (const w of this.waiters.splice(0)) w.cb(err)
  }

  private complete (seq: number, err: Error | null, onDone?: DurableCallback): void {
    // The store completes appends of one doc in order; max() keeps us monotonic even if one does not.
    this.done = Math.max(this.done, seq)
    if (err !== null) this.remember(seq, err)
    onDone?.(err)
    if (this.closedWith !== undefined) return
    while (this.waiters.length > 0 && (this.waiters[0] as Waiter).to <= this.done) {
      this.settle(this.waiters.shift() as Waiter)
    }
  }

  private remember (seq: number, err: Error): void {
    if (this.failures.length < MAX_REMEMBERED_FAILURES) {
      this.failures.push({ seq, err })
      return
    }
    if (this.overflow === undefined) this.overflow = { min: seq, max: seq, err }
    else this.overflow.max = Math.max(this.overflow.max, seq)
  }

  private firstFailure (): Failure | undefined {
    const listed = this.failures[0]
    if (this.overflow === undefined) return listed
    if (listed !== undefined && listed.seq < this.overflow.min) return listed
    return { seq: this.overflow.min, err: this.overflow.err }
  }

  private settle (w: Waiter): void {
    if (this.closedWith !== undefined && this.done < w.to) {
      w.cb(this.closedWith)
      return
    }
    const failed = this.firstFailure()
    w.cb(failed !== undefined && failed.seq <= w.to ? failed.err : null)
  }
}
