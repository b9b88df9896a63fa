/**
 * `maxDocBytes` covers the write itself: a single write that takes the doc past the limit is refused with
 * DocTooLargeError, the doc as it was — nothing of the edit kept, persisted or pushed. It was accepted
 * (only a write's `bytes` option and the doc's size before it were checked), and only the writes after it
 * were refused. In the simulator; a failure replays.
 */
import { describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import { PartialWriteError, writeOutcome } from '../../src/core/outcome.js'
import { Channel } from '../../src/core/transport.js'
import { DocTooLargeError } from '../../src/replication/errors.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { until } from '../helpers/sim-until.js'

const FILE = 'test/replication/doc-size-limit.test.ts'
const LIMIT = 4096

/** A settled cluster of two whose docs may hold LIMIT bytes, and every replication frame n00 sends, by size. */
function cluster (seed: number): { c: ReplicaCluster, sent: number[] } {
  const c = new ReplicaCluster({ size: 2, seed, replication: { maxDocBytes: LIMIT } })
  c.runUntil(() => c.membershipSettled(), 10_000)
  const sent: number[] = []
  c.network.tap((from, _to, channel, frame) => { if (from === 'n00' && channel === Channel.sync) sent.push(frame.byteLength) })
  return { c, sent }
}

async function outcome (c: ReplicaCluster, p: Promise<unknown>): Promise<unknown> {
  return await until(c, p, 5_000).then(() => 'durable', (err: unknown) => err)
}

const storedBytes = (c: ReplicaCluster, doc: string): number => c.store('n00').entries(doc).reduce((n, u) => n + u.byteLength, 0)

describe('a write past maxDocBytes', () => {
  it('a single write larger than the limit is refused, the doc as it was: nothing of it persisted or pushed; a small write after it is accepted', async () => {
    const { c, sent } = cluster(useSeed(0x5e0001, FILE, 'single'))
    const n = c.node('n00')
    await until(c, n.write('d', (doc) => { doc.getMap('kv').set('a', 1) }))
    const before = storedBytes(c, 'd')
    const err = await outcome(c, n.write('d', (doc) => { doc.getMap('kv').set('big', 'x'.repeat(10_000)) }))
    expect(err).toBeInstanceOf(DocTooLargeError)
    expect((err as Error).message).toMatch(/^"d" holds \d+ bytes; \d+ more would exceed maxDocBytes \(4096\)/)
    expect(writeOutcome(err as Error)).toBe('refused')
    const live = await until(c, n.doc('d'))
    expect(live.getMap('kv').toJSON()).toEqual({ a: 1 })
    c.runFor(3_000)
    // Withdrawn in its own transaction: what travels is an empty deleted item (a few bytes), not the 10 KB.
    expect(storedBytes(c, 'd') - before, 'bytes the refused write persisted').toBeLessThan(100)
    expect(sent.length, 'replication frames n00 sent (its first write went out)').toBeGreaterThan(0)
    expect(Math.max(...sent), 'largest replication frame n00 sent').toBeLessThan(1_000)
    expect(await until(c, c.node('n01').read('d', d => d.getMap('kv').toJSON()))).toEqual({ a: 1 })
    await expect(until(c, n.write('d', (doc) => { doc.getMap('kv').set('b', 2) }))).resolves.toBeDefined()
    expect(live.getMap('kv').toJSON()).toEqual({ a: 1, b: 2 })
    c.stopAll()
  })

  it('a write that would take a doc near the limit past it is refused, one that fits is accepted', async () => {
    const { c } = cluster(useSeed(0x5e0002, FILE, 'near'))
    const n = c.node('n00')
    await until(c, n.write('d', (doc) => { doc.getMap('kv').set('a', 'a'.repeat(3_000)) }))
    expect(await outcome(c, n.write('d', (doc) => { doc.getText('t').insert(0, 'b'.repeat(1_500)) }))).toBeInstanceOf(DocTooLargeError)
    expect((await until(c, n.doc('d'))).getText('t').toString()).toBe('')
    expect(await outcome(c, n.write('d', (doc) => { doc.getText('t').insert(0, 'b'.repeat(500)) }))).toBe('durable')
    c.stopAll()
  })

  it('a doc at the limit can still shrink: a write that replaces a large value with a small one, and a delete of the doc, are accepted', async () => {
    const { c } = cluster(useSeed(0x5e0004, FILE, 'shrink'))
    const n = c.node('n00')
    await until(c, n.write('d', (doc) => { doc.getMap('kv').set('a', 'a'.repeat(LIMIT - 60)) }))
    await until(c, n.write('e', (doc) => { doc.getMap('kv').set('a', 'a'.repeat(LIMIT - 60)) }))
    expect(await outcome(c, n.write('d', (doc) => { doc.getMap('kv').set('a', 'small'); doc.getMap('kv').set('b', 'b'.repeat(40)) }))).toBe('durable')
    expect((await until(c, n.doc('d'))).getMap('kv').toJSON()).toEqual({ a: 'small', b: 'b'.repeat(40) })
    expect(await outcome(c, n.delete('e'))).toBe('durable')
    c.stopAll()
  })

  it('an fn that also deleted list content is a PartialWriteError: its addition withdrawn, the deletion kept (Yjs cannot put it back)', async () => {
    const { c } = cluster(useSeed(0x5e0003, FILE, 'partial'))
    const n = c.node('n00')
    await until(c, n.write('d', (doc) => { doc.getArray('list').push([1, 2, 3]) }))
    const err = await outcome(c, n.write('d', (doc: Y.Doc) => {
      doc.getArray('list').delete(0, 1)
      doc.getMap('kv').set('big', 'x'.repeat(10_000))
    }))
    expect(err).toBeInstanceOf(PartialWriteError)
    expect((err as Error).cause).toBeInstanceOf(DocTooLargeError)
    const live = await until(c, n.doc('d'))
    expect(live.getMap('kv').toJSON()).toEqual({})
    expect(live.getArray('list').toJSON()).toEqual([2, 3])
    c.stopAll()
  })
})
