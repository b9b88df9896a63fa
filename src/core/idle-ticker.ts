/**
 * A periodic loop that sleeps while it has nothing to do. `round()` runs every `intervalMs` and says
 * whether there is more to do; once it says no, no timer is armed until `wake()`, which resumes the loop
 * at the next tick of the grid it was on (as if it had kept ticking), not at once: work queued while
 * asleep waits for a tick as it would have while awake.
 *
 * Why: every armed timer is a wake-up of the process. The gossip loop of an idle peer (local profile,
 * 100 ms) had nothing queued on almost every tick and still woke the process 10 times a second.
 */
import type { Clock, Timer } from './clock.js'

export interface IdleTicker extends Timer {
  /** Resumes the loop if it sleeps (no-op while it runs, or after cancel). */
  wake(): void
}

export function idleTicker (clock: Clock, intervalMs: number, round: () => boolean): IdleTicker {
  let timer: Timer | undefined
  let cancelled = false
  let lastTick = clock.now()
  /** A round is running; a wake meanwhile (the round queued work, or work arrived after it looked) is noted here. */
  let inRound = false
  let wokeInRound = false
  const tick = (): void => {
    timer = undefined
    if (cancelled) return
    lastTick = clock.now()
    inRound = true
    wokeInRound = false
    let more: boolean
    try {
      more = round()
    } finally {
      inRound = false
    }
    // Awake, the loop is the plain chain `every` is (one timer armed from the last tick), so its ticks fall
    // exactly where they did before it could sleep. Exactly one timer: a wake during the round must not arm
    // one of its own beside this one (that made two loops, then four, eight…).
    if ((more || wokeInRound) && !cancelled) timer = clock.setTimeout(tick, intervalMs)
  }
  timer = clock.setTimeout(tick, intervalMs)
  return {
    wake () {
      if (inRound) {
        wokeInRound = true
        return
      }
      if (cancelled || timer !== undefined) return
      const since = clock.now() - lastTick
      timer = clock.setTimeout(tick, intervalMs - (since % intervalMs))
    },
    cancel () {
      cancelled = true
      timer?.cancel()
      timer = undefined
    }
  }
}
