/**
 * The DocStore contract (src/core/doc-store.ts) as one acceptance suite that every store runs, as
 * automerge-repo runs `runStorageAdapterTests` against each storage adapter: the in-memory store of the
 * simulator and of peers without a data dir, and the LevelDB store of peers with one. A behaviour the
 * replicator relies on belongs here, so that no store can quietly differ from the others.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { DocStore, StoreCallback, StoredDoc } from '../../src/core/doc-store.js'

export interface DocStoreFactory {
  /** A new, empty store. */
  open(): Promise<DocStore>
  /** The store a restarted process would open over the same data (after a clean stop of `store`). */
  restart(store: DocStore): Promise<DocStore>
  /** Releases everything (called once per test). */
  cleanup(): Promise<void>
}

function call<T> (fn: (cb: StoreCallback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, value) => { if (err !== null) reject(err); else resolve(value as T) })
  })
}

export const append = (s: DocStore, doc: string, u: Uint8Array, meta?: Uint8Array): Promise<void> => call<void>(cb => { s.append(doc, u, meta, cb) })
export const compact = (s: DocStore, doc: string, u: Uint8Array, meta?: Uint8Array): Promise<void> => call<void>(cb => { s.compact(doc, u, meta, cb) })
export const remove = (s: DocStore, doc: string): Promise<void> => call<void>(cb => { s.remove(doc, cb) })
export const load = (s: DocStore, doc: string): Promise<Uint8Array[]> => call<Uint8Array[]>(cb => { s.load(doc, cb) })
export const listed = (s: DocStore): Promise<StoredDoc[]> => call<StoredDoc[]>(cb => { s.listDocs(cb) })
export const listDocs = async (s: DocStore): Promise<string[]> => (await listed(s)).map(d => d.name)

/** Yjs updates of one writer setting keys of a map, captured one per write. */
function writer (): { doc: Y.Doc, set: (key: string, value: number) => Uint8Array } {
  const doc = new Y.Doc()
  let last: Uint8Array | undefined
  doc.on('update', (u: Uint8Array) => { last = u })
  return {
    doc,
    set: (key, value) => {
      doc.getMap('m').set(key, value)
      if (last === undefined) throw new Error('no update captured')
      return last
    }
  }
}

function replay (updates: readonly Uint8Array[]): Record<string, unknown> {
  const doc = new Y.Doc()
  for (const u of updates) Y.applyUpdate(doc, u)
  return doc.getMap('m').toJSON()
}

export function runDocStoreAcceptance (name: string, factory: () => DocStoreFactory): void {
  describe(`DocStore contract: ${name}`, () => {
    const withStore = (title: string, body: (store: DocStore, f: DocStoreFactory) => Promise<void>): void => {
      it(title, async () => {
        const f = factory()
        try {
          await body(await f.open(), f)
        } finally {
          await f.cleanup()
        }
      })
    }

    withStore('a working store is healthy, and health listeners can unsubscribe', async (s) => {
      expect(s.health().state).toBe('ok')
      const off = s.onHealth(() => {})
      expect(typeof off).toBe('function')
      off()
      await append(s, 'doc', Uint8Array.of(0, 0))
      expect(s.health().state).toBe('ok')
    })

    withStore('an empty store lists nothing and loads an unknown doc as empty', async (s) => {
      expect(await listDocs(s)).toEqual([])
      expect(await load(s, 'nope')).toEqual([])
      expect(s.pending('nope')).toEqual({ updates: 0, bytes: 0 })
    })

    withStore('appends load back in order and rebuild the doc; the doc is listed', async (s) => {
      const w = writer()
      const updates = [w.set('a', 1), w.set('b', 2), w.set('a', 3)]
      for (const u of updates) await append(s, 'doc', u)
      const loaded = await load(s, 'doc')
      expect(loaded.map(u => [...u])).toEqual(updates.map(u => [...u]))
      expect(replay(loaded)).toEqual({ a: 3, b: 2 })
      expect(await listDocs(s)).toEqual(['doc'])
      expect(s.pending('doc')).toEqual({ updates: 3, bytes: updates.reduce((n, u) => n + u.byteLength, 0) })
    })

    withStore('calls on one doc call back in the order they were made', async (s) => {
      const w = writer()
      const order: number[] = []
      await new Promise<void>((resolve, reject) => {
        for (let i = 0; i < 20; i++) {
          s.append('doc', w.set(`k${i}`, i), undefined, (err) => {
            if (err !== null) reject(err)
            order.push(i)
            if (order.length === 20) resolve()
          })
        }
      })
      expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i))
    })

    withStore('compact replaces the history; later appends are kept after the state', async (s) => {
      const w = writer()
      for (let i = 0; i < 5; i++) await append(s, 'doc', w.set(`k${i}`, i))
      await compact(s, 'doc', Y.encodeStateAsUpdate(w.doc))
      expect(s.pending('doc')).toEqual({ updates: 0, bytes: 0 })
      const after = w.set('late', 9)
      await append(s, 'doc', after)
      const loaded = await load(s, 'doc')
      expect(loaded).toHaveLength(2)
      expect(replay(loaded)).toEqual({ k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, late: 9 })
      expect(s.pending('doc').updates).toBe(1)
    })

    withStore('a compact called while appends are in flight covers exactly the appends called before it', async (s) => {
      const w = writer()
      const before = [w.set('a', 1), w.set('b', 2)]
      const pending = before.map(u => append(s, 'doc', u))
      const state = Y.encodeStateAsUpdate(w.doc)
      const compacted = compact(s, 'doc', state)
      const after = append(s, 'doc', w.set('c', 3))
      await Promise.all([...pending, compacted, after])
      const loaded = await load(s, 'doc')
      expect(loaded).toHaveLength(2)
      expect(replay(loaded)).toEqual({ a: 1, b: 2, c: 3 })
    })

    withStore('docs are independent, whatever their names share', async (s) => {
      const names = ['a', 'ab', 'a\u0000b', 'a/b', 'ü∂😀', 'A']
      const writers = names.map(() => writer())
      await Promise.all(names.map((n, i) => append(s, n, (writers[i] as ReturnType<typeof writer>).set('v', i))))
      for (const [i, n] of names.entries()) expect(replay(await load(s, n)), n).toEqual({ v: i })
      expect((await listDocs(s)).sort()).toEqual([...names].sort())
    })

    withStore('a restarted store holds every acknowledged append and compaction', async (s, f) => {
      const w1 = writer()
      const w2 = writer()
      for (let i = 0; i < 3; i++) await append(s, 'one', w1.set(`k${i}`, i))
      await compact(s, 'one', Y.encodeStateAsUpdate(w1.doc))
      await append(s, 'one', w1.set('after', 1))
      await append(s, 'two', w2.set('x', 2))
      const again = await f.restart(s)
      expect((await listDocs(again)).sort()).toEqual(['one', 'two'])
      expect(replay(await load(again, 'one'))).toEqual({ k0: 0, k1: 1, k2: 2, after: 1 })
      expect(replay(await load(again, 'two'))).toEqual({ x: 2 })
      expect(again.pending('one').updates).toBe(1)
    })

    withStore('each append or compaction that carries a meta replaces it; listDocs reports the latest', async (s, f) => {
      const w = writer()
      await append(s, 'doc', w.set('a', 1))
      expect(await listed(s)).toEqual([{ name: 'doc', meta: undefined }])
      await append(s, 'doc', w.set('b', 2), Uint8Array.of(1, 2, 3))
      await append(s, 'doc', w.set('c', 3)) // no meta: the last one stays
      expect((await listed(s)).map(d => [...d.meta ?? []])).toEqual([[1, 2, 3]])
      await compact(s, 'doc', Y.encodeStateAsUpdate(w.doc), Uint8Array.of(4))
      expect((await listed(s)).map(d => [...d.meta ?? []])).toEqual([[4]])
      const again = await f.restart(s)
      expect((await listed(again)).map(d => [...d.meta ?? []])).toEqual([[4]])
    })

    withStore('remove deletes the doc\'s history and meta; appends after it start a new history', async (s, f) => {
      const w = writer()
      await append(s, 'gone', w.set('a', 1), Uint8Array.of(7))
      await compact(s, 'gone', Y.encodeStateAsUpdate(w.doc))
      await append(s, 'gone', w.set('b', 2))
      await append(s, 'kept', writer().set('k', 1))
      await remove(s, 'gone')
      expect(await listDocs(s)).toEqual(['kept'])
      expect(await load(s, 'gone')).toEqual([])
      expect(s.pending('gone')).toEqual({ updates: 0, bytes: 0 })
      await remove(s, 'never-existed')
      const fresh = writer()
      const pending = remove(s, 'gone')
      const after = append(s, 'gone', fresh.set('x', 1))
      await Promise.all([pending, after])
      expect(replay(await load(s, 'gone'))).toEqual({ x: 1 })
      const again = await f.restart(s)
      expect((await listed(again)).map(d => d.name).sort()).toEqual(['gone', 'kept'])
      expect(replay(await load(again, 'gone'))).toEqual({ x: 1 })
    })

    withStore('after close every call fails with NotRunningError', async (s) => {
      await s.close()
      await expect(append(s, 'doc', writer().set('a', 1))).rejects.toMatchObject({ name: 'NotRunningError' })
      await expect(compact(s, 'doc', writer().set('a', 1))).rejects.toMatchObject({ name: 'NotRunningError' })
      await expect(load(s, 'doc')).rejects.toMatchObject({ name: 'NotRunningError' })
      await expect(listDocs(s)).rejects.toMatchObject({ name: 'NotRunningError' })
      await expect(remove(s, 'doc')).rejects.toMatchObject({ name: 'NotRunningError' })
    })
  })
}
