/**
 * What every member believes about every other, rebuilt from the members' own event streams (murmur's SSE
 * `/events`, Serf's agent log), with the arrival time of each change. A wait resolves with the arrival time
 * of the event that made its condition true, so a figure's precision is the event delivery time (≈ 1 ms),
 * not a polling interval — and no polling load is put on the machine while a failure is being detected.
 *
 * States are normalised across systems: murmur's alive/suspect/dead/left; Serf's alive/failed/left
 * (failed → dead; Serf does not surface memberlist's suspect state).
 */

export type ViewState = 'alive' | 'suspect' | 'dead' | 'left'

export interface Transition {
  observer: string
  subject: string
  from: ViewState | undefined
  to: ViewState
  at: number
}

interface Waiter {
  check: () => number | undefined
  resolve: (at: number | undefined) => void
  timer: NodeJS.Timeout
}

interface Entry { state: ViewState, since: number }

export class MembershipViews {
  private readonly views = new Map<string, Map<string, Entry>>()
  private readonly waiters = new Set<Waiter>()
  /** Every change, in arrival order (for false-positive accounting after the run). */
  readonly transitions: Transition[] = []

  /** `observer` now sees `subject` in `state` (events that change nothing are ignored). */
  apply (observer: string, subject: string, state: ViewState, at: number): void {
    if (observer === subject) return
    let view = this.views.get(observer)
    if (view === undefined) {
      view = new Map()
      this.views.set(observer, view)
    }
    const from = view.get(subject)?.state
    if (from === state) return
    view.set(subject, { state, since: at })
    this.transitions.push({ observer, subject, from, to: state, at })
    for (const w of [...this.waiters]) {
      const reached = w.check()
      if (reached === undefined) continue
      clearTimeout(w.timer)
      this.waiters.delete(w)
      w.resolve(reached)
    }
  }

  /** `subject` is no longer listed by `observer` (Serf reaps; a murmur snapshot omits it). */
  forget (observer: string, subject: string): void {
    this.views.get(observer)?.delete(subject)
  }

  state (observer: string, subject: string): ViewState | undefined {
    return this.views.get(observer)?.get(subject)?.state
  }

  /**
   * If every observer sees every subject (other than itself) in one of `states`: the arrival time of the
   * last event that made it so (the latest `since` among the pairs). Otherwise undefined.
   */
  reachedAt (observers: readonly string[], subjects: readonly string[], states: readonly ViewState[]): number | undefined {
    let latest = Number.NEGATIVE_INFINITY
    for (const o of observers) {
      for (const s of subjects) {
        if (s === o) continue
        const e = this.views.get(o)?.get(s)
        if (e === undefined || !states.includes(e.state)) return undefined
        latest = Math.max(latest, e.since)
      }
    }
    return latest
  }

  /**
   * Resolves with `reachedAt(...)` once it is defined — whether that happens before or during the wait —
   * or with undefined after `timeoutMs` (every wait is bounded; the caller decides whether that is fatal).
   */
  waitAll (observers: readonly string[], subjects: readonly string[], states: readonly ViewState[], timeoutMs: number): Promise<number | undefined> {
    const check = (): number | undefined => this.reachedAt(observers, subjects, states)
    const now = check()
    if (now !== undefined) return Promise.resolve(now)
    return new Promise((resolve) => {
      const waiter: Waiter = {
        check,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter)
          resolve(undefined)
        }, timeoutMs)
      }
      this.waiters.add(waiter)
    })
  }

  /** Cancels pending waits (they resolve undefined): used at teardown. */
  close (): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer)
      w.resolve(undefined)
    }
    this.waiters.clear()
  }
}
