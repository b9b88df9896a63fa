/**
 * Idempotency keys (issue 15) in the simulator, on full mesh nodes: a key is applied once per doc — on the
 * same peer, on another peer once the first attempt's update reached it, and for counters even when the
 * retry reaches the other side of a partition first — within a bounded window (time and count).
 */
import { describe, expect, it } from 'vitest'
import type { MeshNode } from '../../src/mesh-node.js'
import { OPS_ARRAY } from '../../src/replication/op-records.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { until } from '../helpers/sim-promise.js'

const FILE = 'test/replication/idempotency.test.ts'

async function rejection (c: ReplicaCluster, p: Promise<unknown>): Promise<Error> {
  try {
    await until(c, p)
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a rejection')
}

function formed (size: number, seed: number, replication = {}): ReplicaCluster {
  const c = new ReplicaCluster({ size, seed, replication })
  expect(c.runUntil(() => c.membershipSettled(), 20_000)).toBeDefined()
  for (const id of c.ids) c.open(id, 'doc')
  c.runFor(1_000)
  return c
}

const counterOf = async (c: ReplicaCluster, id: string): Promise<number> => (await until(c, c.node(id).counter('doc'))).value()
const records = (c: ReplicaCluster, id: string): number => c.replicator(id).doc('doc')?.getArray(OPS_ARRAY).length ?? -1

/** A keyed array push: the app's function counts its calls. */
function push (node: MeshNode, value: string, opId: string, calls: { n: number }): Promise<unknown> {
  return node.write('doc', d => { calls.n++; d.getArray('log').push([value]) }, { opId })
}

describe('a key is applied once per document', () => {
  it('a retry on the same peer does not call the function again, and answers once the first is durable', async () => {
    const c = formed(1, useSeed(0x15_1001, FILE, 'same peer'))
    const n0 = c.node('n00')
    const calls = { n: 0 }
    // The retry arrives while the first attempt is still waiting for the store: both answer together.
    const [a, b] = await until(c, Promise.all([push(n0, 'x', 'op-1', calls), push(n0, 'x', 'op-1', calls)]))
    expect(a).toEqual(b)
    await until(c, push(n0, 'x', 'op-1', calls))
    expect(calls.n).toBe(1)
    expect(c.replicator('n00').doc('doc')?.getArray('log').toArray()).toEqual(['x'])
    expect(c.replicator('n00').stats().writesReplayed).toBe(2)
    // Keys are per document: the same key on another doc is another operation.
    await until(c, n0.write('other', d => { calls.n++; d.getArray('log').push(['y']) }, { opId: 'op-1' }))
    expect(calls.n).toBe(2)
    c.stopAll()
  })

  it('a retry on another peer, after the first attempt replicated, is not applied again', async () => {
    const c = formed(3, useSeed(0x15_1002, FILE, 'other peer'))
    const calls = { n: 0 }
    await until(c, push(c.node('n00'), 'x', 'op-2', calls))
    c.runFor(3_000)
    await until(c, push(c.node('n02'), 'x', 'op-2', calls))
    expect(calls.n).toBe(1)
    await until(c, c.node('n01').counter('doc').then(async k => await k.add(4, { opId: 'op-3' })))
    c.runFor(3_000)
    expect(await until(c, c.node('n02').counter('doc').then(async k => await k.add(4, { opId: 'op-3' })))).toBe(4)
    expect(c.runUntil(() => c.converged(['doc']), 20_000)).toBeDefined()
    for (const id of c.ids) expect(await counterOf(c, id)).toBe(4)
    c.stopAll()
  })

  it('a counter increment retried on the other side of a partition counts once after the heal (both sides applied it)', async () => {
    const c = formed(4, useSeed(0x15_1003, FILE, 'partition'))
    c.network.partition(['n00', 'n01'], ['n02', 'n03'])
    c.runFor(2_000)
    await until(c, c.node('n00').counter('doc').then(async k => await k.add(5, { opId: 'click-1' })))
    await until(c, c.node('n03').counter('doc').then(async k => await k.add(5, { opId: 'click-1' }))) // the client's retry
    await until(c, c.node('n02').counter('doc').then(async k => await k.add(1))) // unkeyed: counts once per call
    expect(await counterOf(c, 'n00')).toBe(5)
    expect(await counterOf(c, 'n03')).toBe(6)
    c.network.heal()
    expect(c.runUntil(() => c.membershipSettled() && c.converged(['doc']), 60_000)).toBeDefined()
    for (const id of c.ids) expect(await counterOf(c, id)).toBe(6)
    c.stopAll()
  })

  it('a key reused for another request is refused, and nothing is applied', async () => {
    const c = formed(1, useSeed(0x15_1004, FILE, 'reuse'))
    const n0 = c.node('n00')
    await until(c, n0.write('doc', d => { d.getMap('kv').set('a', 1) }, { opId: 'k', fingerprint: 'PUT a=1' }))
    const reused = await rejection(c, n0.write('doc', d => { d.getMap('kv').set('a', 2) }, { opId: 'k', fingerprint: 'PUT a=2' }))
    expect(reused.name).toBe('IdempotencyKeyReusedError')
    expect(c.replicator('n00').doc('doc')?.getMap('kv').get('a')).toBe(1)
    const counter = await until(c, n0.counter('doc'))
    await until(c, counter.add(2, { opId: 'c' }))
    expect((await rejection(c, counter.add(3, { opId: 'c' }))).name).toBe('IdempotencyKeyReusedError')
    expect(counter.value()).toBe(2)
    expect((await rejection(c, n0.write('doc', () => {}, { opId: '' }))).name).toBe('InvalidOpIdError')
    expect((await rejection(c, n0.write('doc', () => {}, { opId: 'x'.repeat(257) }))).name).toBe('InvalidOpIdError')
    c.stopAll()
  })

  it('a replicated delete retried with its key answers like the first; the doc stays deleted', async () => {
    const c = formed(2, useSeed(0x15_1005, FILE, 'delete'))
    const n0 = c.node('n00')
    await until(c, n0.write('doc', d => { d.getMap('kv').set('a', 1) }, { opId: 'put-a' }))
    const first = await until(c, n0.delete('doc', { opId: 'del' }))
    expect(await until(c, n0.delete('doc', { opId: 'del' }))).toEqual(first)
    expect((await rejection(c, n0.delete('doc'))).name).toBe('DocNotFoundError') // without its key: not found
    // The records survive the delete: a late retry of the write the delete removed does not revive the doc.
    await until(c, n0.write('doc', d => { d.getMap('kv').set('a', 1) }, { opId: 'put-a' }))
    expect(c.replicator('n00').isDeleted('doc')).toBe(true)
    c.stopAll()
  })
})

describe('the window: keys are forgotten, keyed increments folded', () => {
  it('after idempotencyWindowMs a peer forgets its records and folds its keyed increments into its slot; the value does not change', async () => {
    const c = formed(3, useSeed(0x15_1006, FILE, 'fold'), { idempotencyWindowMs: 10_000 })
    for (let i = 0; i < 6; i++) {
      const id = c.ids[i % 3] as string
      await until(c, c.node(id).counter('doc').then(async k => await k.add(i + 1, { opId: `k${i}` })))
      await until(c, c.node(id).write('doc', d => { d.getMap('kv').set(`k${i}`, i) }, { opId: `w${i}` }))
    }
    // A duplicate applied on two peers (as across a partition): the owner folds both at once.
    c.network.partition(['n00'], ['n01', 'n02'])
    await until(c, c.node('n00').counter('doc').then(async k => await k.add(100, { opId: 'dup' })))
    await until(c, c.node('n01').counter('doc').then(async k => await k.add(100, { opId: 'dup' })))
    c.network.heal()
    expect(c.runUntil(() => c.membershipSettled() && c.converged(['doc']), 30_000)).toBeDefined()
    for (const id of c.ids) expect(await counterOf(c, id)).toBe(121)
    expect(records(c, 'n00')).toBeGreaterThan(0)
    c.runFor(30_000)
    expect(c.runUntil(() => c.converged(['doc']), 20_000)).toBeDefined()
    for (const id of c.ids) {
      expect(records(c, id)).toBe(0)
      expect(await counterOf(c, id)).toBe(121)
    }
    const folded = c.ids.reduce((n, id) => n + c.replicator(id).stats().opsFolded, 0)
    expect(folded).toBe(8) // the records of 7 keys, `dup` applied twice
    // Past the window a key is a new operation (documented): it applies again.
    await until(c, c.node('n02').counter('doc').then(async k => await k.add(1, { opId: 'k0' })))
    expect(await counterOf(c, 'n02')).toBe(122)
    c.stopAll()
  })

  it('a peer keeps at most maxIdempotencyKeys of its own records per doc, forgetting the oldest first', async () => {
    const c = formed(1, useSeed(0x15_1007, FILE, 'count'), { maxIdempotencyKeys: 20 })
    const n0 = c.node('n00')
    const counter = await until(c, n0.counter('doc'))
    for (let i = 0; i < 100; i++) {
      await until(c, counter.add(1, { opId: `k${i}` }))
      expect(records(c, 'n00')).toBeLessThanOrEqual(20)
    }
    expect(counter.value()).toBe(100)
    const calls = { n: 0 }
    await until(c, push(n0, 'late', 'k99', calls)) // the newest keys are still remembered …
    expect(calls.n).toBe(0)
    c.stopAll()
  })
})
