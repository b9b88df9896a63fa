/**
 * Every DocStore passes the same acceptance suite: the in-memory store (synchronous, and with latency on a
 * clock, as the simulator uses it) and the LevelDB store.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SystemClock } from '../../src/core/clock.js'
import type { DocStore } from '../../src/core/doc-store.js'
import { MemoryDocStore } from '../../src/replication/memory-store.js'
import { openLevelDocStore } from '../../src/storage/level-store.js'
import { runDocStoreAcceptance } from './doc-store-acceptance.js'

runDocStoreAcceptance('MemoryDocStore (synchronous)', () => ({
  open: () => Promise.resolve(new MemoryDocStore()),
  // The simulator keeps the instance across a crash: it plays the disk.
  restart: (store) => Promise.resolve(store),
  cleanup: () => Promise.resolve()
}))

runDocStoreAcceptance('MemoryDocStore (1 ms per operation, queued per doc)', () => ({
  open: () => Promise.resolve(new MemoryDocStore({ clock: new SystemClock(), latencyMs: 1 })),
  restart: (store) => Promise.resolve(store),
  cleanup: () => Promise.resolve()
}))

runDocStoreAcceptance('LevelDocStore', () => {
  const dirs: string[] = []
  const open: DocStore[] = []
  const openAt = async (dir: string): Promise<DocStore> => {
    const s = await openLevelDocStore(dir)
    open.push(s)
    return s
  }
  return {
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'murmur-store-acceptance-'))
      dirs.push(dir)
      return await openAt(dir)
    },
    restart: async (store) => {
      await store.close()
      return await openAt(dirs[dirs.length - 1] as string)
    },
    cleanup: async () => {
      await Promise.allSettled(open.map(async s => { await s.close() }))
      await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
    }
  }
})
