/**
 * `npm run soak` (scripts/soak.ts) as a child process: Ctrl-C (or a closed terminal's SIGHUP) mid-run and a bad flag. The full soak is a
 * benchmark-sized run (minutes, 20–50 peers) and is not part of the suite; `npm test` builds first.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { NODE, ROOT, processesWith, signalWhileLoading } from '../helpers/procs.js'

const SCRIPT = path.join(ROOT, 'scripts', 'soak.ts')
const dirs: string[] = []

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('npm run soak', () => {
  test('Ctrl-C with --keep: every peer stopped, exit 130, and the peer logs saved where it says', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-soak-test-'))
    dirs.push(dir)
    const child = spawn(NODE, [SCRIPT, '--peers', '3', '--minutes', '1', '--seed', '5', '--keep', '--dir', dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    const code = new Promise<number | null>((resolve) => { child.on('exit', (c) => { resolve(c) }) })
    const deadline = Date.now() + 60_000
    while (!/mesh formed/.test(stdout) && Date.now() < deadline && child.exitCode === null) await new Promise(resolve => setTimeout(resolve, 50))
    expect(stdout).toMatch(/mesh formed/)
    child.kill('SIGINT')
    expect(await code).toBe(130)
    const saved = /peer logs saved in (\S+)/.exec(stdout)?.[1]
    expect(saved, stdout).toBeDefined()
    dirs.push(saved as string)
    const logs = readdirSync(saved as string).sort()
    expect(logs).toEqual(['p00.log', 'p01.log', 'p02.log'])
    // Each is the peer's own log: its start-up lines are in it.
    expect(readFileSync(path.join(saved as string, 'p01.log'), 'utf8')).toMatch(/membership started/)
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({ interrupted: true, seed: 5, ok: false })
    // --dir with --keep: the data dirs stay; no peer is left running on them.
    expect(existsSync(path.join(dir, 'p00'))).toBe(true)
    expect(processesWith(dir)).toEqual([])
  }, 90_000)

  // SIGHUP to the whole process group is a closed terminal (or a dropped ssh session): it ended the soak at
  // once, and its peers, which take SIGHUP as "reload config", ran on with the temp dir.
  test.each([
    ['Ctrl-C', 'SIGINT', false, 130],
    ['SIGHUP to the process group (the terminal closed)', 'SIGHUP', true, 129]
  ] as const)('%s while the peers are still starting: those too are stopped (exit 128 + the signal number), and the temp data dir is removed', async (_, signal, group, exitCode) => {
    // No --dir: the soak makes (and must remove) its own temp dir. Six peers: the seed, then a batch of five
    // that are signalled while they start, before the soak has their banners.
    const child = spawn(NODE, [SCRIPT, '--peers', '6', '--minutes', '1', '--seed', '6'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: group })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    const code = new Promise<number | null>((resolve) => { child.on('exit', (c, s) => { resolve(c ?? (s === null ? null : -1)) }) })
    const deadline = Date.now() + 30_000
    let dir: string | undefined
    try {
      while (Date.now() < deadline && child.exitCode === null) {
        dir ??= /data in (\S+)/.exec(stdout)?.[1]
        if (dir !== undefined && processesWith(dir).length >= 2) break
        await new Promise(resolve => setTimeout(resolve, 10))
      }
      expect(dir, stdout).toBeDefined()
      dirs.push(dir as string)
      expect(processesWith(dir as string).length, 'peers starting when signalled').toBeGreaterThanOrEqual(2)
      if (group) process.kill(-(child.pid as number), signal)
      else child.kill(signal)
      expect(await code).toBe(exitCode)
      expect(processesWith(dir as string)).toEqual([])
      expect(existsSync(dir as string)).toBe(false)
    } finally {
      for (const pid of dir === undefined ? [] : processesWith(dir)) process.kill(Number(pid), 'SIGKILL')
    }
  }, 60_000)

  // Its signal handlers were set up once its modules had loaded (~0.5 s): Ctrl-C before that killed it by the
  // signal, with no JSON line. The load is held back here (a preload's module hook), so the signal lands then.
  test('Ctrl-C while its modules still load: exit 130, the last line of stdout one JSON object, no temp dir left', async () => {
    const before = new Set(readdirSync(os.tmpdir()).filter(n => n.startsWith('murmur-soak-')))
    const r = await signalWhileLoading(SCRIPT, ['--peers', '3', '--minutes', '1', '--seed', '8'], '/soak/mesh.ts', 'SIGINT')
    expect(r.stderr).toContain('slow-module: loading')
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 130, signal: null })
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '')).toEqual({ interrupted: true, seed: 8, ok: false })
    expect(readdirSync(os.tmpdir()).filter(n => n.startsWith('murmur-soak-') && !before.has(n))).toEqual([])
  }, 60_000)

  test('a run that fails half way (a peer that cannot start): exit 1, the peer logs saved as for any failed run, no peer left', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-soak-test-'))
    dirs.push(dir)
    writeFileSync(path.join(dir, 'p01'), '') // p01's data dir is a file: that peer refuses to start
    const r = spawnSync(NODE, [SCRIPT, '--peers', '3', '--minutes', '1', '--seed', '7', '--dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/soak failed: peer exited during start-up/)
    const saved = /peer logs saved in (\S+)/.exec(r.stdout)?.[1]
    expect(saved, r.stdout).toBeDefined()
    dirs.push(saved as string)
    // The seed ran (its log says so); p01 never did, and its refusal is in the error itself.
    expect(readFileSync(path.join(saved as string, 'p00.log'), 'utf8')).toMatch(/membership started/)
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({ seed: 7, ok: false, error: expect.stringMatching(/ENOTDIR/) as string })
    expect(processesWith(dir)).toEqual([])
  }, 70_000)

  test('a bad flag: one line naming it, non-zero exit, no peer started', () => {
    const r = spawnSync(NODE, [SCRIPT, '--peers', '2'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    expect(r.status).not.toBe(0)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/--peers/)
  })
})
