/**
 * Store health: whether the store behind a peer can persist writes right now. A full disk (or another I/O
 * failure) is a state the peer knows about, not just an error one write happened to get: while the store
 * is failing, `/ready` says so, a gauge says so, and writes are refused *before* they are applied
 * (StoreFailingError / StoreFullError, outcome "refused") instead of being applied in memory and then
 * failing to persist (outcome "unknown"). The store leaves the state by itself once a probe write
 * succeeds again (storage/health.ts for LevelDB; the memory store when its injected failure is lifted).
 *
 * Shared by both stores: the states, the classification of raw errors (no paths: a reason people can
 * read), and a small tracker that notifies listeners on transitions only. No timers here.
 */

export type StoreHealthState = 'ok' | 'full' | 'failing'

export interface StoreHealth {
  readonly state: StoreHealthState
  /** Why it is not ok, for people: a fixed phrase, never a path or raw exception text. */
  readonly reason?: string
  /** When it entered this state (the tracker's clock, ms). */
  readonly sinceMs: number
}

/** errno codes (and their LevelDB/libc texts) that mean "no space": the disk or a quota is full. */
const FULL = [
  { code: 'ENOSPC', text: /no space left on device/i, reason: 'no space left on device' },
  { code: 'EDQUOT', text: /disk quota exceeded/i, reason: 'disk quota exceeded' }
] as const

/** The `code` of the store's error for a data directory removed or replaced while it ran (storage/dir-identity.ts). */
export const DATA_DIR_GONE = 'MURMUR_DATA_DIR_GONE'

/** Other persistent I/O failures worth naming. */
const FAILING = [
  { code: DATA_DIR_GONE, text: /data directory was removed or replaced/i, reason: 'data directory removed or replaced; restart the peer' },
  { code: 'EROFS', text: /read-only file system/i, reason: 'read-only file system' },
  { code: 'EIO', text: /input\/output error/i, reason: 'input/output error' }
] as const

function codeOf (err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * What a failed write says about the store: `full` for no space or quota, `failing` for anything else.
 * LevelDB reports errno only as text inside its message ("IO error: <path>: No space left on device"), so
 * both the code and the text are looked at, and the error's causes too.
 */
export function classifyStoreError (err: unknown): { state: 'full' | 'failing', reason: string } {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = codeOf(e)
    const text = e instanceof Error ? e.message : String(e)
    for (const f of FULL) if (code === f.code || f.text.test(text)) return { state: 'full', reason: f.reason }
    for (const f of FAILING) if (code === f.code || f.text.test(text)) return { state: 'failing', reason: f.reason }
  }
  return { state: 'failing', reason: 'write failed (details are in the peer\'s log)' }
}

export type HealthListener = (health: StoreHealth) => void

/** The current health and its listeners; `set` notifies only on a change of state or reason. */
export class HealthTracker {
  private current: StoreHealth
  private readonly listeners = new Set<HealthListener>()

  constructor (private readonly now: () => number) {
    this.current = { state: 'ok', sinceMs: now() }
  }

  get health (): StoreHealth {
    return this.current
  }

  get ok (): boolean {
    return this.current.state === 'ok'
  }

  /** Enters `state` (with `reason` unless ok); returns whether anything changed. */
  set (state: StoreHealthState, reason?: string): boolean {
    if (state === this.current.state && (state === 'ok' || reason === this.current.reason)) return false
    this.current = state === 'ok' || reason === undefined ? { state, sinceMs: this.now() } : { state, reason, sinceMs: this.now() }
    for (const l of [...this.listeners]) {
      try {
        l(this.current)
      } catch {
        // A listener's bug must not stop the others, nor the store that reports the change.
      }
    }
    return true
  }

  /** A write failed with `err`: enter `full` or `failing` accordingly. */
  fail (err: unknown): boolean {
    const { state, reason } = classifyStoreError(err)
    return this.set(state, reason)
  }

  on (listener: HealthListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }
}
