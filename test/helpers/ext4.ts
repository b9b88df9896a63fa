/**
 * A small ext4 file system on a loop device, for tests that need what tmpfs cannot do: freeze it
 * (fsfreeze, as snapshot and backup tools do) so that every write to it blocks until it is thawed. Needs
 * root, mkfs.ext4 and a free loop device; elsewhere `ext4Unavailable` says why and the tests skip.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Ext4 {
  readonly dir: string
  /** Blocks every write to the file system until `thaw` (fsfreeze --freeze). */
  freeze(): void
  /** Idempotent. */
  thaw(): void
  /** Thaws, unmounts and removes the image and the mount point (idempotent). */
  unmount(): void
}

/** Why an ext4 loop mount cannot be made here, or undefined if it can. */
export function ext4Unavailable (): string | undefined {
  if (process.platform !== 'linux') return `ext4 loop mounts need Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'ext4 loop mounts need root (run as root, as CI does)'
  for (const tool of ['mkfs.ext4', 'fsfreeze', 'losetup']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install e2fsprogs util-linux)`
  }
  return undefined
}

/** Makes and mounts an ext4 file system of `sizeBytes`. @throws if any step fails (what was made is removed). */
export function mountExt4 (sizeBytes: number, label = 'murmur-ext4'): Ext4 {
  const base = mkdtempSync(join(tmpdir(), `${label}-`))
  const image = join(base, 'fs.img')
  const dir = join(base, 'mnt')
  let mounted = false
  let frozen = false
  const run = (cmd: string, args: string[]): void => { execFileSync(cmd, args, { stdio: 'pipe' }) }
  const thaw = (): void => {
    if (!frozen) return
    frozen = false
    run('fsfreeze', ['--unfreeze', dir])
  }
  const unmount = (): void => {
    try {
      thaw()
      if (mounted) run('umount', [dir])
      mounted = false
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  }
  try {
    run('truncate', ['-s', String(sizeBytes), image])
    run('mkfs.ext4', ['-q', image])
    run('mkdir', [dir])
    run('mount', ['-o', 'loop', image, dir])
    mounted = true
  } catch (err) {
    unmount()
    throw err
  }
  return {
    dir,
    freeze: () => {
      run('fsfreeze', ['--freeze', dir])
      frozen = true
    },
    thaw,
    unmount
  }
}
