/**
 * The failure detector's counters, read the same way from a real peer (`/metrics`) and from a simulated
 * member (`Membership.stats()`), so the loss benchmark can set both side by side: probe rounds, their
 * outcomes, ping-reqs, suspicions, refutations, and how many direct acks came back late.
 */
import type { MembershipStats } from '../../../dist/membership/index.js'
import { sumProm } from './prom.ts'
import type { PromSample } from './prom.ts'

/** A direct ack slower than this (ms) was held up (a retransmission): LAN round trips are ~1 ms. */
export const LATE_ACK_MS = 100

export interface ProbeCounters {
  /** Probe rounds completed (murmur_probes_total). */
  probes: number
  /** Rounds with no ack, direct or indirect: each makes a suspicion (murmur_probes_failed_total). */
  probesFailed: number
  /** Rounds left undecided while the ping waited for its connection. */
  probesDeferred: number
  /** ping-req messages sent after a missed direct ack (k = 3 per missed round). */
  indirectProbes: number
  /** Members this peer saw become suspect: its own suspicions and those gossiped to it. */
  suspicions: number
  /** Accusations about this peer that it refuted. */
  refutations: number
  /** Direct acks received in time (the probe RTT histogram's count). */
  directAcks: number
  /** Of those, acks slower than LATE_ACK_MS. */
  lateAcks: number
}

export const ZERO: ProbeCounters = { probes: 0, probesFailed: 0, probesDeferred: 0, indirectProbes: 0, suspicions: 0, refutations: 0, directAcks: 0, lateAcks: 0 }

const KEYS = Object.keys(ZERO) as Array<keyof ProbeCounters>

export function addCounters (a: ProbeCounters, b: ProbeCounters): ProbeCounters {
  return Object.fromEntries(KEYS.map(k => [k, a[k] + b[k]])) as unknown as ProbeCounters
}

export function subCounters (a: ProbeCounters, b: ProbeCounters): ProbeCounters {
  return Object.fromEntries(KEYS.map(k => [k, a[k] - b[k]])) as unknown as ProbeCounters
}

/** One real peer's counters from its `/metrics` samples. */
export function fromProm (samples: readonly PromSample[]): ProbeCounters {
  const acks = sumProm(samples, 'murmur_probe_rtt_seconds_count')
  const prompt = sumProm(samples, 'murmur_probe_rtt_seconds_bucket', { le: String(LATE_ACK_MS / 1000) })
  return {
    probes: sumProm(samples, 'murmur_probes_total'),
    probesFailed: sumProm(samples, 'murmur_probes_failed_total'),
    probesDeferred: sumProm(samples, 'murmur_probes_deferred_total'),
    indirectProbes: sumProm(samples, 'murmur_indirect_probes_total'),
    suspicions: sumProm(samples, 'murmur_suspicions_total'),
    refutations: sumProm(samples, 'murmur_refutations_total'),
    directAcks: acks,
    lateAcks: acks - prompt
  }
}

/** One simulated member's counters. */
export function fromStats (s: MembershipStats): ProbeCounters {
  const h = s.probeRtt
  const i = h.bounds.indexOf(LATE_ACK_MS)
  if (i < 0) throw new Error(`the probe RTT histogram has no ${LATE_ACK_MS} ms bound`)
  const prompt = h.counts.slice(0, i + 1).reduce((a, b) => a + b, 0)
  return {
    probes: s.probes,
    probesFailed: s.probesFailed,
    probesDeferred: s.probesDeferred,
    indirectProbes: s.indirectProbes,
    suspicions: s.suspicions,
    refutations: s.refutations,
    directAcks: h.count,
    lateAcks: h.count - prompt
  }
}
