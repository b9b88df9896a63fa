/**
 * An in-memory DocStore for the simulator and tests. It stands for the disk: the simulation harness keeps
 * one instance per node across crash/restart, so a restarted node finds exactly what the store had
 * acknowledged before the crash.
 *
 * With a clock and `latencyMs`, each operation completes that long after the previous operation on the same
 * doc (a queue per doc, like an fsync'ing append-only file): the data changes and the callback runs at
 * completion. On a simulated node, a crash voids the clock's pending timers, so operations still in flight
 * are lost, like writes that never reached the disk. Without a clock, operations complete synchronously.
 *
 * Health (core/store-health.ts) behaves like a disk's: an operation that fails (`failWith`, the test hook
 * for a full or broken disk) makes the store `full` or `failing`; once the failure is lifted, the store is
 * `ok` again after one probe interval (at once without a clock), as LevelDocStore's probe finds it.
 */
import type { Clock } from '../core/clock.js'
import { NotRunningError } from '../core/errors.js'
import type { DocStore, StoreCallback, StoredDoc } from '../core/doc-store.js'
import { HealthTracker } from '../core/store-health.js'
import type { HealthListener, StoreHealth } from '../core/store-health.js'

export interface MemoryDocStoreOptions {
  /**
   * Whether this store counts as durable (default false: a peer without a data dir loses it with the
   * process). The simulator sets it: there the store outlives crashes, as a disk does.
   */
  durable?: boolean
  /** Clock to complete operations on (required for latencyMs > 0). */
  clock?: Clock
  /** Time from an operation's start (or the previous one's completion, for the same doc) to its completion. */
  latencyMs?: number
  /** With a clock: how long after `failWith` is lifted the store reports itself ok again (default 1,000 ms). */
  probeIntervalMs?: number
}

/** An error as a full disk reports it (for tests: `store.failWith = diskFullError()`). */
export function diskFullError (): Error {
  return Object.assign(new Error('IO error: ENOSPC: No space left on device'), { code: 'ENOSPC' })
}

interface DocLog {
  /** Persisted updates: the compacted state (if any) first. */
  entries: Uint8Array[]
  meta: Uint8Array | undefined
  pendingUpdates: number
  pendingBytes: number
}

export interface MemoryStoreCounters {
  appends: number
  compactions: number
  loads: number
  removals: number
}

export class MemoryDocStore implements DocStore {
  readonly counters: MemoryStoreCounters = { appends: 0, compactions: 0, loads: 0, removals: 0 }
  readonly durable: boolean
  private readonly docs = new Map<string, DocLog>()
  private readonly busyUntil = new Map<string, number>()
  private closed = false
  /** Test hook: called with what a doc holds right before a `remove` deletes it. */
  beforeRemove: ((doc: string, entries: readonly Uint8Array[]) => void) | undefined
  private failure: Error | undefined
  private readonly tracker: HealthTracker
  private recovery: { cancel(): void } | undefined

  constructor (private readonly options: MemoryDocStoreOptions = {}) {
    if ((options.latencyMs ?? 0) > 0 && options.clock === undefined) throw new RangeError('latencyMs needs a clock')
    this.durable = options.durable ?? false
    const clock = options.clock
    this.tracker = new HealthTracker(() => clock?.now() ?? 0)
  }

  /**
   * Test hook: while set, operations fail with this error instead of completing (the first one to fail
   * makes the store unhealthy). Lifting it makes the store healthy one probe interval later.
   */
  get failWith (): Error | undefined {
    return this.failure
  }

  set failWith (err: Error | undefined) {
    this.failure = err
    this.recovery?.cancel()
    this.recovery = undefined
    if (err !== undefined || this.tracker.ok) return
    const clock = this.options.clock
    if (clock === undefined) {
      this.tracker.set('ok')
      return
    }
    this.recovery = clock.setTimeout(() => {
      this.recovery = undefined
      if (this.failure === undefined && !this.closed) this.tracker.set('ok')
    }, this.options.probeIntervalMs ?? 1_000)
  }

  health (): StoreHealth {
    return this.tracker.health
  }

  onHealth (listener: HealthListener): () => void {
    return this.tracker.on(listener)
  }

  listDocs (cb: StoreCallback<StoredDoc[]>): void {
    this.run(undefined, cb, () => [...this.docs].map(([name, log]) => ({ name, meta: log.meta })).sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  load (doc: string, cb: StoreCallback<Uint8Array[]>): void {
    this.run(doc, cb, () => {
      this.counters.loads++
      return [...(this.docs.get(doc)?.entries ?? [])]
    })
  }

  append (doc: string, update: Uint8Array, meta: Uint8Array | undefined, cb: StoreCallback): void {
    // Copy now: the caller may reuse its buffer before the (delayed) completion.
    const copy = update.slice()
    const metaCopy = meta?.slice()
    this.run(doc, cb, () => {
      const log = this.logOf(doc)
      log.entries.push(copy)
      if (metaCopy !== undefined) log.meta = metaCopy
      log.pendingUpdates++
      log.pendingBytes += copy.byteLength
      this.counters.appends++
    })
  }

  compact (doc: string, state: Uint8Array, meta: Uint8Array | undefined, cb: StoreCallback): void {
    const copy = state.slice()
    const metaCopy = meta?.slice()
    this.run(doc, cb, () => {
      // Operations on a doc complete in call order, so at this point the log holds exactly what was
      // appended before compact was called: all of it is replaced.
      this.docs.set(doc, { entries: [copy], meta: metaCopy ?? this.docs.get(doc)?.meta, pendingUpdates: 0, pendingBytes: 0 })
      this.counters.compactions++
    })
  }

  remove (doc: string, cb: StoreCallback): void {
    this.run(doc, cb, () => {
      this.beforeRemove?.(doc, this.docs.get(doc)?.entries ?? [])
      this.docs.delete(doc)
      this.counters.removals++
    })
  }

  pending (doc: string): { updates: number, bytes: number } {
    const log = this.docs.get(doc)
    return { updates: log?.pendingUpdates ?? 0, bytes: log?.pendingBytes ?? 0 }
  }

  close (): Promise<void> {
    this.closed = true
    this.recovery?.cancel()
    this.recovery = undefined
    return Promise.resolve()
  }

  /** Persisted entries of `doc` (for tests). */
  entries (doc: string): readonly Uint8Array[] {
    return this.docs.get(doc)?.entries ?? []
  }

  /** Whether `doc` has anything persisted now (for tests; synchronous). */
  has (doc: string): boolean {
    return this.docs.has(doc)
  }

  /** Names of the docs persisted now (for tests; synchronous). */
  names (): string[] {
    return [...this.docs.keys()]
  }

  private logOf (doc: string): DocLog {
    let log = this.docs.get(doc)
    if (log === undefined) {
      log = { entries: [], meta: undefined, pendingUpdates: 0, pendingBytes: 0 }
      this.docs.set(doc, log)
    }
    return log
  }

  private run<T> (doc: string | undefined, cb: StoreCallback<T>, op: () => T): void {
    const complete = (): void => {
      if (this.closed) {
        cb(new NotRunningError('store is closed'))
        return
      }
      if (this.failure !== undefined) {
        this.tracker.fail(this.failure)
        cb(this.failure)
        return
      }
      cb(null, op())
    }
    const latency = this.options.latencyMs ?? 0
    const clock = this.options.clock
    if (clock === undefined || latency <= 0) {
      complete()
      return
    }
    const key = doc ?? ''
    const at = Math.max(clock.now(), this.busyUntil.get(key) ?? 0) + latency
    this.busyUntil.set(key, at)
    clock.setTimeout(complete, at - clock.now())
  }
}
