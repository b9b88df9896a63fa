import { recordTimerLateness } from './event-loop.js'

/** Node's timers hold at most this (2^31 − 1 ms, ~24.8 days): a longer delay fires after 1 ms, with a warning. */
export const MAX_TIMEOUT_MS = 2_147_483_647

/**
 * Time, injected. Protocol code (membership, replication) never calls Date.now or setTimeout itself:
 * it gets a Clock, so the same code runs on real time in a peer and on virtual time in the simulator.
 */
export interface Timer {
  /** Cancels the timer. Safe to call more than once, and after the timer fired. */
  cancel(): void
}

export interface Clock {
  /** Milliseconds on a monotonic time line. Only differences are meaningful. */
  now(): number
  /** Runs `fn` once after `delayMs` (clamped to ≥ 0). */
  setTimeout(fn: () => void, delayMs: number): Timer
  /**
   * Optional: `every` done by the clock itself, with the same contract (the simulator keeps one event per
   * periodic timer instead of one per run).
   */
  every?(intervalMs: () => number, fn: () => void): Timer
}

/** Runs `fn` every `intervalMs()` (re-read each time, so the period can follow config or health). */
export function every(clock: Clock, intervalMs: () => number, fn: () => void): Timer {
  if (clock.every !== undefined) return clock.every(intervalMs, fn)
  let timer: Timer | undefined
  let cancelled = false
  const tick = (): void => {
    if (cancelled) return
    fn()
    if (!cancelled) timer = clock.setTimeout(tick, intervalMs())
  }
  timer = clock.setTimeout(tick, intervalMs())
  return {
    cancel () {
      cancelled = true
      timer?.cancel()
    }
  }
}

/**
 * The real clock: performance.now() for the time line, Node timers for scheduling.
 *
 * A due timer's callback runs after the I/O that is ready when it fires (setImmediate: the event loop's
 * check phase, after its poll phase). Node runs due timers first: after a stall — a loaded machine, a long
 * GC — every timeout that fell due during it fired before the loop read the sockets, so a probe whose ack
 * had arrived in time timed out anyway, and its member was suspected (issue 14: healthy members suspected
 * over and over in the seconds after a heal, while handshakes and catch-up held the thread). The protocol
 * asks "did the answer arrive within the timeout", so the answers that did get read first. The simulator's
 * CPU model already orders a frame that arrived before a timer was due ahead of it.
 *
 * How late each callback ran after its due time is the process's event-loop delay (core/event-loop.ts).
 */
export class SystemClock implements Clock {
  now (): number {
    return performance.now()
  }

  setTimeout (fn: () => void, delayMs: number): Timer {
    let immediate: ReturnType<typeof setImmediate> | undefined
    const due = performance.now() + Math.max(0, delayMs)
    const run = (): void => {
      // libuv counts a timeout from its cached loop time, which can be up to a millisecond behind
      // performance.now() when the timer was set: a timer may run "early" by that much, i.e. on time.
      recordTimerLateness(Math.max(0, performance.now() - due))
      fn()
    }
    const handle = setTimeout(() => { immediate = setImmediate(run) }, Math.max(0, delayMs))
    return {
      cancel: () => {
        clearTimeout(handle)
        if (immediate !== undefined) clearImmediate(immediate)
      }
    }
  }
}
