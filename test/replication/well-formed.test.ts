/**
 * Local edits holding a lone surrogate (src/replication/well-formed.ts). UTF-8 cannot carry one: Yjs writes
 * U+FFFD in the update, so a writer that kept `'\ud800'` in memory disagreed with every other replica (and
 * with itself after a restart) under the same digest. In the simulator, on full mesh nodes: `write` refuses
 * such an edit (InvalidTextError, the doc's content unchanged everywhere), values the library is handed are
 * refused before anything runs, and an edit made on the doc itself is withdrawn right after.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { writeOutcome } from '../../src/core/outcome.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { settledIn, until } from '../helpers/sim-promise.js'

const FILE = 'test/replication/well-formed.test.ts'

function formed (seed: number): ReplicaCluster {
  const c = new ReplicaCluster({ size: 3, seed })
  expect(c.runUntil(() => c.membershipSettled(), 20_000)).toBeDefined()
  for (const id of c.ids) c.open(id, 'doc')
  c.runFor(1_000)
  return c
}

/** What the app sees of the doc, as JSON text (a lone surrogate and U+FFFD print differently). */
function view (c: ReplicaCluster, id: string): string {
  const d = c.replicator(id).doc('doc')
  if (d === undefined) return 'not loaded'
  return JSON.stringify({ kv: d.getMap('kv').toJSON(), text: d.getText('text').toString(), log: d.getArray('log').toJSON(), xml: d.getXmlFragment('xml').toString() })
}

/** Every replica holds the same content under the same digest, and the writer does too after a restart. */
function expectAgreement (c: ReplicaCluster, writer = 'n00'): string {
  expect(c.runUntil(() => c.converged(['doc']), 20_000)).toBeDefined()
  const views = c.ids.map(id => view(c, id))
  expect(new Set(views).size).toBe(1)
  c.crash(writer)
  c.restart(writer)
  expect(c.runUntil(() => c.replicator(writer).isReady('doc') && c.converged(['doc']), 20_000)).toBeDefined()
  expect(view(c, writer)).toBe(views[0])
  return views[0] ?? ''
}

async function rejection (c: ReplicaCluster, p: Promise<unknown>): Promise<Error> {
  const out = await settledIn(c, p)
  if ('value' in out) throw new Error(`expected a rejection, the write resolved with ${JSON.stringify(out.value)}`)
  return out.error
}

describe('write() refuses text UTF-8 cannot carry', () => {
  it('a map value with a lone surrogate: InvalidTextError, a refusal; no replica holds it, before or after a restart', async () => {
    // Before: the write resolved; n00 showed "a\ud800b", n01 and n02 (and n00 after a restart) "a\ufffdb",
    // all under one digest.
    const c = formed(useSeed(0x1f_0001, FILE, 'map value'))
    const n0 = c.node('n00')
    const err = await rejection(c, n0.write('doc', d => { d.getMap('kv').set('k', 'a\ud800b') }))
    expect(err.name).toBe('InvalidTextError')
    expect(err.message).toMatch(/lone surrogate/)
    expect(writeOutcome(err)).toBe('refused')
    expect(c.replicator('n00').doc('doc')?.getMap('kv').has('k')).toBe(false)
    expect(c.replicator('n00').stats().writesMalformed).toBe(1)
    expect(expectAgreement(c)).toBe(view(c, 'n01'))
    expect(JSON.parse(view(c, 'n01')).kv).toEqual({})
    // The peer keeps working: a well-formed write (a valid surrogate pair included) is durable everywhere.
    await until(c, c.node('n00').write('doc', d => { d.getMap('kv').set('k', 'ok 😀') }))
    expect(c.runUntil(() => c.converged(['doc']), 20_000)).toBeDefined()
    for (const id of c.ids) expect(c.replicator(id).doc('doc')?.getMap('kv').get('k')).toBe('ok 😀')
    c.stopAll()
  })

  it('overwriting a value: refused, and the old value is still there on every replica', async () => {
    const c = formed(useSeed(0x1f_0002, FILE, 'overwrite'))
    const n0 = c.node('n00')
    await until(c, n0.write('doc', d => { d.getMap('kv').set('k', 'old'); d.getMap('kv').set('gone', { a: 1 }) }))
    const err = await rejection(c, n0.write('doc', d => {
      d.getMap('kv').set('k', '\udc00')
      d.getMap('kv').delete('gone')
      d.getArray('log').push(['fine'])
    }))
    expect(err.name).toBe('InvalidTextError')
    const agreed = JSON.parse(expectAgreement(c))
    expect(agreed.kv).toEqual({ k: 'old', gone: { a: 1 } })
    expect(agreed.log).toEqual([])
    c.stopAll()
  })

  it('every place lib0 writes as UTF-8: text, keys, keys inside values, root names, nested types, XML names', async () => {
    const c = formed(useSeed(0x1f_0003, FILE, 'places'))
    const n0 = c.node('n00')
    await until(c, n0.write('doc', d => { d.getText('text').insert(0, 'hello') }))
    const edits: Array<(d: Y.Doc) => void> = [
      d => { d.getText('text').insert(5, ' w\ud83dorld') },
      d => { d.getArray('log').push([{ nested: [{ 'k\udfff': 1 }] }]) },
      d => { d.getMap('kv').set('key\ud800', 1) },
      d => { d.getMap('root\ud800').set('a', 1) },
      d => { d.getMap('kv').set('m', new Y.Map([['x', 'y\ud800']])) },
      d => { d.getXmlFragment('xml').insert(0, [new Y.XmlElement('p\ud800')]) },
      d => { d.getText('text').format(0, 2, { ['b\ud800']: true }) }
    ]
    for (const edit of edits) {
      const err = await rejection(c, n0.write('doc', edit))
      expect(err.name).toBe('InvalidTextError')
    }
    const agreed = JSON.parse(expectAgreement(c))
    expect(agreed).toEqual({ kv: {}, text: 'hello', log: [], xml: '' })
    for (const id of c.ids) expect(c.replicator(id).doc('doc')?.getMap('root\ufffd').size).toBe(0)
    c.stopAll()
  })

  it('an edit that also deleted earlier text: PartialWriteError (not a refusal); the replicas still agree', async () => {
    const c = formed(useSeed(0x1f_0004, FILE, 'partial'))
    const n0 = c.node('n00')
    await until(c, n0.write('doc', d => { d.getText('text').insert(0, 'hello') }))
    const err = await rejection(c, n0.write('doc', d => { d.getText('text').delete(0, 5); d.getText('text').insert(0, 'bye\ud800') }))
    expect(err.name).toBe('PartialWriteError')
    expect(err.cause).toMatchObject({ name: 'InvalidTextError' })
    expect(writeOutcome(err)).toBe('unknown')
    expect(JSON.parse(expectAgreement(c)).text).toBe('')
    c.stopAll()
  })

  it('values the library is handed (fingerprint, counter map, idempotency key) are refused before anything runs', async () => {
    const c = formed(useSeed(0x1f_0005, FILE, 'up front'))
    const n0 = c.node('n00')
    const before = c.replicator('n00').version('doc')
    let ran = false
    const fp = await rejection(c, c.replicator('n00').write('doc', () => { ran = true }, { opId: 'a', fingerprint: 'PUT \ud800' }))
    expect(fp.name).toBe('InvalidTextError')
    const counter = await until(c, n0.counter('doc', 'clicks\ud800'))
    const add = await rejection(c, counter.add(1))
    expect(add.name).toBe('InvalidTextError')
    const key = await rejection(c, n0.write('doc', () => { ran = true }, { opId: 'retry-\ud800' }))
    expect(key.name).toBe('InvalidOpIdError')
    for (const e of [fp, add, key]) expect(writeOutcome(e)).toBe('refused')
    expect(ran).toBe(false)
    expect(c.replicator('n00').version('doc')).toEqual(before) // nothing at all was applied
    c.stopAll()
  })
})

describe('an edit made on the doc itself (peer.doc), outside write()', () => {
  it('is committed, so what holds a lone surrogate is deleted again right after; the rest stays; the replicas agree', async () => {
    // Before: the writer kept "x\ud800" while the others held "x\ufffd" under the same digest.
    const c = formed(useSeed(0x1f_0006, FILE, 'raw handle'))
    const d = await until(c, c.node('n00').doc('doc'))
    d.getText('text').insert(0, 'ab')
    d.getText('text').insert(2, '\ud800') // Yjs merges this into the item holding "ab"
    d.transact(() => {
      d.getMap('kv').set('raw', 'x\ud800')
      d.getMap('kv').set('fine', 1)
    })
    expect(d.getText('text').toString()).toBe('ab')
    expect(d.getMap('kv').toJSON()).toEqual({ fine: 1 })
    expect(c.replicator('n00').stats().writesMalformed).toBe(2)
    const agreed = JSON.parse(expectAgreement(c))
    expect(agreed).toMatchObject({ kv: { fine: 1 }, text: 'ab' })
    c.stopAll()
  })
})
