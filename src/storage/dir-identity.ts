/**
 * The store's directory as it was when the store opened it: its device and inode. A directory removed
 * (`rm -rf`) or moved away while the peer runs leaves LevelDB writing into files nobody can find again:
 * the writes succeed, fsync included, and are gone when the process exits. So after each batch (and
 * before a reopen, which would create a fresh, empty database at the path) the store checks that the path
 * still names the directory it opened; a stat costs microseconds beside the batch's fsync.
 */
import { stat } from 'node:fs/promises'
import { StoreDirGoneError } from './errors.js'

export interface DirIdentity {
  readonly dev: number
  readonly ino: number
}

export async function dirIdentity (dir: string): Promise<DirIdentity> {
  const { dev, ino } = await stat(dir)
  return { dev, ino }
}

/** @throws StoreDirGoneError if `dir` no longer exists or is another directory than `opened`. */
export async function checkDirIdentity (dir: string, opened: DirIdentity): Promise<void> {
  let now: DirIdentity | undefined
  let what = 'is another directory now'
  try {
    now = await dirIdentity(dir)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // Not found is gone; anything else (EACCES: a parent's permissions changed) means LevelDB cannot reach it either.
    what = code === 'ENOENT' || code === 'ENOTDIR' ? 'is gone' : `cannot be looked up (${code ?? String(err)})`
  }
  if (now?.dev === opened.dev && now.ino === opened.ino) return
  throw new StoreDirGoneError(`the data directory was removed or replaced while the peer ran (${dir} ${what}): writes since then are in files nobody can open again; restart the peer`)
}
