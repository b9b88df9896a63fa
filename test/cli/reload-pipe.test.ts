/**
 * A SIGHUP reload of a --config that is a pipe: read again without holding the running peer. The read
 * waited for the pipe's writer (up to 5 s) in Atomics.wait, so a peer started with `--config <(vault read …)`,
 * whose writer is gone for good, answered nothing for 5 s after a `systemctl reload` — no HTTP, no
 * membership ping, and its members began to suspect it.
 */
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, constants, openSync, writeSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { NODE, PEER_JS, ROOT, cleanup, sleep, tempDir } from '../helpers/procs.js'

/** Writes `text` into the pipe if a reader has it open (not blocking); whether it did. */
function writeConfig (fifo: string, text: string): boolean {
  let fd: number
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
  } catch {
    return false // ENXIO: nobody reads it now
  }
  try {
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
  return true
}

describe('SIGHUP with a --config pipe', () => {
  afterAll(cleanup)

  test('the peer keeps answering while the reload waits for the pipe, and applies what the writer then gives', async () => {
    const fifo = path.join(tempDir(), 'config.fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const proc = spawn(NODE, [PEER_JS, '--profile', 'local', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', tempDir(), '--http', '127.0.0.1:0', '--config', fifo], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let stdout = ''
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => { proc.on('exit', (code, sig) => { resolve({ code, signal: sig }) }) })
    const running = (): boolean => proc.exitCode === null && proc.signalCode === null
    const until = async (done: () => boolean, ms: number): Promise<void> => {
      const deadline = Date.now() + ms
      while (!done() && running() && Date.now() < deadline) await sleep(20)
    }
    try {
      await until(() => writeConfig(fifo, '{}'), 10_000)
      await until(() => /http +(http:\S+)/.test(stdout), 10_000)
      const url = /http +(http:\S+)/.exec(stdout)?.[1]
      expect(url, stderr).toBeDefined()
      proc.kill('SIGHUP')
      await sleep(300) // the reload now waits for the pipe's writer
      const started = Date.now()
      const res = await fetch(`${url as string}/health`, { signal: AbortSignal.timeout(10_000) })
      const tookMs = Date.now() - started
      expect(res.status).toBe(200)
      expect(tookMs, `GET /health during the reload took ${tookMs} ms`).toBeLessThan(1_500)
      await until(() => writeConfig(fifo, '{"tag": {"zone": "b"}}'), 4_000)
      await until(() => stderr.includes('SIGHUP: configuration reloaded'), 5_000)
      expect(stderr).toMatch(/SIGHUP: configuration reloaded applied=tags/)
    } finally {
      proc.kill('SIGTERM')
    }
    const end = await Promise.race([exited, sleep(10_000).then(() => { proc.kill('SIGKILL'); return 'still running after 10 s' })])
    expect(end, stderr).toEqual({ code: 0, signal: null })
  }, 30_000)
})
