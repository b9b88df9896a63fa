/**
 * One suspicion with Lifeguard's dynamic timeout (memberlist suspicion.go): it expires after `max`, or
 * sooner as distinct members independently confirm it, never before `min`.
 */
import type { Clock, Timer } from '../core/clock.js'
import type { PeerId } from '../core/transport.js'
import { remainingSuspicionMs } from './math.js'

export class Suspicion {
  private readonly confirmations = new Set<PeerId>()
  /** Members that declared the suspect dead at this suspicion's incarnation (their `dead` reached us). */
  private readonly verdicts = new Set<PeerId>()
  private waiting: { needed: number, onEnough: () => void, fallback: Timer } | undefined
  private readonly startedAt: number
  private timer: Timer

  /**
   * @param from the first accuser (counts as the suspicion's origin, not as a confirmation)
   * @param k confirmations expected before the timeout reaches `minMs`
   * @param onExpire called once when the suspicion times out
   */
  constructor (
    private readonly clock: Clock,
    from: PeerId,
    private readonly k: number,
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly onExpire: () => void
  ) {
    this.confirmations.add(from)
    this.startedAt = clock.now()
    const timeout = k < 1 ? minMs : maxMs
    this.timer = clock.setTimeout(onExpire, timeout)
  }

  /** Distinct confirmations beyond the first accuser. */
  get confirmationCount (): number {
    return this.confirmations.size - 1
  }

  /**
   * Records an independent confirmation from `from`. Returns true if it was new (and the timeout was
   * shortened), false if `from` already accused or enough confirmations are in.
   */
  confirm (from: PeerId): boolean {
    if (this.confirmationCount >= this.k || this.confirmations.has(from)) return false
    this.confirmations.add(from)
    const elapsed = this.clock.now() - this.startedAt
    const remaining = remainingSuspicionMs(this.confirmationCount, this.k, elapsed, this.minMs, this.maxMs)
    this.timer.cancel()
    this.timer = this.clock.setTimeout(this.onExpire, Math.max(0, remaining))
    return true
  }

  /** A member declared the suspect dead (its verdict, gossiped). */
  addVerdict (from: PeerId): void {
    if (from === '' || this.verdicts.has(from)) return
    this.verdicts.add(from)
    const w = this.waiting
    if (w !== undefined && this.verdicts.size >= w.needed) {
      this.waiting = undefined
      w.fallback.cancel()
      w.onEnough()
    }
  }

  get verdictCount (): number {
    return this.verdicts.size
  }

  /**
   * The timeout ran out here but this member does not verify: `onEnough` once `needed` verdicts are in
   * (at once if they are), or `onFallback` after `fallbackMs` without them (the verifiers may be gone too).
   */
  awaitVerdicts (needed: number, fallbackMs: number, onEnough: () => void, onFallback: () => void): void {
    if (this.verdicts.size >= needed) {
      onEnough()
      return
    }
    this.waiting = {
      needed,
      onEnough,
      fallback: this.clock.setTimeout(() => {
        this.waiting = undefined
        onFallback()
      }, fallbackMs)
    }
  }

  cancel (): void {
    this.timer.cancel()
    this.waiting?.fallback.cancel()
    this.waiting = undefined
  }
}
