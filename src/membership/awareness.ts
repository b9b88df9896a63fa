/**
 * Lifeguard local health multiplier (LHM): a score in [0, max − 1] that rises when this member misses
 * acks or nacks or has to refute suspicions about itself, and falls with each successful probe.
 * Probe interval and timeout are multiplied by (score + 1): a slow member accuses others less readily.
 *
 * Refutations count only when our own probing agrees (issue 10). Lifeguard (Dadgar et al., 2018, §IV-A,
 * "Local Health Multiplier") raises the score on three events — a failed probe, a missed nack, refuting a
 * suspicion about oneself — because each suggests that *this* member is slow to process messages, and
 * memberlist applies +1 on every refutation. But a suspicion only says that some member's probe of us
 * failed: it may be that member's own slowness or a lossy link near it, and it is an opinion that cannot
 * be authenticated (the accuser's name is relayed, never signed), so any member holding the key can forge
 * suspicions about every honest member at any rate. With +1 per refutation each of them then sat at the
 * maximum score and probed 8× less often: one hostile member slowed everyone's failure detection.
 *
 * The slowness the score is for — a starved CPU, a GC pause, an event loop behind its inbound queue —
 * delays our acks to others' pings *and* the acks of our own probes, which wait in the same queue. So our
 * latest probe round is direct evidence on the very question a refutation raises. If its target acked
 * within the *unscaled* probe timeout (the round would have succeeded at score 0), we are processing
 * messages promptly and the accusation is about someone else's trouble, or forged: the refutation changes
 * nothing. Otherwise (an ack that only the stretched timeout let count, an indirect ack, a failure) it
 * corroborates what our probing sees and adds its +1 — at most once per round, so that forged
 * accusations at any rate cannot turn one bad round (a lost ping, a missed nack) into the maximum score
 * and a long stretch of slow probing. A member that is really slow still climbs: each of its rounds is
 * late and each adds the round's own misses plus one refutation. Before any round has finished (just
 * started, or nobody to probe) there is no evidence either way: one refutation counts.
 */
import { applyAwarenessDelta, scaleByAwareness } from './math.js'

/** What our latest finished probe round says about our own health. */
type Evidence = 'none' | 'prompt' | 'late'

export class Awareness {
  private value = 0
  private evidence: Evidence = 'none'
  /** A refutation has already counted since the latest round finished. */
  private refutationCounted = false

  constructor (private readonly maxMultiplier: number, private readonly onChange: (score: number) => void = () => {}) {}

  get score (): number {
    return this.value
  }

  /**
   * A probe round of ours finished, with its Lifeguard delta (−1 for a direct ack; for a failure, the
   * missed nacks, or 1 with no helpers; 0 otherwise) and whether it was `prompt`: directly acked within
   * the unscaled probe timeout.
   */
  probeRound (delta: number, prompt: boolean): void {
    this.evidence = prompt ? 'prompt' : 'late'
    this.refutationCounted = false
    this.apply(delta)
  }

  /** We refuted a suspicion about ourselves. Returns whether it raised the score (see the file comment). */
  refuted (): boolean {
    if (this.evidence === 'prompt' || this.refutationCounted) return false
    this.refutationCounted = true
    this.apply(1)
    return true
  }

  scale (timeoutMs: number): number {
    return scaleByAwareness(timeoutMs, this.value)
  }

  private apply (delta: number): void {
    const next = applyAwarenessDelta(this.value, delta, this.maxMultiplier)
    if (next !== this.value) {
      this.value = next
      this.onChange(next)
    }
  }
}
