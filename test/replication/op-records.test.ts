/**
 * Idempotency records (op-records.ts) and what a peer forgets (idempotency.ts planForget), without a
 * network: validation of records from other peers, the owner rule that makes duplicates count once, the
 * index kept in step with remote updates, and the forget/fold rules as a table.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { applyForget, checkOpId, fingerprintOf, opKey, peerTag, planForget } from '../../src/replication/idempotency.js'
import { OPS_ARRAY, OpIndex, asRecord, opIndexOf } from '../../src/replication/op-records.js'
import type { OpRecord } from '../../src/replication/op-records.js'
import { PNCounter } from '../../src/replication/pn-counter.js'

const rec = (k: string, p: string, at: number, extra: Partial<OpRecord> = {}): OpRecord => ({ k, p, at, ...extra })

function docWith (records: unknown[]): Y.Doc {
  const doc = new Y.Doc()
  doc.getArray(OPS_ARRAY).push(records)
  return doc
}

describe('records', () => {
  const table: Array<[string, unknown, boolean]> = [
    ['a plain record', rec('k', 'p', 1), true],
    ['with fingerprint and counter effect', rec('k', 'p', 1, { f: 'fp', m: 'counter', d: -3 }), true],
    ['a counter effect without its map', { k: 'k', p: 'p', at: 1, d: 3 }, false],
    ['a fractional delta', rec('k', 'p', 1, { m: 'c', d: 0.5 }), false],
    ['a negative time', rec('k', 'p', -1), false],
    ['an oversized key', rec('k'.repeat(65), 'p', 1), false],
    ['an empty peer', rec('k', '', 1), false],
    ['an array', ['k', 'p', 1], false],
    ['null', null, false]
  ]
  for (const [what, value, ok] of table) {
    it(`${what}: ${ok ? 'kept' : 'ignored'}`, () => { expect(asRecord(value) !== undefined).toBe(ok) })
  }

  it('malformed records from another peer are ignored, and do not count', () => {
    const doc = docWith([rec('a', 'p1', 1, { m: 'counter', d: 2 }), { k: 'b', p: 'p1', at: 1, m: 'counter', d: 'lots' }, 'junk'])
    expect(opIndexOf(doc).size).toBe(1)
    expect(new PNCounter(doc, 'reader').value()).toBe(2)
  })

  it('duplicates of a key count once: the owner (least peer tag) is the one every replica counts', () => {
    const index = new OpIndex(docWith([rec('a', 'zz', 5, { m: 'counter', d: 7 }), rec('a', 'aa', 9, { m: 'counter', d: 7 }), rec('b', 'mm', 1, { m: 'other', d: 1 })]))
    expect(index.owner('a')?.p).toBe('aa')
    expect(index.counterSum('counter')).toBe(7)
    expect(index.counterSum('other')).toBe(1)
    expect(index.countOf('zz')).toBe(1)
  })

  it('the index follows records that arrive, and are deleted, by remote updates', () => {
    const a = new Y.Doc()
    const b = new Y.Doc()
    a.on('update', (u: Uint8Array) => { Y.applyUpdate(b, u) })
    const index = opIndexOf(b)
    a.getArray(OPS_ARRAY).push([rec('x', 'p', 1, { m: 'counter', d: 3 }), rec('y', 'p', 2)])
    expect(index.size).toBe(2)
    expect(new PNCounter(b, 'reader').value()).toBe(3)
    a.getArray(OPS_ARRAY).delete(0, 1)
    expect(index.get('x')).toBeUndefined()
    expect(new PNCounter(b, 'reader').value()).toBe(0)
  })
})

describe('keys', () => {
  it('opIds are digested (fixed size, nothing of the key stored), validated, and tags and fingerprints are stable', () => {
    expect(opKey('a')).toHaveLength(22)
    expect(opKey('a')).toBe(opKey('a'))
    expect(opKey('a')).not.toBe(opKey('b'))
    expect(opKey('x'.repeat(256))).toHaveLength(22)
    for (const bad of ['', 'x'.repeat(257), 'a\nb', 'a\u0000', 42]) expect(() => checkOpId(bad)).toThrow(expect.objectContaining({ name: 'InvalidOpIdError' }) as Error)
    expect(peerTag('12D3KooWabc')).toHaveLength(12)
    expect(fingerprintOf('PUT', '/docs/a/kv/b', '1')).not.toBe(fingerprintOf('PUT', '/docs/a/kv/b', '2'))
  })
})

describe('planForget', () => {
  const W = 1_000
  const base = { selfTag: 'me', now: 10_000, windowMs: W, maxKeys: 100 }
  const cases: Array<{ what: string, records: OpRecord[], opts?: Partial<typeof base>, forget: string[], fold: Record<string, number> }> = [
    { what: 'nothing is due inside the window', records: [rec('a', 'me', 9_500), rec('b', 'you', 9_500)], forget: [], fold: {} },
    { what: 'own plain records past the window are forgotten, others\' are not', records: [rec('a', 'me', 8_000), rec('b', 'you', 8_500)], forget: ['a:me'], fold: {} },
    { what: 'anyone forgets a record twice the window old (its peer may be gone)', records: [rec('b', 'you', 7_000)], forget: ['b:you'], fold: {} },
    { what: 'the owner folds its keyed increment past the window', records: [rec('a', 'me', 8_000, { m: 'c', d: 4 })], forget: ['a:me'], fold: { c: 4 } },
    { what: 'a non-owner never folds, even much later', records: [rec('a', 'you', 1, { m: 'c', d: 4 })], forget: [], fold: {} },
    { what: 'the owner folds every duplicate of its key, counting it once', records: [rec('a', 'me', 8_000, { m: 'c', d: 4 }), rec('a', 'zz', 9_900, { m: 'c', d: 4 })], forget: ['a:me', 'a:zz'], fold: { c: 4 } },
    { what: 'a duplicate owned by another peer stays with it', records: [rec('a', 'aa', 8_000, { m: 'c', d: 4 }), rec('a', 'me', 8_000, { m: 'c', d: 4 })], forget: [], fold: {} },
    {
      what: 'beyond maxKeys, the oldest own records go first, with 10 % headroom',
      records: Array.from({ length: 12 }, (_, i) => rec(`k${i}`, 'me', 9_900 + i)),
      opts: { maxKeys: 10 },
      forget: ['k0:me', 'k1:me', 'k2:me'],
      fold: {}
    }
  ]
  for (const c of cases) {
    it(c.what, () => {
      const index = new OpIndex(docWith(c.records))
      const plan = planForget(index, { ...base, ...c.opts })
      expect([...plan.forget].map(r => `${r.k}:${r.p}`).sort()).toEqual(c.forget.sort())
      expect(Object.fromEntries(plan.fold)).toEqual(c.fold)
    })
  }

  it('applying a plan deletes exactly its records and moves the increments into this peer\'s slot', () => {
    const doc = docWith([rec('a', 'me', 1, { m: 'counter', d: 4 }), rec('b', 'you', 9_990), rec('c', 'me', 2), rec('d', 'me', 9_999)])
    const index = opIndexOf(doc)
    const counter = new PNCounter(doc, 'peer-me')
    expect(counter.value()).toBe(4)
    doc.transact(() => { applyForget(doc, index, planForget(index, base), 'peer-me') })
    expect(doc.getArray(OPS_ARRAY).toArray().map(r => (r as OpRecord).k)).toEqual(['b', 'd'])
    expect(counter.value()).toBe(4)
    expect(Object.values(counter.slots())).toEqual([{ p: 4, n: 0 }])
  })
})
