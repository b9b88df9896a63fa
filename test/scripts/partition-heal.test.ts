/**
 * `npm run partition-heal` (scripts/partition-heal.ts) end to end as a child process — real app processes,
 * partitions, a kill, the checker — plus its flag errors, and table tests of the pure checker.
 * The script is what `npm run partition-heal` runs after the build; `npm test` builds first (pretest).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { createNetnsLab, netnsUnavailable } from '../../scripts/lib/netns.ts'
import { check, fewestMissing, subsetSums } from '../../scripts/partition-heal/checker.ts'
import { combine } from '../../scripts/partition-heal/history.ts'
import type { Attempt, WriteOp, WriteOutcome } from '../../scripts/partition-heal/history.ts'
import type { Replica } from '../../scripts/partition-heal/observe.ts'
import { NODE, ROOT, processesWith, signalWhileLoading } from '../helpers/procs.js'

const SCRIPT = path.join(ROOT, 'scripts', 'partition-heal.ts')
/** Seed 12 on 3 peers: round 1 isolates p2, round 2 SIGKILLs p2 mid-writes and restarts it (final heal). */
const SMALL_RUN = ['--peers', '3', '--rounds', '2', '--writes', '10', '--seed', '12']
const RUN_TIMEOUT_MS = 90_000

interface Finished { code: number | null, stdout: string, stderr: string }

/** Runs the script, killing it (and so, through its exit handler, its peers) if it overruns. */
function runScript (args: string[], timeoutMs: number): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [SCRIPT, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const timer = setTimeout(() => { child.kill('SIGINT') }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('npm run partition-heal', () => {
  test('a small run (3 peers, an isolation, then a kill) converges with no acknowledged write lost', async () => {
    const r = await runScript(SMALL_RUN, RUN_TIMEOUT_MS)
    const lines = r.stdout.trim().split('\n')
    const last = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>
    if (r.code !== 0) console.log(`${r.stdout}\n${r.stderr}`)
    expect(r.code).toBe(0)
    expect(last).toMatchObject({ converged: true, lostWrites: 0, peers: 3, rounds: 2, seed: 12 })
    expect(typeof last.convergeMs).toBe('number')
    const writes = last.writes as { attempted: number, ok: number }
    expect(writes.attempted).toBe(3 * 2 * 10)
    expect(writes.ok).toBeGreaterThan(0)
    expect((last.faults as Array<{ kind: string }>).map(f => f.kind)).toEqual(['halves', 'kill'])
    // Progress while running: one line per phase.
    expect(r.stdout).toMatch(/round 1\/2 fault: halves/)
    expect(r.stdout).toMatch(/round 2\/2 heal: restarted \{2\}/)
  }, RUN_TIMEOUT_MS + 10_000)

  // SIGHUP to the whole process group is a closed terminal (or a dropped ssh session): it ended the run at
  // once, leaving its temp dir (data dirs, logs) behind.
  // And Ctrl-C after the reader of its output went away (`2>&1 | head`): the line it then wrote to stderr was
  // an uncaught EPIPE, and the run died (exit 1) without removing its temp dir.
  test.each([
    ['Ctrl-C', 'SIGINT', false, false, 130],
    ['SIGHUP to the process group (the terminal closed)', 'SIGHUP', true, false, 129],
    ['Ctrl-C after the reader of its output went away', 'SIGINT', false, true, 130],
    ['SIGTERM (a timeout, a supervisor)', 'SIGTERM', false, false, 143]
  ] as const)('%s mid-run: every peer stopped, exit 128 + the signal number, the temp dir removed, and the last line of stdout (if read) one JSON object', async (_, signal, group, readerGone, exitCode) => {
    const child = spawn(NODE, [SCRIPT, '--peers', '2', '--rounds', '3', '--seed', '3'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: group })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    const code = new Promise<number | null>((resolve) => { child.on('exit', (c, s) => { resolve(c ?? (s === null ? null : -1)) }) })
    const deadline = Date.now() + 60_000
    while (!/round 1\/3 fault/.test(stdout) && Date.now() < deadline && child.exitCode === null) await new Promise(resolve => setTimeout(resolve, 50))
    const temp = /temp dir (\S+)/.exec(stdout)?.[1] ?? 'missing'
    try {
      if (readerGone) {
        child.stdout.destroy()
        child.stderr.destroy()
      }
      if (group) process.kill(-(child.pid as number), signal)
      else child.kill(signal)
      expect(await code).toBe(exitCode)
      if (!readerGone) {
        const last = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>
        expect(last).toMatchObject({ converged: false, lostWrites: null, peers: 2, rounds: 3, seed: 3 })
        expect(String(last.error)).toBe(`interrupted by ${signal}`)
      }
      // No process left running on the run's temp dir (its peers' data dirs are in it), and the dir is gone.
      expect(processesWith(temp)).toEqual([])
      expect(existsSync(temp)).toBe(false)
    } finally {
      for (const pid of processesWith(temp)) process.kill(Number(pid), 'SIGKILL')
      rmSync(temp, { recursive: true, force: true })
    }
  }, 90_000)

  // Its signal handlers were set up once its modules had loaded (~0.5 s): Ctrl-C before that killed it
  // with no JSON line, by the signal (no exit code). The load is held back here (a preload's module hook),
  // so the signal lands in that window every time.
  test('Ctrl-C while its modules still load: exit 130 and the last line of stdout one JSON object, no temp dir made', async () => {
    const r = await signalWhileLoading(SCRIPT, ['--peers', '2', '--rounds', '1', '--seed', '3'], '/partition-heal/cluster.ts', 'SIGINT')
    expect(r.stderr).toContain('slow-module: loading')
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 130, signal: null })
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>
    expect(last).toMatchObject({ converged: false, lostWrites: null, peers: 2, rounds: 1, seed: 3, error: 'interrupted by SIGINT', keptDir: null })
    expect(r.stdout).not.toMatch(/temp dir/)
  }, 60_000)

  test('an app that crashes before its banner: the error is its error line (not the stack\'s last lines), exit 1, the log kept', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-crash-app-'))
    const app = path.join(dir, 'crash.mjs')
    writeFileSync(app, "throw new RangeError('boom before the banner')\n")
    let kept: string | null = null
    try {
      const r = await runScript(['--peers', '2', '--rounds', '1', '--seed', '1', '--app', app], 30_000)
      expect(r.code).toBe(1)
      const last = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { error: string, keptDir: string | null }
      kept = last.keptDir
      // It was "exited during start-up (code 1): } |  | Node.js v22.23.3" for every crash.
      expect(last.error).toMatch(/exited during start-up \(code 1\): RangeError: boom before the banner \(log: \S+peer-\d\.log\)$/)
      expect(existsSync(path.join(kept as string, 'peer-0.log'))).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
      if (kept !== null) rmSync(kept, { recursive: true, force: true })
    }
  }, 40_000)

  test('a peer that crashes mid-run (SIGKILL it did not send): the run ends naming that peer and its log, exit 1 — not "is fault injection enabled?" from the next admin call', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-crash-mid-run-'))
    const app = path.join(dir, 'crash-later.mjs')
    // The real app; the process named p1 SIGKILLs itself 1.5 s after its start, during round 1's fault.
    writeFileSync(app, [
      "if (process.argv.includes('p1')) setTimeout(() => { process.kill(process.pid, 'SIGKILL') }, 1500)",
      `await import(${JSON.stringify(path.join(ROOT, 'examples', 'chat-counter', 'server.ts'))})`
    ].join('\n') + '\n')
    let kept: string | null = null
    try {
      const r = await runScript(['--peers', '3', '--rounds', '2', '--writes', '4', '--seed', '5', '--mode', 'halves', '--app', app], 60_000)
      const last = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { error?: string, keptDir: string | null }
      kept = last.keptDir
      expect(r.code).toBe(1)
      // Before: "DELETE /admin/partition on peer 1: ECONNREFUSED (is fault injection enabled?)".
      expect(last.error).toMatch(/^peer 1 \(p1\) exited by itself \(SIGKILL\), not killed by this run: see \S+peer-1\.log$/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
      if (kept !== null) rmSync(kept, { recursive: true, force: true })
    }
  }, 70_000)

  test.each([
    [['--peers', '1'], /--peers 1: out of range 2–16/],
    [['--rounds', 'x'], /--rounds x: not a non-negative integer/],
    [['--writes', '2.5'], /--writes 2.5: not a non-negative integer/],
    [['--mode', 'meteor'], /--mode meteor: unknown mode/],
    [['--frobnicate'], /unknown flag --frobnicate/],
    // A directory is no app: refused here, not as every peer "exited during start-up" with a temp dir kept.
    [['--app', 'examples/chat-counter'], /--app \S*\/examples\/chat-counter: not a file/]
  ])('bad flags %j: one line on stderr, exit code 2', (args, message) => {
    const r = spawnSync(NODE, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(message)
    expect(r.stdout).toBe('')
  })

  // npm runs scripts in the checkout's root; INIT_CWD is where the user typed the command. A relative --app
  // was looked for in the root, whatever directory it was typed in.
  test('a relative --app under npm is looked for where the user typed it', () => {
    const typedIn = mkdtempSync(path.join(os.tmpdir(), 'murmur-typed-in-'))
    try {
      const env = { ...process.env, npm_lifecycle_event: 'partition-heal', INIT_CWD: typedIn }
      const r = spawnSync(NODE, [SCRIPT, '--app', 'server.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, env })
      expect(r.status).toBe(2)
      expect(r.stderr.trim()).toBe(`partition-heal: --app ${path.join(typedIn, 'server.ts')}: no such file (the chat-counter app lives at examples/chat-counter/server.ts)`)
      // The directory typed in itself: found there, and refused as no file.
      const dir = spawnSync(NODE, [SCRIPT, '--app', '.'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, env })
      expect(dir.stderr.trim()).toBe(`partition-heal: --app ${typedIn}: not a file (the chat-counter app is examples/chat-counter/server.ts)`)
    } finally {
      rmSync(typedIn, { recursive: true, force: true })
    }
  })
})

const noNetns = netnsUnavailable()

describe.skipIf(noNetns !== undefined)(`npm run partition-heal -- --netns${noNetns === undefined ? '' : ` (skipped: ${noNetns})`}`, () => {
  test('two runs at once, each in its own lab: both converge (the second took the first one\'s lab down as a leftover); a dead run\'s lab is removed', async () => {
    // A lab left by a run that no longer runs (SIGKILLed: no teardown), named as partition-heal names its labs.
    const dead = spawnSync('true').pid as number
    const orphan = createNetnsLab(1, `hp${dead.toString(36)}n`)
    const namespaces = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map(l => l.split(' ')[0] ?? '')
    try {
      expect(namespaces()).toContain(orphan.names[0])
      const first = spawn(NODE, [SCRIPT, '--netns', '--peers', '2', '--rounds', '2', '--writes', '5', '--seed', '1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      first.stdout.on('data', (d: Buffer) => { out += d.toString() })
      const firstDone = new Promise<number | null>((resolve) => { first.on('exit', (c) => { resolve(c) }) })
      const deadline = Date.now() + 60_000
      try {
        while (!/round 1\/2 fault/.test(out) && Date.now() < deadline && first.exitCode === null) await new Promise(resolve => setTimeout(resolve, 50))
        const second = await runScript(['--netns', '--peers', '2', '--rounds', '1', '--writes', '5', '--seed', '2'], 90_000)
        expect(second.code, second.stdout).toBe(0)
        expect(await firstDone, out).toBe(0)
      } finally {
        if (first.exitCode === null) first.kill('SIGINT')
        await firstDone
      }
      expect(namespaces(), 'the dead run\'s lab, removed by the next run').not.toContain(orphan.names[0])
      expect(namespaces().filter(n => /^(hp[0-9a-z]+n|ph)\d+$/.test(n)), 'labs left').toEqual([])
    } finally {
      orphan.close()
    }
  }, 150_000)
})

describe('partition-heal checker', () => {
  let seq = 0
  const op = (o: Partial<WriteOp> & Pick<WriteOp, 'kind' | 'outcome'>): WriteOp => ({
    seq: seq++, peer: 0, round: 1, phase: 'fault', side: 'all', delta: 0, from: '', text: '', key: `k${seq}`, attempts: [], startedAt: 0, ...o
  })
  const replica = (peer: number, counter: number, chat: Array<[string, string]>): Replica =>
    ({ peer, counter, chat: chat.map(([id, text]) => ({ id, from: 'p0', text, at: 0 })), docs: [], members: [] })
  const baseline = { counter: 0, chatIds: new Set<string>() }

  test('subset sums and the fewest missing increments', () => {
    expect([...subsetSums([2, -3])].sort((a, b) => a - b)).toEqual([-3, -1, 0, 2])
    expect(fewestMissing([5, 1, 1], new Set([0]), -5)).toBe(1) // the 5 is missing
    expect(fewestMissing([1, 1, 1], new Set([0]), -2)).toBe(2)
    expect(fewestMissing([1], new Set([0]), 7)).toBeUndefined()
  })

  test('counter: exact without unknowns, bounded by a subset of the unknown deltas otherwise', () => {
    const ops = [op({ kind: 'counter', outcome: 'ok', delta: 3 }), op({ kind: 'counter', outcome: 'ok', delta: -1 }), op({ kind: 'counter', outcome: 'unknown', delta: 4 }), op({ kind: 'counter', outcome: 'failed', delta: 5 })]
    const v = check(ops, [replica(0, 2, []), replica(1, 6, []), replica(2, 7, []), replica(3, -1, [])], baseline)
    expect(v.counter.replicas.map(r => r.ok)).toEqual([true, true, false, false])
    expect(v.counter.replicas[3]?.missingAtLeast).toBe(1) // the acknowledged +3
    expect(v.lostWrites).toBe(1)
  })

  test('counter: a value only explained by acknowledged writes counted twice is an exactly-once anomaly, not a loss', () => {
    const ops = [op({ kind: 'counter', outcome: 'ok', delta: 5 }), op({ kind: 'counter', outcome: 'ok', delta: 2 }), op({ kind: 'counter', outcome: 'refused', delta: 1 })]
    const v = check(ops, [replica(0, 7, []), replica(1, 12, [])], baseline)
    expect(v.lostWrites).toBe(0)
    expect(v.anomalies).toEqual([{ kind: 'counted-twice', peer: 1, detail: expect.stringContaining('≥ 1 acknowledged increment(s) counted twice') as string }])
    expect(check(ops, [replica(0, 8, [])], baseline).counter.replicas[0]?.ok).toBe(false) // the refused +1 must not be there
  })

  test('outcome of a write over its attempts: acknowledged once is ok; maybe-applied outweighs refused', () => {
    const a = (outcome: WriteOutcome): Attempt => ({ peer: 0, outcome, latencyMs: 1 })
    expect(combine([a('unknown'), a('refused'), a('ok')])).toBe('ok')
    expect(combine([a('unknown'), a('refused')])).toBe('unknown')
    expect(combine([a('failed'), a('refused')])).toBe('refused')
    expect(combine([a('failed')])).toBe('failed')
  })

  test('chat: acknowledged messages everywhere once; unknown ones optional; phantoms, failed and duplicates flagged', () => {
    const ops = [
      op({ kind: 'chat', outcome: 'ok', msgId: 'a', from: 'p0', text: 't-a' }),
      op({ kind: 'chat', outcome: 'unknown', from: 'p0', text: 't-u' }),
      op({ kind: 'chat', outcome: 'failed', from: 'p0', text: 't-f' })
    ]
    const good = check(ops, [replica(0, 0, [['a', 't-a']]), replica(1, 0, [['a', 't-a'], ['u', 't-u']])], baseline)
    expect(good.lostWrites).toBe(0)
    expect(good.anomalies).toEqual([])
    const bad = check(ops, [replica(0, 0, []), replica(1, 0, [['a', 't-a'], ['a', 't-a'], ['x', 'never sent'], ['f', 't-f']])], baseline)
    expect(bad.lostWrites).toBe(1)
    expect(bad.lost[0]?.missingOn).toEqual([0])
    expect(bad.anomalies.map(a => a.kind).sort()).toEqual(['duplicate', 'failed-write-present', 'phantom'])
  })
})
