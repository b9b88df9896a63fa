/**
 * The store's directory as it was when the store opened it: its device and inode. A directory removed
 * (`rm -rf`) or moved away while the peer runs leaves LevelDB writing into files nobody can find again:
 * the writes succeed, fsync included, and are gone when the process exits. So after each batch (and
 * before a reopen, which would create a fresh, empty database at the path) the store checks that the path
 * still names the directory it opened.
 *
 * The check after each batch is a synchronous stat (issue 14): it runs once per store batch, i.e. once per
 * applied update on a busy peer, and through fs.promises each cost a thread-pool job, a promise and an
 * event-loop turn: ~20 µs of process CPU (thread pool included) against ~4.5 µs for statSync, beside the
 * ~170 µs a one-update batch costs. It does not stall the loop: it looks up the directory the batch just
 * wrote and fsync'd, so the lookup is answered from the dentry cache. The check before a reopen follows a
 * failure, perhaps of a disk that hangs, and stays asynchronous.
 */
import { statSync } from 'node:fs'
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
  let failure: unknown
  try {
    now = await dirIdentity(dir)
  } catch (err) {
    failure = err
  }
  judge(dir, opened, now, failure)
}

/** checkDirIdentity with a synchronous stat, right after a batch (see above). @throws StoreDirGoneError */
export function checkDirIdentityAfterWrite (dir: string, opened: DirIdentity): void {
  let now: DirIdentity | undefined
  let failure: unknown
  try {
    now = statSync(dir)
  } catch (err) {
    failure = err
  }
  judge(dir, opened, now, failure)
}

function judge (dir: string, opened: DirIdentity, now: DirIdentity | undefined, failure: unknown): void {
  if (now?.dev === opened.dev && now.ino === opened.ino) return
  let what = 'is another directory now'
  if (failure !== undefined) {
    const code = (failure as NodeJS.ErrnoException).code
    // Not found is gone; anything else (EACCES: a parent's permissions changed) means LevelDB cannot reach it either.
    what = code === 'ENOENT' || code === 'ENOTDIR' ? 'is gone' : `cannot be looked up (${code ?? String(failure)})`
  }
  throw new StoreDirGoneError(`the data directory was removed or replaced while the peer ran (${dir} ${what}): writes since then are in files nobody can open again; restart the peer`)
}
