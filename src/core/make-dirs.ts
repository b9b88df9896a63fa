/**
 * `mkdir -p` that always ends. Node's `mkdir(dir, { recursive: true })` never returns when the kernel
 * answers ENOENT for a directory whose parent exists, as /proc and /sys do (`--data-dir /proc/x` hung the
 * peer without a word): it retries the parent, finds it there, and tries the child again, forever.
 * Here each missing directory is made once, from the deepest existing ancestor down, and any error —
 * ENOENT included — is thrown as it is.
 */
import { mkdir, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'

export async function makeDirs (dir: string, mode?: number): Promise<void> {
  const missing: string[] = []
  // Bounded by the path's depth: dirname of the root is the root.
  for (let p = resolve(dir); ; p = dirname(p)) {
    const kind = await kindOf(p)
    if (kind === 'directory') break
    // Named in the error: "ENOTDIR: not a directory, mkdir '/srv/murmur'" did not say that a file was in the way, nor which.
    if (kind === 'other') throw notADirectory(dir, p)
    missing.push(p)
    if (dirname(p) === p) break
  }
  for (const p of missing.reverse()) {
    try {
      await mkdir(p, { mode })
    } catch (err) {
      // Made by someone else since we looked: fine if it is a directory (checked below).
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
  if (await kindOf(dir) !== 'directory') throw notADirectory(dir, resolve(dir))
}

/**
 * What is at `p`: a directory, something else (a file, a socket), or nothing — ENOENT, or ENOTDIR when
 * something on the way is not a directory (the walk up finds which). Any other failure (EACCES) is thrown.
 */
async function kindOf (p: string): Promise<'directory' | 'other' | 'missing'> {
  try {
    return (await stat(p)).isDirectory() ? 'directory' : 'other'
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing'
    throw err
  }
}

/** ENOTDIR naming what is in the way: `dir` itself, or an ancestor `blocker` of it. */
function notADirectory (dir: string, blocker: string): Error {
  const what = blocker === resolve(dir) ? `${dir} is not a directory` : `${dir} cannot be made: ${blocker} is not a directory`
  return Object.assign(new Error(what), { code: 'ENOTDIR' })
}
