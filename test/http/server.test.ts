/** startHttpServer: requests Node refuses before any handler runs still get an answer and are counted; a graceful close. */
import net from 'node:net'
import { afterAll, describe, expect, test } from 'vitest'
import { startHttpServer } from '../../src/http/index.js'
import type { RunningServer } from '../../src/http/index.js'
import { connectOutcome, rawHttp, rawHttpInParts } from '../helpers/raw-http.js'

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

/** A server answering "served" to every request it lets through, with the refusals it counted. */
async function servingServer (): Promise<{ server: RunningServer, port: number, rejected: string[] }> {
  const rejected: string[] = []
  const server = await startHttpServer((_req, res) => { res.end('served') }, '127.0.0.1', 0, { onRejected: (r) => rejected.push(r) })
  return { server, port: Number(new URL(server.url).port), rejected }
}

/** The JSON error body of a raw answer. */
const errorBodyOf = (answer: string): { code: string, error: string } => JSON.parse(answer.slice(answer.indexOf('{'), answer.lastIndexOf('}') + 1)) as { code: string, error: string }

describe('http server: an HTTP/1.1 request without a Host header', () => {
  // RFC 9112 §3.2: a server must answer such a request 400. Node did so itself (requireHostHeader), with an
  // empty body and nothing counted, where every other error is the API's JSON {error, code}.
  test('is a 400 invalid_request with the JSON error body, counted, the connection closed; HTTP/1.0 without Host still reaches the handler', async () => {
    const { server, port, rejected } = await servingServer()
    try {
      const answer = await rawHttp(port, 'GET /health HTTP/1.1\r\n\r\n', 5_000)
      expect(answer).toMatch(/^HTTP\/1.1 400 /)
      expect(answer.toLowerCase()).toContain('connection: close')
      const body = errorBodyOf(answer)
      expect(body.code).toBe('invalid_request')
      expect(body.error).toMatch(/Host/)
      expect(rejected).toEqual(['invalid_request'])
      expect(await rawHttp(port, 'GET /health HTTP/1.0\r\n\r\n', 5_000)).toMatch(/served$/)
    } finally {
      await server.close()
    }
  })
})

describe('http server: a CONNECT request', () => {
  // Node hands CONNECT to a 'connect' hook and, with none, closed the socket without a byte: a client saw
  // "empty reply from server" (curl exit 52) and nothing was counted, where any other unsupported method
  // gets the API's JSON 405.
  test('is a 405 method_not_allowed with the JSON error body and Allow, counted, the connection closed; the server keeps serving', async () => {
    const { server, port, rejected } = await servingServer()
    try {
      for (const target of [`127.0.0.1:${port}`, 'example.com:443', '/health']) {
        const answer = await rawHttp(port, `CONNECT ${target} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`, 5_000)
        expect(answer).toMatch(/^HTTP\/1.1 405 /)
        expect(answer.toLowerCase()).toContain('\r\nconnection: close\r\n')
        expect(answer.toLowerCase()).toMatch(/\r\nallow: [a-z, ]+\r\n/)
        const body = errorBodyOf(answer)
        expect(body.code).toBe('method_not_allowed')
        expect(body.error).toMatch(/CONNECT/)
      }
      expect(rejected).toEqual(['method_not_allowed', 'method_not_allowed', 'method_not_allowed'])
      expect(await rawHttp(port, 'GET /health HTTP/1.0\r\n\r\n', 5_000)).toMatch(/served$/)
    } finally {
      await server.close()
    }
  })

  test('once the server stops accepting, a CONNECT on an open connection gets 503 shutting_down like any request', async () => {
    const { server, port, rejected } = await servingServer()
    const inParts = await rawHttpInParts(port, 'CONNECT 127.0.0.1:1 HTTP/1.1\r\n', 5_000)
    server.stopAccepting()
    try {
      const answer = await inParts.finish('host: 127.0.0.1\r\n\r\n')
      expect(answer).toMatch(/^HTTP\/1.1 503 /)
      expect(answer).toMatch(/"code":"shutting_down"/)
      expect(rejected).toEqual(['shutting_down'])
    } finally {
      await server.close()
    }
  })
})

describe('http server: an Upgrade header that is not a WebSocket', () => {
  // `curl --http2 http://…` asks for h2c with `Upgrade: h2c` on an ordinary request; every such request,
  // /health included, went to the upgrade hook and was answered 404 "no WebSocket endpoint". RFC 9110 §7.8:
  // a server may ignore Upgrade and answer over HTTP/1.1.
  test('a request asking to upgrade to anything but websocket is served as an ordinary request; a WebSocket upgrade still reaches onUpgrade', async () => {
    const upgrades: string[] = []
    const server = await startHttpServer((req, res) => { res.end(`served ${req.url ?? ''}`) }, '127.0.0.1', 0, {
      onUpgrade: (req, socket) => { upgrades.push(req.url ?? ''); socket.end('HTTP/1.1 418 I\'m a teapot\r\ncontent-length: 0\r\n\r\n'); return true }
    })
    try {
      const port = Number(new URL(server.url).port)
      const h2c = await rawHttp(port, 'GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: Upgrade, HTTP2-Settings, close\r\nupgrade: h2c\r\nhttp2-settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n', 5_000)
      expect(h2c).toMatch(/^HTTP\/1.1 200 /)
      expect(h2c).toMatch(/served \/health/)
      const ws = await rawHttp(port, 'GET /yjs/x HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: Upgrade\r\nupgrade: WebSocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n', 5_000)
      expect(ws).toMatch(/^HTTP\/1.1 418 /)
      expect(upgrades).toEqual(['/yjs/x'])
    } finally {
      await server.close()
    }
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

describe('http server: a graceful close', () => {
  /** A server whose requests to /slow wait for `release()`; `entered` resolves once one is in its handler. */
  async function slowServer (): Promise<{ server: RunningServer, port: number, entered: Promise<void>, release: () => void, rejected: string[] }> {
    const rejected: string[] = []
    let release = (): void => {}
    let enter = (): void => {}
    const released = new Promise<void>((resolve) => { release = resolve })
    const entered = new Promise<void>((resolve) => { enter = resolve })
    const server = await startHttpServer(async (req, res) => {
      if (req.url === '/slow') {
        enter()
        await released
      }
      const text = `done ${req.url ?? ''}`
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) })
      res.end(text)
    }, '127.0.0.1', 0, { onRejected: (r) => rejected.push(r) })
    return { server, port: Number(new URL(server.url).port), entered, release, rejected }
  }

  // close() cut every connection at once: a request in flight (a write about to be answered) got a
  // reset, and new requests were taken until then.
  test('close({ graceMs }): no new connections or requests, idle keep-alive connections closed at once, the request in flight answered', async () => {
    const { server, port, entered, release, rejected } = await slowServer()
    // A request that has begun to arrive (half its headers), a keep-alive connection left idle, a request in flight.
    const arriving = await rawHttpInParts(port, `GET /late HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`, 5_000)
    const idle = net.connect(port, '127.0.0.1')
    idle.setEncoding('utf8')
    idle.on('error', () => {})
    let idleData = ''
    const idleAnswered = new Promise<void>((resolve) => { idle.on('data', (d: string) => { idleData += d; if (idleData.endsWith('done /quick')) resolve() }) })
    const idleClosed = new Promise<void>((resolve) => { idle.on('close', () => { resolve() }) })
    idle.write(`GET /quick HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`)
    const inFlight = rawHttp(port, `GET /slow HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`, 5_000)
    await Promise.all([entered, idleAnswered])
    const closing = server.close({ graceMs: 5_000 })
    expect(await connectOutcome(port)).toBe('ECONNREFUSED')
    await idleClosed
    expect(idleData).toMatch(/^HTTP\/1\.1 200 /)
    const late = await arriving.finish('\r\n')
    expect(late).toMatch(/^HTTP\/1\.1 503 /)
    expect(late).toMatch(/\r\nretry-after: 1\r\n/i)
    expect(late).toMatch(/\r\nconnection: close\r\n/i)
    expect(JSON.parse(late.slice(late.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'shutting_down' })
    release()
    const answer = await inFlight
    expect(answer).toMatch(/^HTTP\/1\.1 200 /)
    expect(answer).toMatch(/\r\nconnection: close\r\n/i)
    expect(answer).toMatch(/done \/slow$/)
    await closing
    expect(rejected).toEqual(['shutting_down'])
  })

  test('a request still running when graceMs runs out is cut, and close() resolves then; close() with no grace cuts at once', async () => {
    for (const graceMs of [300, undefined]) {
      const { server, port, entered, release } = await slowServer()
      const inFlight = rawHttp(port, `GET /slow HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`, 5_000).then(text => `ended: ${text}`, (err: NodeJS.ErrnoException) => `error: ${err.code ?? ''}`)
      await entered
      const started = Date.now()
      await server.close(graceMs === undefined ? undefined : { graceMs })
      const took = Date.now() - started
      expect(await inFlight, `graceMs ${String(graceMs)}`).toMatch(/^(ended: $|error: ECONNRESET)/)
      expect(took).toBeGreaterThanOrEqual(graceMs === undefined ? 0 : graceMs - 20)
      expect(took).toBeLessThan((graceMs ?? 0) + 1_000)
      release()
    }
  })

  test('drain() reports whether the requests in flight finished in time, and keeps their connections open', async () => {
    const { server, port, entered, release } = await slowServer()
    const inFlight = rawHttp(port, `GET /slow HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`, 5_000)
    await entered
    expect(await server.drain(100)).toBe(false)
    setTimeout(release, 100)
    expect(await server.drain(5_000)).toBe(true)
    expect(await inFlight).toMatch(/done \/slow$/)
    await server.close()
  })
})
