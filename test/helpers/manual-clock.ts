import type { Clock, Timer } from '../../src/core/clock.js'

/** A clock the test advances by hand: due timers run in time order, each at its own instant. */
export class ManualClock implements Clock {
  private t = 0
  private timers: Array<{ at: number, fn: () => void, cancelled: boolean }> = []
  now (): number { return this.t }
  setTimeout (fn: () => void, delayMs: number): Timer {
    const timer = { at: this.t + Math.max(0, delayMs), fn, cancelled: false }
    this.timers.push(timer)
    return { cancel: () => { timer.cancelled = true } }
  }

  advance (ms: number): void {
    const end = this.t + ms
    for (;;) {
      const due = this.timers.filter(x => !x.cancelled && x.at <= end).sort((a, b) => a.at - b.at)[0]
      if (due === undefined) break
      this.t = due.at
      due.cancelled = true
      due.fn()
    }
    this.t = end
    this.timers = this.timers.filter(x => !x.cancelled)
  }
}
