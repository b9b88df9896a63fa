/**
 * Group commit: one FIFO of pending writes, at most one batch on the disk at a time. Entries queued while
 * a batch is being synced (or in the same event-loop turn, before the first one starts) go into the next
 * batch together, so N concurrent writes cost a handful of fsyncs instead of N — the classic WAL group
 * commit (as in LevelDB's own writer queue, which classic-level cannot exploit because every JS call is a
 * separate native job).
 *
 * Order: entries are written and called back strictly in enqueue order, and an entry is called back only
 * after the whole batch holding it resolved (durable) or failed (every entry of a failed batch gets the
 * error). An entry with no ops is a barrier: it is called back after everything queued before it settled,
 * which is how reads see every earlier write.
 */
import { Histogram } from '../core/histogram.js'
import type { HistogramSnapshot } from '../core/histogram.js'

export interface QueueEntry<Op> {
  readonly ops: readonly Op[]
  /** Counted against the batch and queue byte limits. */
  readonly bytes: number
  /** Called exactly once, after the batch that holds the entry settled. Must not throw (it is guarded). */
  readonly done: (err: Error | null) => void
}

export interface GroupCommitLimits {
  maxBatchBytes: number
  maxBatchEntries: number
  maxQueuedBytes: number
  maxQueuedEntries: number
}

export interface GroupCommitStats {
  /** Batches handed to the disk (barrier-only groups do not count). */
  batches: number
  /** Entries that were part of a written batch. */
  entriesWritten: number
  /** The most entries one batch held. */
  largestBatch: number
  /** Batches that failed (every entry in them got the error). */
  failedBatches: number
  queuedEntries: number
  queuedBytes: number
  writing: boolean
  /** How long each batch took to become durable on disk (the write with sync: the fsync latency), ms. */
  batchWriteMs: HistogramSnapshot
}

export class GroupCommitQueue<Op> {
  private queue: Array<QueueEntry<Op>> = []
  private queuedBytes = 0
  private writing = false
  private scheduled = false
  private idleWaiters: Array<() => void> = []
  private readonly counters = { batches: 0, entriesWritten: 0, largestBatch: 0, failedBatches: 0 }
  private readonly batchWriteMs = new Histogram()

  constructor (
    private readonly write: (ops: Op[]) => Promise<void>,
    private readonly limits: GroupCommitLimits,
    /** Told about a `done` callback that threw; the queue carries on. */
    private readonly onCallbackError: (err: unknown) => void,
    /**
     * Defers the first flush of an idle queue. setImmediate (not a microtask) also gathers writes made by
     * other I/O callbacks of the same poll phase, e.g. several inbound sync frames, for ~µs of latency.
     */
    private readonly schedule: (fn: () => void) => void = setImmediate
  ) {}

  /** Queues `entry`; false (and nothing queued) when the queue is at its entry or byte limit. */
  enqueue (entry: QueueEntry<Op>): boolean {
    if (this.queue.length >= this.limits.maxQueuedEntries) return false
    if (this.queuedBytes + entry.bytes > this.limits.maxQueuedBytes) return false
    this.queue.push(entry)
    this.queuedBytes += entry.bytes
    if (!this.writing && !this.scheduled) {
      this.scheduled = true
      this.schedule(() => { this.flush() })
    }
    return true
  }

  /** True when nothing is queued or being written. */
  get idle (): boolean {
    return !this.writing && this.queue.length === 0
  }

  /** Resolves once the queue is idle (everything queued so far settled). Callers bound it with a timeout. */
  whenIdle (): Promise<void> {
    if (this.idle) return Promise.resolve()
    return new Promise(resolve => { this.idleWaiters.push(resolve) })
  }

  /** Fails every entry not yet handed to the disk with `err`; the batch being written is left to finish. */
  abortQueued (err: Error): number {
    const aborted = this.queue
    this.queue = []
    this.queuedBytes = 0
    for (const entry of aborted) this.callBack(entry, err)
    this.notifyIfIdle()
    return aborted.length
  }

  stats (): GroupCommitStats {
    return { ...this.counters, queuedEntries: this.queue.length, queuedBytes: this.queuedBytes, writing: this.writing, batchWriteMs: this.batchWriteMs.snapshot() }
  }

  private flush (): void {
    this.scheduled = false
    if (this.writing || this.queue.length === 0) {
      this.notifyIfIdle()
      return
    }
    const batch = this.takeBatch()
    const ops: Op[] = []
    for (const entry of batch) ops.push(...entry.ops)
    this.writing = true
    if (ops.length > 0) {
      this.counters.batches++
      this.counters.entriesWritten += batch.length
      this.counters.largestBatch = Math.max(this.counters.largestBatch, batch.length)
    }
    const started = performance.now()
    const written = ops.length > 0 ? this.write(ops) : Promise.resolve()
    written.then(() => {
      if (ops.length > 0) this.batchWriteMs.observe(performance.now() - started)
      this.settle(batch, null)
    }, (err: unknown) => {
      this.counters.failedBatches++
      this.settle(batch, err instanceof Error ? err : new Error(String(err)))
    })
  }

  /** The longest prefix of the queue within the batch limits, and always at least one entry. */
  private takeBatch (): Array<QueueEntry<Op>> {
    let count = 0
    let bytes = 0
    for (const entry of this.queue) {
      if (count >= this.limits.maxBatchEntries) break
      if (count > 0 && bytes + entry.bytes > this.limits.maxBatchBytes) break
      count++
      bytes += entry.bytes
    }
    this.queuedBytes -= bytes
    return this.queue.splice(0, count)
  }

  private settle (batch: Array<QueueEntry<Op>>, err: Error | null): void {
    // Still "writing" while calling back: entries queued by the callbacks join the next batch below
    // instead of scheduling a flush of their own.
    for (const entry of batch) this.callBack(entry, err)
    this.writing = false
    if (this.queue.length > 0) this.flush()
    else this.notifyIfIdle()
  }

  private callBack (entry: QueueEntry<Op>, err: Error | null): void {
    try {
      entry.done(err)
    } catch (cbErr) {
      this.onCallbackError(cbErr)
    }
  }

  private notifyIfIdle (): void {
    if (!this.idle || this.idleWaiters.length === 0) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}
