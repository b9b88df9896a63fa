/** The name of the build a benchmark measured, for its report. */
import { execFileSync } from 'node:child_process'
import path from 'node:path'

/** The commit of the checkout `peerJs` (its `dist/peer.js`) was built in, `+dirty` if its src/ has uncommitted changes. */
export function buildName (peerJs: string): string {
  const dir = path.dirname(path.dirname(peerJs))
  try {
    const git = (...a: string[]): string => execFileSync('git', ['-C', dir, ...a], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no', '--', 'src') === '' ? '' : '+dirty'}`
  } catch {
    return 'unknown'
  }
}
