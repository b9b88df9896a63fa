/**
 * Documents as a lifecycle (issue 9, point 4), in the simulator on full mesh nodes: lazy loading and idle
 * eviction, `close`, the find()/doc() race, and the replicated, tombstoned delete.
 */
import { describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { until } from '../helpers/sim-until.js'

const FILE = 'test/replication/lifecycle.test.ts'

function formed (size: number, seed: number, idleEvictMs = 2_000): ReplicaCluster {
  const c = new ReplicaCluster({ size, seed, replication: { idleEvictMs } })
  expect(c.runUntil(() => c.membershipSettled(), 20_000)).toBeDefined()
  return c
}

describe('lazy loading and idle eviction', () => {
  it('docs written and not held open leave memory once idle, stay held, and load again on use', async () => {
    const c = formed(2, useSeed(0x11f0_0001, FILE, 'eviction'), 1_000)
    const n0 = c.node('n00')
    await until(c, Promise.all(Array.from({ length: 300 }, (_, i) => n0.write(`doc${i}`, d => { d.getMap('kv').set('i', i) }))))
    expect(c.replicator('n00').stats().docs).toBeGreaterThan(0)
    c.runFor(3_000)
    expect(c.replicator('n00').stats().docs).toBe(0) // nothing in memory …
    expect(c.replicator('n00').stats().heldDocs).toBe(300) // … and everything still held
    expect(n0.docs().map(d => d.name)).toHaveLength(300) // listed from the catalog, not memory
    expect(await until(c, n0.read('doc123', d => d.getMap('kv').get('i')))).toBe(123)
    expect(c.replicator('n00').stats().docs).toBe(1)
    c.stopAll()
  })

  it('loaded docs stay within maxOpenDocs: the least recently used idle doc makes room', async () => {
    const c = new ReplicaCluster({ size: 1, seed: useSeed(0x11f0_0002, FILE, 'capacity'), replication: { maxOpenDocs: 20 } })
    c.runFor(100)
    const n0 = c.node('n00')
    for (let i = 0; i < 100; i++) {
      await until(c, n0.write(`doc${i}`, d => { d.getMap('kv').set('i', i) }))
      expect(c.replicator('n00').stats().docs).toBeLessThanOrEqual(20)
    }
    expect(c.replicator('n00').stats().heldDocs).toBe(100)
    for (let i = 0; i < 100; i += 7) expect(await until(c, n0.read(`doc${i}`, d => d.getMap('kv').get('i')))).toBe(i)
    c.stopAll()
  })

  it('a doc the app holds open is never evicted; close() lets it go, and it stays replicated', async () => {
    const c = formed(2, useSeed(0x11f0_0003, FILE, 'close'), 1_000)
    const doc = await until(c, c.node('n00').doc('held'))
    await until(c, c.node('n00').write('held', d => { d.getMap('kv').set('k', 1) }))
    c.runFor(5_000)
    expect(c.replicator('n00').isReady('held')).toBe(true)
    expect(doc.isDestroyed).toBe(false)
    c.node('n00').close('held')
    expect(c.replicator('n00').isReady('held')).toBe(false)
    expect(c.replicator('n00').holds('held')).toBe(true)
    await until(c, c.node('n01').write('held', d => { d.getMap('kv').set('k', 2) }))
    c.runFor(3_000)
    expect(await until(c, c.node('n00').read('held', d => d.getMap('kv').get('k')))).toBe(2)
    c.stopAll()
  })
})

describe('find() and doc() at once', () => {
  it('a concurrent doc(name) keeps its handle when the find() probe finds nothing', async () => {
    const c = formed(3, useSeed(0x11f0_0004, FILE, 'race'))
    const n2 = c.node('n02')
    const [found, opened] = await until(c, Promise.all([n2.find('fresh'), n2.doc('fresh')]))
    expect(found).toBeUndefined()
    expect((opened as Y.Doc).isDestroyed).toBe(false)
    await until(c, n2.write('fresh', d => { d.getMap('kv').set('k', 'v') }))
    expect(opened.getMap('kv').get('k')).toBe('v') // the handle the app has is the live doc
    c.stopAll()
  })
})

describe('replicated delete', () => {
  it('deletes on every replica, leaves a tombstone, and a replica that was away does not resurrect it', async () => {
    const c = formed(3, useSeed(0x11f0_0005, FILE, 'delete'))
    for (const id of c.ids) c.open(id, 'doomed')
    await until(c, c.node('n00').write('doomed', d => { d.getMap('kv').set('a', 1); d.getText('t').insert(0, 'hello') }))
    expect(c.runUntil(() => c.converged(['doomed']), 10_000)).toBeDefined()
    c.crash('n02') // away during the delete, with the old content on its disk
    await until(c, c.node('n01').delete('doomed'))
    c.runFor(1_000)
    for (const id of ['n00', 'n01']) expect(c.replicator(id).isDeleted('doomed'), id).toBe(true)
    c.restart('n02')
    expect(c.runUntil(() => c.membershipSettled() && c.converged(['doomed']), 30_000)).toBeDefined()
    for (const id of c.ids) {
      expect(c.replicator(id).isDeleted('doomed'), id).toBe(true)
      expect(await until(c, c.node(id).read('doomed', () => true)), id).toBeUndefined()
      expect(c.node(id).hasDoc('doomed')).toBe(false)
      expect(c.node(id).docs().map(d => d.name)).not.toContain('doomed')
    }
    await expect(until(c, c.node('n00').delete('doomed'))).rejects.toMatchObject({ name: 'DocNotFoundError' })
    await expect(until(c, c.node('n00').delete('never-was'))).rejects.toMatchObject({ name: 'DocNotFoundError' })
    c.stopAll()
  })

  it('a write the delete had not seen (across a partition) survives and revives the doc with just that write', async () => {
    const c = formed(4, useSeed(0x11f0_0006, FILE, 'concurrent'))
    for (const id of c.ids) c.open(id, 'contested')
    await until(c, c.node('n00').write('contested', d => { d.getMap('kv').set('old', 1) }))
    expect(c.runUntil(() => c.converged(['contested']), 10_000)).toBeDefined()
    c.network.partition(['n00', 'n01'], ['n02', 'n03'])
    await until(c, c.node('n00').delete('contested'))
    await until(c, c.node('n03').write('contested', d => { d.getMap('kv').set('new', 2) }))
    c.network.heal()
    expect(c.runUntil(() => c.membershipSettled() && c.converged(['contested']), 30_000)).toBeDefined()
    for (const id of c.ids) {
      expect(c.replicator(id).isDeleted('contested'), id).toBe(false)
      expect(c.replicator(id).doc('contested')?.getMap('kv').toJSON(), id).toEqual({ new: 2 })
    }
    c.stopAll()
  })
})
