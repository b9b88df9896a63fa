/**
 * A benchmark interrupted while it builds its network-namespace lab (seconds of `ip` calls for 21–41
 * namespaces): Ctrl-C reaches the whole foreground process group, the bench and its `ip` children, and must
 * leave no namespace, veth or bridge behind — a leaked lab also holds one of the few 10.X.0.0/24 subnet
 * pairs labs are built on. Root and iproute2 only (skipped otherwise).
 */
import { execFileSync, spawn } from 'node:child_process'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { netnsUnavailable } from '../../scripts/lib/netns.ts'
import { NODE, ROOT, waitFor } from '../helpers/procs.js'

const RUN = path.join(ROOT, 'scripts', 'bench', 'run.ts')
const unavailable = netnsUnavailable()

/** Namespaces and links whose name starts with `prefix`. */
function labObjects (prefix: string): string[] {
  const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map(l => l.split(' ')[0] ?? '')
  const links = execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' }).split('\n').map(l => (l.split(/\s+/)[0] ?? '').split('@')[0] ?? '')
  return [...namespaces, ...links].filter(name => name.startsWith(prefix))
}

describe.skipIf(unavailable !== undefined)(`bench teardown${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`, () => {
  test('Ctrl-C (SIGINT to the process group) while the detection lab is being built: exit 130, no namespace or link left', async () => {
    // Its own process group, as in a terminal: the signal reaches the bench and the `ip` it is running.
    const child = spawn(NODE, [RUN, 'detection', '--quick', '--no-serf'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const code = new Promise<number | null>((resolve) => { child.on('exit', (c, signal) => { resolve(c ?? (signal === null ? null : -1)) }) })
    // detection.ts names its lab d<pid in base 36>n<size>.
    const prefix = `d${(child.pid as number).toString(36)}n`
    try {
      await waitFor('the lab being built', () => labObjects(prefix).length >= 3, 30_000, 10)
      process.kill(-(child.pid as number), 'SIGINT')
      expect(await code, stderr).toBe(130)
      expect(labObjects(prefix)).toEqual([])
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGKILL')
    }
  }, 60_000)
})
