/**
 * Opening a damaged data dir (src/storage/open-db.ts): real LevelDB files, damaged the way a partial copy
 * or restore, or fsck, leaves them.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { StoreCallback, StoredDoc } from '../../src/core/doc-store.js'
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

const listDocs = async (s: LevelDocStore): Promise<string[]> => (await call<StoredDoc[]>(cb => { s.listDocs(cb) })).map(d => d.name)

describe('opening a damaged store', () => {
  it('refuses a dir with LevelDB files but no CURRENT, deleting nothing, and opens again once CURRENT is back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'murmur-open-db-'))
    dirs.push(dir)
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
    await writeFile(join(dir, 'CURRENT'), `${manifest ?? ''}\n`)
    const repaired = await openLevelDocStore(dir)
    try {
      expect(await listDocs(repaired)).toHaveLength(20)
    } finally {
      await repaired.close()
    }
  })

  it('opens a missing or empty dir as a new store', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'murmur-open-db-'))
    dirs.push(parent)
    for (const dir of [join(parent, 'missing'), parent]) {
      const store = await openLevelDocStore(dir)
      try {
        expect(await listDocs(store)).toEqual([])
      } finally {
        await store.close()
      }
    }
  })
})
