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
    if (await exists(p)) break
    missing.push(p)
    if (dirname(p) === p) break
  }
  for (const p of missing.reverse()) {
    try {
      await mkdir(p, { mode })
    } catch (err) {
      // Made by someone else since we looked: fine if it is a directory (stat below says if not).
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
  const info = await stat(dir)
  if (!info.isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR' })
}

/** Whether `p` exists; ENOENT is "no", any other failure (ENOTDIR, EACCES) is thrown. */
async function exists (p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw err
  }
}
