/**
 * Event-loop delay of this process (issue 14): how late the thread gets to what is due — timers, acks,
 * handshake steps. On a starved machine it is the first thing to grow, before probes time out and healthy
 * members get suspected, so `/metrics` and the soak report it. One monitor per process (peers that share
 * a process share its thread), started on first use; its libuv timer does not keep the process alive.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { IntervalHistogram } from 'node:perf_hooks'

/** Sampling resolution of the monitor, ms: delays shorter than this are not seen. */
const RESOLUTION_MS = 10

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
    monitor = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
    monitor.enable()
  }
  // The histogram is in nanoseconds and counts the sampling interval itself: subtract it.
  const ms = (ns: number): number => (Number.isFinite(ns) && monitor !== undefined && monitor.count > 0 ? Math.max(0, ns / 1e6 - RESOLUTION_MS) : 0)
  return { maxMs: ms(monitor.max), p99Ms: ms(monitor.percentile(99)), meanMs: ms(monitor.mean) }
}
