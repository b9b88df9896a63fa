/**
 * The rounds a member gets when it comes alive — joined, back after a partition, or refuted a suspicion —
 * at most one per member per interval. The first runs at once (a heal or a join is synced without delay);
 * later ones within the interval are folded into a single round at its end, so nothing that came alive
 * goes without a round after it.
 *
 * Why: a suspicion that is refuted makes the member alive again, and each such flap used to start a shared
 * round with it. A member forging suspicions of everyone (issue 10) had every honest pair flapping a few
 * times a second; the rounds that followed were 30 sync frames a second per honest peer, more than the
 * forged frames themselves, and doubled the honest members' probe round trips. One round per interval
 * still carries what pushes skipped while the member was suspect.
 */
import type { Clock, Timer } from '../core/clock.js'
import type { PeerId } from '../core/transport.js'

export interface AliveResyncsOptions {
  clock: Clock
  /** The least time between two rounds for one member (anti-entropy's interval). */
  gapMs: () => number
  /** Starts the rounds owed to `peer` (it is alive when this runs). */
  run: (peer: PeerId) => void
  /** Whether `peer` is still alive (a folded round is not run for a member that went away meanwhile). */
  isAlive: (peer: PeerId) => boolean
}

/** Members tracked at most; past it, the oldest entries are forgotten (a forgotten member is synced at once). */
const MAX_TRACKED = 4_096

export class AliveResyncs {
  private readonly last = new Map<PeerId, number>()
  private readonly folded = new Map<PeerId, Timer>()

  constructor (private readonly o: AliveResyncsOptions) {}

  /** `peer` came alive: its rounds now, or once at the end of the interval since its last ones. */
  cameAlive (peer: PeerId): void {
    const now = this.o.clock.now()
    const last = this.last.get(peer)
    const gap = this.o.gapMs()
    if (last === undefined || now - last >= gap) {
      this.start(peer, now)
      return
    }
    if (this.folded.has(peer)) return
    this.folded.set(peer, this.o.clock.setTimeout(() => {
      this.folded.delete(peer)
      if (this.o.isAlive(peer)) this.start(peer, this.o.clock.now())
    }, last + gap - now))
  }

  get pending (): number {
    return this.folded.size
  }

  clear (): void {
    for (const t of this.folded.values()) t.cancel()
    this.folded.clear()
    this.last.clear()
  }

  private start (peer: PeerId, now: number): void {
    this.last.delete(peer) // re-inserted last: the map stays in order of the latest round
    this.last.set(peer, now)
    if (this.last.size > MAX_TRACKED) {
      const oldest = this.last.keys().next().value
      if (oldest !== undefined) this.last.delete(oldest)
    }
    this.o.run(peer)
  }
}
