/**
 * Caught up: whether a peer that started with docs in its store has compared them with their other homes.
 *
 * A restarted peer answers reads from its own copy at once; what the mesh wrote while it was down reaches
 * it through anti-entropy a moment after it joins (0.5–2 s on loopback). Readiness (`GET /ready`, the
 * probe a load balancer or Kubernetes routes reads by) asks this too, so reads go to a peer only once they
 * see what the others acknowledged.
 *
 * Caught up means: every doc held here that this peer homes, and that has another live home, has had a
 * shared anti-entropy round started here complete with one of those homes, a round that compared every doc
 * the two both home: summaries equal, or a listing neither truncated (more docs than a round lists) nor
 * trimmed by the responder (its listing budget for this peer spent: listing-budget.ts; or docs it left out
 * because another exchange of them was under way there, with another peer or in another round; its reply
 * says so, and such a round, though it completes, does not count; a responder from before that flag does
 * not say so, and its rounds count as they did). A home that is catching up itself says so in its summary
 * reply: two homes restarted together hold equally stale copies, whose summaries match, so a round with
 * such a home counts only once every other live home of the doc was compared with (if all of them were
 * catching up, between them they hold what any of their stores held). Docs with no other live home have nothing to wait for; guest
 * copies are not counted (a read of one asks a home anyway: read repair). Once caught up, a peer stays so:
 * a later partition does not take readiness away. A peer whose rounds cannot count (its homes busy, more
 * docs than a round lists, or its homes' budgets for it spent at every round) is called caught up
 * `boundMs` after it was first asked with another member in the placement (the replicator asks at every
 * tick until done), and says so in its log. Alone, it is not caught up (nothing to compare with): callers
 * that let a lone peer be ready ask only when another member is alive.
 */
import type { PeerId } from '../core/transport.js'

export interface CatchUpState {
  /** Caught up (or past the bound): stays true. */
  done: boolean
  /** Docs homed here still waiting for a round with another of their homes (0 once done). */
  pending: number
}

export interface CatchUpInput {
  now: number
  /** The docs held here (the catalog's entries). */
  held: Iterable<{ readonly name: string }>
  /** The homes of `doc` under the placement's member set (this peer among them if it is one). */
  homes: (doc: string) => readonly PeerId[]
  /** The placement's member set (alive or suspect members, this peer included): the set `homes` is computed from. */
  members: ReadonlySet<PeerId>
  /** Whether a shared round started here has compared every doc both home with `peer`. */
  compared: (peer: PeerId) => boolean
  /**
   * Whether such a round compared with `peer` while `peer` said it was catching up itself: it counts for a
   * doc only once every other live home of the doc was compared with. Optional: none.
   */
  comparedStale?: (peer: PeerId) => boolean
}

export type CatchUpOutcome = 'caught up' | 'bound passed'

export class CatchUp {
  private done = false
  /** When it was first asked with another member in the placement: the bound counts from there. */
  private since: number | undefined

  constructor (
    private readonly localId: PeerId,
    private readonly boundMs: number,
    /** Told once, when the state turns done. */
    private readonly onDone: (outcome: CatchUpOutcome, pending: number, sinceMs: number) => void
  ) {}

  check (input: CatchUpInput): CatchUpState {
    if (this.done) return { done: true, pending: 0 }
    // Alone (or before the placement has heard of anyone): nothing to compare with yet, and not done either,
    // or a peer asked before it joined would call itself caught up for good.
    if (input.members.size <= (input.members.has(this.localId) ? 1 : 0)) return { done: false, pending: 0 }
    const since = this.since ??= input.now
    let pending = 0
    for (const { name } of input.held) {
      const homes = input.homes(name)
      if (!homes.includes(this.localId)) continue
      let others = false
      let compared = false
      let everyOther = true
      for (const h of homes) {
        if (h === this.localId || !input.members.has(h)) continue
        others = true
        if (input.compared(h)) {
          compared = true
          break
        }
        if (input.comparedStale?.(h) !== true) everyOther = false
      }
      // Rounds with homes that were catching up too count once every other live home was compared with: all of
      // them restarted, and between them we hold what any of their stores held (a whole mesh restarted at once).
      if (others && !compared && !everyOther) pending++
    }
    const waited = input.now - since
    if (pending === 0 || waited >= this.boundMs) {
      this.done = true
      this.onDone(pending === 0 ? 'caught up' : 'bound passed', pending, waited)
      return { done: true, pending: 0 }
    }
    return { done: false, pending }
  }
}
