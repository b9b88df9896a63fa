/**
 * Read repair (src/replication/read-repair.ts, issue 14): a read answered from a guest copy asks one of the
 * doc's homes for what it holds beyond the copy. Without it, a guest copy that missed a write's push (here:
 * cut off from the writer, a home, and from the home whose confirmation its drop waits for) kept answering
 * without that write for as long as the cut lasted, although another home it reaches held the write.
 */
import { describe, expect, it } from 'vitest'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { ReadRepairs } from '../../src/replication/read-repair.js'
import { useSeed } from '../helpers/replay.js'
import { settleMicrotasks, until } from '../helpers/sim-until.js'

const FILE = 'test/replication/read-repair.test.ts'
const DOC = 'repaired'

describe('read repair of guest copies', () => {
  for (const offset of [0, 1, 2]) {
    const name = `a guest copy that missed a push shows it at a read within 3 s, from the home it still reaches (seed +${offset})`
    it(name, async () => {
      const c = new ReplicaCluster({ size: 6, seed: useSeed(0x4e_ad_00 + offset, FILE, name) })
      expect(c.runUntil(() => c.membershipSettled(), 30_000), 'membership formed').toBeDefined()
      const homes = c.node('n00').homes(DOC)
      expect(homes).toHaveLength(3)
      const [writer, reached, other] = homes as [string, string, string]
      const guest = c.ids.find(id => !homes.includes(id)) as string
      await until(c, c.node(writer).write(DOC, d => { d.getMap('kv').set('first', 1) }))
      expect(await until(c, c.node(guest).read(DOC, d => d.getMap('kv').get('first')), 10_000)).toBe(1)
      // Cut from the writer and from a second home: the push of the next write does not reach the guest,
      // and its copy cannot be dropped (one of its homes cannot confirm it). Membership still sees everyone
      // alive through the others (indirect probes).
      c.network.partition([guest], [writer, other])
      await until(c, c.node(writer).write(DOC, d => { d.getMap('kv').set('second', 2) }))
      c.runFor(500)
      expect(await until(c, c.node(reached).read(DOC, d => d.getMap('kv').get('second'))), 'the home the guest still reaches has the write').toBe(2)
      let seenAt: number | undefined
      const start = c.network.now
      for (let t = 0; t < 10_000 && seenAt === undefined; t += 250) {
        const second = await until(c, c.node(guest).read(DOC, d => d.getMap('kv').get('second')), 5_000)
        if (second === 2) seenAt = c.network.now - start
        c.runFor(250)
        await settleMicrotasks()
      }
      const repairs = c.replicator(guest).stats().readRepairs
      expect(seenAt, `the guest's reads never showed the write (${repairs} read repairs)`).toBeDefined()
      expect(seenAt).toBeLessThanOrEqual(3_000)
      // At most one repair a readRepairIntervalMs (1 s) for reads every 250 ms.
      expect(repairs).toBeLessThanOrEqual(Math.ceil(((seenAt ?? 0) + 250) / 1_000) + 1)
      c.stopAll()
    })
  }

  it('a home reading its own copy asks nobody', async () => {
    const c = new ReplicaCluster({ size: 5, seed: useSeed(0x4e_ad_10, FILE, 'a home reading its own copy asks nobody') })
    expect(c.runUntil(() => c.membershipSettled(), 30_000), 'membership formed').toBeDefined()
    const [home] = c.node('n00').homes(DOC) as [string]
    await until(c, c.node(home).write(DOC, d => { d.getMap('kv').set('k', 1) }))
    for (let i = 0; i < 5; i++) {
      await until(c, c.node(home).read(DOC, d => d.getMap('kv').get('k')))
      c.runFor(1_000)
    }
    expect(c.replicator(home).stats().readRepairs).toBe(0)
    c.stopAll()
  })
})

describe('ReadRepairs', () => {
  it('is due once per interval per doc, counting its turns, and forgets the oldest doc past its bound', () => {
    let now = 0
    const r = new ReadRepairs({ now: () => now }, () => 1_000, 2)
    const turn = (doc: string): number | undefined => r.due(doc, 7)?.turn
    expect(turn('a')).toBe(0)
    expect(turn('a')).toBeUndefined()
    expect(turn('b')).toBe(0)
    now = 999
    expect(turn('a')).toBeUndefined()
    now = 1_000
    expect(turn('a')).toBe(1)
    // Bound 2: a third doc forgets the oldest (b), whose next repair is then due at once, as its first.
    expect(turn('c')).toBe(0)
    expect(turn('b')).toBe(0)
    expect(turn('c')).toBeUndefined()
  })

  it('asks widely once after each change of the member set since the copy was fetched or last asked widely', () => {
    let now = 0
    const r = new ReadRepairs({ now: () => now }, () => 1_000, 10)
    r.fetched('a', 3)
    now = 1_000
    expect(r.due('a', 3)).toEqual({ turn: 1, wide: false })
    now = 2_000
    // A heal: the member set moved from version 3 to 5.
    expect(r.due('a', 5)).toEqual({ turn: 2, wide: true })
    now = 3_000
    expect(r.due('a', 5)).toEqual({ turn: 3, wide: false })
    now = 4_000
    expect(r.due('a', 6)).toEqual({ turn: 4, wide: true })
    // A doc not tracked (never fetched here, or forgotten): narrow, its version noted from then on.
    expect(r.due('b', 6)).toEqual({ turn: 0, wide: false })
    now = 5_000
    expect(r.due('b', 7)).toEqual({ turn: 1, wide: true })
  })
})
