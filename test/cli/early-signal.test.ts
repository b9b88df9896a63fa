/**
 * A SIGTERM that reaches `node dist/peer.js` before its stop handlers were installed (while the CLI loads,
 * or while it waits for a --config pipe's writer) is a clean stop like a later one: logged, a leave, exit 0.
 * It met Node's default action: exit 143, nothing logged. The window is made wide and certain with a
 * --config named pipe whose writer comes only after the signal.
 */
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, constants, openSync, writeSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { NODE, PEER_JS, ROOT, cleanup, sleep, tempDir } from '../helpers/procs.js'

/** Writes `text` into the pipe if a reader still has it open (not blocking: a peer that died has not). */
function writeConfig (fifo: string, text: string): void {
  let fd: number
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)
  } catch {
    return // ENXIO: nobody reads it any more
  }
  try {
    writeSync(fd, text)
  } finally {
    closeSync(fd)
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
    await sleep(700) // the CLI is loaded and waits for the pipe's writer
    proc.kill(signal)
    await sleep(200)
    writeConfig(fifo, '{}')
    const end = await Promise.race([exited, sleep(20_000).then(() => { proc.kill('SIGKILL'); return 'still running after 20 s' })])
    expect(end, stderr).toEqual({ code: 0, signal: null })
    expect(stderr).toMatch(new RegExp(`stop requested during start-up: shutting down once started reason=${signal}`))
    expect(stderr).toMatch(/INFO {2}murmur stopped\n$/)
  }, 30_000)
})
