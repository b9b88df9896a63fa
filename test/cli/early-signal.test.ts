/**
 * A SIGTERM that reaches `node dist/peer.js` before its stop handlers were installed (while the CLI loads,
 * or while it waits for a --config pipe's writer) is a clean stop like a later one: logged, a leave, exit 0.
 * It met Node's default action: exit 143, nothing logged. The window is made wide and certain with a
 * --config named pipe whose writer comes only after the signal.
 */
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, constants, openSync, readdirSync, readlinkSync, writeSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { NODE, PEER_JS, ROOT, cleanup, sleep, tempDir } from '../helpers/procs.js'

/** Writes `text` into the pipe if a reader has it open (not blocking: a peer that died has not); whether it did. */
function writeConfig (fifo: string, text: string): boolean {
  let fd: number
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
  } catch {
    return false // ENXIO: nobody reads it (any more, or yet)
  }
  try {
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
  return true
}

/**
 * Waits (at most 10 s) until process `pid` holds `file` open: the CLI is loaded and waits for the pipe's
 * writer. A fixed 700 ms was too short on a loaded machine, and the signal then met Node's default action.
 */
async function untilOpened (pid: number, file: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    try {
      if (readdirSync(`/proc/${pid}/fd`).some(fd => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === file } catch { return false } })) return
    } catch {}
    await sleep(20)
  }
}

describe('a stop signal during start-up, before the handlers', () => {
  afterAll(cleanup)

  test.each(['SIGTERM', 'SIGINT'] as const)('%s while reading the --config pipe: logged, clean stop, exit 0', async (signal) => {
    const fifo = path.join(tempDir(), 'config.fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const proc = spawn(NODE, [PEER_JS, '--profile', 'local', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', tempDir(), '--config', fifo], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => { proc.on('exit', (code, sig) => { resolve({ code, signal: sig }) }) })
    await untilOpened(proc.pid as number, fifo) // the CLI is loaded and waits for the pipe's writer
    proc.kill(signal)
    await sleep(200)
    writeConfig(fifo, '{}')
    const end = await Promise.race([exited, sleep(20_000).then(() => { proc.kill('SIGKILL'); return 'still running after 20 s' })])
    expect(end, stderr).toEqual({ code: 0, signal: null })
    expect(stderr).toMatch(new RegExp(`stop requested during start-up: shutting down once started reason=${signal}`))
    expect(stderr).toMatch(/INFO {2}murmur stopped\n$/)
  }, 30_000)

  // Held only once the flags were read: a SIGHUP while the modules loaded or the pipe was read (a `systemctl
  // reload` right after `start`) met its default action, exit 129 with nothing logged.
  test('SIGHUP while reading the --config pipe: the peer starts, reloads once it runs, and stops cleanly', async () => {
    const fifo = path.join(tempDir(), 'config.fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const proc = spawn(NODE, [PEER_JS, '--profile', 'local', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', tempDir(), '--no-http', '--config', fifo], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let stdout = ''
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => { proc.on('exit', (code, sig) => { resolve({ code, signal: sig }) }) })
    await untilOpened(proc.pid as number, fifo) // the CLI is loaded and waits for the pipe's writer
    proc.kill('SIGHUP')
    await sleep(200)
    writeConfig(fifo, '{}')
    const running = (): boolean => proc.exitCode === null && proc.signalCode === null
    const deadline = Date.now() + 15_000
    while (!stderr.includes('reloading now') && running() && Date.now() < deadline) await sleep(20)
    // The reload reads the pipe again: its writer once the peer opens it.
    while (running() && Date.now() < deadline && !writeConfig(fifo, '{}')) await sleep(20)
    while (!(stdout.includes('murmur peer') && stderr.includes('SIGHUP: configuration')) && running() && Date.now() < deadline) await sleep(20)
    proc.kill('SIGTERM')
    const end = await Promise.race([exited, sleep(10_000).then(() => { proc.kill('SIGKILL'); return 'still running after 10 s' })])
    expect(end, stderr).toEqual({ code: 0, signal: null })
    expect(stderr).toMatch(/SIGHUP arrived during start-up: reloading now/)
    expect(stderr).toMatch(/SIGHUP: configuration reloaded/)
    expect(stderr).toMatch(/INFO {2}murmur stopped\n$/)
  }, 30_000)
})
