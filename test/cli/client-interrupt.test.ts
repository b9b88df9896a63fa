/**
 * Ctrl-C ends every operator command at once, not only `monitor`: dist/murmur.js catches SIGINT/SIGTERM
 * (so `monitor` can exit 0), and a command waiting for an agent that accepted the connection but does not
 * answer used to sit out the 30 s request timeout — `docs put`, with its retries, ~90 s — with Ctrl-C
 * ignored. In-process against a stand-in agent (a TCP server that never answers, or one that answers
 * 500), and once as the real process receiving SIGINT.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import path from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { REQUEST_TIMEOUT_MS } from '../../src/cli/client.js'
import { runOperator } from '../../src/cli/operator.js'
import { NODE, ROOT } from '../helpers/procs.js'

const MURMUR = path.join(ROOT, 'dist', 'murmur.js')
/** Far below the 30 s request timeout: an interrupted command must end within this. */
const PROMPT_MS = 3_000

interface Agent { addr: string, requests: () => number, close: () => Promise<void> }

/** Accepts connections and counts requests; `answer` undefined: never answers. */
async function agent (answer?: string): Promise<Agent> {
  let requests = 0
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => { sockets.delete(socket) })
    socket.on('data', (d: Buffer) => {
      if (!/^[A-Z]+ \//.test(d.toString('latin1'))) return
      requests++
      if (answer !== undefined) socket.write(`HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(answer)}\r\n\r\n${answer}`)
    })
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as AddressInfo
  return {
    addr: `127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => { resolve() }) })
  }
}

/** Runs `murmur <args>` in-process and interrupts it (as Ctrl-C does) after `afterMs`. */
async function interrupted (args: string[], afterMs: number): Promise<{ status: number, stderr: string, ms: number }> {
  const ctrlC = new AbortController()
  let stderr = ''
  const start = Date.now()
  const timer = setTimeout(() => { ctrlC.abort() }, afterMs)
  const status = await runOperator(args, { env: { MURMUR_HTTP_ADDR: '', MURMUR_HTTP_TOKEN: '' }, out: () => {}, err: (t) => { stderr += t }, interrupted: ctrlC.signal })
  clearTimeout(timer)
  return { status, stderr, ms: Date.now() - start }
}

let stand: Agent | undefined
afterEach(async () => { await stand?.close(); stand = undefined })

describe('murmur <command>: Ctrl-C ends a request the agent does not answer', () => {
  test('members, ready, join: exit 1 at once with "interrupted"; a change interrupted may have been applied, and says so', async () => {
    stand = await agent()
    for (const args of [['members'], ['ready'], ['join', '/ip4/127.0.0.1/tcp/4001']]) {
      const r = await interrupted([...args, '--http-addr', stand.addr], 300)
      expect(r.status, args[0]).toBe(1)
      const outcome = args[0] === 'join' ? ' \\(the agent may have received it: the change may have been applied\\)' : ''
      expect(r.stderr).toMatch(new RegExp(`^murmur: interrupted while waiting for the agent at http://127\\.0\\.0\\.1:\\d+${outcome}\n$`))
      expect(r.ms).toBeLessThan(PROMPT_MS)
    }
  }, 20_000)

  // A change that left and got no answer, or a 500, may have been applied: the message used to read like a
  // plain failure ("did not answer within 30 s"), and an operator would take the tags as unchanged.
  test('tags set, join, leave: a change the agent did not answer says it may have been applied; a read does not', async () => {
    stand = await agent()
    // Real timers: the request timeout is an AbortSignal.timeout, which fake timers do not reach. All four at once.
    const runs = [['tags', 'set', 'role=db'], ['join', '/ip4/127.0.0.1/tcp/4001'], ['leave'], ['members']].map(async (args) => {
      let stderr = ''
      const status = await runOperator([...args, '--http-addr', stand?.addr ?? ''], { env: { MURMUR_HTTP_ADDR: '', MURMUR_HTTP_TOKEN: '' }, out: () => {}, err: (t) => { stderr += t }, interrupted: new AbortController().signal })
      return { command: args[0] ?? '', status, stderr }
    })
    for (const r of await Promise.all(runs)) {
      expect(r.status, r.command).toBe(1)
      const outcome = r.command === 'members' ? '' : ' (the agent may have received it: the change may have been applied)'
      expect(r.stderr, r.command).toBe(`murmur: the agent at http://${stand.addr} did not answer within 30 s${outcome}\n`)
    }
    expect(stand.requests()).toBe(4)
  }, REQUEST_TIMEOUT_MS + 15_000)

  test('tags set: a 500 says the change may have been applied', async () => {
    stand = await agent(JSON.stringify({ error: 'internal error', code: 'internal' }))
    let stderr = ''
    const status = await runOperator(['tags', 'set', 'role=db', '--http-addr', stand.addr], { env: { MURMUR_HTTP_ADDR: '', MURMUR_HTTP_TOKEN: '' }, out: () => {}, err: (t) => { stderr += t }, interrupted: new AbortController().signal })
    expect(status).toBe(1)
    expect(stderr).toBe('murmur: 500 internal: internal error (the agent may have received it: the change may have been applied)\n')
  }, 20_000)

  test('monitor: Ctrl-C before the agent answered exits 0, like Ctrl-C during the stream', async () => {
    stand = await agent()
    const r = await interrupted(['monitor', '--http-addr', stand.addr], 300)
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.ms).toBeLessThan(PROMPT_MS)
  }, 20_000)

  test('monitor: an agent that accepts and never answers is given up after the request timeout', async () => {
    stand = await agent()
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      let stderr = ''
      let status: number | undefined
      void runOperator(['monitor', '--http-addr', stand.addr], { env: { MURMUR_HTTP_ADDR: '', MURMUR_HTTP_TOKEN: '' }, out: () => {}, err: (t) => { stderr += t }, interrupted: new AbortController().signal })
        .then((code) => { status = code })
      await vi.waitFor(() => { expect(stand?.requests()).toBe(1) }, { timeout: 5_000 })
      await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS + 1_000)
      await vi.waitFor(() => { expect(status).toBeDefined() }, { timeout: 2_000 })
      expect(status).toBe(1)
      expect(stderr).toMatch(/^murmur: the agent at http:\/\/127\.0\.0\.1:\d+ did not answer within 30 s\n$/)
    } finally {
      vi.useRealTimers()
    }
  }, 20_000)

  test('docs put: not retried after Ctrl-C; the message names the key to retry with', async () => {
    stand = await agent()
    const r = await interrupted(['docs', 'put', 'ops', 'k', '1', '--idempotency-key', 'op-7', '--http-addr', stand.addr], 300)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/interrupted.*retry with --idempotency-key op-7/)
    expect(r.ms).toBeLessThan(PROMPT_MS)
    expect(stand.requests()).toBe(1)
  }, 20_000)

  test('docs put: Ctrl-C during the pause before a retry (after a 500) ends it without the retry', async () => {
    stand = await agent(JSON.stringify({ error: 'not confirmed', code: 'outcome_unknown' }))
    const r = await interrupted(['docs', 'put', 'ops', 'k', '1', '--idempotency-key', 'op-8', '--http-addr', stand.addr], 200)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/interrupted.*500 outcome_unknown.*retry with --idempotency-key op-8/)
    expect(r.ms).toBeLessThan(PROMPT_MS)
    expect(stand.requests()).toBe(1)
  }, 20_000)

  test('the real process: SIGINT ends `murmur members` against a silent agent within a few seconds', async () => {
    stand = await agent()
    const proc = spawn(NODE, [MURMUR, 'members', '--http-addr', stand.addr], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const exited = new Promise<number | null>((resolve) => { proc.on('exit', (code) => { resolve(code) }) })
    const deadline = Date.now() + 10_000
    while (stand.requests() === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
    const start = Date.now()
    proc.kill('SIGINT')
    const code = await Promise.race([exited, new Promise<'hung'>((resolve) => { setTimeout(() => { resolve('hung') }, PROMPT_MS) })])
    if (code === 'hung') proc.kill('SIGKILL')
    expect(code, stderr).toBe(1)
    expect(stderr).toMatch(/interrupted/)
    expect(Date.now() - start).toBeLessThan(PROMPT_MS)
  }, 30_000)
})
