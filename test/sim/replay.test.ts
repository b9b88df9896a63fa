/**
 * Duplicated delivery ("replay", after TigerBeetle's simulator): the simulator delivers a share of frames a
 * second time, up to a second later and out of order. Production never duplicates a frame, but a protocol
 * that is only correct when every frame arrives once is one reconnect away from a bug: acks, sequence
 * numbers, push-pull replies and flush ids must all be idempotent.
 */
import { describe, expect, it } from 'vitest'
import type { VersionVectorJSON } from '../../src/replication/version-vector.js'
import { SimCluster } from '../../src/sim/index.js'
import { useSeed } from '../helpers/replay.js'
import { StaticCluster, settle } from '../replication/helpers.js'

const FILE = 'test/sim/replay.test.ts'

describe('membership under replay', () => {
  it('20 % of frames delivered twice for 3 minutes: the mesh forms, a crash is detected, no healthy member is suspected to death', () => {
    const seed = useSeed(0x6a_0001, FILE, '20 % of frames delivered twice')
    const c = new SimCluster({ size: 30, seed, link: { duplicate: 0.2 }, record: ['suspect', 'dead'] })
    expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === 30, 60_000), 'formed').toBeDefined()
    c.network.runFor(60_000)
    const victim = c.ids[12] as string
    c.crash(victim)
    expect(c.runUntilAll((_, ms) => ms.find(m => m.id === victim)?.state === 'dead', 60_000), 'the crash is detected').toBeDefined()
    c.network.runFor(60_000)
    const deaths = c.events.filter(e => e.type === 'dead' && e.subject !== victim)
    const stats = c.runningIds().map(id => c.membership(id).stats())
    const lateAcks = stats.reduce((n, s) => n + s.unexpectedAcks, 0)
    console.log(`replay: ${c.network.duplicated} frames delivered twice; ${lateAcks} duplicated acks and nacks ignored; ${deaths.length} false deaths`)
    expect(c.network.duplicated).toBeGreaterThan(1_000)
    expect(deaths).toEqual([])
    // Every duplicated ack found its probe already finished, and was ignored (not counted twice).
    expect(lateAcks).toBeGreaterThan(0)
    expect(c.allSeeAlive(c.runningIds())).toBe(true)
    c.stopAll()
  })
})

interface Outcome { settled: boolean, value?: VersionVectorJSON, error?: Error }

function track (p: Promise<VersionVectorJSON>): Outcome {
  const o: Outcome = { settled: false }
  p.then(v => { o.settled = true; o.value = v }, (e: unknown) => { o.settled = true; o.error = e as Error })
  return o
}

async function runUntilSettled (c: StaticCluster, o: Outcome, maxMs: number): Promise<void> {
  for (let t = 0; t < maxMs && !o.settled; t += 5) {
    c.network.runFor(5)
    await settle()
  }
}

describe('replication under replay', () => {
  it('every frame delivered twice: a flush waiting for 3 copies is not satisfied by one replica acking twice', async () => {
    const c = new StaticCluster({ size: 4, seed: 0x6a_0002, link: { duplicate: 1 }, replication: { pushFanout: 0, antiEntropyIntervalMs: 600_000 } })
    c.openAll('doc')
    expect(c.network.runUntil(() => c.ids.every(id => c.r(id).hostsOf('doc').length === 3), 30_000)).toBeDefined()
    // Only n1 can hear n0; its acks arrive twice. A write concern counts n0's own durable copy, so 3 copies
    // need n1 and one of n2, n3: n1 acking twice must not make up the third.
    c.network.partition(['n0', 'n1'], ['n2', 'n3'])
    const write = track(c.r('n0').write('doc', d => { d.getMap('kv').set('k', 1) }))
    await runUntilSettled(c, write, 1_000)
    const flush = track(c.r('n0').flush('doc', { replicas: 3, timeoutMs: 2_000 }))
    await runUntilSettled(c, flush, 3_000)
    expect(flush.error?.name).toBe('TimeoutError')
    // With the partition healed the same flush succeeds, and replicas converge despite every frame twice.
    c.network.heal()
    const again = track(c.r('n0').flush('doc', { replicas: 4, timeoutMs: 5_000 }))
    await runUntilSettled(c, again, 5_000)
    expect(again.error).toBeUndefined()
    expect(again.value).toEqual(write.value)
    expect(c.network.runUntil(() => c.converged(['doc']), 30_000)).toBeDefined()
    expect(c.network.duplicated).toBeGreaterThan(0)
    c.stop()
  })

  it('every frame delivered twice: 200 concurrent writes from four replicas converge to the same content', async () => {
    const c = new StaticCluster({ size: 4, seed: 0x6a_0003, link: { duplicate: 1 } })
    c.openAll('doc')
    expect(c.network.runUntil(() => c.ids.every(id => c.r(id).hostsOf('doc').length === 3), 30_000)).toBeDefined()
    const writes: Outcome[] = []
    for (let i = 0; i < 50; i++) {
      for (const id of c.ids) writes.push(track(c.r(id).write('doc', d => { d.getMap('kv').set(`${id}-${i}`, i) })))
      c.network.runFor(10)
      await settle()
    }
    expect(c.network.runUntil(() => c.converged(['doc']), 60_000)).toBeDefined()
    await settle()
    expect(writes.every(w => w.value !== undefined)).toBe(true)
    c.stop()
  })
})
