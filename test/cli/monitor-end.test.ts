/**
 * How `murmur monitor` ends with the agent it watches. An agent that leaves gracefully (SIGTERM, `murmur
 * leave`) ends every event stream with a `closing` event: monitor prints a last line saying so and exits 0
 * (it exited 1, "the agent closed the event stream", with nothing said of the leave). A stream cut without
 * it (the agent SIGKILLed) stays exit 1, with one line (it was an uncaught "Error: aborted" and its stack).
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { NODE, ROOT, cleanup, spawnPeer, waitFor } from '../helpers/procs.js'
import { murmur } from './helpers.js'

const MURMUR = path.join(ROOT, 'dist', 'murmur.js')

/** `murmur monitor [--json]` on `http` until it exits; `end` is called once its hello line is out. */
async function monitorUntilEnd (http: string, end: () => Promise<unknown> | void, json = false): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const proc = spawn(NODE, [MURMUR, 'monitor', ...(json ? ['--json'] : []), '--http-addr', http], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MURMUR_HTTP_TOKEN: '' } })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<number | null>((resolve) => { proc.on('exit', resolve) })
  await waitFor('the hello line', () => /connected to|"hello"/.test(stdout), 15_000)
  await end()
  const code = await Promise.race([exited, new Promise<null>((resolve) => { setTimeout(() => { proc.kill('SIGKILL'); resolve(null) }, 15_000) })])
  return { code, stdout, stderr }
}

describe('murmur monitor when the agent goes', () => {
  afterAll(cleanup)

  test('SIGTERM (graceful leave): a last line saying the agent left, exit 0', async () => {
    const agent = await spawnPeer({ args: ['--profile', 'local'] })
    const r = await monitorUntilEnd(agent.http, () => { agent.proc.kill('SIGTERM') })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^\S+Z the agent left the mesh gracefully and is shutting down: end of the event stream$/)
  }, 40_000)

  test('murmur leave, with --json: the closing event is the last line, left: true, exit 0', async () => {
    const agent = await spawnPeer({ args: ['--profile', 'local'] })
    const r = await monitorUntilEnd(agent.http, async () => { expect((await murmur(['leave', '--http-addr', agent.http])).status).toBe(0) }, true)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1) as string)).toMatchObject({ event: 'closing', data: { peerId: agent.id, left: true } })
  }, 40_000)

  test('SIGKILL (the stream cut): exit 1 with one line saying the stream was cut', async () => {
    const agent = await spawnPeer({ args: ['--profile', 'local'] })
    const r = await monitorUntilEnd(agent.http, () => { agent.proc.kill('SIGKILL') })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^murmur: the event stream was cut: the agent stopped without saying so \(killed, crashed\), or dropped a client that did not keep up( \(\w+\))?\n$/)
  }, 40_000)
})
