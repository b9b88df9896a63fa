/**
 * Opening a damaged data dir (src/storage/open-db.ts): real LevelDB files, damaged the way a partial copy
 * or restore, or fsck, leaves them.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, readdir, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { StoreCallback, StoredDoc } from '../../src/core/doc-store.js'
import { createLogger, type LogFields } from '../../src/core/logger.js'
import { openLevelDocStore, type LevelDocStore } from '../../src/storage/level-store.js'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
})

function call<T> (fn: (cb: StoreCallback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, value) => { if (err !== null) reject(err); else resolve(value as T) })
  })
}

async function tempDir (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'murmur-open-db-'))
  dirs.push(dir)
  return dir
}

/** A store closed with 40 updates of 2 kB in its write-ahead log (no table yet); returns the log's path. */
async function storeWithLog (dir: string): Promise<string> {
  const store = await openLevelDocStore(dir)
  for (let i = 0; i < 40; i++) await call<void>(cb => { store.append(`doc${i}`, randomBytes(2048), undefined, cb) })
  await store.close()
  const log = (await readdir(dir)).find(n => n.endsWith('.log'))
  if (log === undefined) throw new Error('no write-ahead log')
  return join(dir, log)
}

/** Opens `dir` and returns the store's error lines. */
async function openedErrors (dir: string): Promise<Array<{ message: string, fields: LogFields | undefined }>> {
  const errors: Array<{ message: string, fields: LogFields | undefined }> = []
  const log = createLogger((level, _component, message, fields) => { if (level === 'error') errors.push({ message, fields }) })
  await (await openLevelDocStore(dir, { log })).close()
  return errors
}

const listDocs = async (s: LevelDocStore): Promise<string[]> => (await call<StoredDoc[]>(cb => { s.listDocs(cb) })).map(d => d.name)

/** Recreates CURRENT as the refusal says (naming `manifest`), opens the store and counts its docs. */
async function docsAfterRecreating (dir: string, manifest: string): Promise<number> {
  await writeFile(join(dir, 'CURRENT'), `${manifest}\n`)
  const store = await openLevelDocStore(dir)
  try {
    return (await listDocs(store)).length
  } finally {
    await store.close()
  }
}

describe('opening a damaged store', () => {
  it('refuses a dir with LevelDB files but no CURRENT, deleting nothing, and opens again once CURRENT is back', async () => {
    const dir = await tempDir()
    const store = await openLevelDocStore(dir)
    for (let i = 0; i < 20; i++) await call<void>(cb => { store.append(`doc${i}`, Uint8Array.of(1, 2, i), undefined, cb) })
    await store.close()
    // A second open writes the log out as a table: the data now lives in a .ldb file the MANIFEST names.
    await (await openLevelDocStore(dir)).close()
    const before = (await readdir(dir)).filter(n => n !== 'CURRENT').sort()
    expect(before.some(n => n.endsWith('.ldb'))).toBe(true)
    const manifest = before.filter(n => n.startsWith('MANIFEST-')).at(-1)
    expect(manifest).toBeDefined()
    await rm(join(dir, 'CURRENT'))

    // Before the fix LevelDB created a new database here and deleted the table (StoreFormatError followed).
    const refused = await openLevelDocStore(dir).then(() => undefined, (err: unknown) => err)
    expect(refused).toMatchObject({ name: 'StoreDamagedError' })
    expect(String((refused as Error).message)).toContain(`printf '${manifest ?? ''}\\n'`)
    expect((await readdir(dir)).sort()).toEqual(before)

    // The message's recipe brings every doc back.
    expect(await docsAfterRecreating(dir, manifest ?? '')).toBe(20)
  })

  it('names a CURRENT that is empty, garbled or names a missing MANIFEST, with the same repair, and touches nothing', async () => {
    const dir = await tempDir()
    await storeWithLog(dir)
    await (await openLevelDocStore(dir)).close()
    const manifest = (await readdir(dir)).filter(n => n.startsWith('MANIFEST-')).at(-1) ?? ''
    for (const [content, says] of [['', /CURRENT file that does not name a MANIFEST \(it is empty\)/], ['garbage\n', /CURRENT file that does not name a MANIFEST \("garbage\\n"\)/], ['MANIFEST-999999\n', /CURRENT file naming MANIFEST-999999, which is not there/]] as const) {
      await writeFile(join(dir, 'CURRENT'), content)
      const before = (await readdir(dir)).sort()
      // Before the fix: StorageError with LevelDB's text ("…/garbage: No such file or directory", no word of CURRENT) and no repair.
      const refused = await openLevelDocStore(dir).then(() => undefined, (err: unknown) => err)
      expect(refused).toMatchObject({ name: 'StoreDamagedError', message: expect.stringMatching(says) })
      expect(String((refused as Error).message)).toContain(`printf '${manifest}\\n'`)
      expect((await readdir(dir)).sort()).toEqual(before)
    }
    expect(await docsAfterRecreating(dir, manifest)).toBe(40)
  })

  it('opens a missing or empty dir as a new store', async () => {
    const parent = await tempDir()
    for (const dir of [join(parent, 'missing'), parent]) {
      const store = await openLevelDocStore(dir)
      try {
        expect(await listDocs(store)).toEqual([])
      } finally {
        await store.close()
      }
    }
  })

  it('says in one error line that LevelDB dropped damaged log records while opening, and how many bytes', async () => {
    const dir = await tempDir()
    const log = await storeWithLog(dir)
    const file = await open(log, 'r+')
    await file.write(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4, 40_000)
    await file.close()
    // Before the fix LevelDB skipped the records (and deleted the log) with no word in the peer's log.
    const errors = await openedErrors(dir)
    expect(errors).toHaveLength(1)
    expect(errors[0]?.message).toMatch(/^LevelDB dropped damaged records of its write-ahead log/)
    expect(errors[0]?.fields).toMatchObject({ places: expect.any(Number), reason: expect.stringMatching(/^Corruption: /) })
    expect(Number(errors[0]?.fields?.droppedBytes)).toBeGreaterThan(0)
  })

  it('says nothing for a clean log or a torn tail (a crash mid-write: only unacknowledged writes)', async () => {
    const dir = await tempDir()
    await storeWithLog(dir)
    expect(await openedErrors(dir)).toEqual([])
    const torn = await tempDir()
    await truncate(await storeWithLog(torn), 50_000)
    expect(await openedErrors(torn)).toEqual([])
  })
})

describe('opening a store where no directory can be made', () => {
  // /proc answers ENOENT for a new entry of a directory that exists (`--data-dir /proc/self`): LevelDB's
  // own recursive mkdir of the store's dir retried forever there, and the peer hung at start with no word.
  it('rejects at once with the system error, naming the dir', async () => {
    const dir = `/proc/self/murmur-open-db-${process.pid}`
    const outcome = await Promise.race([
      openLevelDocStore(dir).then(async (s) => { await s.close(); return 'opened' }, (err: unknown) => err),
      new Promise(resolve => setTimeout(() => { resolve('still opening after 5 s') }, 5000).unref())
    ])
    expect(outcome).toMatchObject({ name: 'StorageError' })
    expect(String((outcome as Error).message)).toMatch(new RegExp(`^cannot open the store at ${dir}: ENOENT`))
  }, 10_000)
})
