/**
 * How long until a property holds on every peer, each peer asked on its own. Polling the peers one after
 * another and asking for one pass where all of them hold measures the poller as much as the mesh: on the
 * soak's loaded machine an HTTP answer takes 10 ms to over a second, so a pass over 30 peers took seconds
 * on top of the heal it timed. Here each peer is asked until it first holds, a few at a time, and its time
 * is when its own answer arrived.
 */

import { setTimeout as sleep } from 'node:timers/promises'

export interface EachOptions {
  /** Requests in flight at once (a read may make the peer fetch a doc from its homes: keep it small). */
  concurrency: number
  /** Pause between rounds, ms. */
  intervalMs: number
  /** Give up after this, ms. */
  boundMs: number
  /**
   * Filled in as the rounds go: how many, and the longest (ms, without the pause). A peer that came to hold
   * just after it was asked is seen only a round later, so the longest round bounds what the poller adds.
   */
  rounds?: { count: number, longestMs: number }
}

/**
 * Milliseconds from the call until `holds` has answered true for every item, or undefined after
 * `boundMs`. An item that held is not asked again; an answer that throws counts as false.
 */
export async function untilEach<T> (items: readonly T[], holds: (item: T) => Promise<boolean>, o: EachOptions): Promise<number | undefined> {
  const start = Date.now()
  const pending = new Set(items)
  let last = 0
  while (pending.size > 0) {
    if (Date.now() - start >= o.boundMs) return undefined
    const roundStart = Date.now()
    await eachLimited([...pending], o.concurrency, async (item) => {
      if (await holds(item).catch(() => false)) {
        pending.delete(item)
        last = Math.max(last, Date.now() - start)
      }
    })
    if (o.rounds !== undefined) {
      o.rounds.count++
      o.rounds.longestMs = Math.max(o.rounds.longestMs, Date.now() - roundStart)
    }
    if (pending.size > 0) await sleep(o.intervalMs)
  }
  return last
}

/** How many items `holds` now answers false for (or throws), asked `concurrency` at a time. */
export async function countFailing<T> (items: readonly T[], holds: (item: T) => Promise<boolean>, concurrency: number): Promise<number> {
  let failing = 0
  await eachLimited(items, concurrency, async (item) => {
    if (!await holds(item).catch(() => false)) failing++
  })
  return failing
}

async function eachLimited<T> (items: readonly T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await run(items[next++] as T)
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker))
}
