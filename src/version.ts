/**
 * The version of this murmur build, from its package.json (one directory above `src/` and `dist/`, in a
 * checkout and in an installed package alike). Shown by `--version`, in `murmur_build_info`, in banners.
 */
import { readFileSync } from 'node:fs'

function readVersion (): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return 'unknown'
  }
}

export const MURMUR_VERSION: string = readVersion()
