/**
 * A store whose directory is removed or replaced while it runs (src/storage/dir-identity.ts): real LevelDB
 * files, removed the way `rm -rf` or a clean-up job removes them.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openLevelDocStore, type LevelDocStore } from '../../src/storage/level-store.js'

const dirs: string[] = []
const stores: LevelDocStore[] = []
afterEach(async () => {
  await Promise.allSettled(stores.splice(0).map(async s => { await s.close() }))
  await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
})

function append (store: LevelDocStore, doc: string): Promise<Error | null> {
  return new Promise(resolve => { store.append(doc, Uint8Array.of(1, 2, 3), undefined, (err) => { resolve(err) }) })
}

async function openIn (parent: string): Promise<{ store: LevelDocStore, dir: string }> {
  const dir = join(parent, 'docs')
  const store = await openLevelDocStore(dir, { probeIntervalMs: 20 })
  stores.push(store)
  return { store, dir }
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

describe('the store\'s directory removed or replaced while it runs', () => {
  for (const how of ['removed', 'replaced'] as const) {
    it(`fails the writes after it was ${how} and stays failing, creating nothing there`, async () => {
      const parent = await mkdtemp(join(tmpdir(), 'murmur-dir-identity-'))
      dirs.push(parent)
      const { store, dir } = await openIn(parent)
      expect(await append(store, 'a')).toBeNull()

      await rm(dir, { recursive: true })
      if (how === 'replaced') await mkdir(dir)
      // Before the fix this write was acknowledged: durable in a file that no longer has a name.
      const err = await append(store, 'b')
      expect(err).toMatchObject({ name: 'StoreDirGoneError' })
      expect(store.health()).toMatchObject({ state: 'failing', reason: 'data directory removed or replaced; restart the peer' })
      expect(await append(store, 'c')).not.toBeNull()

      // The probe runs every 20 ms: it must neither recover nor reopen a fresh database at the path.
      await sleep(300)
      expect(store.health().state).toBe('failing')
      expect(existsSync(join(dir, 'CURRENT'))).toBe(false)
    })
  }
})
