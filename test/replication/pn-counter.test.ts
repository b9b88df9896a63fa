import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { PNCounter } from '../../src/replication/pn-counter.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { settle } from './helpers.js'

function sync (a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)))
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
}

describe('PNCounter', () => {
  it('adds up concurrent increments and decrements (a shared key would not)', () => {
    const a = new Y.Doc()
    const b = new Y.Doc()
    const ca = new PNCounter(a, 'pa')
    const cb = new PNCounter(b, 'pb')
    ca.increment(5)
    cb.increment(3)
    cb.increment(-1)
    sync(a, b)
    expect(ca.value()).toBe(7)
    expect(cb.value()).toBe(7)
    // The same concurrent edits on one shared key keep only one side's value.
    a.getMap('naive').set('n', 5)
    b.getMap('naive').set('n', 2)
    sync(a, b)
    expect(a.getMap('naive').get('n')).not.toBe(7)
    expect(Object.keys(ca.slots()).sort()).toEqual([`pa#${a.clientID}`, `pb#${b.clientID}`].sort())
    expect(ca.slots()[`pb#${b.clientID}`]).toEqual({ p: 3, n: 1 })
  })

  it('validates deltas and ignores malformed slots', () => {
    const d = new Y.Doc()
    const c = new PNCounter(d, 'p')
    expect(() => { c.increment(1.5) }).toThrow(RangeError)
    expect(() => { c.increment(Number.NaN) }).toThrow(RangeError)
    d.getMap('counter').set('junk', { p: 'x', n: 1 })
    d.getMap('counter').set('neg', { p: -3, n: 0 })
    c.increment(2)
    expect(c.value()).toBe(2)
  })

  it('a new doc instance (restart) writes a new slot, so an old copy can never overwrite newer increments', async () => {
    const cluster = new ReplicaCluster({ size: 3, seed: 41 })
    for (const id of cluster.ids) cluster.open(id, 'c')
    cluster.runFor(2_000)
    const acked: number[] = []
    const inc = (id: string, delta: number): void => {
      cluster.replicator(id).write('c', d => { new PNCounter(d, id).increment(delta) }).then(() => { acked.push(delta) }, () => {})
    }
    for (let i = 0; i < 5; i++) for (const id of cluster.ids) inc(id, i + 1)
    expect(cluster.runUntil(() => cluster.converged(['c']), 20_000)).toBeDefined()
    await settle()
    const value = (id: string): number => new PNCounter(cluster.replicator(id).doc('c') as Y.Doc, id).value()
    expect(value('n00')).toBe(45)
    const slotBefore = new PNCounter(cluster.replicator('n01').doc('c') as Y.Doc, 'n01').slotKey
    cluster.crash('n01')
    cluster.runFor(500)
    cluster.restart('n01')
    expect(cluster.runUntil(() => cluster.replicator('n01').isReady('c'), 5_000)).toBeDefined()
    const slotAfter = new PNCounter(cluster.replicator('n01').doc('c') as Y.Doc, 'n01').slotKey
    expect(slotAfter).not.toBe(slotBefore)
    expect(slotAfter.startsWith('n01#')).toBe(true)
    inc('n01', 10)
    inc('n02', -4)
    expect(cluster.runUntil(() => cluster.converged(['c']), 30_000)).toBeDefined()
    await settle()
    for (const id of cluster.ids) expect(value(id)).toBe(51)
    expect(acked.reduce((a, b) => a + b, 0)).toBe(51)
    cluster.stopAll()
  })
})
