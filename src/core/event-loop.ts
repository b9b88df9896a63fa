/**
 * Event-loop delay of this process (issue 14): how late the thread gets to what is due — timers, acks,
 * handshake steps. On a starved machine it is the first thing to grow, before probes time out and healthy
 * members get suspected, so `/metrics` and the soak report it. One monitor per process (peers that share
 * a process share its thread), started on first use; its libuv timer does not keep the process alive.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { IntervalHistogram } from 'node:perf_hooks'

/**
 * Sampling interval of the monitor, ms. Each sample is a libuv timer wake-up: at 10 ms (Node's default) a
 * monitor cost an idle process 0.55 % of a core (11 ticks in 20 s, a bare Node 22 process with nothing
 * else; 0.2 % at 50 ms), and a peer ran two (prom-client's default metrics have their own, given this
 * interval in http/metrics.ts) — 30 peers on two cores pay it 30 times. A stall shorter than this is seen
 * only when a sample falls due inside it; the stalls that matter here (probes timing out, handshakes
 * abandoned) last hundreds of ms and are always seen.
 */
export const EVENT_LOOP_RESOLUTION_MS = 50

export interface EventLoopDelay {
  /** Worst delay since the process started, ms. */
  maxMs: number
  /** 99th percentile since the process started, ms. */
  p99Ms: number
  /** Mean since the process started, ms. */
  meanMs: number
}

let monitor: IntervalHistogram | undefined

/** The delays measured since the first call (which starts the monitor). */
export function eventLoopDelay (): EventLoopDelay {
  if (monitor === undefined) {
    monitor = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS })
    monitor.enable()
  }
  // The histogram is in nanoseconds and counts the sampling interval itself: subtract it.
  const ms = (ns: number): number => (Number.isFinite(ns) && monitor !== undefined && monitor.count > 0 ? Math.max(0, ns / 1e6 - EVENT_LOOP_RESOLUTION_MS) : 0)
  return { maxMs: ms(monitor.max), p99Ms: ms(monitor.percentile(99)), meanMs: ms(monitor.mean) }
}
