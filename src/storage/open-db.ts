/**
 * Opening the LevelDB behind a LevelDocStore: lock errors made explicit, format check, index recovery.
 */
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import type { Logger } from '../core/logger.js'
import { makeDirs } from '../core/make-dirs.js'
import { PRIVATE_DIR_MODE } from '../core/private-files.js'
import { recoverIndex, type DocMeta, type LevelDb } from './doc-index.js'
import { damagedCurrent, refuseHeadless } from './current-file.js'
import { StorageError, StoreFormatError, StoreLockedError } from './errors.js'
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
  // Made here, owner-only, not by LevelDB: its recursive mkdir never returns where the kernel answers
  // ENOENT for a new entry of a directory that exists (`--data-dir /proc/self` hung the peer without a word).
  try {
    await makeDirs(dir, PRIVATE_DIR_MODE)
  } catch (err) {
    throw await openError(dir, err)
  }
  await refuseHeadless(dir)
  const db: LevelDb = new ClassicLevel<Uint8Array, Uint8Array>(dir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    createIfMissing: true
  })
  try {
    await db.open()
  } catch (err) {
    throw await openError(dir, err)
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

function errorCode (err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const code: unknown = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/**
 * classic-level reports a held LOCK as LEVEL_DATABASE_NOT_OPEN whose cause has code LEVEL_LOCKED; a
 * damaged CURRENT gets its own error, which says how to repair it.
 */
async function openError (dir: string, err: unknown): Promise<StorageError> {
  const cause: unknown = err instanceof Error ? err.cause : undefined
  const detail = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err)
  if (errorCode(err) === 'LEVEL_LOCKED' || errorCode(cause) === 'LEVEL_LOCKED') {
    return new StoreLockedError(`data dir ${dir} is in use by another process or store (${detail})`, { cause: err })
  }
  const damaged = await damagedCurrent(dir)
  if (damaged !== undefined) return damaged
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
