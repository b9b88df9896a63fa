/**
 * A guest copy written here at a steady pace is kept while the writes go on (src/replication/rebalancer.ts
 * WRITE_KEEP_GAPS). It was dropped as soon as its homes confirmed it — between two writes, once every home
 * had acked the first — and the next write, finding nothing to build on, fetched the whole doc first: the
 * 50-peer soak refetched its 50,000-entry doc ~100 times a run, each from a home already at its busiest.
 * Once the writes stop, the copy is handed over and dropped as before.
 */
import { describe, expect, test } from 'vitest'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { until } from '../helpers/sim-until.js'

const FILE = 'test/replication/write-copy.sim.test.ts'

describe('a guest copy written at a steady pace', () => {
  test('is kept while written (no drop, no refetch), and dropped once the writes stop', async () => {
    const seed = useSeed(0x0c0b, FILE, 'steady')
    const c = new ReplicaCluster({ size: 8, seed, profile: 'local' })
    expect(c.runUntil(() => c.membershipSettled(), 30_000), 'the mesh formed').toBeDefined()
    const doc = 'steady'
    const homes = c.node('n00').homes(doc)
    const writer = c.ids.find(id => !homes.includes(id)) as string
    const dropped = (): number => c.replicator(writer).stats().docsDropped
    // A doc with some content, so that a refetch is not free.
    await until(c, c.node(homes[0] as string).write(doc, d => { for (let i = 0; i < 500; i++) d.getMap('kv').set(`seed-${i}`, 'x'.repeat(40)) }))
    c.runFor(3_000)
    // The writer writes its own keys every 2 s for 2 minutes: slow enough that every home confirms each write
    // before the next (as on the soak's loopback, where a handoff round takes milliseconds and writes come 2/s).
    const fetched = (): number => c.replicator(writer).stats().bytesIn.syncDoc
    const before = fetched()
    for (let i = 0; i < 60; i++) {
      await until(c, c.node(writer).write(doc, d => { d.getMap('kv').set(`${writer}-${i % 10}`, i) }), 15_000)
      c.runFor(2_000)
    }
    // Before: dropped after each write (60 of 60) and fetched whole by the next, 1.8 MB in all. Its first write
    // may still go: nothing says yet that writes will follow.
    expect(dropped(), `${writer} dropped its copy while writing it every 2 s (seed ${seed})`).toBeLessThanOrEqual(1)
    expect(fetched() - before, `sync bytes ${writer} took in while writing (seed ${seed})`).toBeLessThan(200_000)
    // Quiet: the copy is handed over and dropped, and each home holds the last write.
    const placed = (): boolean => !c.replicator(writer).holds(doc) && homes.every(h => c.replicator(h).holds(doc))
    expect(c.runUntil(placed, 30_000), `${writer} dropped its copy once the writes stopped (seed ${seed})`).toBeDefined()
    for (const h of homes) {
      expect(await until(c, c.node(h).read(doc, d => d.getMap('kv').get(`${writer}-9`))), `the last write of ${writer}-9 at ${h}`).toBe(59)
    }
    c.stopAll()
  }, 60_000)
})
