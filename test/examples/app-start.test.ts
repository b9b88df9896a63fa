/**
 * `npm start` (scripts/start.ts) end to end, in a temp --dir so a developer's own demo is never touched:
 * three app peers come up and form one mesh; Ctrl-C stops all of them with exit 0; a restart keeps peer
 * ids and data; a launcher killed with SIGKILL leaves nothing behind once the next one started; a second
 * launcher on the dir of a running one is refused and leaves that demo running.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { NODE, ROOT, cleanup, http, tempDir, waitFor } from '../helpers/procs.js'
import { alive, pidsIn } from '../helpers/demo.js'

const START = path.join(ROOT, 'scripts', 'start.ts')

interface Launcher { proc: ChildProcess, output: () => string, exited: Promise<number | null>, urls: string[] }

const launchers: ChildProcess[] = []

async function launch (dir: string): Promise<Launcher> {
  const proc = spawn(NODE, [START, '--quiet', '--dir', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
  launchers.push(proc)
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  proc.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>((resolve) => { proc.on('exit', (code) => { resolve(code) }) })
  await waitFor('the demo summary', () => {
    if (proc.exitCode !== null) throw new Error(`start.ts exited ${proc.exitCode}:\n${out}`)
    return out.includes('Ctrl-C stops all three')
  }, 60_000)
  const urls = [...out.matchAll(/^ {2}demo-\d +(http:\/\/\S+)/gm)].map(m => m[1] as string)
  return { proc, output: () => out, exited, urls }
}

async function peerIds (urls: string[]): Promise<string[]> {
  return await Promise.all(urls.map(async u => (await http<{ self: { peerId: string } }>(u.replace(/\/$/, ''), 'GET', '/api/state')).body.self.peerId))
}

async function waitMesh (urls: string[]): Promise<void> {
  await waitFor('3 alive members on every demo peer', async () => {
    for (const u of urls) {
      const s = await http<{ members: Array<{ state: string }> }>(u.replace(/\/$/, ''), 'GET', '/api/state')
      if (s.body.members.filter(m => m.state === 'alive').length !== 3) return false
    }
    return true
  }, 20_000)
}

describe('npm start (scripts/start.ts)', () => {
  const dir = tempDir('murmur-demo-')
  afterAll(async () => {
    // Only after a failed test is anything still running; the pid file names the demo peers.
    for (const p of launchers) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
    let pids: number[] = []
    try { pids = pidsIn(dir) } catch {}
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
    await cleanup() // removes the temp dir
  })

  let ids: string[] = []

  test('the usage as printed: `npm start -- --quiet -- --fresh` (npm passes the second -- on) is taken, not refused', () => {
    // --help after the separators: parsed like the others, and nothing is started.
    const r = spawnSync(NODE, [START, '--quiet', '--', '--fresh', '--', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^Usage: npm start \[-- --quiet\] \[-- --fresh\]/)
  })

  // `--dir a --dir b` ran the demo in b, the first dir dropped without a word. With --help after them nothing
  // starts either way: the help (exit 0) was printed, where the repeated flag is now refused first.
  test('--dir given twice: refused (exit 2, one line), not the last one kept', () => {
    const r = spawnSync(NODE, [START, '--dir', path.join(dir, 'a'), '--dir', path.join(dir, 'b'), '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('start: --dir given twice: it takes one value (try --help)\n')
    expect(r.status).toBe(2)
  })

  // `--dir=x`, the form peer.js and murmur take, was "unknown option --dir=x" (exit 2). Given twice with the
  // other form, it is refused as a second --dir: so it was read as --dir (nothing starts either way).
  test('--dir=<dir> is --dir <dir>; a switch with =value is refused (exit 2, one line)', () => {
    const run = (args: string[]): { status: number | null, stdout: string, stderr: string } => {
      const r = spawnSync(NODE, [START, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
      return { status: r.status, stdout: r.stdout, stderr: r.stderr }
    }
    expect(run([`--dir=${path.join(dir, 'a')}`, '--dir', path.join(dir, 'b'), '--help'])).toEqual({ status: 2, stdout: '', stderr: 'start: --dir given twice: it takes one value (try --help)\n' })
    expect(run([`--dir=${path.join(dir, 'a')}`, '--help'])).toMatchObject({ status: 0, stderr: '' })
    expect(run(['--dir=', '--help'])).toEqual({ status: 2, stdout: '', stderr: 'start: --dir needs a directory (try --help)\n' })
    for (const flag of ['--quiet', '--fresh', '--help']) {
      expect(run([`${flag}=yes`]), flag).toEqual({ status: 2, stdout: '', stderr: `start: ${flag} takes no value (try --help)\n` })
    }
  })

  test('`--dir` followed by another option, or empty: refused (exit 2), no demo in a dir named "--fresh" or in the cwd', async () => {
    for (const args of [['--dir', '--fresh'], ['--dir', '']]) {
      // In a temp cwd: were the value taken, the demo would start there (and is stopped with Ctrl-C).
      const cwd = tempDir('murmur-start-cwd-')
      const proc = spawn(NODE, [START, '--quiet', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
      launchers.push(proc)
      let out = ''
      proc.stdout.on('data', (d: Buffer) => { out += d.toString() })
      proc.stderr.on('data', (d: Buffer) => { out += d.toString() })
      const exited = new Promise<number | null>((resolve) => { proc.on('exit', (code) => { resolve(code) }) })
      await waitFor('an exit or a running demo', () => proc.exitCode !== null || out.includes('Ctrl-C stops all three'), 60_000)
      if (proc.exitCode === null) proc.kill('SIGINT')
      expect(await exited, out).toBe(2)
      expect(out.trim()).toBe('start: --dir needs a directory (try --help)')
    }
  }, 150_000)


  test('three peers form one mesh; writes replicate; Ctrl-C stops all of them, exit 0', async () => {
    const l = await launch(dir)
    expect(l.urls).toHaveLength(3)
    // A --dir outside the working directory is shown as given, not as ../../tmp/…
    expect(l.output()).toContain(`Data in ${dir}/demo-N is kept`)
    await waitMesh(l.urls)
    ids = await peerIds(l.urls)
    expect(new Set(ids).size).toBe(3)
    const base = l.urls.map(u => u.replace(/\/$/, ''))
    expect((await http(base[2]!, 'POST', '/api/counter', { delta: 2 })).status).toBe(200)
    await waitFor('counter 2 everywhere', async () => {
      for (const b of base) if ((await http<{ value: number }>(b, 'GET', '/api/counter')).body.value !== 2) return false
      return true
    }, 10_000)
    const pids = pidsIn(dir)
    expect(pids).toHaveLength(3)
    const t0 = Date.now()
    l.proc.kill('SIGINT')
    expect(await l.exited).toBe(0)
    expect(Date.now() - t0).toBeLessThan(6_000)
    expect(pids.filter(alive)).toEqual([])
    expect(l.output()).toContain('All demo peers stopped.')
  })

  test('a restart keeps peer ids and data; a SIGKILLed launcher leaves nothing running after the next start', async () => {
    const l = await launch(dir)
    expect(await peerIds(l.urls)).toEqual(ids)
    await waitMesh(l.urls)
    expect((await http<{ value: number }>(l.urls[0]!.replace(/\/$/, ''), 'GET', '/api/counter')).body.value).toBe(2)
    const orphans = pidsIn(dir)
    l.proc.kill('SIGKILL')
    await l.exited
    const next = await launch(dir)
    expect(orphans.filter(alive)).toEqual([])
    expect(await peerIds(next.urls)).toEqual(ids)
    next.proc.kill('SIGINT')
    expect(await next.exited).toBe(0)
  })

  test('Ctrl-C while the peers are starting: every peer stopped, exit 0, no start-up error reported', async () => {
    const proc = spawn(NODE, [START, '--dir', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
    launchers.push(proc)
    let out = ''
    let err = ''
    proc.stdout.on('data', (d: Buffer) => { out += d.toString() })
    proc.stderr.on('data', (d: Buffer) => { err += d.toString() })
    const exited = new Promise<number | null>((resolve) => { proc.on('exit', (code) => { resolve(code) }) })
    // The first peer is starting (its log flows), its banner not printed yet.
    await waitFor('demo-1 starting', () => /\[demo-1\] /.test(out), 30_000, 5)
    const pids = pidsIn(dir)
    proc.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(out).toContain('All demo peers stopped.')
    expect(err).not.toMatch(/exited during start-up/)
    expect(pids.filter(alive)).toEqual([])
  })

  test('a reader that goes away (npm start 2>&1 | head): every peer stopped, the launcher exits', async () => {
    const proc = spawn(NODE, [START, '--dir', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
    launchers.push(proc)
    let out = ''
    proc.stdout.on('data', (d: Buffer) => { out += d.toString() })
    const exited = new Promise<number | null>((resolve) => { proc.on('exit', (code) => { resolve(code) }) })
    await waitFor('demo-1 starting', () => /\[demo-1\] /.test(out), 30_000, 5)
    const pids = pidsIn(dir)
    // Its next line fails (EPIPE): the report of that failed too, raising another, and the launcher spun
    // at 100 % CPU for good, its peers stopped.
    proc.stdout.destroy()
    proc.stderr.destroy()
    await waitFor('the launcher to exit', () => proc.exitCode !== null || proc.signalCode !== null, 20_000)
    expect(await exited).toBe(0)
    expect(pids.filter(alive)).toEqual([])
  })

  test('a second npm start on the dir of a running one is refused (exit 1, one line) and the running demo keeps going', async () => {
    const l = await launch(dir)
    const pids = pidsIn(dir)
    const second = spawnSync(NODE, [START, '--quiet', '--dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } })
    expect(second.status, second.stdout + second.stderr).toBe(1)
    expect(second.stderr.trim().split('\n')).toHaveLength(1)
    expect(second.stderr).toMatch(new RegExp(`another npm start \\(pid ${l.proc.pid}\\) is running the demo in`))
    expect(pids.filter(alive)).toEqual(pids)
    expect(pidsIn(dir)).toEqual(pids)
    expect(l.output()).not.toMatch(/exited unexpectedly/)
    await waitMesh(l.urls)
    l.proc.kill('SIGINT')
    expect(await l.exited).toBe(0)
    expect(pids.filter(alive)).toEqual([])
  })
})
