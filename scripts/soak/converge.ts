/**
 * How long until a property holds on every peer, each peer asked on its own. Polling the peers one after
 * another and asking for one pass where all of them hold measures the poller as much as the mesh: on the
 * soak's loaded machine an HTTP answer takes 10 ms to over a second, so a pass over 30 peers took seconds
 * on top of the heal it timed. Rounds (ask every peer, wait for all the answers, ask again) still did: a
 * peer that came to hold just after it was asked was seen only after the round's slowest answer, and the
 * first read of a doc after a heal fetches it from its homes (0.5 s median, some over 2 s on the 50-peer
 * soak), so a round over 50 peers ten at a time took 8–10 s. Here each peer has its own loop — ask, pause,
 * ask again — with at most `concurrency` requests in flight over all of them, and its time is when its own
 * answer arrived.
 */

import { setTimeout as sleep } from 'node:timers/promises'

export interface EachOptions {
  /** Requests in flight at once over all items (one per item at most). */
  concurrency: number
  /** Pause between an item's answer and its next question, ms. */
  intervalMs: number
  /** Give up after this, ms. */
  boundMs: number
  /**
   * Filled in as the polls go: how many questions, and the slowest answer (ms). A peer that came to hold
   * just after it was asked is seen at its next answer, so the slowest answer plus the pause bounds what the
   * poller adds to a peer's time.
   */
  polls?: { count: number, slowestMs: number }
}

/**
 * Milliseconds from the call until `holds` has answered true for every item, or undefined after
 * `boundMs`. An item that held is not asked again; an answer that throws counts as false.
 */
export async function untilEach<T> (items: readonly T[], holds: (item: T) => Promise<boolean>, o: EachOptions): Promise<number | undefined> {
  const start = Date.now()
  const slots = new Slots(o.concurrency)
  let last = 0
  let missed = false
  await Promise.all(items.map(async (item) => {
    for (;;) {
      if (Date.now() - start >= o.boundMs) {
        missed = true
        return
      }
      const asked = await slots.run(async () => {
        const t = Date.now()
        const ok = await holds(item).catch(() => false)
        if (o.polls !== undefined) {
          o.polls.count++
          o.polls.slowestMs = Math.max(o.polls.slowestMs, Date.now() - t)
        }
        return ok
      })
      if (asked) {
        last = Math.max(last, Date.now() - start)
        return
      }
      await sleep(o.intervalMs)
    }
  }))
  return missed ? undefined : last
}

/** How many items `holds` now answers false for (or throws), asked `concurrency` at a time. */
export async function countFailing<T> (items: readonly T[], holds: (item: T) => Promise<boolean>, concurrency: number): Promise<number> {
  const slots = new Slots(concurrency)
  const answers = await Promise.all(items.map(async item => await slots.run(async () => await holds(item).catch(() => false))))
  return answers.filter(ok => !ok).length
}

/** At most `limit` runs at once; the others wait in line, first come first served. */
class Slots {
  private free: number
  private readonly line: Array<() => void> = []

  constructor (limit: number) {
    this.free = Math.max(1, limit)
  }

  async run<R> (fn: () => Promise<R>): Promise<R> {
    if (this.free > 0) this.free--
    else await new Promise<void>(resolve => { this.line.push(resolve) })
    try {
      return await fn()
    } finally {
      const next = this.line.shift()
      if (next !== undefined) next()
      else this.free++
    }
  }
}
