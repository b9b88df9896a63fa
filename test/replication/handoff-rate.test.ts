/**
 * Handoff rounds of a doc that keeps changing (issue 14). Every peer writing one doc makes every non-home
 * peer a guest of it whose digest changes between two ticks, so no home ever confirms the exact state it
 * holds. A guest used to hand it to each of its R homes at every tick for as long as the writes went on:
 * at 30 real peers writing 2/s each, a third of each home's sync frames were these rounds. The writes
 * themselves are pushed to the homes; a round with a home that answered one lately waits a few ticks.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { hashName, rank } from '../../src/replication/placement.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { until } from '../helpers/sim-until.js'

const FILE = 'test/replication/handoff-rate.test.ts'

function stored (c: ReplicaCluster, id: string, doc: string): Y.Doc {
  const d = new Y.Doc()
  for (const u of c.store(id).entries(doc)) Y.applyUpdate(d, u)
  return d
}

describe('handoff of a doc that keeps changing', () => {
  it('a guest hands a doc written every tick to its homes a few times, not at every tick; once quiet, it is placed exactly', async () => {
    const seed = useSeed(0x4a_0ff, FILE, 'busy doc')
    const c = new ReplicaCluster({ size: 7, seed })
    expect(c.runUntil(() => c.membershipSettled(), 30_000), 'membership formed').toBeDefined()
    const doc = 'busy'
    const homes = rank(hashName(doc), c.ids.map(id => ({ id, hash: hashName(id) })), 3)
    const guests = c.ids.filter(id => !homes.includes(id))
    const rounds = (): number => c.ids.reduce((n, id) => n + c.replicator(id).stats().handoffRounds, 0)
    const writes: Array<Promise<unknown>> = []
    const keys: string[] = []
    const write = (step: number): void => {
      for (const id of c.ids) {
        const key = `${id}-${step}`
        keys.push(key)
        writes.push(c.node(id).write(doc, d => { d.getMap('kv').set(key, step) }))
      }
    }
    // 5 s of writes to warm up, then 20 s measured: every peer writes every 250 ms (sim ticks are 1 s).
    let step = 0
    for (; step < 20; step++) { write(step); c.runFor(250) }
    const before = rounds()
    const t0 = c.network.now
    for (; step < 100; step++) { write(step); c.runFor(250) }
    const perGuestTick = (rounds() - before) / guests.length / ((c.network.now - t0) / 1000)
    await until(c, Promise.all(writes), 30_000)
    // At every tick this was about 2.5 rounds per guest per tick (of 3 homes, minus those under way).
    expect(perGuestTick, `handoff rounds per guest per second while the doc kept changing (seed ${seed})`).toBeLessThan(1.2)
    // Quiet again: every guest copy is handed over and dropped, and each home holds every acknowledged write.
    const placed = (): boolean => c.ids.every(id => c.store(id).has(doc) === homes.includes(id)) &&
      homes.every(h => keys.every(k => stored(c, h, doc).getMap('kv').has(k)))
    const quiet = c.network.now
    expect(c.runUntil(placed, 30_000), `placed exactly after the writes stopped (seed ${seed})`).toBeDefined()
    if (process.env.MURMUR_DEBUG !== undefined) console.log(`handoff rounds per guest per s: ${perGuestTick.toFixed(2)}; placed ${c.network.now - quiet} ms after the last write`)
    c.stopAll()
  })
})
