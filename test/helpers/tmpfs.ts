/**
 * A small tmpfs for disk-full tests: a real file system that fills up, mounted under a fresh temporary
 * directory. Needs root (CI has it, and so does the development machine); elsewhere `mountTmpfs` says why
 * it could not mount, and the tests skip with that reason printed.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Tmpfs {
  readonly dir: string
  /** Unmounts and removes the mount point (idempotent). */
  unmount(): void
}

/** Why a tmpfs cannot be mounted here, or undefined if it can (root on Linux). */
export function tmpfsUnavailable (): string | undefined {
  if (process.platform !== 'linux') return `tmpfs tests need Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'tmpfs tests need root to mount a small file system (run as root, as CI does)'
  return undefined
}

/** Mounts a tmpfs of `sizeBytes` (rounded up to whole KiB). @throws if mounting fails. */
export function mountTmpfs (sizeBytes: number, label = 'murmur-tmpfs'): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), `${label}-`))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil(sizeBytes / 1024)}k,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  let mounted = true
  return {
    dir,
    unmount: () => {
      if (!mounted) return
      mounted = false
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  }
}
