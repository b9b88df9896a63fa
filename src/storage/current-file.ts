/**
 * LevelDB's CURRENT file, which names the MANIFEST that lists the store's tables. A partial copy or
 * restore, fsck, or a file system that zero-fills files after a power loss can leave it missing, empty or
 * naming nothing: LevelDB then either fails with a message that does not mention CURRENT ("garbage: No
 * such file or directory") or, missing, opens the dir as a new database and deletes every table it does
 * not know. Both are refused here as StoreDamagedError, with the one-line repair, before LevelDB writes.
 */
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { StoreDamagedError } from './errors.js'

/** LevelDB's data files: tables, write-ahead logs and MANIFESTs (not LOCK or its info LOG). */
const LEVELDB_DATA_FILE = /^(?:MANIFEST-\d+|\d+\.(?:log|ldb|sst))$/
const CURRENT_CONTENT = /^(MANIFEST-\d+)\n$/

/** The files of `dir`, or undefined if it cannot be listed (missing: the open creates it; else the open says why). */
async function list (dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(dir)
  } catch {
    return undefined
  }
}

function damaged (dir: string, names: readonly string[], what: string): StoreDamagedError {
  const newest = names.filter(n => n.startsWith('MANIFEST-') && LEVELDB_DATA_FILE.test(n)).sort().at(-1)
  const restore = newest === undefined
    ? 'restore the store from a backup'
    : `restore CURRENT from a backup, or recreate it naming the newest MANIFEST: printf '${newest}\\n' > ${join(dir, 'CURRENT')}`
  return new StoreDamagedError(
    `${dir} ${what}: the store is damaged and was left untouched; ${restore}, or move the directory away to start with an empty store that the other replicas refill`
  )
}

/**
 * Refuses a dir that holds LevelDB data files but no CURRENT: with createIfMissing, LevelDB would take it
 * for a new database, replay its logs into a fresh one and delete every table it does not know, which is
 * all of them. A missing dir, an empty one, or one that cannot be listed passes.
 * @throws StoreDamagedError
 */
export async function refuseHeadless (dir: string): Promise<void> {
  const names = await list(dir)
  if (names === undefined || names.includes('CURRENT')) return
  const found = names.filter(n => LEVELDB_DATA_FILE.test(n)).sort()
  if (found.length === 0) return
  throw damaged(dir, names, `holds LevelDB files (${found.length}, e.g. ${found[0] ?? ''}) but no CURRENT file (opened as new, its data would be deleted)`)
}

/**
 * After LevelDB failed to open `dir`: a StoreDamagedError if CURRENT is why (empty, not one MANIFEST name,
 * or naming a MANIFEST that is not there), else undefined (the failure is something else).
 */
export async function damagedCurrent (dir: string): Promise<StoreDamagedError | undefined> {
  const names = await list(dir)
  if (names?.includes('CURRENT') !== true) return undefined
  let content: string
  try {
    content = (await readFile(join(dir, 'CURRENT'))).subarray(0, 256).toString('latin1')
  } catch {
    return undefined
  }
  const manifest = CURRENT_CONTENT.exec(content)?.[1]
  if (manifest === undefined) return damaged(dir, names, `has a CURRENT file that does not name a MANIFEST (${content.length === 0 ? 'it is empty' : JSON.stringify(content.slice(0, 40))})`)
  if (!names.includes(manifest)) return damaged(dir, names, `has a CURRENT file naming ${manifest}, which is not there`)
  return undefined
}
