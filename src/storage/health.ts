/**
 * The LevelDB store's health monitor: notices a full or failing disk, and notices by itself when it can
 * write again (core/store-health.ts says why health is a state, not an error).
 *
 *  - A failed batch puts the store in `full` (ENOSPC, EDQUOT) or `failing` (anything else).
 *  - While the store is healthy, free space is looked at (statfs) at most once per probe interval after a
 *    successful batch: below the reserve (`minFreeBytes`, at most 5 % of the file system) the store enters
 *    `full` before the disk is actually full, so writes are refused cleanly (outcome "refused") instead of
 *    failing half-way (outcome "unknown"), as Elasticsearch's flood-stage watermark does.
 *  - While it is unhealthy, a probe runs every probe interval: once free space is back above twice the
 *    reserve (so that a disk hovering at the line does not flap), it writes a small key with `sync`
 *    through the write queue; success makes the store `ok`.
 *  - A batch the disk leaves unanswered for `stallMs` (a frozen file system, a hung volume) makes the store
 *    `failing` too, until a write completes.
 *  - Before that write, the store reopens LevelDB (level-store.ts): after a failed batch it writes nothing
 *    more to the same log file. A log write that failed half-way leaves a torn record in the log, and
 *    LevelDB's recovery drops the rest of that 32 kB block: a write acknowledged *after* the failure, in
 *    the same file, was lost by a kill -9 (the tmpfs process test caught it). LevelDB 1.20 also makes a
 *    failed memtable flush or log sync a sticky background error: every later write fails until the
 *    database is reopened. Reopening replays the logs into a new table, so it is tried only once the free
 *    space covers the logs (a reopen that fails leaves the database closed, and reads would fail too).
 */
import { statfs } from 'node:fs/promises'
import type { Logger } from '../core/logger.js'
import type { HealthTracker } from '../core/store-health.js'

/** The reserve is at most this share of the file system (a 3 MB test volume gets a reserve of 150 kB). */
export const MAX_RESERVE_SHARE = 0.05

/** The reason of a store whose disk has not answered a write for stallMs. */
export const STALLED_REASON = 'disk not responding'

export interface FreeSpace {
  /** Bytes an unprivileged writer can still use. */
  available: number
  /** Size of the file system. */
  total: number
}

/** statfs of the directory's file system; undefined where the platform cannot tell. */
export async function freeSpace (dir: string): Promise<FreeSpace | undefined> {
  try {
    const s = await statfs(dir)
    return { available: s.bavail * s.bsize, total: s.blocks * s.bsize }
  } catch {
    return undefined
  }
}

/** The free space below which the store counts as full: `minFreeBytes`, at most MAX_RESERVE_SHARE of the file system. */
export function reserveBytes (minFreeBytes: number, total: number): number {
  return Math.min(minFreeBytes, Math.floor(total * MAX_RESERVE_SHARE))
}

export interface HealthMonitorOptions {
  dir: string
  log: Logger
  tracker: HealthTracker
  probeIntervalMs: number
  minFreeBytes: number
  /** A batch unanswered this long makes the store failing until it completes (config.ts, DEFAULT_STALL_MS). */
  stallMs: number
  /** Writes the probe key durably through the write queue, reopening LevelDB first if it must be. */
  probeWrite: () => Promise<void>
  /** Whether the store must reopen LevelDB before it writes again (after any failed batch). */
  reopenPending: () => boolean
  /** Free space a reopen needs (LevelDB writes its logs out as a table when it opens). */
  reopenNeedsBytes: () => Promise<number>
  /** statfs, replaceable in tests. */
  space?: (dir: string) => Promise<FreeSpace | undefined>
}

export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined
  /** Wakes when the batch in flight would have stalled (watchWrite). */
  private stallTimer: NodeJS.Timeout | undefined
  /** The batch being written, if any, and when it went to the disk. */
  private inFlight: { started: number } | undefined
  private probing = false
  private lastSpaceCheck = Number.NEGATIVE_INFINITY
  private stopped = false
  private readonly space: (dir: string) => Promise<FreeSpace | undefined>

  constructor (private readonly o: HealthMonitorOptions) {
    this.space = o.space ?? freeSpace
  }

  /** A batch failed with `err`: enter full/failing and keep probing until a write succeeds again. */
  batchFailed (err: unknown): void {
    if (this.o.tracker.fail(err)) {
      const h = this.o.tracker.health
      this.o.log.error('store is failing: writes are refused until it recovers', { state: h.state, reason: h.reason ?? '', error: err instanceof Error ? err.message : String(err) })
    }
    this.schedule()
  }

  /** A batch succeeded: while unhealthy, probe now; while healthy, check free space now and then. */
  batchSucceeded (): void {
    if (!this.o.tracker.ok) {
      this.probeSoon(0)
      return
    }
    const now = Date.now()
    if (now - this.lastSpaceCheck < this.o.probeIntervalMs) return
    this.lastSpaceCheck = now
    void this.checkSpace()
  }

  /**
   * A batch went to the disk: if it is still unanswered after stallMs, the store is failing ("disk not
   * responding") until a write completes (batchSucceeded probes, batchFailed classifies). Returns the call
   * that ends the watch, made whatever the batch's outcome.
   *
   * One timer serves every batch (issue 14): a busy peer writes a batch per applied update, and a timer
   * set and cleared for each cost more than the check. The timer wakes when the batch in flight (the
   * write queue has at most one) would have stalled, and sleeps again for what the batch in flight then
   * still has left; it is not re-armed while no batch is in flight.
   */
  watchWrite (): () => void {
    const write = { started: Date.now() }
    this.inFlight = write
    if (this.stallTimer === undefined) this.armStallTimer(this.o.stallMs)
    return () => { if (this.inFlight === write) this.inFlight = undefined }
  }

  private armStallTimer (delayMs: number): void {
    this.stallTimer = setTimeout(() => {
      this.stallTimer = undefined
      const write = this.inFlight
      if (write === undefined || this.stopped) return
      const waited = Date.now() - write.started
      if (waited < this.o.stallMs) {
        this.armStallTimer(this.o.stallMs - waited)
        return
      }
      if (!this.o.tracker.ok) return // already failing or full; this batch's completion ends it
      // Judged once this turn's I/O callbacks have run: an event loop held up for seconds (a loaded machine)
      // makes this timer fire late, with the batch's answer, in from the disk meanwhile, still queued behind it.
      // Judged at once, such a peer called its store failing and refused writes while the disk was answering.
      setImmediate(() => {
        if (this.stopped || this.inFlight !== write || !this.o.tracker.ok) return
        this.o.tracker.set('failing', STALLED_REASON)
        this.o.log.error('store is failing: a durable write has had no answer from the disk; writes are refused until it completes', { waitedMs: Date.now() - write.started })
      })
    }, delayMs)
    this.stallTimer.unref()
  }

  stop (): void {
    this.stopped = true
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer)
    this.stallTimer = undefined
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private async checkSpace (): Promise<void> {
    const space = await this.space(this.o.dir)
    if (space === undefined || this.stopped || !this.o.tracker.ok) return
    const reserve = reserveBytes(this.o.minFreeBytes, space.total)
    if (space.available >= reserve) return
    this.o.tracker.set('full', 'free space below the reserve')
    this.o.log.error('store is almost full: writes are refused until space is freed', { availableBytes: space.available, reserveBytes: reserve })
    this.schedule()
  }

  private schedule (): void {
    this.probeSoon(this.o.probeIntervalMs)
  }

  private probeSoon (delayMs: number): void {
    if (this.stopped || this.probing) return
    if (this.timer !== undefined) {
      if (delayMs > 0) return // one is already scheduled
      clearTimeout(this.timer)
    }
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.probe()
    }, delayMs)
    this.timer.unref()
  }

  private async probe (): Promise<void> {
    if (this.stopped || this.o.tracker.ok) return
    this.probing = true
    try {
      const space = await this.space(this.o.dir)
      if (space !== undefined && space.available < 2 * reserveBytes(this.o.minFreeBytes, space.total)) {
        if (this.o.tracker.health.state !== 'full') this.o.tracker.set('full', 'free space below the reserve')
        return
      }
      if (this.o.reopenPending() && space !== undefined && space.available < await this.o.reopenNeedsBytes()) return
      try {
        await this.o.probeWrite()
      } catch (err) {
        this.o.tracker.fail(err)
        return
      }
      if (this.o.tracker.set('ok')) this.o.log.info('store recovered: writes are accepted again')
    } finally {
      this.probing = false
      if (!this.o.tracker.ok) this.schedule()
    }
  }
}
