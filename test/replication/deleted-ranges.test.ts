/**
 * The delete set kept transaction by transaction (src/replication/deleted-ranges.ts) must give the very
 * digest that a full walk of the doc gives (version-vector.ts `digestBytes`): replicas compare digests, and a
 * peer running either code must agree with one running the other. Random edits of every kind (map sets and
 * deletes, nested types replaced with their contents, arrays, text with formatting), syncs between replicas in any order (so updates wait as
 * pending and integrate later), garbage collection on and off; the two digests are compared after every step.
 * So are the diffs built from it (src/replication/diff-encoding.ts) with `Y.encodeStateAsUpdate`'s, against
 * the other replicas' vectors, the empty one and one that cuts structs midway and names an unknown replica.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DeletedRanges, digestOf } from '../../src/replication/deleted-ranges.js'
import { encodeDiff } from '../../src/replication/diff-encoding.js'
import { digestBytes } from '../../src/replication/version-vector.js'

const SEED = 0x64656c72

type Op =
  | { kind: 'set', replica: number, key: number, value: number }
  | { kind: 'delete', replica: number, key: number }
  | { kind: 'arrayInsert', replica: number, at: number, values: number[] }
  | { kind: 'arrayDelete', replica: number, at: number, len: number }
  | { kind: 'textInsert', replica: number, at: number, text: string, bold: boolean }
  | { kind: 'textDelete', replica: number, at: number, len: number }
  | { kind: 'format', replica: number, at: number, len: number }
  | { kind: 'nested', replica: number, key: number, values: number[] }
  | { kind: 'nestedPush', replica: number, key: number, value: number }
  | { kind: 'sync', from: number, to: number, partial: boolean }
  | { kind: 'track', replica: number }

const REPLICAS = 3
const replica = fc.integer({ min: 0, max: REPLICAS - 1 })
const small = fc.integer({ min: 0, max: 12 })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), replica, key: fc.integer({ min: 0, max: 5 }), value: small }),
  fc.record({ kind: fc.constant('delete' as const), replica, key: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('arrayInsert' as const), replica, at: small, values: fc.array(small, { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('arrayDelete' as const), replica, at: small, len: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('textInsert' as const), replica, at: small, text: fc.string({ minLength: 1, maxLength: 5 }), bold: fc.boolean() }),
  fc.record({ kind: fc.constant('textDelete' as const), replica, at: small, len: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('format' as const), replica, at: small, len: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('nested' as const), replica, key: fc.integer({ min: 0, max: 2 }), values: fc.array(small, { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('nestedPush' as const), replica, key: fc.integer({ min: 0, max: 2 }), value: small }),
  fc.record({ kind: fc.constant('sync' as const), from: replica, to: replica, partial: fc.boolean() }),
  fc.record({ kind: fc.constant('track' as const), replica })
)

interface Replica {
  doc: Y.Doc
  /** Kept up to date from the moment the test starts tracking (any point of the history). */
  ranges: DeletedRanges | undefined
  /** Updates this replica produced or received, in order: a partial sync sends a random suffix. */
  log: Uint8Array[]
}

function apply (r: Replica, op: Op, all: Replica[]): void {
  const { doc } = r
  const map = doc.getMap('kv')
  const arr = doc.getArray<number>('list')
  const text = doc.getText('text')
  const clamp = (at: number, length: number): number => Math.min(at, length)
  switch (op.kind) {
    case 'set': map.set(`k${op.key}`, op.value); break
    case 'delete': map.delete(`k${op.key}`); break
    case 'arrayInsert': arr.insert(clamp(op.at, arr.length), op.values); break
    case 'arrayDelete': { const at = clamp(op.at, arr.length); arr.delete(at, Math.min(op.len, arr.length - at)); break }
    case 'textInsert': text.insert(clamp(op.at, text.length), op.text, op.bold ? { bold: true } : {}); break
    case 'textDelete': { const at = clamp(op.at, text.length); text.delete(at, Math.min(op.len, text.length - at)); break }
    case 'format': { const at = clamp(op.at, text.length); text.format(at, Math.min(op.len, text.length - at), { italic: true }); break }
    // A nested type replaced (or deleted with its key) takes its children with it: with gc on, a replica
    // that had not seen them gets them as GC structs, deleted on arrival without a delete of their own.
    case 'nested': { const inner = new Y.Array<number>(); inner.push(op.values); map.set(`n${op.key}`, inner); break }
    case 'nestedPush': { const inner = map.get(`n${op.key}`); if (inner instanceof Y.Array) inner.push([op.value]); break }
    case 'track': r.ranges ??= DeletedRanges.of(doc); break
    case 'sync': {
      const from = all[op.from] as Replica
      if (op.partial) {
        // The newer half of what the sender has seen: the receiver may lack what it depends on (pending).
        for (const u of from.log.slice(Math.floor(from.log.length / 2))) Y.applyUpdate(doc, u, 'remote')
      } else {
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(from.doc, Y.encodeStateVector(doc)), 'remote')
      }
      break
    }
  }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/** `Y.encodeStateAsUpdate(doc, target)` as doc-entry.ts had it: with nothing pending. */
function yjsDiff (doc: Y.Doc, target: ReadonlyMap<number, number>): Uint8Array {
  const store = doc.store
  const { pendingStructs, pendingDs } = store
  store.pendingStructs = null
  store.pendingDs = null
  try {
    return Y.encodeStateAsUpdate(doc, Y.encodeStateVector(new Map(target)))
  } finally {
    store.pendingStructs = pendingStructs
    store.pendingDs = pendingDs
  }
}

/** Vectors a diff of `r` is asked against: the others', nothing, and one that cuts structs and names a stranger. */
function targetsOf (r: Replica, all: readonly Replica[]): Array<ReadonlyMap<number, number>> {
  const halfway = new Map<number, number>([[999, 3]])
  for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(r.doc))) halfway.set(client, Math.floor(clock / 2))
  return [...all.filter(o => o !== r).map(o => Y.decodeStateVector(Y.encodeStateVector(o.doc))), new Map(), halfway]
}

function check (replicas: Replica[], gc: boolean): void {
  for (const r of replicas) {
    if (r.ranges === undefined) continue
    expect(hex(digestOf(r.doc, r.ranges)), `gc ${String(gc)}`).toBe(hex(digestBytes(r.doc)))
    for (const target of targetsOf(r, replicas)) expect(hex(encodeDiff(r.doc, r.ranges, target)), `diff against ${JSON.stringify([...target])}, gc ${String(gc)}`).toBe(hex(yjsDiff(r.doc, target)))
  }
}

describe('deleted ranges kept per transaction', () => {
  for (const gc of [true, false]) {
    it(`give the digest a full walk gives, and diffs byte for byte Yjs's, after every step of random edits and syncs (gc ${String(gc)})`, () => {
      fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), fc.boolean(), (ops, trackFromStart) => {
        const replicas: Replica[] = Array.from({ length: REPLICAS }, (_, i) => {
          const doc = new Y.Doc({ gc })
          doc.clientID = 100 + i
          const r: Replica = { doc, ranges: trackFromStart ? DeletedRanges.of(doc) : undefined, log: [] }
          doc.on('update', (update: Uint8Array, _origin: unknown, _doc: Y.Doc, tr: Y.Transaction) => {
            r.log.push(update)
            r.ranges?.noteTransaction(tr)
          })
          return r
        })
        for (const op of ops) {
          apply(replicas[op.kind === 'sync' ? op.to : op.replica] as Replica, op, replicas)
          check(replicas, gc)
        }
        // And once every replica has everything: tracked from any point, the digests are equal everywhere.
        for (const a of replicas) for (const b of replicas) Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc), 'remote')
        for (const r of replicas) r.ranges ??= DeletedRanges.of(r.doc)
        check(replicas, gc)
        const digests = new Set(replicas.map(r => Buffer.from(digestOf(r.doc, r.ranges as DeletedRanges)).toString('hex')))
        expect(digests.size).toBe(1)
      }), { seed: SEED + (gc ? 1 : 0), numRuns: 300 })
    })
  }

  it('merges runs that overlap or touch, in any order, into what Yjs builds', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 6 })), { maxLength: 30 }), (adds) => {
      const ranges = new DeletedRanges()
      const clocks = new Set<number>()
      for (const [clock, len] of adds) {
        ranges.add(7, clock, len)
        for (let c = clock; c < clock + len; c++) clocks.add(c)
      }
      // The expected runs: maximal intervals of the set of deleted clocks.
      const sorted = [...clocks].sort((a, b) => a - b)
      const expected: Array<{ clock: number, len: number }> = []
      for (const c of sorted) {
        const last = expected[expected.length - 1]
        if (last !== undefined && last.clock + last.len === c) last.len++
        else expected.push({ clock: c, len: 1 })
      }
      expect(ranges.toDeleteSet().clients.get(7) ?? []).toEqual(expected)
    }), { seed: SEED + 2, numRuns: 500 })
  })
})
