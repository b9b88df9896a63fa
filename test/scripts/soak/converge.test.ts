/**
 * scripts/soak/converge.ts: each peer's time is its own answer's, peers that held are not asked again,
 * requests in flight stay within the limit, a property that never holds gives up at the bound, and each
 * peer is asked again at its own pace (not in rounds held up by the slowest answer).
 */
import { describe, expect, test } from 'vitest'
import { countFailing, untilEach } from '../../../scripts/soak/converge.ts'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('untilEach', () => {
  test('ten slow peers that all hold from the start: one answer\'s latency, not the sum of ten', async () => {
    const items = Array.from({ length: 10 }, (_, i) => i)
    const ms = await untilEach(items, async () => { await sleep(100); return true }, { concurrency: 10, intervalMs: 20, boundMs: 5_000 })
    // One after another (the soak's former poll) this took ≥ 1,000 ms.
    expect(ms).toBeGreaterThanOrEqual(95)
    expect(ms).toBeLessThan(600)
  })

  test('the time is the last peer\'s to hold; a peer that held is not asked again', async () => {
    const start = Date.now()
    const holdsFrom = new Map([['a', 0], ['b', 150], ['c', 400]])
    const asked = new Map<string, number>()
    const ms = await untilEach([...holdsFrom.keys()], async (id) => {
      asked.set(id, (asked.get(id) ?? 0) + 1)
      return Date.now() - start >= (holdsFrom.get(id) as number)
    }, { concurrency: 2, intervalMs: 25, boundMs: 5_000 })
    expect(ms).toBeGreaterThanOrEqual(400)
    expect(ms).toBeLessThan(1_000)
    expect(asked.get('a')).toBe(1)
    expect(asked.get('c') as number).toBeGreaterThan(asked.get('b') as number)
  })

  test('never more requests in flight than the limit', async () => {
    let inFlight = 0
    let most = 0
    await untilEach(Array.from({ length: 12 }, (_, i) => i), async () => {
      inFlight++
      most = Math.max(most, inFlight)
      await sleep(10)
      inFlight--
      return true
    }, { concurrency: 3, intervalMs: 10, boundMs: 5_000 })
    expect(most).toBe(3)
  })

  test('a peer that holds is seen at its own next answer, not after the slowest peer\'s', async () => {
    const start = Date.now()
    let fastHeldAt = 0
    const polls = { count: 0, slowestMs: 0 }
    // Seven slow peers (300 ms an answer, holding from 1 s) and a fast one (10 ms, holding from 100 ms). Asked in
    // rounds, the fast peer was asked again only once the round's slow answers were in: seen at ≥ 300 ms.
    await untilEach(Array.from({ length: 8 }, (_, i) => i), async (i) => {
      await sleep(i === 7 ? 10 : 300)
      const ok = Date.now() - start >= (i === 7 ? 100 : 1_000)
      if (ok && i === 7) fastHeldAt = Date.now() - start
      return ok
    }, { concurrency: 8, intervalMs: 20, boundMs: 5_000, polls })
    expect(fastHeldAt).toBeGreaterThanOrEqual(100)
    expect(fastHeldAt).toBeLessThan(250)
    expect(polls.slowestMs).toBeGreaterThanOrEqual(290)
    expect(polls.slowestMs).toBeLessThan(900)
    expect(polls.count).toBeGreaterThan(8)
  })

  test('an answer that throws counts as not yet; a property that never holds gives up at the bound', async () => {
    let calls = 0
    const ms = await untilEach([1, 2], async (i) => {
      calls++
      if (i === 1) throw new Error('peer down')
      return false
    }, { concurrency: 2, intervalMs: 20, boundMs: 200 })
    expect(ms).toBeUndefined()
    expect(calls).toBeGreaterThan(4)
  })
})

describe('countFailing', () => {
  test('counts the items that answer false or throw', async () => {
    const n = await countFailing([1, 2, 3, 4], async (i) => {
      if (i === 4) throw new Error('down')
      return i % 2 === 1
    }, 2)
    expect(n).toBe(2)
  })
})
