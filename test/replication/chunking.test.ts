import { describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import { Reassembler } from '../../src/replication/reassembler.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { StaticCluster, contentOf } from './helpers.js'

/** Text that does not shrink: Yjs stores strings as they are, so this is ~`bytes` of update. */
function bulk (bytes: number, seed: number): string {
  let s = ''
  let x = seed
  while (s.length < bytes) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    s += String.fromCharCode(0x61 + (x >>> 24) % 26)
  }
  return s
}

describe('chunked transfers', () => {
  it('replicates an update larger than the chunk limit (push, then late fetch by anti-entropy)', () => {
    const cluster = new ReplicaCluster({ size: 4, seed: 31 })
    for (const id of ['n00', 'n01', 'n02']) cluster.open(id, 'big')
    cluster.runFor(2_000)
    const chunkBytes = cluster.replicator('n00').config.chunkBytes
    const text = bulk(Math.round(2.5 * chunkBytes), 1)
    cluster.replicator('n00').write('big', d => { d.getText('text').insert(0, text) }).catch(() => {})
    expect(cluster.runUntil(() => cluster.converged(['big']), 30_000)).toBeDefined()
    expect(cluster.replicator('n00').stats().chunksSent).toBeGreaterThanOrEqual(3)
    expect(cluster.replicator('n01').stats().transfersCompleted + cluster.replicator('n02').stats().transfersCompleted).toBeGreaterThanOrEqual(2)
    // A peer that opens the doc later gets it from anti-entropy, also chunked.
    cluster.open('n03', 'big')
    expect(cluster.runUntil(() => cluster.converged(['big']), 30_000)).toBeDefined()
    const late = cluster.replicator('n03')
    expect(late.stats().transfersCompleted).toBeGreaterThanOrEqual(1)
    expect(late.doc('big')?.getText('text').toString()).toBe(text)
    expect(late.stats().reassemblyBytes).toBe(0)
    cluster.stopAll()
  })

  it('gets through loss and reordering: lost chunks drop the transfer, a later round sends it again', () => {
    const c = new StaticCluster({ size: 3, seed: 32, link: { loss: 0.15, jitterMs: 20 }, replication: { chunkBytes: 4096, maxTransferBytes: 1024 * 1024 } })
    c.openAll('doc')
    c.network.runFor(1_000)
    for (let i = 0; i < 5; i++) {
      const id = c.ids[i % 3] as string
      c.r(id).write('doc', d => { d.getText('text').insert(0, bulk(5_000, i)) }).catch(() => {})
    }
    expect(c.network.runUntil(() => c.converged(['doc']), 120_000)).toBeDefined()
    const contents = c.ids.map(id => contentOf(c.r(id).doc('doc') as Y.Doc))
    for (const x of contents) expect(x).toEqual(contents[0])
    expect(contents[0]?.text.length).toBe(25_000)
    const total = c.ids.map(id => c.r(id).stats()).reduce((n, s) => n + s.transfersCompleted, 0)
    expect(total).toBeGreaterThan(0)
    c.stop()
  })
})

describe('Reassembler', () => {
  const limits = { maxTransferBytes: 100, maxReassemblyBytes: 150, maxTransfersPerPeer: 2, maxTransfers: 3, timeoutMs: 1_000 }
  const chunk = (transfer: number, index: number, count: number, bytes: number[]): { transfer: number, index: number, count: number, data: Uint8Array } =>
    ({ transfer, index, count, data: new Uint8Array(bytes) })

  it('reassembles chunks arriving in any order, ignoring duplicates', () => {
    const r = new Reassembler(limits, () => 0)
    expect(r.add('a', chunk(1, 2, 3, [5, 6])).status).toBe('partial')
    expect(r.add('a', chunk(1, 0, 3, [1, 2])).status).toBe('partial')
    expect(r.add('a', chunk(1, 0, 3, [9, 9])).status).toBe('partial')
    expect(r.add('a', chunk(1, 1, 3, [3, 4]))).toEqual({ status: 'complete', bytes: new Uint8Array([1, 2, 3, 4, 5, 6]) })
    expect(r.size).toBe(0)
    expect(r.bytes).toBe(0)
  })

  it('keeps transfers of different senders apart', () => {
    const r = new Reassembler(limits, () => 0)
    r.add('a', chunk(1, 0, 2, [1]))
    r.add('b', chunk(1, 0, 2, [2]))
    expect(r.add('a', chunk(1, 1, 2, [3]))).toEqual({ status: 'complete', bytes: new Uint8Array([1, 3]) })
    expect(r.add('b', chunk(1, 1, 2, [4]))).toEqual({ status: 'complete', bytes: new Uint8Array([2, 4]) })
  })

  it('drops whole transfers past each limit', () => {
    const r = new Reassembler(limits, () => 0)
    r.add('a', chunk(1, 0, 2, [1]))
    r.add('a', chunk(2, 0, 2, [1]))
    expect(r.add('a', chunk(3, 0, 2, [1])).status).toBe('dropped') // per peer
    r.add('b', chunk(1, 0, 2, [1]))
    expect(r.add('c', chunk(1, 0, 2, [1])).status).toBe('dropped') // in all
    expect(r.add('b', chunk(1, 1, 3, [1])).status).toBe('dropped') // count changed
    expect(r.add('a', chunk(1, 1, 2, new Array<number>(100).fill(0))).status).toBe('dropped') // transfer too big
    const s = new Reassembler({ ...limits, maxTransferBytes: 100 }, () => 0)
    s.add('a', chunk(1, 0, 3, new Array<number>(80).fill(0)))
    s.add('b', chunk(1, 0, 3, new Array<number>(60).fill(0)))
    expect(s.add('b', chunk(1, 1, 3, new Array<number>(20).fill(0))).status).toBe('dropped') // buffers full (160 > 150)
    expect(s.bytes).toBe(80)
  })

  it('expires idle transfers', () => {
    let now = 0
    const r = new Reassembler(limits, () => now)
    r.add('a', chunk(1, 0, 2, [1]))
    now = 999
    expect(r.expire()).toBe(0)
    r.add('a', chunk(2, 0, 2, [1]))
    now = 1_500
    expect(r.expire()).toBe(1) // transfer 1 idle since 0
    now = 2_000
    expect(r.expire()).toBe(1)
    expect(r.size).toBe(0)
    expect(r.dropped).toBe(2)
  })
})
