/**
 * `murmur monitor | head -1`: once the reader is gone, the next event's write fails with EPIPE. That was
 * an unhandled 'error' event — a stack trace and exit 1 — instead of the quiet end a pipeline expects.
 * The real process, against a stand-in agent streaming an event every 50 ms.
 */
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { NODE, ROOT } from '../helpers/procs.js'

const MURMUR = path.join(ROOT, 'dist', 'murmur.js')

let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise<void>((resolve) => { if (server?.listening === true) server.close(() => { resolve() }); else resolve() })
  server = undefined
})

describe('murmur monitor in a pipeline', () => {
  test('the reader closing the pipe ends monitor quietly: exit 0, nothing on stderr', async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      let n = 0
      const timer = setInterval(() => { res.write(`event: doc\ndata: ${JSON.stringify({ origin: 'local', name: `d${n++}`, digest: 'ab' })}\n\n`) }, 50)
      res.on('close', () => { clearInterval(timer) })
    })
    await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
    const addr = `127.0.0.1:${(server.address() as { port: number }).port}`
    const proc = spawn(NODE, [MURMUR, 'monitor', '--http-addr', addr], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MURMUR_HTTP_TOKEN: '' } })
    let stderr = ''
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const exited = new Promise<number | null>((resolve) => { proc.on('exit', (code) => { resolve(code) }) })
    // Like `head -1`: read the first line, then close the read end.
    await new Promise<void>((resolve) => { proc.stdout.once('data', () => { resolve() }) })
    proc.stdout.destroy()
    const code = await Promise.race([exited, new Promise<'hung'>((resolve) => { setTimeout(() => { resolve('hung') }, 10_000) })])
    if (code === 'hung') proc.kill('SIGKILL')
    expect(stderr).toBe('')
    expect(code).toBe(0)
  }, 30_000)
})
