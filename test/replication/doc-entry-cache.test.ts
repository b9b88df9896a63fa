/**
 * What a DocEntry keeps between changes of its doc (src/replication/doc-entry.ts): the digest, the
 * encoded state vector (shared by the meta every append writes and the vector every ack carries) and the
 * vector. Each must be what computing it afresh from the doc gives, after every local edit and every
 * remote update — in order, out of order (pending, then integrated) or already known.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DocEntry } from '../../src/replication/doc-entry.js'
import { RemoteOrigin } from '../../src/replication/origins.js'
import { MemoryDocStore } from '../../src/replication/memory-store.js'
import { digestBytes, ofDoc, toJSON } from '../../src/replication/version-vector.js'

type Op =
  | { kind: 'local', key: number, value: number }
  | { kind: 'localDelete', key: number }
  | { kind: 'remote', writer: number, key: number, value: number }
  | { kind: 'deliver', writer: number, index: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('local' as const), key: fc.integer({ min: 0, max: 4 }), value: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ kind: fc.constant('localDelete' as const), key: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('remote' as const), writer: fc.integer({ min: 0, max: 2 }), key: fc.integer({ min: 0, max: 4 }), value: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ kind: fc.constant('deliver' as const), writer: fc.integer({ min: 0, max: 2 }), index: fc.nat() })
)

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('a doc entry\'s cached digest, state vector and vector', () => {
  it('equal what the doc gives afresh after every change', () => {
    fc.assert(fc.property(fc.array(opArb, { minLength: 1, maxLength: 40 }), (ops) => {
      const entry = new DocEntry('d', new MemoryDocStore())
      entry.doc.clientID = 1
      entry.doc.on('update', (_u: Uint8Array, origin: unknown, _d: Y.Doc, tr: Y.Transaction) => {
        entry.changed(tr)
        if (origin instanceof RemoteOrigin) origin.changed = true
      })
      const writers = [10, 11, 12].map(id => { const d = new Y.Doc(); d.clientID = id; return { doc: d, updates: [] as Uint8Array[] } })
      for (const w of writers) w.doc.on('update', (u: Uint8Array) => { w.updates.push(u) })
      const map = entry.doc.getMap('kv')
      for (const op of ops) {
        switch (op.kind) {
          case 'local': map.set(`k${op.key}`, op.value); break
          case 'localDelete': map.delete(`k${op.key}`); break
          case 'remote': (writers[op.writer] as typeof writers[number]).doc.getMap('kv').set(`k${op.key}`, op.value); break
          case 'deliver': {
            // Any of the writer's updates, in any order and more than once.
            const { updates } = writers[op.writer] as typeof writers[number]
            if (updates.length > 0) entry.applyRemote(updates[op.index % updates.length] as Uint8Array, new RemoteOrigin('p', 'push'))
            break
          }
        }
        const { meta } = entry.metaNow()
        expect(hex(meta.stateVector)).toBe(hex(Y.encodeStateVector(entry.doc)))
        expect(hex(meta.digest)).toBe(hex(digestBytes(entry.doc)))
        expect(toJSON(entry.vector())).toEqual(toJSON(ofDoc(entry.doc)))
      }
    }), { seed: 0x63616368, numRuns: 200 })
  })
})
