import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import type { StoreCallback, StoredDoc } from '../../src/core/doc-store.js'
import { FORMAT_KEY } from '../../src/storage/keys.js'
import { openLevelDocStore, type LevelDocStore } from '../../src/storage/level-store.js'
import type { LevelDocStoreInit } from '../../src/storage/config.js'
import { useSeed } from '../helpers/replay.js'

const dirs: string[] = []
const stores: LevelDocStore[] = []

afterEach(async () => {
  await Promise.allSettled(stores.splice(0).map(async s => { await s.close() }))
  await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
})

async function tempDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'murmur-storage-'))
  dirs.push(dir)
  return dir
}

async function open (dir: string, init?: LevelDocStoreInit): Promise<LevelDocStore> {
  const store = await openLevelDocStore(dir, init)
  stores.push(store)
  return store
}

/** Promisifies one callback call. */
function call<T> (fn: (cb: StoreCallback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, value) => { if (err !== null) reject(err); else resolve(value as T) })
  })
}

const append = (s: LevelDocStore, doc: string, u: Uint8Array): Promise<void> => call<void>(cb => { s.append(doc, u, undefined, cb) })
const compact = (s: LevelDocStore, doc: string, u: Uint8Array): Promise<void> => call<void>(cb => { s.compact(doc, u, undefined, cb) })
const load = (s: LevelDocStore, doc: string): Promise<Uint8Array[]> => call<Uint8Array[]>(cb => { s.load(doc, cb) })
const listDocs = async (s: LevelDocStore): Promise<string[]> => (await call<StoredDoc[]>(cb => { s.listDocs(cb) })).map(d => d.name)

/** A Y.Doc whose map writes are captured as updates. */
function writer (): { doc: Y.Doc, updates: Uint8Array[], set: (key: string, value: number) => Uint8Array } {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => { updates.push(u) })
  return {
    doc,
    updates,
    set: (key, value) => {
      doc.getMap('m').set(key, value)
      const u = updates.at(-1)
      if (u === undefined) throw new Error('no update captured')
      return u
    }
  }
}

function rebuild (updates: Uint8Array[]): Record<string, unknown> {
  const doc = new Y.Doc()
  for (const u of updates) Y.applyUpdate(doc, u)
  return doc.getMap('m').toJSON()
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)
const asArrays = (list: Uint8Array[]): number[][] => list.map(u => [...u])

/** Whether `fn` invoked its callback before returning (the store must never: no Zalgo). */
function callsBackSynchronously (fn: (cb: StoreCallback) => void): boolean {
  let returned = false
  let early = false
  fn(() => { if (!returned) early = true })
  returned = true
  return early
}

function errorName (p: Promise<unknown>): Promise<string> {
  return p.then(() => 'resolved', (err: unknown) => (err instanceof Error ? err.name : String(err)))
}

describe('LevelDocStore: reads and writes', () => {
  it('round-trips a Y.Doc through append and load', async () => {
    const store = await open(await tempDir())
    const w = writer()
    for (let i = 0; i < 5; i++) await append(store, 'doc', w.set(`k${i}`, i))
    expect(rebuild(await load(store, 'doc'))).toEqual(w.doc.getMap('m').toJSON())
    expect(await load(store, 'unknown')).toEqual([])
    expect(store.pending('doc')).toEqual({ updates: 5, bytes: w.updates.reduce((n, u) => n + u.byteLength, 0) })
  })

  it('keeps per-doc order and calls back in call order across interleaved docs', async () => {
    const store = await open(await tempDir())
    const acked: string[] = []
    const all: Array<Promise<void>> = []
    for (let i = 0; i < 300; i++) {
      const doc = `d${i % 3}`
      all.push(append(store, doc, bytes(i >> 8, i & 255)).then(() => { acked.push(`${doc}:${i}`) }))
    }
    await Promise.all(all)
    expect(acked).toEqual(Array.from({ length: 300 }, (_, i) => `d${i % 3}:${i}`))
    for (let d = 0; d < 3; d++) {
      const expected = Array.from({ length: 100 }, (_, j) => 3 * j + d).map(i => [i >> 8, i & 255])
      expect(asArrays(await load(store, `d${d}`))).toEqual(expected)
    }
  })

  it('writes every batch with sync: true (the SIGKILL test cannot tell; a power loss would)', async () => {
    const store = await open(await tempDir())
    const spy = vi.spyOn(ClassicLevel.prototype, 'batch')
    try {
      await Promise.all([append(store, 'doc', bytes(1)), compact(store, 'doc', bytes(2)), append(store, 'doc', bytes(3))])
      await append(store, 'other', bytes(4))
      expect(spy.mock.calls.length).toBe(2)
      for (const args of spy.mock.calls as unknown[][]) expect(args[1]).toMatchObject({ sync: true })
    } finally {
      spy.mockRestore()
    }
  })

  it('group-commits: 1,000 appends of one turn take one sync batch', async () => {
    const store = await open(await tempDir())
    const all: Array<Promise<void>> = []
    for (let i = 0; i < 1000; i++) all.push(append(store, `doc${i % 10}`, bytes(i & 255, 1)))
    await Promise.all(all)
    // All 1,000 are queued before the first flush (setImmediate) runs, and fit maxBatchEntries (4,096).
    expect(store.stats()).toMatchObject({ appends: 1000, batches: 1, entriesWritten: 1000, largestBatch: 1000 })
  })

  it('group-commits writes that arrive while a batch is in flight', async () => {
    const store = await open(await tempDir())
    const all: Array<Promise<void>> = []
    // 100 turns of 5 appends, each turn started from a macrotask: at most one batch per turn.
    for (let turn = 0; turn < 100; turn++) {
      for (let j = 0; j < 5; j++) all.push(append(store, 'doc', bytes(turn, j)))
      await new Promise(resolve => { setImmediate(resolve) })
    }
    await Promise.all(all)
    const { batches, entriesWritten } = store.stats()
    expect(entriesWritten).toBe(500)
    expect(batches).toBeLessThanOrEqual(100)
    expect((await load(store, 'doc')).length).toBe(500)
  })

  it('sees writes queued before a read (read-your-writes), including in listDocs', async () => {
    const store = await open(await tempDir())
    const acked = append(store, 'fresh', bytes(7))
    const [docs, loaded] = await Promise.all([listDocs(store), load(store, 'fresh')])
    await acked
    expect(docs).toEqual(['fresh'])
    expect(asArrays(loaded)).toEqual([[7]])
  })

  it('refuses empty and oversized updates and states with UpdateSizeError, asynchronously', async () => {
    const store = await open(await tempDir(), { maxUpdateBytes: 1024, maxStateBytes: 2048 })
    expect(callsBackSynchronously(cb => { store.append('doc', new Uint8Array(0), undefined, cb) })).toBe(false)
    expect(await errorName(append(store, 'doc', new Uint8Array(0)))).toBe('UpdateSizeError')
    expect(await errorName(append(store, 'doc', new Uint8Array(1025)))).toBe('UpdateSizeError')
    expect(await errorName(compact(store, 'doc', new Uint8Array(2049)))).toBe('UpdateSizeError')
    await append(store, 'doc', new Uint8Array(1024))
    await compact(store, 'doc', new Uint8Array(2048))
    expect((await load(store, 'doc')).map(u => u.byteLength)).toEqual([2048])
  })

  it('refuses writes with StoreBusyError when the queue is full, writing none of them', async () => {
    const store = await open(await tempDir(), { maxQueuedEntries: 4 })
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => errorName(append(store, 'doc', bytes(i)))))
    expect(results).toEqual([...Array(4).fill('resolved'), ...Array(6).fill('StoreBusyError')])
    expect(asArrays(await load(store, 'doc'))).toEqual([[0], [1], [2], [3]])
    expect(store.pending('doc').updates).toBe(4)
  })
})

describe('LevelDocStore: doc names', () => {
  const NAMES = ['', 'a', 'a\0', 'a\0b', 'a\u0001', 'ab', 'd/x/u/00000001', '..', '😀 emoji', 'ü'.repeat(512), '\0']

  it('stores arbitrary names in isolation and lists them, also after reopening', async () => {
    const dir = await tempDir()
    let store = await open(dir)
    for (const [i, name] of NAMES.entries()) {
      await append(store, name, bytes(i))
      if (i % 2 === 0) await compact(store, name, bytes(100 + i))
      await append(store, name, bytes(200 + i))
    }
    const check = async (): Promise<void> => {
      expect(await listDocs(store)).toEqual([...NAMES].sort())
      for (const [i, name] of NAMES.entries()) {
        expect(asArrays(await load(store, name))).toEqual(i % 2 === 0 ? [[100 + i], [200 + i]] : [[i], [200 + i]])
      }
    }
    await check()
    await store.close()
    store = await open(dir)
    await check()
  })

  it('refuses overlong and ill-formed names with InvalidDocNameError', async () => {
    const store = await open(await tempDir())
    for (const bad of ['x'.repeat(1025), 'lone\uD800']) {
      expect(await errorName(append(store, bad, bytes(1)))).toBe('InvalidDocNameError')
      expect(await errorName(compact(store, bad, bytes(1)))).toBe('InvalidDocNameError')
      expect(await errorName(load(store, bad))).toBe('InvalidDocNameError')
    }
    expect(await listDocs(store)).toEqual([])
  })
})

describe('LevelDocStore: compaction', () => {
  it('replaces the history with the state and resets pending', async () => {
    const dir = await tempDir()
    let store = await open(dir)
    const w = writer()
    for (let i = 0; i < 20; i++) await append(store, 'doc', w.set(`k${i}`, i))
    const state = Y.encodeStateAsUpdate(w.doc)
    await compact(store, 'doc', state)
    expect(store.pending('doc')).toEqual({ updates: 0, bytes: 0 })
    expect(asArrays(await load(store, 'doc'))).toEqual([[...state]])
    const after = w.set('late', 99)
    await append(store, 'doc', after)
    expect(store.pending('doc')).toEqual({ updates: 1, bytes: after.byteLength })
    await store.close()
    store = await open(dir)
    expect(store.pending('doc')).toEqual({ updates: 1, bytes: after.byteLength })
    expect(asArrays(await load(store, 'doc'))).toEqual([[...state], [...after]])
    expect(rebuild(await load(store, 'doc'))).toEqual(w.doc.getMap('m').toJSON())
  })

  it('keeps appends called after a compaction of the same turn, and drops those before', async () => {
    const store = await open(await tempDir())
    const w = writer()
    const all: Array<Promise<void>> = []
    for (let i = 0; i < 5; i++) all.push(append(store, 'doc', w.set(`k${i}`, i)))
    const state = Y.encodeStateAsUpdate(w.doc)
    all.push(compact(store, 'doc', state))
    const later = [w.set('k5', 5), w.set('k6', 6)]
    for (const u of later) all.push(append(store, 'doc', u))
    await Promise.all(all)
    expect(store.stats().batches).toBe(1) // puts, the compaction's deletes and later puts: one batch
    expect(asArrays(await load(store, 'doc'))).toEqual([state, ...later].map(u => [...u]))
    expect(store.pending('doc').updates).toBe(2)
  })

  it('covers appends still queued or being written when compact is called', async () => {
    const dir = await tempDir()
    let store = await open(dir)
    const w = writer()
    const all: Array<Promise<void>> = []
    for (let i = 0; i < 5; i++) all.push(append(store, 'doc', w.set(`k${i}`, i)))
    await new Promise(resolve => { setImmediate(resolve) })
    expect(store.stats().writing).toBe(true) // k0..k4 are on their way to the disk
    for (let i = 5; i < 8; i++) all.push(append(store, 'doc', w.set(`k${i}`, i))) // queued behind them
    const state = Y.encodeStateAsUpdate(w.doc)
    all.push(compact(store, 'doc', state))
    const later: Uint8Array[] = []
    for (let i = 8; i < 11; i++) {
      later.push(w.set(`k${i}`, i))
      all.push(append(store, 'doc', later.at(-1) ?? bytes()))
    }
    await Promise.all(all)
    const expected = [state, ...later].map(u => [...u])
    expect(asArrays(await load(store, 'doc'))).toEqual(expected)
    expect(rebuild(await load(store, 'doc'))).toEqual(w.doc.getMap('m').toJSON())
    await store.close()
    store = await open(dir)
    expect(asArrays(await load(store, 'doc'))).toEqual(expected)
    expect(store.pending('doc').updates).toBe(3)
  })

  it('continues after a doc was fully compacted and the store reopened', async () => {
    const dir = await tempDir()
    let store = await open(dir)
    await append(store, 'doc', bytes(1))
    await compact(store, 'doc', bytes(9))
    await store.close()
    store = await open(dir)
    expect(store.pending('doc')).toEqual({ updates: 0, bytes: 0 })
    await append(store, 'doc', bytes(2))
    await append(store, 'doc', bytes(3))
    expect(asArrays(await load(store, 'doc'))).toEqual([[9], [2], [3]])
    await compact(store, 'doc', bytes(10))
    expect(asArrays(await load(store, 'doc'))).toEqual([[10]])
  })

  const MODEL_TEST = 'matches a model under random appends, compactions, waits and reopens (property)'
  it(MODEL_TEST, async () => {
    const seed = useSeed(20240611, 'test/storage/level.test.ts', MODEL_TEST)
    type Cmd = { kind: 'append', doc: number } | { kind: 'compact', doc: number } | { kind: 'settle' } | { kind: 'reopen' }
    const cmd: fc.Arbitrary<Cmd> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), doc: fc.nat(1) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), doc: fc.nat(1) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'settle' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) }
    )
    await fc.assert(fc.asyncProperty(fc.array(cmd, { maxLength: 40 }), async cmds => {
      const dir = await tempDir()
      let store = await open(dir)
      const models = [writer(), writer()]
      const sinceCompact = [0, 0]
      let inFlight: Array<Promise<void>> = []
      let n = 0
      for (const c of cmds) {
        if (c.kind === 'append') {
          const m = models[c.doc]
          if (m === undefined) throw new Error('bad doc')
          inFlight.push(append(store, `doc${c.doc}`, m.set(`k${n++}`, n)))
          sinceCompact[c.doc] = (sinceCompact[c.doc] ?? 0) + 1
        } else if (c.kind === 'compact') {
          const m = models[c.doc]
          if (m === undefined) throw new Error('bad doc')
          inFlight.push(compact(store, `doc${c.doc}`, Y.encodeStateAsUpdate(m.doc)))
          sinceCompact[c.doc] = 0
        } else {
          await Promise.all(inFlight)
          inFlight = []
          if (c.kind === 'reopen') {
            await store.close()
            store = await open(dir)
          }
        }
      }
      await Promise.all(inFlight)
      for (const [d, m] of models.entries()) {
        expect(rebuild(await load(store, `doc${d}`))).toEqual(m.doc.getMap('m').toJSON())
        expect(store.pending(`doc${d}`).updates).toBe(sinceCompact[d])
      }
      await store.close()
    }), { numRuns: 25, seed })
  })
})

describe('LevelDocStore: lifecycle', () => {
  it('close waits for accepted writes and reads, then refuses every call with NotRunningError', async () => {
    const dir = await tempDir()
    const store = await open(dir)
    const writes = Array.from({ length: 50 }, (_, i) => append(store, 'doc', bytes(i)))
    const loaded = load(store, 'doc')
    const closed = store.close()
    expect(store.close()).toBe(closed) // idempotent
    await closed
    await Promise.all(writes)
    expect((await loaded).length).toBe(50)

    expect(callsBackSynchronously(cb => { store.append('doc', bytes(1), undefined, cb) })).toBe(false)
    const refused = [
      errorName(append(store, 'doc', bytes(1))), errorName(compact(store, 'doc', bytes(1))),
      errorName(load(store, 'doc')), errorName(listDocs(store))
    ]
    expect(await Promise.all(refused)).toEqual(Array(4).fill('NotRunningError'))
    expect(() => store.pending('doc')).toThrow(expect.objectContaining({ name: 'NotRunningError' }))

    const reopened = await open(dir)
    expect((await load(reopened, 'doc')).length).toBe(50)
  })

  it('bounds close: past closeTimeoutMs queued writes fail with AbortError and close rejects with TimeoutError', async () => {
    const dir = await tempDir()
    // One entry per batch: 500 fsyncs in a row cannot finish within 1 ms.
    const store = await open(dir, { maxBatchEntries: 1, closeTimeoutMs: 1 })
    const outcomes = Array.from({ length: 500 }, (_, i) => errorName(append(store, 'doc', bytes(i >> 8, i & 255))))
    const loaded = errorName(load(store, 'doc'))
    expect(await errorName(store.close())).toBe('TimeoutError')
    const results = await Promise.all(outcomes)
    expect(await loaded).toBe('AbortError')
    const ok = results.filter(r => r === 'resolved').length
    expect(ok).toBeLessThan(500)
    expect(results.slice(ok).every(r => r === 'AbortError')).toBe(true) // a prefix succeeded, the rest aborted
    const reopened = await open(dir)
    expect((await load(reopened, 'doc')).length).toBeGreaterThanOrEqual(ok) // every acknowledged one is there
  })

  it('fails a second open of a locked dir with StoreLockedError, and opens once it is released', async () => {
    const dir = await tempDir()
    const first = await open(dir)
    await expect(openLevelDocStore(dir)).rejects.toMatchObject({ name: 'StoreLockedError' })
    await first.close()
    const second = await open(dir)
    expect(await listDocs(second)).toEqual([])
  })

  it('fails with StoreLockedError while another live process holds the dir', async () => {
    const dir = await tempDir()
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `
      import { ClassicLevel } from 'classic-level'
      const db = new ClassicLevel(process.argv[1])
      await db.open()
      process.stdout.write('locked\\n')
      setInterval(() => {}, 1000)
    `, dir], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error('holder did not lock within 10 s')) }, 10_000)
        holder.stdout.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('locked')) { clearTimeout(timer); resolve() }
        })
        holder.on('exit', code => { clearTimeout(timer); reject(new Error(`holder exited early (${code})`)) })
      })
      await expect(openLevelDocStore(dir)).rejects.toMatchObject({ name: 'StoreLockedError' })
    } finally {
      const exited = new Promise(resolve => { holder.once('exit', resolve) })
      holder.kill('SIGKILL')
      await exited
    }
    // The kernel drops the holder's lock with the process (an empty LevelDB is stamped and adopted).
    expect(await listDocs(await open(dir))).toEqual([])
  })

  it('refuses a foreign LevelDB or a newer format with StoreFormatError, leaving it untouched', async () => {
    const foreign = await tempDir()
    const raw = new ClassicLevel(foreign)
    await raw.put('someone-else', 'x')
    await raw.close()
    await expect(openLevelDocStore(foreign)).rejects.toMatchObject({ name: 'StoreFormatError' })

    const newer = await tempDir()
    await (await openLevelDocStore(newer)).close()
    const stamped = new ClassicLevel<Uint8Array, Uint8Array>(newer, { keyEncoding: 'view', valueEncoding: 'view' })
    await stamped.put(FORMAT_KEY, bytes(2))
    await stamped.close()
    await expect(openLevelDocStore(newer)).rejects.toMatchObject({ name: 'StoreFormatError' })
  })

  it('validates its options with ConfigError', async () => {
    const dir = await tempDir()
    await expect(openLevelDocStore(dir, { maxUpdateBytes: 0 })).rejects.toMatchObject({ name: 'ConfigError' })
    await expect(openLevelDocStore(dir, { maxQueuedBytes: 10 })).rejects.toMatchObject({ name: 'ConfigError' })
    await expect(openLevelDocStore(dir, { bogus: 1 } as LevelDocStoreInit)).rejects.toMatchObject({ name: 'ConfigError' })
  })
})
