import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DecodeError } from '../../src/core/errors.js'
import { compare, digest, dominates, emptyVector, fromJSON, fromStateVector, merge, ofDoc, toJSON, toStateVector } from '../../src/replication/version-vector.js'
import type { VersionVector } from '../../src/replication/version-vector.js'

const SEED = 0x76766563
const runs = (n: number): { seed: number, numRuns: number } => ({ seed: SEED, numRuns: n })

/** Vectors over a small id space, so that overlaps, equal and concurrent pairs are all common. */
const vectorArb: fc.Arbitrary<VersionVector> = fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 4 })), { maxLength: 6 })
  .map(entries => {
    const m = new Map<number, number>()
    for (const [id, clock] of entries) m.set(id, clock)
    return fromJSON(Object.fromEntries([...m].map(([id, clock]) => [String(id), clock])))
  })

describe('compare and merge (laws)', () => {
  it('compare is reflexive and antisymmetric', () => {
    fc.assert(fc.property(vectorArb, vectorArb, (a, b) => {
      expect(compare(a, a)).toBe('equal')
      const ab = compare(a, b)
      const ba = compare(b, a)
      const mirror = { equal: 'equal', before: 'after', after: 'before', concurrent: 'concurrent' } as const
      expect(ba).toBe(mirror[ab])
    }), runs(500))
  })

  it('compare agrees with dominates', () => {
    fc.assert(fc.property(vectorArb, vectorArb, (a, b) => {
      const ab = compare(a, b)
      expect(ab === 'equal' || ab === 'after').toBe(dominates(a, b))
      expect(ab === 'equal').toBe(dominates(a, b) && dominates(b, a))
      expect(ab === 'concurrent').toBe(!dominates(a, b) && !dominates(b, a))
    }), runs(500))
  })

  it('merge is commutative, associative and idempotent, and dominates both inputs minimally', () => {
    fc.assert(fc.property(vectorArb, vectorArb, vectorArb, (a, b, c) => {
      expect(toJSON(merge(a, b))).toEqual(toJSON(merge(b, a)))
      expect(toJSON(merge(merge(a, b), c))).toEqual(toJSON(merge(a, merge(b, c))))
      expect(toJSON(merge(a, a))).toEqual(toJSON(a))
      const m = merge(a, b)
      expect(dominates(m, a) && dominates(m, b)).toBe(true)
      // Least upper bound: anything that dominates a and b dominates their merge.
      if (dominates(c, a) && dominates(c, b)) expect(dominates(c, m)).toBe(true)
      expect(['equal', 'before']).toContain(compare(a, m))
    }), runs(500))
  })

  it('zero entries do not matter', () => {
    expect(compare(fromJSON({ 1: 0 }), emptyVector())).toBe('equal')
    expect(toJSON(fromJSON({ 7: 0, 3: 2 }))).toEqual({ 3: 2 })
  })
})

describe('JSON and Yjs forms', () => {
  it('round-trips through JSON and through a Yjs state vector', () => {
    fc.assert(fc.property(vectorArb, (v) => {
      expect(toJSON(fromJSON(toJSON(v)))).toEqual(toJSON(v))
      expect(toJSON(fromJSON(JSON.parse(JSON.stringify(toJSON(v))) as unknown))).toEqual(toJSON(v))
      expect(toJSON(fromStateVector(toStateVector(v)))).toEqual(toJSON(v))
    }), runs(300))
  })

  it('rejects malformed JSON with DecodeError only', () => {
    for (const bad of [null, [], 'x', 3, { a: 1 }, { '-1': 1 }, { '01': 1 }, { 4294967296: 1 }, { 1: -1 }, { 1: 1.5 }, { 1: '2' }, { 1: Number.MAX_SAFE_INTEGER + 2 }]) {
      expect(() => fromJSON(bad), JSON.stringify(bad)).toThrow(DecodeError)
    }
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      try {
        fromJSON(value)
      } catch (err) {
        expect(err).toBeInstanceOf(DecodeError)
      }
    }), runs(300))
  })

  it('rejects malformed state vectors with DecodeError', () => {
    expect(() => fromStateVector(new Uint8Array([5, 1]))).toThrow(DecodeError)
    fc.assert(fc.property(fc.uint8Array({ maxLength: 32 }), (bytes) => {
      try {
        fromStateVector(bytes)
      } catch (err) {
        expect(err).toBeInstanceOf(DecodeError)
      }
    }), runs(300))
  })

  it('is the Yjs state vector of a doc', () => {
    const doc = new Y.Doc()
    doc.clientID = 42
    doc.getText('t').insert(0, 'abc')
    expect(toJSON(ofDoc(doc))).toEqual({ 42: 3 })
  })
})

// ── digest ───────────────────────────────────────────────────────────────────────────────────────

type Edit =
  | { kind: 'set', replica: number, key: number, value: number }
  | { kind: 'unset', replica: number, key: number }
  | { kind: 'insert', replica: number, pos: number, text: string }
  | { kind: 'erase', replica: number, pos: number, len: number }
  | { kind: 'push', replica: number, value: number }
  | { kind: 'pull', replica: number, pos: number }
  | { kind: 'sync', replica: number, from: number }

const REPLICAS = 3
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), replica: fc.nat(REPLICAS - 1), key: fc.nat(3), value: fc.nat(99) }),
  fc.record({ kind: fc.constant('unset' as const), replica: fc.nat(REPLICAS - 1), key: fc.nat(3) }),
  fc.record({ kind: fc.constant('insert' as const), replica: fc.nat(REPLICAS - 1), pos: fc.nat(20), text: fc.string({ minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('erase' as const), replica: fc.nat(REPLICAS - 1), pos: fc.nat(20), len: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('push' as const), replica: fc.nat(REPLICAS - 1), value: fc.nat(99) }),
  fc.record({ kind: fc.constant('pull' as const), replica: fc.nat(REPLICAS - 1), pos: fc.nat(20) }),
  fc.record({ kind: fc.constant('sync' as const), replica: fc.nat(REPLICAS - 1), from: fc.nat(REPLICAS - 1) })
)

const SYNC = Symbol('sync')

/** Runs concurrent edits on REPLICAS docs (with occasional syncs); returns every local update, in creation order. */
function history (edits: readonly Edit[]): { replicas: Y.Doc[], updates: Uint8Array[] } {
  const updates: Uint8Array[] = []
  const replicas = Array.from({ length: REPLICAS }, (_, i) => {
    const d = new Y.Doc()
    d.clientID = 1000 + i
    d.on('update', (u: Uint8Array, origin: unknown) => { if (origin !== SYNC) updates.push(u) })
    return d
  })
  for (const e of edits) {
    const d = replicas[e.replica] as Y.Doc
    const text = d.getText('text')
    const arr = d.getArray<number>('arr')
    switch (e.kind) {
      case 'set': d.getMap('kv').set(`k${e.key}`, e.value); break
      case 'unset': d.getMap('kv').delete(`k${e.key}`); break
      case 'insert': text.insert(e.pos % (text.length + 1), e.text); break
      case 'erase': if (text.length > 0) text.delete(e.pos % text.length, Math.min(e.len, text.length - (e.pos % text.length))); break
      case 'push': arr.push([e.value]); break
      case 'pull': if (arr.length > 0) arr.delete(e.pos % arr.length, 1); break
      case 'sync': {
        const src = replicas[e.from] as Y.Doc
        Y.applyUpdate(d, Y.encodeStateAsUpdate(src, Y.encodeStateVector(d)), SYNC)
      }
    }
  }
  return { replicas, updates }
}

function deliver (updates: readonly Uint8Array[], order: readonly number[]): Y.Doc {
  const d = new Y.Doc()
  for (const i of order) Y.applyUpdate(d, updates[i] as Uint8Array)
  return d
}

function json (d: Y.Doc): unknown {
  return { kv: d.getMap('kv').toJSON(), text: d.getText('text').toString(), arr: d.getArray('arr').toJSON() }
}

/** `a` contains everything `b` has: applying b's full state to a copy of a changes nothing. */
function contains (a: Y.Doc, b: Y.Doc): boolean {
  const copy = new Y.Doc()
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(a))
  let changed = false
  copy.on('update', () => { changed = true })
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(b))
  return !changed
}

function hasPending (d: Y.Doc): boolean {
  return d.store.pendingStructs !== null || d.store.pendingDs !== null
}

const permutation = (n: number): fc.Arbitrary<number[]> =>
  fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n })

describe('digest', () => {
  it('does not depend on delivery order, and matches replicas that synced fully', () => {
    fc.assert(fc.property(
      fc.array(editArb, { minLength: 1, maxLength: 40 }).chain(edits => {
        const n = history(edits).updates.length
        return fc.tuple(fc.constant(edits), permutation(n), permutation(n))
      }),
      ([edits, order1, order2]) => {
        const { replicas, updates } = history(edits)
        const a = deliver(updates, order1)
        const b = deliver(updates, order2)
        expect(hasPending(a) || hasPending(b)).toBe(false)
        expect(digest(a)).toBe(digest(b))
        expect(json(a)).toEqual(json(b))
        // Replicas that exchange their states end with the same digest as any full delivery.
        for (const r of replicas) for (const s of replicas) Y.applyUpdate(r, Y.encodeStateAsUpdate(s, Y.encodeStateVector(r)))
        for (const r of replicas) expect(digest(r)).toBe(digest(a))
      }
    ), runs(200))
  })

  it('is equal exactly when contents are equal (mutual containment), including delete-only differences', () => {
    fc.assert(fc.property(
      fc.array(editArb, { minLength: 1, maxLength: 30 }).chain(edits => {
        const n = history(edits).updates.length
        // Prefixes of the creation order are causally closed: delivered in any order they leave nothing pending.
        return fc.tuple(fc.constant(edits), fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n }), permutation(n), permutation(n))
      }),
      ([edits, p1, p2, order1, order2]) => {
        const { updates } = history(edits)
        const a = deliver(updates, order1.filter(i => i < p1))
        const b = deliver(updates, order2.filter(i => i < p2))
        const same = contains(a, b) && contains(b, a)
        expect(digest(a) === digest(b)).toBe(same)
        if (digest(a) === digest(b)) expect(json(a)).toEqual(json(b))
      }
    ), runs(300))
  })

  it('sees a delete that leaves the state vectors equal', () => {
    const a = new Y.Doc()
    a.getText('t').insert(0, 'hello')
    const b = new Y.Doc()
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    expect(digest(a)).toBe(digest(b))
    b.getText('t').delete(0, 1)
    expect(compare(ofDoc(a), ofDoc(b))).toBe('equal')
    expect(digest(a)).not.toBe(digest(b))
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)))
    expect(digest(a)).toBe(digest(b))
  })
})
