/**
 * Membership configuration: all-optional `MembershipInit`, named presets, one resolve/validate step.
 * Presets follow memberlist's DefaultLANConfig / DefaultLocalConfig so figures can be compared with Serf.
 */
import { mergeConfig } from '../core/config.js'
import { ConfigError } from '../core/errors.js'

export interface MembershipConfig {
  /**
   * T, the protocol period: each member probes one other member every T (scaled up by local health).
   * Expected time to first detection of a failure is T·e/(e−1) ≈ 1.58 T; worst case 2N−1 periods with
   * round-robin targets. Lower T detects faster and costs proportionally more messages.
   */
  probeIntervalMs: number
  /**
   * How long to wait for a direct ack before asking k others to probe (ping-req). Should sit well above
   * the 99th percentile round trip (dial included when no connection is open).
   */
  probeTimeoutMs: number
  /** k, members asked to probe indirectly after a missed ack. More k → fewer false suspicions, more messages. */
  indirectChecks: number
  /**
   * Suspicion timeout = suspicionMult · max(1, log10 n) · T at minimum (see math.ts). Also sets the number of
   * independent confirmations Lifeguard waits for: suspicionMult − 2.
   */
  suspicionMult: number
  /** A fresh suspicion starts at suspicionMaxTimeoutMult × the minimum and shrinks with confirmations. */
  suspicionMaxTimeoutMult: number
  /**
   * Members that ping a suspect whose suspicion ran out before declaring it dead (chosen by hash, the same
   * at every observer: verifiers.ts); the others wait one more suspicion minimum for their verdict, then
   * verify themselves (member-table.ts onSuspicionExpired). At least the member count: every observer
   * verifies, as before issue 11. 0: nobody is chosen, every observer waits, then verifies.
   */
  suspicionVerifiers: number
  /** Lifeguard local health: timeouts are scaled by up to this factor when this member seems slow. 1 = off. */
  awarenessMaxMultiplier: number
  /**
   * Lifeguard buddy system: a ping to a suspect carries the suspicion first, so the suspect learns of it at
   * once and can refute, instead of waiting for gossip to reach it.
   */
  buddySystem: boolean
  /**
   * A dial of ours that a member's host refuses (nothing listens at its address: its process is gone) makes
   * us suspect it, and our suspicion ends within two probe intervals instead of Lifeguard's minimum
   * (member-table.ts noteRefused). Faster crash detection than memberlist can have: its UDP probes get no
   * such answer. Off: a refusal only ends a probe's direct phase early.
   */
  refusalEvidence: boolean
  /** How often queued updates are pushed (not just piggybacked) to gossipNodes random members; idle → no sends. */
  gossipIntervalMs: number
  /** Members each gossip round sends to. */
  gossipNodes: number
  /** Recently dead members still receive gossip for this long, so a falsely-dead member learns it and refutes. */
  gossipToTheDeadMs: number
  /** λ: each update is sent λ·⌈ln(n+1)⌉ times by every member that learns it (see math.ts retransmitLimit). */
  retransmitMult: number
  /** Full-state exchange with one random member every this long (scaled by log2 n above 32 members). */
  pushPullIntervalMs: number
  /** Every this long, with probability dead/alive (Serf), try a push-pull with one random dead member (and a seed if the view shrank). */
  reconnectIntervalMs: number
  /** Dead members are kept and re-tried for this long, then forgotten. Long, so partitions heal on their own. */
  reconnectWindowMs: number
  /** Members that left are listed for this long (a tombstone), then forgotten. */
  leftRetentionMs: number
  /**
   * Forgotten members (the two windows above) whose last own record is still remembered, so that a replay
   * of an older one cannot revive them (forgotten.ts): the most recently forgotten, at most this many and
   * this many KiB of records. 0: none (any old record of a forgotten member is taken as news again).
   */
  forgottenMembers: number
  /** Byte budget of piggybacked gossip per frame. */
  maxPiggybackBytes: number
  /** Updates queued for dissemination; past this, those sent most often are dropped first. */
  maxBroadcastQueue: number
  /**
   * Members this peer keeps (any state). Past it, unknown members are refused (counted), so one hostile
   * peer cannot grow every table without bound; 16,384 leaves room far beyond the 1,000-peer target.
   */
  maxMembers: number
  /** On leave, wait at most this long for the `left` update to be sent before stopping. */
  leaveTimeoutMs: number
  /** A join (push-pull with the seeds) gives up after this long. */
  joinTimeoutMs: number
}

export type MembershipInit = Partial<MembershipConfig>

/** Like memberlist's DefaultLANConfig: a LAN or a single data centre. */
export const LAN_PRESET: Readonly<MembershipConfig> = Object.freeze({
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  // Three, not indirectChecks (1 in the local preset): a chosen verifier may itself be slow, cut off or
  // gone, and only if all of them are does detection cost the fallback's extra suspicion minimum; three
  // pings instead of N − 1 is already the saving that matters to an overloaded suspect.
  suspicionVerifiers: 3,
  awarenessMaxMultiplier: 8,
  buddySystem: true,
  refusalEvidence: true,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadMs: 30_000,
  retransmitMult: 4,
  pushPullIntervalMs: 30_000,
  // memberlist has no reconnect loop (Serf's is 30 s); we retry faster so a healed partition re-merges in
  // seconds. One small exchange per member per interval, only while something is dead.
  reconnectIntervalMs: 2_000,
  reconnectWindowMs: 24 * 3_600_000,
  leftRetentionMs: 3_600_000,
  // As many as the member table holds: ~0.7 KiB each for a libp2p member (11 MiB when full), at most 16 MiB.
  forgottenMembers: 16_384,
  // Frames ride TCP, so there is no 1,400-byte MTU constraint as in memberlist; a larger budget drains a
  // join storm faster. 4 KiB is ~25 alive updates with addresses.
  maxPiggybackBytes: 4096,
  maxBroadcastQueue: 8192,
  maxMembers: 16_384,
  leaveTimeoutMs: 1_000,
  joinTimeoutMs: 5_000
})

/** Like memberlist's DefaultLocalConfig: one machine or a very fast network. */
export const LOCAL_PRESET: Readonly<MembershipConfig> = Object.freeze({
  ...LAN_PRESET,
  probeTimeoutMs: 200,
  indirectChecks: 1,
  suspicionMult: 3,
  gossipIntervalMs: 100,
  gossipToTheDeadMs: 15_000,
  retransmitMult: 2,
  pushPullIntervalMs: 15_000,
  reconnectIntervalMs: 1_000
})

/**
 * For the simulator: LAN timing, so simulated figures predict a LAN deployment, with retention windows
 * shortened to bound the memory of long runs.
 */
export const SIM_PRESET: Readonly<MembershipConfig> = Object.freeze({
  ...LAN_PRESET,
  reconnectWindowMs: 3_600_000,
  leftRetentionMs: 600_000
})

export const PRESETS = { lan: LAN_PRESET, local: LOCAL_PRESET, sim: SIM_PRESET } as const
export type PresetName = keyof typeof PRESETS

export function isPresetName (name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name)
}

/**
 * Merges `init` over the preset and validates the result.
 * @throws ConfigError naming the first offending field.
 */
export function resolveMembershipConfig (init: MembershipInit = {}, preset: PresetName = 'lan'): MembershipConfig {
  const config = mergeConfig<MembershipConfig>(PRESETS[preset], init, 'membership')
  type NumericKey = { [K in keyof MembershipConfig]: MembershipConfig[K] extends number ? K : never }[keyof MembershipConfig]
  const positive: NumericKey[] = [
    'probeIntervalMs', 'probeTimeoutMs', 'suspicionMult', 'suspicionMaxTimeoutMult', 'awarenessMaxMultiplier',
    'gossipIntervalMs', 'gossipNodes', 'retransmitMult', 'pushPullIntervalMs', 'reconnectIntervalMs',
    'maxPiggybackBytes', 'maxBroadcastQueue', 'maxMembers', 'leaveTimeoutMs', 'joinTimeoutMs'
  ]
  for (const key of positive) {
    if (!Number.isFinite(config[key]) || config[key] <= 0) throw new ConfigError(`${key} must be a positive number, got ${config[key]}`)
  }
  const nonNegative: NumericKey[] = ['indirectChecks', 'suspicionVerifiers', 'gossipToTheDeadMs', 'reconnectWindowMs', 'leftRetentionMs', 'forgottenMembers']
  for (const key of nonNegative) {
    if (!Number.isFinite(config[key]) || config[key] < 0) throw new ConfigError(`${key} must be ≥ 0, got ${config[key]}`)
  }
  if (config.probeTimeoutMs >= config.probeIntervalMs) {
    throw new ConfigError(`probeTimeoutMs (${config.probeTimeoutMs}) must be below probeIntervalMs (${config.probeIntervalMs}) to leave time for indirect probes`)
  }
  if (config.suspicionMaxTimeoutMult < 1) throw new ConfigError('suspicionMaxTimeoutMult must be ≥ 1')
  if (!Number.isInteger(config.indirectChecks) || !Number.isInteger(config.gossipNodes) || !Number.isInteger(config.suspicionVerifiers) || !Number.isInteger(config.forgottenMembers)) {
    throw new ConfigError('indirectChecks, gossipNodes, suspicionVerifiers and forgottenMembers must be integers')
  }
  if (config.maxPiggybackBytes < 512) throw new ConfigError('maxPiggybackBytes must be at least 512')
  return config
}

/**
 * The same configuration with Lifeguard's three refinements switched off (plain SWIM): no local health
 * scaling, a fixed suspicion timeout (the minimum), no buddy system. For comparisons in tests and benchmarks.
 */
export function withoutLifeguard (config: MembershipInit = {}): MembershipInit {
  return { ...config, awarenessMaxMultiplier: 1, suspicionMaxTimeoutMult: 1, buddySystem: false }
}
