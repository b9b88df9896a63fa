/**
 * A read on a peer that holds none of a doc says "no such doc" only on evidence: every home of the doc
 * answered that it holds none. The 10,000-doc placement benchmark read 66 docs as missing (HTTP 404) that
 * were on all three of their homes: those homes, busy with 64 concurrent reads, took over a second to
 * answer, and a read that heard nothing for a second concluded the doc did not exist.
 */
import { describe, expect, it } from 'vitest'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { until } from '../helpers/sim-until.js'

const FILE = 'test/replication/read-evidence.test.ts'

/** Runs the cluster until `p` settles; its outcome, or the error it rejected with. */
async function outcome<T> (c: ReplicaCluster, p: Promise<T>, ms: number): Promise<{ value?: T, error?: Error, at: number }> {
  const start = c.network.now
  let at = start
  const wrapped = p.then(value => { at = c.network.now; return { value } }, (error: Error) => { at = c.network.now; return { error } })
  const r = await until(c, wrapped, ms)
  return { ...r, at: at - start }
}

describe('a read says a doc is missing only when its homes said so', () => {
  it('reads a doc whose homes are all paused for 2.5 s when the read begins (not "no such doc")', async () => {
    const name = 'reads a doc whose homes are all paused for 2.5 s when the read begins (not "no such doc")'
    const c = new ReplicaCluster({ size: 6, seed: useSeed(0x4ead, FILE, name) })
    expect(c.runUntil(() => c.membershipSettled(), 30_000), 'membership formed').toBeDefined()
    // The reader is down while the doc is written and placed, and comes back knowing of no host of it
    // (as a read of one of 10,000 docs usually does): it can only ask the homes.
    const homes = c.node('n00').homes('kept')
    const reader = c.ids.find(id => !homes.includes(id) && id !== 'n00') as string
    c.crash(reader)
    await until(c, c.node('n00').write('kept', d => { d.getMap('kv').set('v', 'here') }))
    expect(c.runUntil(() => c.runningIds().every(id => homes.includes(id) || !c.replicator(id).holds('kept')), 30_000), 'placed on its homes only').toBeDefined()
    c.restart(reader)
    expect(c.runUntil(() => c.membershipSettled(), 30_000), 'the reader is back').toBeDefined()
    expect(c.replicator(reader).knownHosts('kept'), 'the reader knows no host').toEqual([])
    for (const h of homes) c.network.stall(h, 2_500)
    const r = await outcome(c, c.node(reader).read('kept', d => d.getMap('kv').get('v')), 20_000)
    expect(r.error, 'no error').toBeUndefined()
    expect(r.value, `read on ${reader} while ${homes.join(', ')} were paused`).toBe('here')
    c.stopAll()
  })

  it('reads 120 docs at once on a peer that holds none of them: every read finds its doc', async () => {
    const name = 'reads 120 docs at once on a peer that holds none of them: every read finds its doc'
    const c = new ReplicaCluster({ size: 6, seed: useSeed(0x4eaf, FILE, name) })
    expect(c.runUntil(() => c.membershipSettled(), 30_000), 'membership formed').toBeDefined()
    const reader = 'n05'
    c.crash(reader)
    const docs = Array.from({ length: 120 }, (_, i) => `doc-${i}`)
    for (const doc of docs) await until(c, c.node(`n0${docs.indexOf(doc) % 5}`).write(doc, d => { d.getMap('kv').set('v', doc) }))
    expect(c.runUntil(() => docs.every(doc => c.runningIds().filter(id => c.replicator(id).holds(doc)).length === 3), 60_000), 'each on its 3 homes only').toBeDefined()
    c.restart(reader)
    expect(c.runUntil(() => c.membershipSettled(), 30_000), 'the reader is back').toBeDefined()
    const results = await until(c, Promise.all(docs.map(async doc => await c.node(reader).read(doc, d => d.getMap('kv').get('v')).catch((e: Error) => e.name))), 60_000)
    const wrong = docs.filter((doc, i) => results[i] !== doc).map((doc, i) => `${doc}: ${String(results[docs.indexOf(doc)])}`)
    expect(wrong.slice(0, 5), `${wrong.length} of ${docs.length} reads did not find their doc`).toEqual([])
    c.stopAll()
  })

  it('says "no such doc" as soon as every home answered it holds none, not after a fixed wait', async () => {
    const name = 'says "no such doc" as soon as every home answered it holds none, not after a fixed wait'
    const c = new ReplicaCluster({ size: 6, seed: useSeed(0x4eae, FILE, name) })
    expect(c.runUntil(() => c.membershipSettled(), 30_000), 'membership formed').toBeDefined()
    c.runFor(5_000)
    const r = await outcome(c, c.node('n03').read('never-written', d => d.getMap('kv').get('v')), 20_000)
    expect(r.error).toBeUndefined()
    expect(r.value, 'no doc').toBeUndefined()
    // Three answers over a sub-millisecond simulated link; before, a read waited out the full second.
    expect(r.at).toBeLessThan(500)
    expect(c.replicator('n03').holds('never-written'), 'a probe leaves nothing behind').toBe(false)
    c.stopAll()
  })
})
