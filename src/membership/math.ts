/**
 * The pure arithmetic of SWIM and Lifeguard, kept apart from the state machine so it can be table-tested.
 * Formulas follow Lifeguard (Dadgar et al., 2018) as implemented in memberlist.
 */

/**
 * The minimum suspicion timeout: `suspicionMult · max(1, log10(n)) · probeInterval`.
 * Scaling with log n gives gossip time to reach everyone (dissemination takes O(log n) rounds) before a
 * suspect is declared dead, so a live member has a chance to refute.
 */
export function suspicionTimeoutMs (suspicionMult: number, n: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)))
  return Math.floor(suspicionMult * nodeScale * probeIntervalMs)
}

/**
 * Lifeguard's dynamic suspicion timeout: it starts at `maxMs` and falls logarithmically towards `minMs`
 * as independent confirmations arrive: `max − (log(c+1)/log(k+1))·(max − min)`, floored at `min`, minus
 * the time already elapsed. `k` is how many confirmations we expect; with k < 1 the timeout is `min`.
 * The result may be ≤ 0, meaning "expire now".
 */
export function remainingSuspicionMs (confirmations: number, k: number, elapsedMs: number, minMs: number, maxMs: number): number {
  if (k < 1) return minMs - elapsedMs
  const frac = Math.log(confirmations + 1) / Math.log(k + 1)
  const raw = maxMs - frac * (maxMs - minMs)
  const timeout = Math.max(minMs, Math.floor(raw))
  return timeout - elapsedMs
}

/**
 * How many independent confirmations a suspicion waits for: `suspicionMult − 2`, and none in clusters too
 * small to supply that many other accusers (n − 2 < k).
 */
export function expectedConfirmations (suspicionMult: number, n: number): number {
  const k = suspicionMult - 2
  return n - 2 < k ? 0 : Math.max(0, k)
}

/**
 * How often one update is sent before it is dropped: `retransmitMult · ⌈ln(n + 1)⌉`.
 *
 * Every member that learns an update forwards it this many times to random members, so a given member
 * receives it ≈ limit times on average and misses it with probability ≈ e^(−limit) = (n+1)^(−λ): the
 * "with high probability" of SWIM §4.1. memberlist uses log10 here, which makes the miss rate
 * e^(−λ·log10 n) — about 3·10⁻⁴ per member per update at n = 100, λ = 4: small, but with hundreds of
 * refutations an hour some member misses one and declares a healthy member dead. The natural log costs
 * 2.3× more sends per update (nothing when idle) and makes a miss a 10⁻⁸ event at n = 100.
 */
export function retransmitLimit (retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log(n + 1))
}

/**
 * Push-pull interval scaled with cluster size so the total full-state traffic stays bounded: unchanged up
 * to 32 members, then `× (⌈log2 n − log2 32⌉ + 1)` (memberlist's pushPullScale).
 */
export function pushPullIntervalMs (baseMs: number, n: number): number {
  const threshold = 32
  if (n <= threshold) return baseMs
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(threshold)) + 1
  return baseMs * multiplier
}

/**
 * Lifeguard local health: a timeout scaled by `(score + 1)`. A peer that misses acks or has to refute
 * suspicions about itself is probably the slow one; it waits longer before accusing others.
 */
export function scaleByAwareness (timeoutMs: number, score: number): number {
  return timeoutMs * (score + 1)
}

/** Clamps an awareness score after applying `delta`: into [0, maxMultiplier − 1]. */
export function applyAwarenessDelta (score: number, delta: number, maxMultiplier: number): number {
  return Math.min(maxMultiplier - 1, Math.max(0, score + delta))
}
