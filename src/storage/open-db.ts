/**
 * Opening the LevelDB behind a LevelDocStore: lock errors made explicit, format check, index recovery.
 */
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import type { Logger } from '../core/logger.js'
import { recoverIndex, type DocMeta, type LevelDb } from './doc-index.js'
import { StorageError, StoreDamagedError, StoreFormatError, StoreLockedError } from './errors.js'
import { FORMAT_KEY, FORMAT_VERSION } from './keys.js'
import { recoveryDrops } from './recovery-report.js'

export interface OpenedDb {
  db: LevelDb
  docs: Map<string, DocMeta>
}

/**
 * Opens (creating if missing) the LevelDB at `dir` and rebuilds the doc index. Not time-bounded on
 * purpose: LevelDB replays its log here, and a timeout could only leave a half-open database behind.
 * @throws StoreLockedError, StoreFormatError, StoreDamagedError, StorageError
 */
export async function openLevelDb (dir: string, log: Logger): Promise<OpenedDb> {
  await refuseHeadless(dir)
  const db: LevelDb = new ClassicLevel<Uint8Array, Uint8Array>(dir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    createIfMissing: true
  })
  try {
    await db.open()
  } catch (err) {
    throw openError(dir, err)
  }
  const drops = await recoveryDrops(dir)
  if (drops.places > 0) {
    log.error('LevelDB dropped damaged records of its write-ahead log while opening the store: the writes they held, acknowledged ones included, are lost on this peer (the other replicas of their docs bring them back)', {
      dir, droppedBytes: drops.droppedBytes, places: drops.places, reason: drops.reason, details: join(dir, 'LOG')
    })
  }
  try {
    await checkFormat(db, dir)
    const startedMs = performance.now()
    const { docs } = await recoverIndex(db, log)
    log.info('store opened', { dir, docs: docs.size, recoveryMs: Math.round(performance.now() - startedMs) })
    return { db, docs }
  } catch (err) {
    await db.close().catch(() => {})
    throw err
  }
}

/** LevelDB's data files: tables, write-ahead logs and MANIFESTs (not LOCK or its info LOG). */
const LEVELDB_DATA_FILE = /^(?:MANIFEST-\d+|\d+\.(?:log|ldb|sst))$/

/**
 * Refuses a dir that holds LevelDB data files but no CURRENT: with createIfMissing, LevelDB would take it
 * for a new database, replay its logs into a fresh one and delete every table it does not know, which is
 * all of them. A missing dir, an empty one, or one LevelDB cannot list (the open says why) passes.
 * @throws StoreDamagedError
 */
async function refuseHeadless (dir: string): Promise<void> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return
  }
  if (names.includes('CURRENT')) return
  const found = names.filter(n => LEVELDB_DATA_FILE.test(n)).sort()
  if (found.length === 0) return
  const manifests = found.filter(n => n.startsWith('MANIFEST-'))
  const newest = manifests.at(-1)
  const restore = newest === undefined
    ? 'restore the store from a backup'
    : `restore CURRENT from a backup, or recreate it naming the newest MANIFEST: printf '${newest}\\n' > ${join(dir, 'CURRENT')}`
  throw new StoreDamagedError(
    `${dir} holds LevelDB files (${found.length}, e.g. ${found[0] ?? ''}) but no CURRENT file: the store is damaged and was left untouched ` +
    `(opened as new, its data would be deleted); ${restore}, or move the directory away to start with an empty store that the other replicas refill`
  )
}

function errorCode (err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const code: unknown = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/** classic-level reports a held LOCK as LEVEL_DATABASE_NOT_OPEN whose cause has code LEVEL_LOCKED. */
function openError (dir: string, err: unknown): StorageError {
  const cause: unknown = err instanceof Error ? err.cause : undefined
  const detail = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err)
  if (errorCode(err) === 'LEVEL_LOCKED' || errorCode(cause) === 'LEVEL_LOCKED') {
    return new StoreLockedError(`data dir ${dir} is in use by another process or store (${detail})`, { cause: err })
  }
  return new StorageError(`cannot open the store at ${dir}: ${detail}`, { cause: err })
}

/** Stamps a new store with FORMAT_VERSION; refuses a newer format or a LevelDB that is not ours. */
async function checkFormat (db: LevelDb, dir: string): Promise<void> {
  const stamp = await db.get(FORMAT_KEY)
  if (stamp === undefined) {
    for await (const _key of db.keys({ limit: 1 })) {
      throw new StoreFormatError(`${dir} holds a LevelDB that is not a murmur store (no format stamp)`)
    }
    await db.put(FORMAT_KEY, Uint8Array.of(FORMAT_VERSION), { sync: true })
    return
  }
  if (stamp.byteLength !== 1 || stamp[0] !== FORMAT_VERSION) {
    throw new StoreFormatError(`${dir} has store format ${stamp[0] ?? '?'}; this build reads format ${FORMAT_VERSION}`)
  }
}
