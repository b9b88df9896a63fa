/**
 * LevelDocStore: the durable DocStore on LevelDB (classic-level 3, which bundles LevelDB 1.20).
 *
 * DURABILITY GUARANTEE
 * When `append(doc, update, cb)` or `compact(doc, state, cb)` calls `cb(null)`, the write belongs to a
 * LevelDB WriteBatch written with `sync: true`: LevelDB appended the batch to its write-ahead log and
 * fdatasync'd the log file before the batch resolved, and only then is `cb` called. Therefore:
 *  - Process crash (SIGKILL, OOM kill, abort, uncaught exception): no acknowledged write is lost. This only
 *    needs the log write() to have completed, so it holds on every file system.
 *  - Machine crash or power loss: no acknowledged write is lost, PROVIDED THAT (a) the storage stack honours
 *    fdatasync (no lying volatile write cache, no `nobarrier` mount, no eatmydata), and (b) the file system
 *    makes a new file's directory entry durable when that file is fsync'd — LevelDB 1.20 starts a new log
 *    file every ~4 MiB and fsyncs the directory only for its MANIFEST. Journalled ext4 (default
 *    data=ordered) and XFS meet (b); ext4 without a journal may not. On macOS LevelDB 1.20 calls fsync,
 *    which does not flush the drive cache (F_FULLFSYNC), so (a) fails there and power loss can lose writes.
 *  - Atomicity: LevelDB checksums each log record and recovery drops a torn tail, so a batch is recovered
 *    whole or not at all: a compaction never keeps its new state without its deletions or the reverse, and
 *    a torn tail only ever loses writes that were never acknowledged.
 *  - A write called back with an error was NOT acknowledged, yet may reappear after a restart (e.g. the
 *    write() succeeded and the fsync failed). Yjs updates are idempotent, so that is harmless.
 *  - Not covered: media failure or bit rot (the mesh's other replicas are the redundancy), and writers
 *    outside this store (LevelDB's LOCK file keeps a second store off a data dir: StoreLockedError).
 *
 * Ordering: every write that is accepted goes through one FIFO (group-commit.ts) and calls back in call
 * order; reads see the writes called before them: `listDocs` waits for every write queued before it, and
 * `load` for those of its doc (one with none queued reads at once, so that a disk stalled in a sync does
 * not stall the loads of other docs). Calls that are refused up front (closed, invalid name or size,
 * queue full) call back on the next microtask.
 *
 * The store keeps a reference to each update/state until its callback: callers must not mutate it.
 *
 * Health (health.ts): a failed batch makes the store `full` or `failing`, free space below a reserve makes
 * it `full` before the disk is, and a probe brings it back to `ok` once a write succeeds again. After a
 * failed batch the store fails every batch at once (nothing more goes into a log that may end in a torn
 * record) until the probe has reopened LevelDB; the replicator also refuses new local writes up front.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { AbortError, NotRunningError, TimeoutError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { DocStore, StoreCallback, StoredDoc } from '../core/doc-store.js'
import { HealthTracker } from '../core/store-health.js'
import type { HealthListener, StoreHealth } from '../core/store-health.js'
import { resolveLevelDocStoreConfig, type LevelDocStoreConfig, type LevelDocStoreInit } from './config.js'
import { newDocMeta, type DocMeta, type LevelDb } from './doc-index.js'
import { StorageError, StoreBusyError, UpdateSizeError } from './errors.js'
import { checkDirIdentity, checkDirIdentityAfterWrite, dirIdentity, type DirIdentity } from './dir-identity.js'
import { GroupCommitQueue, type GroupCommitStats, type QueueEntry } from './group-commit.js'
import { HealthMonitor } from './health.js'
import type { FreeSpace } from './health.js'
import { PROBE_KEY, prefixEnd, updateKey } from './keys.js'
import { openLevelDb } from './open-db.js'

export type WriteOp =
  | { type: 'put', key: Uint8Array, value: Uint8Array }
  | { type: 'del', key: Uint8Array }

export interface LevelDocStoreStats extends GroupCommitStats {
  /** Accepted calls since open. */
  appends: number
  compactions: number
  loads: number
  removals: number
  /** Docs in the index (persisted, or with a write queued). */
  docs: number
  /** Times LevelDB was reopened to clear a sticky write error. */
  reopens: number
}

/** Opens (or creates) the store in `dir`. @throws StoreLockedError, StoreFormatError, StorageError, ConfigError */
export async function openLevelDocStore (dir: string, init?: LevelDocStoreInit, space?: (dir: string) => Promise<FreeSpace | undefined>): Promise<LevelDocStore> {
  const config = resolveLevelDocStoreConfig(init)
  const log = config.log.child('storage')
  const { db, docs } = await openLevelDb(dir, log)
  let opened: DirIdentity
  try {
    opened = await dirIdentity(dir)
  } catch (err) {
    await db.close().catch(() => {})
    throw err
  }
  return new LevelDocStore(dir, db, docs, config, log, opened, space)
}

export class LevelDocStore implements DocStore {
  private status: 'open' | 'closing' | 'closed' = 'open'
  private closed: Promise<void> | undefined
  private failing = false
  /** A batch failed: LevelDB must be reopened before anything more is written (health.ts says why). */
  private reopenRequested = false
  /** The probe found enough space for a reopen: batches may reopen LevelDB now. */
  private reopenAllowed = false
  private lastFailure: unknown
  private readonly queue: GroupCommitQueue<WriteOp>
  private readonly reads = new Set<Promise<unknown>>()
  private readonly counters = { appends: 0, compactions: 0, loads: 0, removals: 0, reopens: 0 }
  private readonly tracker = new HealthTracker(() => Date.now())
  private readonly monitor: HealthMonitor

  /** Use openLevelDocStore. */
  constructor (
    readonly dir: string,
    private readonly db: LevelDb,
    private readonly docs: Map<string, DocMeta>,
    private readonly config: LevelDocStoreConfig,
    private readonly log: Logger,
    /** The directory the store opened: a batch written after it was removed or replaced is not durable. */
    private readonly opened: DirIdentity,
    space?: (dir: string) => Promise<FreeSpace | undefined>
  ) {
    this.queue = new GroupCommitQueue<WriteOp>(async ops => { await this.writeBatch(ops) }, config, err => {
      log.error('store callback threw', { error: err instanceof Error ? err.message : String(err) })
    })
    this.monitor = new HealthMonitor({
      dir,
      log,
      tracker: this.tracker,
      probeIntervalMs: config.probeIntervalMs,
      minFreeBytes: config.minFreeBytes,
      stallMs: config.stallMs,
      probeWrite: () => this.probeWrite(),
      reopenPending: () => this.reopenRequested,
      reopenNeedsBytes: () => logBytes(dir),
      ...(space === undefined ? {} : { space })
    })
  }

  readonly durable = true

  health (): StoreHealth {
    return this.tracker.health
  }

  onHealth (listener: HealthListener): () => void {
    return this.tracker.on(listener)
  }

  listDocs (cb: StoreCallback<StoredDoc[]>): void {
    this.barrier(cb, () => {
      const docs: StoredDoc[] = []
      for (const [name, meta] of this.docs) if (meta.persisted) docs.push({ name, meta: meta.meta })
      this.callBack(cb, null, docs.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    })
  }

  load (doc: string, cb: StoreCallback<Uint8Array[]>): void {
    let meta: DocMeta
    try {
      meta = this.docs.get(doc) ?? newDocMeta(doc) // a throwaway entry for an unknown doc: nothing to index
    } catch (err) {
      this.refuse(cb, err)
      return
    }
    const read = (): void => {
      this.counters.loads++
      this.trackRead(this.readDoc(meta)).then(updates => { this.callBack(cb, null, updates) }, (err: unknown) => {
        this.callBack(cb, err)
      })
    }
    // Nothing of this doc queued or being written: no write it must see is pending, so it need not wait
    // behind other docs' writes (a disk that stalls a sync would otherwise stall every load). While a
    // reopen is pending the read goes through the queue, which is where LevelDB is closed and opened.
    if (this.status === 'open' && meta.inFlight === 0 && !this.reopenRequested) read()
    else this.barrier(cb, read)
  }

  append (doc: string, update: Uint8Array, docMeta: Uint8Array | undefined, cb: StoreCallback): void {
    const meta = this.admit(doc, update, this.config.maxUpdateBytes, 'update', cb)
    if (meta === undefined) return
    const key = updateKey(meta.updatePrefix, meta.nextSeq)
    const ops: WriteOp[] = [{ type: 'put', key, value: update }]
    if (docMeta !== undefined) ops.push({ type: 'put', key: meta.metaKey, value: docMeta })
    const accepted = this.enqueue({
      ops,
      bytes: key.byteLength + update.byteLength + (docMeta?.byteLength ?? 0),
      done: err => {
        meta.inFlight--
        if (err === null) {
          meta.persisted = true
          if (docMeta !== undefined) meta.meta = docMeta
        }
        this.callBack(cb, err)
      }
    }, cb)
    if (!accepted) return
    meta.inFlight++
    meta.nextSeq++
    meta.pendingUpdates++
    meta.pendingBytes += update.byteLength
    this.counters.appends++
  }

  /**
   * Covers every update whose `append` was called before this call — including ones still queued or being
   * written: their puts precede this batch's deletes in the FIFO (or in the same batch, where LevelDB
   * applies operations in order). Appends called after it get higher seqs and are kept. So `state` must
   * contain every update appended before this call.
   */
  compact (doc: string, state: Uint8Array, docMeta: Uint8Array | undefined, cb: StoreCallback): void {
    const meta = this.admit(doc, state, this.config.maxStateBytes, 'state', cb)
    if (meta === undefined) return
    const head: WriteOp[] = [{ type: 'put', key: meta.stateKey, value: state }]
    if (docMeta !== undefined) head.push({ type: 'put', key: meta.metaKey, value: docMeta })
    const accepted = this.replaceHistory(meta, head, cb, () => {
      meta.persisted = true
      if (docMeta !== undefined) meta.meta = docMeta
    })
    if (accepted) this.counters.compactions++
  }

  /**
   * Deletes the doc's state, meta and every update appended before this call, in one batch. Appends
   * called after it get higher seqs and are kept (and list the doc again once durable).
   */
  remove (doc: string, cb: StoreCallback): void {
    if (this.status !== 'open') {
      this.refuse(cb, new NotRunningError('store is closed'))
      return
    }
    const meta = this.docs.get(doc)
    if (meta === undefined) {
      // Nothing persisted or queued: still ordered after earlier calls, like every other operation.
      this.barrier(cb, () => { this.callBack(cb, null) })
      return
    }
    const head: WriteOp[] = [{ type: 'del', key: meta.stateKey }, { type: 'del', key: meta.metaKey }]
    const accepted = this.replaceHistory(meta, head, cb, () => {
      // Gone. Appends called after this one complete later (FIFO) and list the doc again.
      meta.persisted = false
      meta.meta = undefined
    })
    if (accepted) this.counters.removals++
  }

  /**
   * One batch: `head` (the new state and meta, or their deletion) plus the deletion of every update appended
   * before this call — including ones still queued or being written: their puts precede this batch's deletes
   * in the FIFO (or in the same batch, where LevelDB applies operations in order). `onSuccess` runs once it
   * is durable; on failure the updates count as pending again, for the next compaction to delete.
   */
  private replaceHistory (meta: DocMeta, head: WriteOp[], cb: StoreCallback, onSuccess: () => void): boolean {
    const from = meta.compactFrom
    const to = meta.nextSeq // exclusive
    const ops = [...head]
    let bytes = 0
    for (const op of head) bytes += op.key.byteLength + (op.type === 'put' ? op.value.byteLength : 0)
    for (let seq = from; seq < to; seq++) {
      const key = updateKey(meta.updatePrefix, seq)
      ops.push({ type: 'del', key })
      bytes += key.byteLength
    }
    const covered = { updates: meta.pendingUpdates, bytes: meta.pendingBytes }
    const accepted = this.enqueue({
      ops,
      bytes,
      done: err => {
        meta.inFlight--
        if (err === null) {
          onSuccess()
        } else {
          // Not applied after all: the next compaction must delete these seqs and count them again.
          meta.compactFrom = Math.min(meta.compactFrom, from)
          meta.pendingUpdates += covered.updates
          meta.pendingBytes += covered.bytes
        }
        this.callBack(cb, err)
      }
    }, cb)
    if (!accepted) return false
    meta.inFlight++
    meta.compactFrom = to
    meta.pendingUpdates = 0
    meta.pendingBytes = 0
    return true
  }

  /** Appends accepted since the last compaction was issued (a hint for when to compact). @throws NotRunningError after close */
  pending (doc: string): { updates: number, bytes: number } {
    if (this.status !== 'open') throw new NotRunningError('store is closed')
    const meta = this.docs.get(doc)
    return meta === undefined ? { updates: 0, bytes: 0 } : { updates: meta.pendingUpdates, bytes: meta.pendingBytes }
  }

  /**
   * Refuses new calls at once, lets every accepted write reach the disk and every read finish (bounded by
   * closeTimeoutMs; past it the writes still queued fail with AbortError and close rejects with
   * TimeoutError), then closes LevelDB and releases its lock. Idempotent.
   */
  close (): Promise<void> {
    this.closed ??= this.shutdown()
    return this.closed
  }

  stats (): LevelDocStoreStats {
    return { ...this.queue.stats(), ...this.counters, docs: this.docs.size }
  }

  private async shutdown (): Promise<void> {
    this.status = 'closing'
    this.monitor.stop()
    const timeoutMs = this.config.closeTimeoutMs
    const drained = await withinMs(this.drain(), timeoutMs)
    if (!drained) {
      const aborted = this.queue.abortQueued(new AbortError('store closed before the write reached the disk'))
      this.log.error('close timed out waiting for the disk', { timeoutMs, aborted })
    }
    const closing = this.db.close()
    try {
      if (!await withinMs(closing, timeoutMs)) throw new TimeoutError(`LevelDB did not close within ${timeoutMs} ms`)
      await closing // surfaces a close error
    } finally {
      this.status = 'closed'
    }
    if (!drained) throw new TimeoutError(`queued writes did not reach the disk within ${timeoutMs} ms`)
  }

  private async drain (): Promise<void> {
    await this.queue.whenIdle()
    // Reads are started by barrier callbacks, so once the queue is idle every read is in this set.
    await Promise.allSettled([...this.reads])
  }

  private async writeBatch (ops: WriteOp[]): Promise<void> {
    try {
      if (this.reopenRequested) {
        if (!this.reopenAllowed) throw new StorageError('the store is failing: an earlier write failed, and nothing is written until it recovers', { cause: this.lastFailure })
        await checkDirIdentity(this.dir, this.opened) // a reopen would create a new, empty database there
        await this.reopen()
      }
      const watched = this.monitor.watchWrite()
      try {
        await this.db.batch(ops, { sync: true })
      } finally {
        watched()
      }
      checkDirIdentityAfterWrite(this.dir, this.opened)
    } catch (err) {
      // Logged on the transition only: every later write fails the same way, fast, until the store recovers.
      if (!this.failing) this.log.error('durable write failed; callers get the error', { error: errMessage(err) })
      this.failing = true
      this.reopenRequested = true
      this.lastFailure ??= err
      this.monitor.batchFailed(err)
      throw err
    }
    this.lastFailure = undefined
    if (this.failing) this.log.info('durable writes succeed again')
    this.failing = false
    this.monitor.batchSucceeded()
  }

  /**
   * One tiny synced write through the queue (ordered after every write queued before it). The monitor
   * calls it once the free space covers a reopen: batches until it completes may reopen LevelDB.
   */
  private async probeWrite (): Promise<void> {
    this.reopenAllowed = true
    try {
      await this.enqueueProbe()
    } finally {
      this.reopenAllowed = false
    }
  }

  private enqueueProbe (): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.status !== 'open') {
        reject(new NotRunningError('store is closed'))
        return
      }
      const value = Buffer.from(String(Date.now()))
      this.enqueue({
        ops: [{ type: 'put', key: PROBE_KEY, value }],
        bytes: PROBE_KEY.byteLength + value.byteLength,
        done: (err) => { if (err === null) resolve(); else reject(err) }
      }, (err) => { if (err !== null) reject(err) })
    })
  }

  /**
   * Closes and reopens LevelDB, which clears its sticky background error. Runs inside the write queue
   * (no batch in flight) after the reads in flight finished; the index stays valid: it only ever counts
   * on what was acknowledged, and a failed batch that reappears is harmless (see DURABILITY GUARANTEE).
   */
  private async reopen (): Promise<void> {
    await Promise.allSettled([...this.reads])
    await this.db.close().catch(() => {})
    await this.db.open()
    this.reopenRequested = false
    this.counters.reopens++
    this.log.info('reopened LevelDB to clear a failed write')
  }

  private async readDoc (meta: DocMeta): Promise<Uint8Array[]> {
    // One snapshot for both reads, so a compaction committing in between cannot be seen half.
    const snapshot = this.db.snapshot()
    try {
      const state = await this.db.get(meta.stateKey, { snapshot })
      const updates: Uint8Array[] = state === undefined ? [] : [state]
      for await (const value of this.db.values({ gte: meta.updatePrefix, lt: prefixEnd(meta.updatePrefix), snapshot })) {
        updates.push(value)
      }
      return updates
    } finally {
      await snapshot.close()
    }
  }

  /** Checks state, name and size; the doc's index entry, or undefined after calling back with the error. */
  private admit (doc: string, bytes: Uint8Array, maxBytes: number, what: string, cb: StoreCallback): DocMeta | undefined {
    if (this.status !== 'open') return this.refuse(cb, new NotRunningError('store is closed'))
    if (bytes.byteLength === 0 || bytes.byteLength > maxBytes) {
      return this.refuse(cb, new UpdateSizeError(`${what} of ${bytes.byteLength} bytes is outside [1, ${maxBytes}]`))
    }
    let meta = this.docs.get(doc)
    if (meta === undefined) {
      try {
        meta = newDocMeta(doc)
      } catch (err) {
        return this.refuse(cb, err)
      }
      this.docs.set(doc, meta)
    }
    return meta
  }

  /** Queues a read barrier: `run` is called once every write queued before it has settled. */
  private barrier<T> (cb: StoreCallback<T>, run: () => void): void {
    if (this.status !== 'open') {
      this.refuse(cb, new NotRunningError('store is closed'))
      return
    }
    this.enqueue({
      ops: [],
      bytes: 0,
      done: err => {
        // Aborted by a close that timed out: LevelDB is closing, do not start the read. Any other error is
        // a failed write batched with the barrier: the read still reports what is on disk.
        if (err instanceof AbortError) this.callBack(cb, err)
        else run()
      }
    }, cb)
  }

  private enqueue<T> (entry: QueueEntry<WriteOp>, cb: StoreCallback<T>): boolean {
    if (this.queue.enqueue(entry)) return true
    const { queuedEntries, queuedBytes } = this.queue.stats()
    this.refuse(cb, new StoreBusyError(`write queue full (${queuedEntries} entries, ${queuedBytes} bytes)`))
    return false
  }

  private trackRead<T> (read: Promise<T>): Promise<T> {
    this.reads.add(read)
    const forget = (): void => { this.reads.delete(read) }
    read.then(forget, forget)
    return read
  }

  /** Calls back on the next microtask, never synchronously (callers can rely on that). */
  private refuse<T> (cb: StoreCallback<T>, err: unknown): undefined {
    queueMicrotask(() => { this.callBack(cb, err) })
    return undefined
  }

  private callBack<T> (cb: StoreCallback<T>, err: unknown, value?: T): void {
    try {
      if (err === null) cb(null, value)
      else cb(err instanceof Error ? err : new Error(String(err)))
    } catch (cbErr) {
      this.log.error('store callback threw', { error: errMessage(cbErr) })
    }
  }
}

/**
 * Free space a reopen needs: LevelDB 1.20 writes the records of its write-ahead logs out as a level-0 table
 * when it opens (at most their size: tables are compressed), plus room for a new log and MANIFEST.
 */
async function logBytes (dir: string): Promise<number> {
  let total = 0
  try {
    for (const name of await readdir(dir)) {
      if (name.endsWith('.log')) total += (await stat(join(dir, name))).size
    }
  } catch {
    // Unreadable: the probe tries anyway.
  }
  return total + REOPEN_MARGIN_BYTES
}

/** Room for the new log, MANIFEST and CURRENT a reopen writes besides the table. */
const REOPEN_MARGIN_BYTES = 256 * 1024

function errMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** True if `work` settled within `ms` (its rejection counts as settled; callers only need "done or not"). */
async function withinMs (work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<false>(resolve => { timer = setTimeout(() => { resolve(false) }, ms) })
  try {
    return await Promise.race([work.then(() => true, () => true), timedOut])
  } finally {
    clearTimeout(timer)
  }
}
