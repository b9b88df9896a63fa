/**
 * `npm start` stopped by a signal sent to npm (a service manager, `timeout npm start`, `kill <npm's pid>`):
 * npm forwards SIGTERM and SIGINT to the shell that runs the script, not to the launcher under it. With
 * `npm run build && node scripts/start.ts` the shell died of the signal, npm exited 143, and the launcher
 * and its three demo peers ran on, orphaned. The script must exec the launcher, so that the signal reaches
 * it: every peer stopped, exit 0 (a graceful stop at the operator's request, as the peer process's).
 *
 * npm itself is not run: its script begins with `npm run build`, which would rebuild dist/ under the other
 * test files. The test runs package.json's start script as npm does (`sh -c '<script> <args>'`, the
 * project's node_modules/.bin first in PATH), the build step made a no-op, and signals the shell as npm's
 * signal forwarding does (@npmcli/run-script, signal-manager.js: `proc.kill(signal)` on its child).
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { ROOT, cleanup, tempDir, waitFor } from '../helpers/procs.js'
import { alive, pidsIn } from '../helpers/demo.js'

/** A process's parent, from /proc (0 once it is gone). */
const parentOf = (pid: number): number => {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1])
  } catch {
    return 0
  }
}

describe('npm start, its shell signalled as npm forwards a signal', () => {
  const dir = tempDir('murmur-demo-signal-')
  afterAll(async () => {
    // Only after a failed test is anything left: the orphaned launcher (the peers' parent), then the peers.
    let pids: number[] = []
    try { pids = pidsIn(dir) } catch {}
    for (const pid of pids) {
      const parent = parentOf(pid)
      if (parent > 1 && readFileSync(`/proc/${parent}/cmdline`, 'utf8').includes('scripts/start.ts')) process.kill(parent, 'SIGKILL')
    }
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
    await cleanup()
  })

  test('SIGTERM: the launcher gets it, stops every demo peer, and the script exits 0', async () => {
    const script = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
    expect(script).toMatch(/^npm run build && /)
    const command = `${script.replace(/^npm run build && /, 'true && ')} --quiet --dir ${dir}`
    const shell = spawn('sh', ['-c', command], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', PATH: `${path.join(ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}` }
    })
    let out = ''
    shell.stdout.on('data', (d: Buffer) => { out += d.toString() })
    shell.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => { shell.on('exit', (code, signal) => { resolve({ code, signal }) }) })
    await waitFor('the demo summary', () => {
      if (shell.exitCode !== null) throw new Error(`the start script exited ${shell.exitCode}:\n${out}`)
      return out.includes('Ctrl-C stops all three')
    }, 60_000)
    const peers = pidsIn(dir)
    expect(peers).toHaveLength(3)
    shell.kill('SIGTERM')
    expect(await exited).toEqual({ code: 0, signal: null })
    expect(peers.filter(alive)).toEqual([])
    expect(out).toContain('All demo peers stopped.')
  }, 90_000)
})
