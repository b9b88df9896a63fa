/**
 * The HTTP API under hostile requests (issue: hostile input, HTTP), in-process: a real peer (createPeer on
 * 127.0.0.1, LevelDB in a temp dir), createHttpApi + startHttpServer on 127.0.0.1:0 — once without and
 * once with a bearer token.
 *
 * Every bad request gets the right 4xx with a JSON body, never a 5xx; the server keeps serving; documents
 * are untouched by rejected requests; every rejection shows in /metrics (murmur_http_rejected_total).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { HttpApi, Peer } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'
import { useSeed } from '../helpers/replay.js'

const FILE = 'test/http/hostile.test.ts'
const TOKEN = 'correct-horse-battery-staple'
const PEER_ID = '12D3KooWGzBvZdXGmr5kPPnJy8mqvPBVQbqXzXJ9T8pGqkHcWdRa'
/** Requests answered by the server itself (slow-loris) or a hung handler must still end within this. */
const REQUEST_BOUND_MS = 15_000

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, text: string, json: unknown }

/** One request over a fresh connection; `body` may be bytes, and `chunked` sends it without a length. */
function send (base: string, method: string, route: string, o: { body?: string | Uint8Array, headers?: Record<string, string>, chunked?: boolean } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(base)
    const headers: Record<string, string> = { ...o.headers }
    if (o.body !== undefined && o.chunked !== true) headers['content-length'] ??= String(Buffer.byteLength(o.body))
    const req = request({ host: url.hostname, port: url.port, method, path: route, headers, agent: false, timeout: REQUEST_BOUND_MS }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => { chunks.push(c) })
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try { json = JSON.parse(text) } catch { json = undefined }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
      })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new Error(`${method} ${route}: no answer within ${REQUEST_BOUND_MS} ms`)) })
    req.on('error', reject)
    if (o.body !== undefined) req.write(o.body)
    req.end()
  })
}

/** Counter values of one metric, by label value. */
async function rejectedCounts (base: string, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const text = (await send(base, 'GET', '/metrics', { headers })).text
  const out = new Map<string, number>()
  for (const m of text.matchAll(/^murmur_http_rejected_total\{code="([^"]+)"\} (\d+)$/gm)) out.set(m[1] as string, Number(m[2]))
  return out
}

interface Served { peer: Peer, api: HttpApi, server: RunningServer, base: string }

async function serve (peer: Peer, token?: string): Promise<Omit<Served, 'peer'>> {
  const api = createHttpApi(peer, { allowFaultInjection: true, ...(token === undefined ? {} : { token }) })
  // As src/cli/main.ts does: the API answers its routes, everything else is a JSON 404.
  const server = await startHttpServer(async (req, res) => {
    if (!(await api.handle(req, res))) api.notFound(req, res)
  }, '127.0.0.1', 0)
  return { api, server, base: server.url }
}

describe('HTTP API under hostile requests', () => {
  let dataDir: string
  let open: Served
  let locked: Omit<Served, 'peer'>
  /** Rejections this test file caused, by reason: compared with /metrics at the end. */
  const expected = new Map<string, number>()
  const tally = (reason: string, n = 1): void => { expected.set(reason, (expected.get(reason) ?? 0) + n) }
  let slowBody: Promise<Answer>
  let slowBodyStarted = 0

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'murmur-http-hostile-'))
    const peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], dataDir, logger: silentLogger, replication: { maxPendingWrites: 4 } })
    open = { peer, ...await serve(peer) }
    locked = await serve(peer, TOKEN)
    await peer.write('seed', (d) => { d.getMap('kv').set('a', 1) })
    // Slow body: headers and 5 of 100 bytes, then nothing. Started first so its 10 s overlap the rest.
    slowBodyStarted = Date.now()
    slowBody = slowRequest(open.base)
  })
  afterAll(async () => {
    open.api.close()
    locked.api.close()
    await Promise.all([open.server.close(), locked.server.close()])
    await open.peer.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  /** The docs' digests and versions: what a rejected request must not change. */
  const docState = (): string => JSON.stringify(open.peer.docs())

  test('malformed, oversized and empty bodies: 400 / 413 JSON, nothing written', async () => {
    const before = docState()
    const cases: Array<{ body: string | Uint8Array, status: number, reason: string, chunked?: boolean, headers?: Record<string, string> }> = [
      { body: '', status: 400, reason: 'invalid_json' },
      { body: '{', status: 400, reason: 'invalid_json' },
      { body: '{"a":1}}', status: 400, reason: 'invalid_json' },
      { body: 'undefined', status: 400, reason: 'invalid_json' },
      { body: Uint8Array.of(0xff, 0xfe, 0x00), status: 400, reason: 'invalid_json' },
      { body: '\u0000', status: 400, reason: 'invalid_json' },
      // Nesting deep enough to overflow the stack of what handles the value next: refused, not a 500.
      { body: `${'['.repeat(5_000)}${']'.repeat(5_000)}`, status: 400, reason: 'invalid_json' },
      { body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, status: 400, reason: 'invalid_json' },
      { body: `"${'x'.repeat(1024 * 1024)}"`, status: 413, reason: 'body_too_large' },
      { body: `"${'x'.repeat(1024 * 1024)}"`, status: 413, reason: 'body_too_large', chunked: true },
      // A lying Content-Length (smaller than the body): Node refuses it before our handler runs.
      { body: '"ok"', status: 413, reason: 'body_too_large', headers: { 'content-length': String(2 * 1024 * 1024) } }
    ]
    for (const c of cases) {
      const a = await send(open.base, 'PUT', '/docs/seed/kv/b', { body: c.body, chunked: c.chunked === true, ...(c.headers === undefined ? {} : { headers: c.headers }) }).catch((err: unknown) => ({ status: -1, text: String(err), json: undefined, headers: {} }))
      if (c.headers !== undefined && a.status === -1) continue // the server hung up on the lie: also fine
      expect(a.status, JSON.stringify(c.body).slice(0, 40)).toBe(c.status)
      expect(a.json).toEqual({ error: expect.any(String), code: expect.any(String) })
      tally(c.reason)
    }
    expect(docState()).toBe(before)
    expect((await send(open.base, 'GET', '/health')).status).toBe(200)
  })

  test('bad paths: percent-encoding, doc names, keys; wrong methods; unknown routes', async () => {
    const before = docState()
    const cases: Array<[string, string, number, string | undefined]> = [
      ['GET', '/docs/%E0%A4%A', 400, 'invalid_path'],
      ['GET', '/docs/%zz', 400, 'invalid_path'],
      ['PUT', '/docs/seed/kv/%', 400, 'invalid_path'],
      ['GET', '/docs/%00', 400, 'invalid_doc_name'],
      ['GET', `/docs/${'n'.repeat(257)}`, 400, 'invalid_doc_name'],
      ['GET', '/docs/%ED%A0%80', 400, 'invalid_path'], // a lone surrogate in UTF-8: decodeURIComponent refuses it
      ['GET', `/docs/seed/kv/${'k'.repeat(1025)}`, 400, 'invalid_key'],
      ['DELETE', `/docs/seed/kv/${'k'.repeat(1025)}`, 400, 'invalid_key'],
      ['POST', '/docs', 405, 'method_not_allowed'],
      ['PATCH', '/health', 405, 'method_not_allowed'],
      ['POST', '/docs/seed/kv/a', 405, 'method_not_allowed'],
      ['GET', '/nope', 404, undefined],
      ['GET', '/docs/a/b/c', 404, undefined],
      ['GET', '/admin', 404, undefined]
    ]
    for (const [method, route, status, reason] of cases) {
      const a = await send(open.base, method, route, method === 'PUT' ? { body: '1' } : {})
      expect(a.status, `${method} ${route.slice(0, 40)}`).toBe(status)
      expect(a.json, `${method} ${route.slice(0, 40)}`).toEqual({ error: expect.any(String), code: expect.any(String) })
      if (status === 405) expect(a.headers.allow).toBeDefined()
      if (reason !== undefined) tally(reason)
    }
    // A URL past the 16 KiB header limit is refused by Node itself (431), before any handler.
    expect((await send(open.base, 'GET', `/docs/${'n'.repeat(20_000)}`)).status).toBe(431)
    expect(docState()).toBe(before)
  })

  test('bad /admin/partition bodies: 400, nothing blocked', async () => {
    const bodies = ['{}', '[]', 'null', '{"block":"x"}', '{"block":[1]}', '{"block":["not a peer id"]}', '{"block":[null]}',
      JSON.stringify({ block: [PEER_ID, 'x'] }), JSON.stringify({ block: Array.from({ length: 10_001 }, () => PEER_ID) })]
    for (const body of bodies) {
      const a = await send(open.base, 'POST', '/admin/partition', { body })
      expect(a.status, body.slice(0, 40)).toBe(400)
      expect(a.json).toEqual({ error: expect.any(String), code: expect.any(String) })
      tally('invalid_body')
    }
    // This peer's own id: refused with a reason (it answered 200 {"blocked":[]}, saying nothing of why).
    const self = await send(open.base, 'POST', '/admin/partition', { body: JSON.stringify({ block: [PEER_ID, open.peer.id] }) })
    expect(self.status).toBe(400)
    expect(self.json).toEqual({ error: `a peer cannot block itself: ${open.peer.id} is this peer`, code: 'invalid_body' })
    tally('invalid_body')
    const bad = await send(open.base, 'POST', '/admin/partition', { body: '{"block":' })
    expect(bad.status).toBe(400)
    tally('invalid_json')
    expect(open.peer.blocked()).toEqual([])
    // A valid one still works, and heals.
    expect((await send(open.base, 'POST', '/admin/partition', { body: JSON.stringify({ block: [PEER_ID] }) })).json).toEqual({ blocked: [PEER_ID] })
    expect((await send(open.base, 'DELETE', '/admin/partition')).json).toEqual({ blocked: [] })
  })

  test('with a token: every route answers 401 without it or with a wrong one, and works with it', async () => {
    const routes: Array<[string, string, string | undefined]> = [
      ['GET', '/ready', undefined], ['GET', '/members', undefined], ['GET', '/metrics', undefined], ['GET', '/docs', undefined],
      ['GET', '/docs/seed', undefined], ['GET', '/docs/seed/kv/a', undefined], ['PUT', '/docs/seed/kv/t', '"v"'], ['DELETE', '/docs/seed/kv/t', undefined],
      ['GET', '/admin/partition', undefined], ['POST', '/admin/partition', '{"block":[]}'], ['DELETE', '/admin/partition', undefined], ['GET', '/events', undefined],
      ['POST', '/ready', undefined] // wrong method: still 401 first, so the route table does not leak
    ]
    const wrong: Array<Record<string, string>> = [
      {}, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Bearer ${TOKEN.toUpperCase()}` }, { authorization: `Basic ${TOKEN}` },
      { authorization: 'Bearer' }, { authorization: 'Bearer ' }, { authorization: TOKEN }
    ]
    const before = docState()
    for (const [method, route, body] of routes) {
      for (const headers of wrong) {
        const a = await send(locked.base, method, route, { headers, ...(body === undefined ? {} : { body }) })
        expect(a.status, `${method} ${route} ${JSON.stringify(headers)}`).toBe(401)
        expect(a.headers['www-authenticate']).toBe('Bearer')
        expect(a.json).toEqual({ error: expect.any(String), code: expect.any(String) })
        tally('unauthorized')
      }
    }
    expect(docState()).toBe(before)
    // The scheme is case-insensitive and may be followed by more than one space (RFC 9110 §11.1, 11.4).
    for (const authorization of [`bearer ${TOKEN}`, `BEARER  ${TOKEN}`]) {
      expect((await send(locked.base, 'GET', '/members', { headers: { authorization } })).status, authorization).toBe(200)
    }
    const auth = { authorization: `Bearer ${TOKEN}` }
    for (const [method, route, body] of routes) {
      if (route === '/events') continue // an event stream stays open; the SSE test covers it
      const a = await send(locked.base, method, route, { headers: auth, ...(body === undefined ? {} : { body }) })
      // The peer is alone (and was not started alone on purpose): /ready says 503 not_ready.
      expect(a.status, `${method} ${route}`).toBe(route === '/ready' ? (method === 'POST' ? 405 : 503) : 200)
      if (a.status === 405) tally('method_not_allowed')
      if (a.status === 503) tally('not_ready')
    }
  })

  test('random requests (fast-check): never a 5xx, always JSON, rejected ones change no doc', async () => {
    const seed = useSeed(0x477_0001, FILE, 'random requests (fast-check): never a 5xx, always JSON, rejected ones change no doc')
    const segment = fc.oneof(
      fc.constantFrom('seed', 'doc-1', 'a%2Fb', '%', '%zz', '%E0%A4%A', '%00', '%F0%9F%98%80', '..', '.', 'n'.repeat(257), 'k'.repeat(1025), '%20'),
      fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/)
    )
    const route = fc.oneof(
      fc.constantFrom('/', '/health', '/members', '/metrics', '/docs', '/admin/partition', '/health?x=1', '//docs'),
      segment.map(s => `/docs/${s}`),
      fc.tuple(segment, segment).map(([d, k]) => `/docs/${d}/kv/${k}`),
      segment.map(s => `/${s}`)
    )
    const body = fc.oneof(
      fc.constant(undefined), fc.string({ maxLength: 30 }), fc.json({ maxDepth: 2 }),
      fc.constantFrom('{"block":[]}', '{"block":["x"]}', '{', '\u0000')
    )
    const method = fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'PATCH', 'OPTIONS')
    const statuses = new Map<number, number>()
    await fc.assert(fc.asyncProperty(method, route, body, async (m, r, b) => {
      const before = docState()
      const a = await send(open.base, m, r, b === undefined ? {} : { body: b })
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1)
      if (a.status >= 500 || a.status < 200) throw new Error(`${m} ${r} → ${a.status} ${a.text.slice(0, 200)}`)
      if (!(m === 'GET' && r.startsWith('/metrics') && a.status === 200) && a.json === undefined) throw new Error(`${m} ${r} → ${a.status}, not JSON: ${a.text.slice(0, 100)}`)
      // A rejection changes nothing. (A 404 for a missing key is an answer: the GET opened the doc first —
      // reads create docs; see P-read-opens in the report — so only existing docs are compared there.)
      if (a.status >= 400 && a.status !== 404 && docState() !== before) throw new Error(`${m} ${r} → ${a.status} changed a doc`)
      if (a.status === 404 && !unchangedExisting(before, docState())) throw new Error(`${m} ${r} → 404 changed an existing doc`)
      // Tally what the API counts (the 404s of unknown routes and missing keys are answers, not rejections).
      if (a.status >= 400 && a.status !== 404) tally(reasonOf(a, m, r))
      if (m === 'POST' && r === '/admin/partition' && a.status === 200) open.peer.heal()
    }), { seed, numRuns: 300 })
    console.log(`random HTTP requests by status: ${JSON.stringify(Object.fromEntries(statuses))}`)
    expect((await send(open.base, 'GET', '/health')).status).toBe(200)
  })

  test('writes beyond maxPendingWrites: 429, counted, the peer keeps going', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, async (_, i) => await send(open.base, 'PUT', `/docs/burst/kv/k${i}`, { body: String(i) })))
    const by = (s: number): number => answers.filter(a => a.status === s).length
    console.log(`60 concurrent PUTs with maxPendingWrites 4: ${by(200)} × 200, ${by(429)} × 429`)
    expect(by(200) + by(429)).toBe(60)
    expect(by(429)).toBeGreaterThan(0)
    for (const a of answers) if (a.status === 429) expect(a.json).toEqual({ error: expect.stringMatching(/maxPendingWrites/), code: 'rate_limited' })
    tally('rate_limited', by(429))
    // Every acknowledged write is there; no refused one is.
    const kv = (await open.peer.doc('burst')).getMap('kv')
    answers.forEach((a, i) => { expect(kv.has(`k${i}`), `k${i}`).toBe(a.status === 200) })
  })

  test('event streams beyond the 64-client cap: 503; the others keep streaming', async () => {
    const streams = await Promise.all(Array.from({ length: 64 }, async () => await openStream(open.base)))
    try {
      const extra = await send(open.base, 'GET', '/events')
      expect(extra.status).toBe(503)
      expect(extra.json).toEqual({ error: 'too many event streams (this peer serves at most 64 at once)', code: 'event_streams_full' })
      tally('event_streams_full')
      await open.peer.write('seed', (d) => { d.getMap('kv').set('sse', Date.now()) })
      // Every attached client receives the doc event (coalesced after 100 ms).
      await Promise.all(streams.map(async s => { await s.until(/event: doc/) }))
    } finally {
      for (const s of streams) s.close()
    }
  })

  test('a body that stalls mid-way gets 408 after the body timeout; the server served everyone meanwhile', async () => {
    const a = await slowBody
    const took = Date.now() - slowBodyStarted
    expect(a.status).toBe(408)
    expect(a.json).toEqual({ error: expect.stringMatching(/not received within/), code: 'body_timeout' })
    expect(took).toBeGreaterThanOrEqual(9_000)
    expect(took).toBeLessThan(REQUEST_BOUND_MS)
    tally('body_timeout')
  }, REQUEST_BOUND_MS + 5_000)

  test('every rejection above is counted in /metrics', async () => {
    const counted = await rejectedCounts(open.base)
    const viaToken = await rejectedCounts(locked.base, { authorization: `Bearer ${TOKEN}` })
    // Both servers share the peer but each API counts its own requests.
    const total = new Map(counted)
    for (const [k, v] of viaToken) total.set(k, (total.get(k) ?? 0) + v)
    console.log(`murmur_http_rejected_total: ${JSON.stringify(Object.fromEntries(total))}`)
    expect(Object.fromEntries(total)).toEqual(Object.fromEntries(expected))
  })
})

/** Every doc listed in `before` (JSON of peer.docs()) is listed unchanged in `after`. */
function unchangedExisting (before: string, after: string): boolean {
  const now = new Map((JSON.parse(after) as Array<{ name: string }>).map(d => [d.name, JSON.stringify(d)]))
  return (JSON.parse(before) as Array<{ name: string }>).every(d => now.get(d.name) === JSON.stringify(d))
}

/** The reason label the API uses for a rejected answer (from status, and the route for 400s). */
function reasonOf (a: Answer, method: string, route: string): string {
  const error = (a.json as { error?: string } | undefined)?.error ?? ''
  switch (a.status) {
    case 401: return 'unauthorized'
    case 405: return 'method_not_allowed'
    case 413: return 'body_too_large'
    case 429: return 'rate_limited'
  }
  if (/percent-encoding/.test(error)) return 'invalid_path'
  if (/^key must be/.test(error)) return 'invalid_key'
  if (/JSON body is required|not valid JSON|not valid UTF-8|__proto__|range of a double/.test(error)) return 'invalid_json'
  if ((method === 'POST' || method === 'DELETE') && route.startsWith('/admin/partition')) return 'invalid_body'
  return 'invalid_doc_name'
}

/** PUT with Content-Length 100, 5 bytes sent, then silence (the connection stays open). */
function slowRequest (base: string): Promise<Answer> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname)
    let raw = ''
    socket.on('data', (d: Buffer) => { raw += d.toString('utf8') })
    socket.on('error', reject)
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(raw)?.[1] ?? 0)
      // The body may come chunked (Connection: close without a length): take the JSON object in it.
      const text = /\{.*\}/s.exec(raw.slice(raw.indexOf('\r\n\r\n') + 4))?.[0] ?? ''
      let json: unknown
      try { json = JSON.parse(text) } catch { json = undefined }
      resolve({ status, headers: {}, text, json })
    })
    socket.write('PUT /docs/seed/kv/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"abcd')
    // The server answers 408 but the socket stays half-open for the rest of the body: end ours once answered.
    const poll = setInterval(() => { if (/\r\n\r\n\{/.test(raw)) { clearInterval(poll); socket.end() } }, 50)
    socket.on('close', () => { clearInterval(poll) })
  })
}

interface OpenStream { until (pattern: RegExp): Promise<void>, close (): void }

/** Opens GET /events and keeps reading; `until` waits (bounded) for a pattern in what arrived. */
function openStream (base: string): Promise<OpenStream> {
  const url = new URL('/events', base)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, agent: false }, (res) => {
      if (res.statusCode !== 200) { reject(new Error(`events: ${res.statusCode}`)); return }
      let seen = ''
      res.on('data', (d: Buffer) => { seen += d.toString('utf8') })
      res.on('error', () => {})
      resolve({
        until: async (pattern) => {
          const deadline = Date.now() + 5_000
          while (!pattern.test(seen)) {
            if (Date.now() > deadline) throw new Error(`no ${pattern.source} on the event stream within 5 s`)
            await new Promise(r => setTimeout(r, 20))
          }
        },
        close: () => { req.destroy() }
      })
    })
    req.on('error', () => {})
    req.end()
  })
}
