/**
 * Output that cannot be written: stdout or stderr redirected to a file on a full disk (here /dev/full,
 * where every write fails with ENOSPC). A file is written synchronously, so the failure was a throw
 * from the write itself: the peer died at its next log line (exit 1) although a full disk is something
 * it is built to survive (its store refuses writes until space is freed), and the operator CLI ended in
 * an uncaught exception whose "source line" was a whole line of the minified bundle.
 */
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { NODE, PEER_JS, ROOT, cleanup, parseBanner, tempDir, waitFor } from '../helpers/procs.js'

const MURMUR = path.join(ROOT, 'dist', 'murmur.js')
const FULL = '/dev/full'

describe.skipIf(!existsSync(FULL))('writing to a full disk', () => {
  afterAll(cleanup)

  test('a peer whose log cannot be written keeps running, serves, and stops cleanly on SIGTERM', async () => {
    const full = openSync(FULL, 'w')
    const proc = spawn(NODE, [PEER_JS, '--data-dir', tempDir(), '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--profile', 'local', '--log-level', 'debug'], { cwd: ROOT, stdio: ['ignore', 'pipe', full] })
    closeSync(full)
    let stdout = ''
    proc.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
    const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => { proc.on('exit', (code, signal) => { resolve({ code, signal }) }) })
    try {
      const banner = await waitFor('the banner', () => proc.exitCode === null ? parseBanner(stdout) : false, 15_000)
      const health = await fetch(`${banner.http ?? ''}/health`)
      expect(health.status).toBe(200)
      expect(proc.exitCode).toBeNull()
    } finally {
      proc.kill('SIGTERM')
    }
    expect(await exited).toEqual({ code: 0, signal: null })
  }, 30_000)

  test('a peer whose banner cannot be written still runs (stdout on a full disk)', async () => {
    const full = openSync(FULL, 'w')
    const proc = spawn(NODE, [PEER_JS, '--data-dir', tempDir(), '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--profile', 'local'], { cwd: ROOT, stdio: ['ignore', full, 'pipe'] })
    closeSync(full)
    let stderr = ''
    proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
    const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => { proc.on('exit', (code, signal) => { resolve({ code, signal }) }) })
    try {
      await waitFor('the peer listening', () => /net listening/.test(stderr), 15_000)
      await new Promise(resolve => setTimeout(resolve, 500)) // the banner is written after the listening line
      expect(proc.exitCode, stderr).toBeNull()
    } finally {
      proc.kill('SIGTERM')
    }
    expect(await exited).toEqual({ code: 0, signal: null })
    expect(stderr).not.toMatch(/ENOSPC.*\n\s+at /)
  }, 30_000)

  test.each([[['keygen']], [['--help']], [['--version']], [['members', '--help']], [['agent', '--help']]])('murmur %j with stdout on a full disk: one line on stderr, exit 1', (args) => {
    const full = openSync(FULL, 'w')
    const r = spawnSync(NODE, [MURMUR, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, stdio: ['ignore', full, 'pipe'] })
    closeSync(full)
    expect(r.stderr).toBe('murmur: cannot write to stdout: ENOSPC\n')
    expect(r.status).toBe(1)
  })

  test('node dist/peer.js --help with stdout on a full disk: one line on stderr, exit 1', () => {
    const full = openSync(FULL, 'w')
    const r = spawnSync(NODE, [PEER_JS, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, stdio: ['ignore', full, 'pipe'] })
    closeSync(full)
    expect(r.stderr).toBe('murmur: cannot write to stdout: ENOSPC\n')
    expect(r.status).toBe(1)
  })
})
