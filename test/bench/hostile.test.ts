/**
 * `npm run bench -- hostile` stopped (SIGTERM, or Ctrl-C) while its honest peers are still starting: those
 * are stopped too and its temp dirs are gone — no peer left running, nothing left in the temp dir. (The
 * peers a benchmark has not got back from spawnPeer yet are in no teardown list of their own.)
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { NODE, ROOT } from '../helpers/procs.js'

const RUN = path.join(ROOT, 'scripts', 'bench', 'run.ts')
const dirs: string[] = []

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** Processes whose command line mentions `text`. */
function processesWith (text: string): string[] {
  return readdirSync('/proc').filter(d => /^\d+$/.test(d)).filter((pid) => {
    try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text) } catch { return false }
  })
}

describe('hostile bench teardown', () => {
  test('SIGTERM while the honest peers start: every peer stopped, exit 143, its temp dirs removed', async () => {
    // Its own TMPDIR: whatever the run leaves behind is there, and the peers' data dirs name it.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'murmur-hostile-test-'))
    dirs.push(tmp)
    const child = spawn(NODE, [RUN, 'hostile', '--quick'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const code = new Promise<number | null>((resolve) => { child.on('exit', (c) => { resolve(c) }) })
    // The seed, then the other four at once: signalled while those start (before their banners).
    const deadline = Date.now() + 30_000
    while (processesWith(tmp).length < 3 && Date.now() < deadline && child.exitCode === null) await new Promise(resolve => setTimeout(resolve, 10))
    expect(processesWith(tmp).length, stderr).toBeGreaterThanOrEqual(3)
    child.kill('SIGTERM')
    expect(await code).toBe(143)
    expect(processesWith(tmp)).toEqual([])
    expect(readdirSync(tmp)).toEqual([])
  }, 60_000)
})
