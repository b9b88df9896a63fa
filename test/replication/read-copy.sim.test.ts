/**
 * A guest copy that is being read stays (src/replication/rebalancer.ts READ_COPY_KEEP_MS). A doc polled on a
 * peer that does not home it — a dashboard, the soak's heal reads — was dropped as soon as its homes confirmed
 * holding it, so the next read fetched the whole doc from the homes again, stored it, and it was dropped again:
 * on the 50-peer soak's busy machine such a refetch took seconds, and three peers read a heal's writes 12 s
 * after it because their copies were dropped mid-poll. A copy read within the last 30 s is kept (read repair
 * keeps it fresh); once the reads stop it is dropped as before.
 */
import { describe, expect, it } from 'vitest'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { settleMicrotasks, until } from '../helpers/sim-until.js'

const FILE = 'test/replication/read-copy.sim.test.ts'

describe('a guest copy being read', () => {
  for (const seed of [0x7ead_c0, 0x7ead_c1, 0x7ead_c2]) {
    const name = `is kept while read every 250 ms, repaired with new writes, and dropped once the reads stop (seed ${seed})`
    it(name, async () => {
      const c = new ReplicaCluster({ size: 8, seed: useSeed(seed, FILE, name) })
      expect(c.runUntil(() => c.membershipSettled(), 30_000), 'membership formed').toBeDefined()
      const doc = 'dashboard'
      const homes = c.node('n00').homes(doc)
      const writer = homes[0] as string
      const reader = c.ids.find(id => !homes.includes(id)) as string
      await until(c, c.node(writer).write(doc, d => { d.getMap('kv').set('k0', 0) }))
      const dropped = (): number => c.replicator(reader).stats().docsDropped
      const before = dropped()
      // 30 s of reads every 250 ms, a write every 2 s: every read sees the writes made more than 2 s before it.
      const stale: string[] = []
      let written = 0
      for (let t = 0; t < 30_000; t += 250) {
        if (t % 2_000 === 0) {
          written++
          await until(c, c.node(writer).write(doc, d => { d.getMap('kv').set(`k${written}`, t) }))
        }
        const keys = await until(c, c.node(reader).read(doc, d => d.getMap('kv').size), 10_000)
        if (t >= 2_500 && (keys ?? 0) < written) stale.push(`+${t} ms: ${keys ?? 'no doc'} of ${written + 1} keys`)
        c.runFor(250)
        await settleMicrotasks()
      }
      expect(dropped() - before, 'copies dropped while the doc was read every 250 ms').toBe(0)
      expect(stale.slice(0, 5), 'reads lag the writes by at most one write').toEqual([])
      // The reads stop: the copy goes once its homes hold it and the keep time has passed.
      expect(c.runUntil(() => dropped() > before, 60_000), 'the copy dropped after the reads stopped').toBeDefined()
      expect(c.replicator(reader).holds(doc)).toBe(false)
      c.stopAll()
    })
  }
})

/**
 * A kept copy's wide repairs after a heal ask its homes and the hosts of the doc it holds a connection to,
 * and dial no other host (src/replication/anti-entropy.ts repairWidely). They dialled every known host: after
 * a heal every reader's repair dialled the writer on the other side, whose handshakes then kept it from
 * answering anyone, its own handoff to the homes included (the 20-peer heal model,
 * test/replication/declined-steps.test.ts: 2.5 s before it answered).
 */
describe('a kept copy repaired widely after a heal', () => {
  for (const seed of [0x7ead_d0, 0x7ead_d1, 0x7ead_d2, 0x7ead_d3]) {
    const name = `dials none of the doc's hosts but its homes, and still reads the write made across the partition (seed ${seed})`
    it(name, async () => {
      const c = new ReplicaCluster({ size: 8, seed: useSeed(seed, FILE, name), profile: 'local' })
      const { network, ids } = c
      expect(c.runUntil(() => c.membershipSettled(), 60_000), 'membership formed').toBeDefined()
      const doc = 'dashboard'
      const homes = c.node(ids[0] as string).homes(doc)
      const [writer, reader] = ids.filter(id => !homes.includes(id)) as [string, string]
      await until(c, c.node(writer).write(doc, d => { d.getMap('kv').set('k0', 0) }))
      expect(await until(c, c.node(reader).read(doc, d => d.getMap('kv').has('k0')), 10_000), 'the reader fetched the doc').toBe(true)
      // The reader knows the writer holds the doc (its pushes say so in a larger mesh).
      ;(c.replicator(reader) as unknown as { hosts: { add: (peer: string, doc: string) => void } }).hosts.add(writer, doc)
      // The writer is cut off long enough to be declared dead (connections closed), and writes meanwhile.
      network.partition([writer], ids.filter(id => id !== writer))
      c.runFor(30_000)
      await settleMicrotasks()
      await until(c, c.node(writer).write(doc, d => { d.getMap('kv').set('apart', 1) }))
      const dialled: number[] = []
      const untap = network.tap((from, to, channel) => {
        if (from === reader && to === writer && channel === 'sync' && !network.isConnected(reader, writer)) dialled.push(network.now)
      })
      network.heal()
      let readAt: number | undefined
      for (let t = 0; t < 15_000 && readAt === undefined; t += 250) {
        // Reads every 250 ms, as a dashboard (or the soak) polls: the copy is kept and repaired widely.
        if (await until(c, c.node(reader).read(doc, d => d.getMap('kv').has('apart')), 10_000) === true) readAt = t
        c.runFor(250)
        await settleMicrotasks()
      }
      untap()
      expect(dialled, 'sync frames the reader sent the writer with no connection to it (a dial)').toEqual([])
      expect(readAt, 'the reader read the write made across the partition').toBeDefined()
      c.stopAll()
    }, 60_000)
  }
})
