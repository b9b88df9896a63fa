/**
 * A home passes on what it went and found outside the doc's homes (src/replication/co-home-relay.ts). A
 * writer that is not a home writes a new doc while none of its homes can hear it (its pushes are lost), and
 * the moment they can, a read on one home fetches the doc from the writer: that home lists the doc to the
 * two others at once. Before, they got it only with the writer's next handoff round (up to an anti-entropy
 * interval later) or the homes' shared rounds — in the 20-peer heal model
 * (test/replication/declined-steps.test.ts, seed 1) 2.5 s after the first home — and a reader whose repair
 * asked one of them read the write only then.
 */
import { describe, expect, it } from 'vitest'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { settleMicrotasks, until } from '../helpers/sim-until.js'

const FILE = 'test/replication/co-home-relay.sim.test.ts'
/** From the first home holding the write to the last: a round trip or two and the relay's batching. */
const SPREAD_BOUND_MS = 300

describe('a write a home fetched from its writer', () => {
  for (const seed of [0xc0_4e_01, 0xc0_4e_02, 0xc0_4e_03, 0xc0_4e_04]) {
    const name = `reaches the doc's other homes within ${SPREAD_BOUND_MS} ms (seed ${seed})`
    it(name, async () => {
      const c = new ReplicaCluster({ size: 8, seed: useSeed(seed, FILE, name), profile: 'local' })
      const { network, ids } = c
      expect(c.runUntil(() => c.membershipSettled(), 60_000), 'membership formed').toBeDefined()
      const doc = 'notes'
      const homes = c.node(ids[0] as string).homes(doc)
      const [first, ...others] = homes as [string, ...string[]]
      const writer = ids.find(id => !homes.includes(id)) as string
      // None of the homes hears the write (its pushes are lost); briefly, so no member is suspected for it.
      for (const h of homes) {
        network.block(writer, h)
        network.block(h, writer)
      }
      await until(c, c.node(writer).write(doc, d => { d.getMap('kv').set('k', 1) }))
      c.runFor(100)
      await settleMicrotasks()
      const hasIt = (h: string): boolean => c.replicator(h).doc(doc)?.getMap('kv').has('k') === true
      expect(homes.filter(hasIt), 'homes that heard the write while blocked').toEqual([])
      network.heal()
      // A read on the first home, which holds nothing of the doc, fetches it from every live peer (a small mesh).
      const read = c.node(first).read(doc, d => d.getMap('kv').has('k'))
      const heldAt = new Map<string, number>()
      for (let t = 0; t < 20_000 && heldAt.size < homes.length; t += 10) {
        c.runFor(10)
        await settleMicrotasks()
        for (const h of homes) if (!heldAt.has(h) && hasIt(h)) heldAt.set(h, network.now)
      }
      expect(await until(c, read), 'the first home read the write').toBe(true)
      const firstAt = heldAt.get(first)
      const line = `seed ${seed}: ${homes.map(h => `${h} ${heldAt.has(h) ? `+${(heldAt.get(h) as number) - (firstAt ?? 0)} ms` : 'never'}`).join(', ')} (from the first home's copy)`
      expect(firstAt, line).toBeDefined()
      for (const h of others) expect((heldAt.get(h) ?? Infinity) - (firstAt as number), line).toBeLessThanOrEqual(SPREAD_BOUND_MS)
      expect(c.replicator(first).stats().coHomeRelays, 'relay rounds the first home started').toBeGreaterThan(0)
      c.stopAll()
    }, 60_000)
  }
})
