/**
 * The slow-loris bound: a request whose headers keep trickling in is answered 408 `request_timeout` once
 * the headers timeout passes (10 s by default). Node enforces it only when it checks its connections, every
 * 30 s by default, so headers sent a line at a time held the connection for up to 40 s. Here the timeout is
 * 500 ms: the 408 must come within a check interval of it, not 30 s later.
 */
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startHttpServer } from '../../src/http/index.js'
import type { RunningServer } from '../../src/http/index.js'

const HEADERS_TIMEOUT_MS = 500

let server: RunningServer

beforeAll(async () => {
  server = await startHttpServer((_req, res) => { res.end('{}') }, '127.0.0.1', 0, { headersTimeoutMs: HEADERS_TIMEOUT_MS })
})
afterAll(async () => { await server.close() })

/** Sends a request line, then a header line every 100 ms; resolves with what came back and when (or what came within `capMs`). */
function trickle (capMs: number): Promise<{ answer: string, afterMs: number }> {
  return new Promise((resolve) => {
    const started = performance.now()
    const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1')
    let answer = ''
    let line = 0
    const timer = setInterval(() => { if (socket.writable) socket.write(`X-Slow-${line++}: a\r\n`) }, 100)
    const done = (): void => {
      clearInterval(timer)
      clearTimeout(cap)
      socket.destroy()
      resolve({ answer, afterMs: performance.now() - started })
    }
    const cap = setTimeout(done, capMs)
    socket.on('data', (d: Buffer) => { answer += d.toString() })
    socket.on('close', done)
    socket.on('error', done)
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n')
  })
}

describe('headers that trickle in', () => {
  test('are answered 408 request_timeout within about a second of the headers timeout', async () => {
    const { answer, afterMs } = await trickle(5_000)
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer).toContain('"code":"request_timeout"')
    expect(afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS)
    expect(afterMs).toBeLessThan(HEADERS_TIMEOUT_MS + 2_000)
  }, 10_000)
})
