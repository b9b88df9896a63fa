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
 */
import type { Clock } from '../core/clock.js'

export class ReadRepairs {
  /** doc → when its last repair started and how many it had, oldest first (re-inserted on each repair). */
  private readonly last = new Map<string, { at: number, count: number }>()

  constructor (
    private readonly clock: Pick<Clock, 'now'>,
    private readonly gapMs: () => number,
    private readonly maxTracked: number
  ) {}

  /**
   * If a repair of `doc` is due now, counts it as started and returns how many came before it (which home
   * to ask: see AntiEntropy.repair); undefined if not due.
   */
  due (doc: string): number | undefined {
    const now = this.clock.now()
    const last = this.last.get(doc)
    if (last !== undefined && now - last.at < this.gapMs()) return undefined
    const count = last === undefined ? 0 : last.count + 1
    this.last.delete(doc)
    this.last.set(doc, { at: now, count })
    // Bounded: forgetting the oldest only allows its next repair sooner.
    if (this.last.size > this.maxTracked) this.last.delete(this.last.keys().next().value as string)
    return count
  }

  clear (): void {
    this.last.clear()
  }
}
