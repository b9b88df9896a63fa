/**
 * Read repair (as in Dynamo and Cassandra): a read answered from a guest copy — a doc stored here that this
 * peer does not home and the app does not hold open, most often one fetched for an earlier read — asks the
 * doc's homes for what they hold beyond it. Such a copy gets the pushes of new writes (its homes know it
 * hosts the doc) but nothing they learn by anti-entropy, and its handoff round asks for nothing back (the
 * copy is dropped once the homes hold it). So after a heal it went on answering with its own side's writes
 * until it was dropped and fetched again: 1–16 s after the heal in the 30-peer soak (issue 14).
 *
 * The read itself never waits: it answers from the copy now, and a later read sees the repair. At most one
 * repair per doc per `readRepairIntervalMs` (1 s), each a plain round with one live home, the next one at
 * each repair (a home this peer cannot reach at the moment is not asked again and again): an idle repair
 * costs two small frames.
 *
 * A copy kept for its reads (rebalancer.ts READ_COPY_KEEP_MS) is asked for widely — its live homes and the
 * hosts of the doc it holds a connection to (every connected live peer in a small mesh): AntiEntropy.repairWidely
 * — once the member set changed since it was fetched or last asked for that way, and on every repair for
 * WIDE_REPAIR_MS after a change. After a heal the homes hold different sides' writes until they have compared
 * with each other, and the other side's writer may hold a write no home has yet. In the 20-peer heal model
 * (test/replication/declined-steps.test.ts, each peer polled on its own, seeds 1–6, 18 heals) copies dropped
 * and fetched again by each read (before copies were kept) showed both sides' writes everywhere 2.1–4.8 s
 * after a heal, 61.4 s summed; kept copies asked widely only once per change, up to 6.0 s (70.6 s); widely
 * for 10 s after a change, 2.5–4.5 s (63.1 s); with the homes handing on what their own rounds find outside
 * them (co-home-relay.ts) and wide repairs dialling no host but the homes, 1.8–5.3 s (60.2 s).
 */
import type { Clock } from '../core/clock.js'

/** After a change of the member set, every read repair of a kept copy is wide for this long (see above). */
export const WIDE_REPAIR_MS = 10_000

export class ReadRepairs {
  /**
   * doc → when its last repair started, how many it had, and the member-set version it last asked widely
   * at (a fetch, or a wide repair); oldest first (re-inserted on each repair).
   */
  private readonly last = new Map<string, { at: number, count: number, wideAt: number }>()

  constructor (
    private readonly clock: Pick<Clock, 'now'>,
    private readonly gapMs: () => number,
    private readonly maxTracked: number
  ) {}

  /**
   * If a repair of `doc` is due now, counts it as started and returns how many came before it (which home
   * to ask: see AntiEntropy.repair) and whether to ask widely (the member set is at `version` and was at
   * another when the copy was last asked for widely); undefined if not due.
   */
  due (doc: string, version: number): { turn: number, wide: boolean } | undefined {
    const now = this.clock.now()
    const last = this.last.get(doc)
    if (last !== undefined && now - last.at < this.gapMs()) return undefined
    const turn = last === undefined ? 0 : last.count + 1
    // Unknown here (forgotten, or fetched before this peer tracked it): narrow, as before.
    const wide = last !== undefined && last.wideAt !== version
    this.remember(doc, { at: now, count: turn, wideAt: wide || last === undefined ? version : last.wideAt })
    return { turn, wide }
  }

  /** `doc` was just fetched for a read, from every peer a first read asks, with the member set at `version`. */
  fetched (doc: string, version: number): void {
    this.remember(doc, { at: this.clock.now(), count: this.last.get(doc)?.count ?? 0, wideAt: version })
  }

  private remember (doc: string, entry: { at: number, count: number, wideAt: number }): void {
    this.last.delete(doc)
    this.last.set(doc, entry)
    // Bounded: forgetting the oldest only allows its next repair sooner.
    if (this.last.size > this.maxTracked) this.last.delete(this.last.keys().next().value as string)
  }

  clear (): void {
    this.last.clear()
  }
}
