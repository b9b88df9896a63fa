/**
 * One suspicion with Lifeguard's dynamic timeout (memberlist suspicion.go): it expires after `max`, or
 * sooner as distinct members independently confirm it, never before `min`.
 */
import type { Clock, Timer } from '../core/clock.js'
import type { PeerId } from '../core/transport.js'
import { remainingSuspicionMs } from './math.js'

export class Suspicion {
  private readonly confirmations = new Set<PeerId>()
  private readonly startedAt: number
  private timer: Timer
  /** When the timer fires (clock ms). */
  private expiresAt: number

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
    this.expiresAt = this.startedAt + timeout
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
    this.reschedule(Math.min(this.expiresAt - this.clock.now(), remaining))
    return true
  }

  /**
   * Makes the suspicion expire within `ms` from now (at once if ≤ 0), if it would not already: evidence
   * stronger than an accusation (our own dial refused: member-table.ts noteRefused). Never lengthens it.
   */
  expireWithin (ms: number): void {
    if (this.expiresAt - this.clock.now() > ms) this.reschedule(ms)
  }

  private reschedule (ms: number): void {
    this.timer.cancel()
    this.expiresAt = this.clock.now() + Math.max(0, ms)
    this.timer = this.clock.setTimeout(this.onExpire, Math.max(0, ms))
  }

  /** Whether `id` made or confirmed this accusation. */
  accusedBy (id: PeerId): boolean {
    return this.confirmations.has(id)
  }

  cancel (): void {
    this.timer.cancel()
  }
}
