/**
 * src/replication/blind-writes.ts on plain Yjs docs: which blind sets a write made, and what became of each
 * once the doc's earlier state arrived — lost to a value that did not know it, or replaced by one that did.
 */
import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import * as Y from 'yjs'
import { BlindWrites, blindSetsOf, fateOf } from '../../src/replication/blind-writes.js'
import type { BlindSet } from '../../src/replication/blind-writes.js'

function docOf (clientID: number): Y.Doc {
  const d = new Y.Doc()
  d.clientID = clientID
  return d
}

/** `doc.getMap(map).set(key, value)` in one transaction, returning the blind sets it made. */
function setBlind (doc: Y.Doc, key: string, value: unknown, map = 'kv'): BlindSet[] {
  let sets: BlindSet[] = []
  doc.transact((tr) => {
    doc.getMap(map).set(key, value)
    sets = blindSetsOf(doc, tr)
  })
  return sets
}

function sync (from: Y.Doc, to: Y.Doc): void {
  Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)))
}

describe('blindSetsOf', () => {
  test('names the top-level map keys a transaction set to plain values, and nothing else', () => {
    const d = docOf(7)
    let sets: BlindSet[] = []
    d.transact((tr) => {
      d.getMap('kv').set('a', 1)
      d.getMap('kv').set('b', { x: [1, 2] })
      d.getMap('other').set('bytes', new Uint8Array([1, 2, 3]))
      d.getMap('kv').set('nested', new Y.Map()) // a shared type: cannot be copied back
      d.getText('t').insert(0, 'merged, never replaced')
      d.getMap('kv').set('gone', 1)
      d.getMap('kv').delete('gone')
      sets = blindSetsOf(d, tr)
    })
    expect(sets.map(s => [s.map, s.key, s.value]).sort()).toEqual([['kv', 'a', 1], ['kv', 'b', { x: [1, 2] }], ['other', 'bytes', new Uint8Array([1, 2, 3])]].sort())
    expect(sets.every(s => s.client === 7 && s.bytes > 0)).toBe(true)
  })

  test('does not name a key the transaction did not set (set before it)', () => {
    const d = docOf(7)
    d.getMap('kv').set('old', 1)
    expect(setBlind(d, 'new', 2).map(s => s.key)).toEqual(['new'])
  })
})

describe('fateOf', () => {
  test('a blind set that loses the tie-break to the value it was meant to replace is lost; set again, it holds', () => {
    const earlier = docOf(1000) // the higher id wins a tie between concurrent values of a key
    earlier.getMap('kv').set('k', 'v0')
    earlier.getMap('kv').set('k', 'earlier') // a chain of two values, the first with no origin
    const blind = docOf(1)
    const [set] = setBlind(blind, 'k', 'later')
    expect(fateOf(blind, set as BlindSet)).toBe('holding')
    sync(earlier, blind)
    expect(blind.getMap('kv').get('k')).toBe('earlier')
    expect(fateOf(blind, set as BlindSet)).toBe('lost')
    blind.getMap('kv').set('k', (set as BlindSet).value)
    sync(blind, earlier)
    expect([blind.getMap('kv').get('k'), earlier.getMap('kv').get('k')]).toEqual(['later', 'later'])
  })

  test('a blind set that wins the tie-break holds', () => {
    const earlier = docOf(1)
    earlier.getMap('kv').set('k', 'earlier')
    const blind = docOf(1000)
    const [set] = setBlind(blind, 'k', 'later')
    sync(earlier, blind)
    expect(fateOf(blind, set as BlindSet)).toBe('holding')
  })

  test('a blind set replaced by a write that knew it is replaced, not lost, however long the chain after it', () => {
    const blind = docOf(1)
    const [set] = setBlind(blind, 'k', 'later')
    const other = docOf(1000)
    sync(blind, other)
    for (let i = 0; i < 50; i++) other.getMap('kv').set('k', `next-${i}`)
    sync(other, blind)
    expect(fateOf(blind, set as BlindSet)).toBe('replaced')
    // A key with no value is undecided (its value may still be pending here), never set again from it.
    other.getMap('kv').delete('k')
    sync(other, blind)
    expect(fateOf(blind, set as BlindSet)).toBe('unknown')
  })

  test('a set deleted while the value it lost to is still pending here is undecided until that value arrives', () => {
    const earlier = docOf(1000)
    earlier.getMap('kv').set('k', 'earlier')
    const blind = docOf(1)
    const [set] = setBlind(blind, 'k', 'later')
    const atHome = docOf(5) // a home holding both: the blind set lost there, and is in its delete set
    sync(earlier, atHome)
    sync(blind, atHome)
    expect(atHome.getMap('kv').get('k')).toBe('earlier')
    // Only the home's delete set reaches the writer; the earlier value's struct (another replica's) does not yet.
    Y.applyUpdate(blind, Y.encodeStateAsUpdate(atHome, Y.encodeStateVector(earlier)))
    expect(blind.getMap('kv').toJSON()).toEqual({})
    expect(fateOf(blind, set as BlindSet)).toBe('unknown')
    sync(earlier, blind)
    expect(fateOf(blind, set as BlindSet)).toBe('lost')
  })

  test('a set the doc does not hold is unknown', () => {
    const [set] = setBlind(docOf(1), 'k', 'v')
    expect(fateOf(docOf(2), set as BlindSet)).toBe('unknown')
  })

  test('property: after the earlier state arrives and lost sets are set again once, every replica holds the blind values', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 2 ** 30 }), fc.integer({ min: 1, max: 2 ** 30 }),
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer()), { minLength: 1, maxLength: 8 }),
      fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 4 }),
      (earlierId, blindId, history, blindKeys) => {
        fc.pre(earlierId !== blindId)
        const earlier = docOf(earlierId)
        for (const [k, v] of history) earlier.getMap('kv').set(k, v)
        const blind = docOf(blindId)
        const sets: BlindSet[] = []
        blind.transact((tr) => {
          for (const k of blindKeys) blind.getMap('kv').set(k, `blind-${k}`)
          sets.push(...blindSetsOf(blind, tr))
        })
        sync(earlier, blind)
        const lost = sets.filter(s => fateOf(blind, s) === 'lost')
        blind.transact(() => { for (const s of lost) blind.getMap('kv').set(s.key, s.value) })
        sync(blind, earlier)
        for (const k of blindKeys) {
          expect(blind.getMap('kv').get(k)).toBe(`blind-${k}`)
          expect(earlier.getMap('kv').get(k)).toBe(`blind-${k}`)
        }
      }
    ), { numRuns: 200 })
  })
})

describe('BlindWrites', () => {
  const set = (key: string, bytes = 10): BlindSet => ({ map: 'kv', key, client: 1, clock: 0, value: key, bytes })

  test('forgets sets after the window, and the oldest docs first beyond the count or bytes limit', () => {
    const w = new BlindWrites({ windowMs: 1_000, maxSets: 3, maxBytes: 100 })
    w.watch('a', [set('1'), set('2')], 0)
    w.watch('b', [set('3')], 10)
    expect(w.size).toBe(3)
    w.watch('c', [set('4')], 20) // four sets: the oldest doc's go
    expect([w.watching('a'), w.watching('b'), w.watching('c'), w.size]).toEqual([false, true, true, 2])
    w.watch('d', [set('5', 95)], 30) // over the bytes: the oldest go until under
    expect([w.watching('b'), w.watching('c'), w.watching('d')]).toEqual([false, false, true])
    w.watch('e', [set('6', 101)], 40) // one set over the whole limit is not kept
    expect(w.watching('e')).toBe(false)
    expect(w.check('d', docOf(9), 2_000)).toEqual([]) // past the window: forgotten, not decided
    expect([w.watching('d'), w.size]).toEqual([false, 0])
  })

  test('check keeps the sets it cannot decide yet, and stops watching the decided ones', () => {
    const blind = docOf(1)
    const sets = setBlind(blind, 'k', 'later')
    const w = new BlindWrites({ windowMs: 60_000, maxSets: 10, maxBytes: 1_000 })
    w.watch('doc', sets, 0)
    expect(w.check('doc', docOf(5), 1)).toEqual([]) // not held there: undecided
    expect(w.watching('doc')).toBe(true)
    const earlier = docOf(1000)
    earlier.getMap('kv').set('k', 'earlier')
    sync(earlier, blind)
    expect(w.check('doc', blind, 2).map(s => s.value)).toEqual(['later'])
    expect(w.watching('doc')).toBe(false) // returned once
  })
})
