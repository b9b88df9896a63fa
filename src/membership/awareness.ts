/**
 * Lifeguard local health multiplier (LHM): a score in [0, max − 1] that rises when this member misses
 * acks or nacks or has to refute suspicions about itself, and falls with each successful probe.
 * Probe interval and timeout are multiplied by (score + 1): a slow member accuses others less readily.
 */
import { applyAwarenessDelta, scaleByAwareness } from './math.js'

export class Awareness {
  private value = 0

  constructor (private readonly maxMultiplier: number, private readonly onChange: (score: number) => void = () => {}) {}

  get score (): number {
    return this.value
  }

  apply (delta: number): void {
    const next = applyAwarenessDelta(this.value, delta, this.maxMultiplier)
    if (next !== this.value) {
      this.value = next
      this.onChange(next)
    }
  }

  scale (timeoutMs: number): number {
    return scaleByAwareness(timeoutMs, this.value)
  }
}
