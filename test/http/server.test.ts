/** startHttpServer: requests Node refuses before any handler runs still get an answer and are counted. */
import net from 'node:net'
import { afterAll, describe, expect, test } from 'vitest'
import { startHttpServer } from '../../src/http/index.js'
import type { RunningServer } from '../../src/http/index.js'
import { rawHttp } from '../helpers/raw-http.js'

describe('http server', () => {
  const rejected: string[] = []
  let server: RunningServer
  afterAll(async () => { await server.close() })

  const raw = (port: number, request: string): Promise<string> => rawHttp(port, request, 5_000)

  test('oversized headers → 431, malformed request → 400, both counted; normal requests are served', async () => {
    server = await startHttpServer((_req, res) => { res.end('ok') }, '127.0.0.1', 0, { onRejected: (r) => rejected.push(r) })
    const port = Number(new URL(server.url).port)
    expect(await raw(port, `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(32 * 1024)}\r\n\r\n`)).toMatch(/^HTTP\/1.1 431/)
    expect(await raw(port, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1.1 400/)
    expect(rejected).toEqual(['headers_too_large', 'malformed_request'])
    const ok = await fetch(server.url, { signal: AbortSignal.timeout(5_000) })
    expect(await ok.text()).toBe('ok')
  })
})

describe('http server: a client that goes away', () => {
  // Node reports a connection reset by its client (a closed tab, curl ^C, a proxy giving up) as a
  // clientError ECONNRESET; it was answered and counted as malformed_request, so the rejection metric
  // rose with every ordinary hang-up.
  test('a connection reset by its client is not counted as a malformed request', async () => {
    const rejected: string[] = []
    const server = await startHttpServer((_req, res) => { res.end('ok') }, '127.0.0.1', 0, { onRejected: (r) => rejected.push(r) })
    const port = Number(new URL(server.url).port)
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve) => {
          const c = net.connect(port, '127.0.0.1', () => {
            c.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n')
            setTimeout(() => { c.resetAndDestroy(); resolve() }, 50)
          })
          c.on('error', () => {})
        })
      }
      await new Promise(resolve => setTimeout(resolve, 300))
      expect(rejected).toEqual([])
      const ok = await fetch(server.url, { signal: AbortSignal.timeout(5_000) })
      expect(await ok.text()).toBe('ok')
    } finally {
      await server.close()
    }
  })
})

describe('http server: a client that stops reading', () => {
  // A GET of a 10 MB doc by 40 clients that never read held ~800 MB in the peer for as long as they kept
  // their sockets open (no socket timeout: Node's default is none). A socket idle for idleTimeoutMs is
  // closed now — WebSockets excepted (ws clears the timeout; their keepalive does this job).
  test('a response the client does not read is dropped after the idle timeout; the rejection is counted', async () => {
    const rejected: string[] = []
    const closed: number[] = []
    const body = Buffer.alloc(16 * 1024 * 1024, 'x')
    const server = await startHttpServer((_req, res) => {
      res.on('close', () => { closed.push(Date.now()) })
      res.end(body)
    }, '127.0.0.1', 0, { onRejected: (r) => rejected.push(r), idleTimeoutMs: 1_000 })
    const port = Number(new URL(server.url).port)
    const socket = net.connect(port, '127.0.0.1', () => { socket.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n') })
    socket.on('error', () => {})
    socket.pause() // never reads: the 16 MiB stay queued in the server
    const started = Date.now()
    try {
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => { if (closed.length > 0 || Date.now() - started > 6_000) { clearInterval(poll); resolve() } }, 50)
      })
      expect(closed.length, 'the response was dropped').toBe(1)
      expect((closed[0] ?? 0) - started).toBeLessThan(5_000)
      expect(rejected).toEqual(['idle_timeout'])
    } finally {
      socket.destroy()
      await server.close()
    }
  })

  test('a handler that waits less than the idle timeout before answering is not cut', async () => {
    const server = await startHttpServer(async (_req, res) => {
      await new Promise(resolve => setTimeout(resolve, 700))
      res.end('late but fine')
    }, '127.0.0.1', 0, { idleTimeoutMs: 1_000 })
    try {
      const res = await fetch(server.url, { signal: AbortSignal.timeout(5_000) })
      expect(await res.text()).toBe('late but fine')
    } finally {
      await server.close()
    }
  })
})
