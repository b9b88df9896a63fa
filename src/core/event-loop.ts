/**
 * Event-loop delay of this process (issue 14): how late the thread gets to what is due — timers, acks,
 * handshake steps. On a starved machine it is the first thing to grow, before probes time out and healthy
 * members get suspected, so `/metrics` and the soak report it.
 *
 * Measured on the work itself, not by a sampling timer: every timer of the real clock (SystemClock: probes,
 * their timeouts, gossip, anti-entropy, pushes) reports how long after its due time its callback ran.
 * A sampling monitor (perf_hooks' monitorEventLoopDelay) wakes an idle process 20 times a second at a 50 ms
 * resolution, and a peer ran two (its own and prom-client's): ~0.1 % of a core per idle peer, a fifth of
 * a meshed idle peer's CPU (issue 11). The protocol's own timers fire at least once a probe interval, so a
 * stall that delays a probe or an ack is always seen; a shorter one is seen when some timer fell due in it.
 * Process-wide: peers that share a process share its thread.
 */

/** Bucket upper bounds, ms: ×2^(1/4) (19 % apart) from 0.25 ms to ~2.3 days, so p99 is read within 19 %. */
const BUCKET_GROWTH = 2 ** 0.25
const FIRST_BOUND_MS = 0.25
const BUCKETS = 128

export interface EventLoopDelay {
  /** Worst delay since the process started, ms. */
  maxMs: number
  /** 99th percentile since the process started, ms (the upper bound of its bucket). */
  p99Ms: number
  /** Mean since the process started, ms. */
  meanMs: number
  /** Timers measured. */
  samples: number
}

const counts = new Float64Array(BUCKETS)
let samples = 0
let sumMs = 0
let maxMs = 0

function bucketOf (ms: number): number {
  if (ms <= FIRST_BOUND_MS) return 0
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / FIRST_BOUND_MS) / Math.log(BUCKET_GROWTH)))
}

/** A callback due at some time ran `lateMs` after it (SystemClock calls this for every timer it runs). */
export function recordTimerLateness (lateMs: number): void {
  if (!(lateMs >= 0) || !Number.isFinite(lateMs)) return
  const i = bucketOf(lateMs)
  counts[i] = (counts[i] ?? 0) + 1
  samples++
  sumMs += lateMs
  if (lateMs > maxMs) maxMs = lateMs
}

/** The delays measured since the process started. */
export function eventLoopDelay (): EventLoopDelay {
  if (samples === 0) return { maxMs: 0, p99Ms: 0, meanMs: 0, samples: 0 }
  const rank = Math.ceil(samples * 0.99)
  let seen = 0
  let p99Ms = maxMs
  for (let i = 0; i < BUCKETS; i++) {
    seen += counts[i] ?? 0
    if (seen >= rank) {
      p99Ms = Math.min(maxMs, FIRST_BOUND_MS * BUCKET_GROWTH ** i)
      break
    }
  }
  return { maxMs, p99Ms, meanMs: sumMs / samples, samples }
}
