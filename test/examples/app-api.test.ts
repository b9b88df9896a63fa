/**
 * The chat-counter app as real processes (examples/chat-counter/server.ts on Node 22, three peers on
 * 127.0.0.1): the app JSON API contract of DESIGN.md, input validation, the peer API on the same port,
 * the event stream, and the CLI behaviour it shares with dist/peer.js. Every wait is bounded.
 */
import { spawnSync } from 'node:child_process'
import { request } from 'node:http'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { NODE, ROOT, cleanup, http, spawnPeer, stopPeer, waitFor, waitForStates } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'

const SERVER = path.join(ROOT, 'examples', 'chat-counter', 'server.ts')
const LOCAL = ['--profile', 'local']

interface Message { id: string, from: string, text: string, at: number }

const counterOf = async (p: PeerProcess): Promise<number> => (await http<{ value: number }>(p.http, 'GET', '/api/counter')).body.value
const chatOf = async (p: PeerProcess): Promise<Message[]> => (await http<Message[]>(p.http, 'GET', '/api/chat')).body

describe('chat-counter app on three peer processes', () => {
  const peers: PeerProcess[] = []

  beforeAll(async () => {
    const seed = await spawnPeer({ entry: SERVER, args: LOCAL })
    peers.push(seed)
    peers.push(...await Promise.all([1, 2].map(() => spawnPeer({ entry: SERVER, args: LOCAL, bootstrap: [seed.addrs[0] as string] }))))
    await waitForStates(peers, peers.map(p => p.id), 'alive', 15_000)
  }, 60_000)
  afterAll(cleanup)

  test('the banner is the peer banner plus an app line; page, assets and peer API share one port', async () => {
    const p = peers[0]!
    expect(p.id).toMatch(/^12D3KooW/)
    expect(p.addrs[0]).toContain(`/p2p/${p.id}`)
    const page = await fetch(`${p.http}/`, { signal: AbortSignal.timeout(5_000) })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(await page.text()).toContain('<script type="module" src="/app.js"></script>')
    for (const asset of ['/app.js', '/render.js', '/api.js', '/style.css', '/favicon.svg']) {
      expect((await fetch(`${p.http}${asset}`, { signal: AbortSignal.timeout(5_000) })).status, asset).toBe(200)
    }
    expect((await http(p.http, 'GET', '/health')).body).toEqual({ ok: true })
    const ready = await http<{ ready: boolean, peerId: string, alive: number }>(p.http, 'GET', '/ready')
    expect(ready.body).toEqual({ ready: true, peerId: p.id, alive: 3 })
    const docs = await http<Array<{ name: string }>>(p.http, 'GET', '/docs')
    expect(docs.body.map(d => d.name)).toContain('chat-counter')
    expect((await http(p.http, 'GET', '/admin/partition')).status).toBe(200)
    expect((await http(p.http, 'GET', '/no-such-route')).status).toBe(404)
  })

  test('counter: concurrent increments and decrements from every peer all count, everywhere', async () => {
    const before = await counterOf(peers[0]!)
    const deltas = [[1, 1, 1, 5], [2, -1, 7], [10, -3]]
    const answers = await Promise.all(peers.flatMap((p, i) => (deltas[i] ?? []).map(delta => http<{ value: number }>(p.http, 'POST', '/api/counter', { delta }))))
    for (const a of answers) {
      expect(a.status).toBe(200)
      expect(Number.isSafeInteger(a.body.value)).toBe(true)
    }
    const expected = before + deltas.flat().reduce((s, d) => s + d, 0)
    const t0 = Date.now()
    await waitFor(`counter = ${expected} on all peers`, async () => {
      for (const p of peers) if (await counterOf(p) !== expected) return false
      return true
    }, 15_000)
    console.log(`counter converged to ${expected} on 3 peers in ${Date.now() - t0} ms`)
  })

  test('chat: every message arrives on every peer exactly once, with id/from/text/at, ordered by time then id', async () => {
    const posted: Message[] = []
    for (const [i, p] of peers.entries()) {
      for (const n of [1, 2]) {
        const r = await http<Message>(p.http, 'POST', '/api/chat', { from: `  user-${i} `, text: `hello ${n} from peer ${i} ✓` })
        expect(r.status).toBe(200)
        expect(r.body).toMatchObject({ from: `user-${i}`, text: `hello ${n} from peer ${i} ✓` })
        expect(typeof r.body.id).toBe('string')
        expect(Number.isSafeInteger(r.body.at)).toBe(true)
        posted.push(r.body)
      }
    }
    expect(new Set(posted.map(m => m.id)).size).toBe(posted.length)
    await waitFor('all messages on all peers', async () => {
      for (const p of peers) {
        const ids = (await chatOf(p)).map(m => m.id)
        if (!posted.every(m => ids.includes(m.id))) return false
      }
      return true
    }, 15_000)
    for (const p of peers) {
      const chat = await chatOf(p)
      for (const m of posted) expect(chat.filter(c => c.id === m.id), `${m.id} on ${p.id}`).toEqual([m])
      const sorted = [...chat].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      expect(chat).toEqual(sorted)
    }
  })

  test('Idempotency-Key: a click retried on the same peer and on others counts once; a retried message is posted once and answered as first stored', async () => {
    const [a, b, c] = peers as [PeerProcess, PeerProcess, PeerProcess]
    const before = await counterOf(a)
    const key = { 'idempotency-key': 'click-7f3a' }
    const post = (p: PeerProcess, delta: number, headers: Record<string, string>): Promise<Response> =>
      fetch(`${p.http}/api/counter`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ delta }), signal: AbortSignal.timeout(10_000) })
    const first = await post(a, 3, key)
    expect(first.status).toBe(200)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    // A retry answers like the first attempt and says it is a replay (README, "Write outcomes"), like a chat POST.
    const retry = await post(a, 3, key)
    expect(retry.status).toBe(200)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    await waitFor('the first attempt on every peer', async () => (await counterOf(c)) === before + 3, 15_000)
    const elsewhere = await post(c, 3, key) // a retry sent elsewhere
    expect(elsewhere.status).toBe(200)
    expect(elsewhere.headers.get('idempotent-replayed')).toBe('true')
    expect((await post(c, 1, {})).headers.get('idempotent-replayed')).toBeNull() // unkeyed: never a replay
    await waitFor('the unkeyed +1 on a', async () => (await counterOf(a)) === before + 4, 15_000)
    const other = await http<{ code: string }>(b.http, 'POST', '/api/counter', { delta: 4 }, key) // the key, another request
    expect(other.status).toBe(422)
    expect(other.body.code).toBe('idempotency_key_reused')
    await waitFor('the unkeyed +1 everywhere', async () => (await counterOf(b)) === before + 4, 15_000)
    for (const p of peers) expect(await counterOf(p)).toBe(before + 4)

    const msgKey = { 'idempotency-key': 'msg-91c2' }
    const sent = await http<Message>(b.http, 'POST', '/api/chat', { from: 'kim', text: 'once, please' }, msgKey)
    expect(sent.status).toBe(200)
    const again = await fetch(`${b.http}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json', ...msgKey }, body: JSON.stringify({ from: 'kim', text: 'once, please' }), signal: AbortSignal.timeout(10_000) })
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(await again.json()).toEqual(sent.body)
    await waitFor('the message on every peer', async () => (await chatOf(a)).some(m => m.id === sent.body.id), 15_000)
    expect((await http<Message>(a.http, 'POST', '/api/chat', { from: 'kim', text: 'once, please' }, msgKey)).body).toEqual(sent.body)
    for (const p of peers) expect((await chatOf(p)).filter(m => m.text === 'once, please')).toHaveLength(1)
  })

  test.each([
    ['/api/counter', '{not json', /not valid JSON/],
    ['/api/counter', '', /JSON body is required/],
    ['/api/counter', { delta: '1' }, /delta/],
    ['/api/counter', { delta: 1.5 }, /delta/],
    ['/api/counter', { delta: 0 }, /delta/],
    ['/api/counter', { delta: 1e9 }, /delta/],
    ['/api/counter', [1], /delta/],
    ['/api/chat', { from: 'a' }, /"text" must be a string/],
    ['/api/chat', { from: '   ', text: 'x' }, /"from" must be 1–40/],
    ['/api/chat', { from: 'a'.repeat(41), text: 'x' }, /"from" must be 1–40/],
    ['/api/chat', { from: 'a', text: 'x'.repeat(2001) }, /"text" must be 1–2000/],
    ['/api/chat', { from: 'a\u0007', text: 'x' }, /control characters/],
    // A right-to-left override: "eve\u202Egnp.exe" would show as "eveexe.png" (and reorder what follows it).
    ['/api/chat', { from: 'eve\u202Egnp.exe', text: 'x' }, /bidirectional control characters/],
    ['/api/chat', { from: 'a\u2066b', text: 'x' }, /bidirectional control characters/],
    ['/api/chat', 'null', /expected/],
    // Half a surrogate pair: this peer would show it, every other replica U+FFFD, under one digest.
    ['/api/chat', { from: 'a', text: 'x \ud800 y' }, /lone surrogate/],
    ['/api/chat', { from: '\udfff', text: 'x' }, /lone surrogate/]
  ])('POST %s %j → 400 with a JSON error', async (route, body, message) => {
    const r = await http<{ error: string }>(peers[1]!.http, 'POST', route, body)
    expect(r.status).toBe(400)
    expect(r.body.error).toMatch(message)
  })

  test('oversized bodies → 413, wrong methods → 405, unknown /api routes → 404, cross-site POSTs → 403; the peer still answers', async () => {
    const p = peers[2]!
    const big = await http<{ error: string }>(p.http, 'POST', '/api/chat', { from: 'a', text: 'x'.repeat(40_000) })
    expect(big.status).toBe(413)
    const del = await http<{ error: string }>(p.http, 'DELETE', '/api/counter')
    expect(del.status).toBe(405)
    // HEAD is GET without the body (it was a 405 on every /api route), but on the event stream.
    for (const route of ['/api/counter', '/api/chat', '/api/state']) {
      const head = await fetch(`${p.http}${route}`, { method: 'HEAD' })
      expect(head.status, route).toBe(200)
      expect(head.headers.get('content-type'), route).toMatch(/^application\/json/)
      expect(await head.text(), route).toBe('')
    }
    const headEvents = await fetch(`${p.http}/api/events`, { method: 'HEAD' })
    expect(headEvents.status).toBe(405)
    expect(headEvents.headers.get('allow')).toBe('GET')
    expect((await fetch(`${p.http}/api/counter`, { method: 'DELETE' })).headers.get('allow')).toBe('GET, HEAD, POST')
    expect((await http(p.http, 'GET', '/api/nope')).status).toBe(404)
    // The page and its assets exist for GET and HEAD: another method is a 405 naming them (it was the peer
    // API's 404 "no route POST /app.js", as if there were no such path).
    for (const [method, route] of [['POST', '/'], ['POST', '/app.js'], ['DELETE', '/index.html'], ['PUT', '/style.css']] as const) {
      const r = await fetch(`${p.http}${route}`, { method, ...(method === 'DELETE' ? {} : { body: '{}' }), signal: AbortSignal.timeout(10_000) })
      expect(r.status, `${method} ${route}`).toBe(405)
      expect(await r.json(), `${method} ${route}`).toEqual({ error: `${method} is not allowed on ${route}`, code: 'method_not_allowed' })
      expect(r.headers.get('allow'), `${method} ${route}`).toBe('GET, HEAD')
    }
    expect((await http(p.http, 'POST', '/nope.js', {})).status).toBe(404)
    const csrf = await http(p.http, 'POST', '/api/counter', { delta: 1 }, { origin: 'http://evil.example' })
    expect(csrf.status).toBe(403)
    expect((await http(p.http, 'GET', '/api/counter')).status).toBe(200)
  })

  test('the longest valid message is accepted however its JSON is escaped (ASCII-only \\uXXXX, as Python\'s json.dumps writes it)', async () => {
    const p = peers[1]!
    const from = '🦊'.repeat(40)
    const text = '😀'.repeat(2_000) // 2,000 characters: the limit
    // Every non-ASCII UTF-16 unit as \uXXXX: 12 bytes a character, 24 KB in all.
    const ascii = JSON.stringify({ from, text }).replace(/[\u0080-\uffff]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    expect(ascii.length).toBeGreaterThan(16 * 1024)
    const r = await fetch(`${p.http}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ascii, signal: AbortSignal.timeout(10_000) })
    expect(r.status, await r.clone().text()).toBe(200)
    expect(await r.json()).toMatchObject({ from, text })
  })

  test('/api/events streams a state snapshot and the chat, then new messages', async () => {
    const p = peers[0]!
    const ac = new AbortController()
    const res = await fetch(`${p.http}/api/events`, { signal: ac.signal })
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    const readUntil = async (pattern: RegExp, what: string): Promise<void> => {
      const deadline = Date.now() + 10_000
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`no ${what} on /api/events within 10 s:\n${text}`)
        const chunk = await reader.read()
        if (chunk.done) throw new Error(`stream ended before ${what}`)
        text += decoder.decode(chunk.value, { stream: true })
      }
    }
    try {
      await readUntil(/event: state\ndata: \{.*"counter":/, 'state snapshot')
      await readUntil(/event: chat\ndata: \{"reset":true/, 'chat snapshot')
      await http(peers[2]!.http, 'POST', '/api/chat', { from: 'sse', text: 'pushed live' })
      await readUntil(/event: chat\ndata: \{"reset":false,"messages":\[[^\n]*pushed live/, 'the new message')
    } finally {
      ac.abort()
    }
  })

  test('SIGTERM: the app leaves (left on the others) and exits 0 within 3 s', async () => {
    const leaver = peers.pop()!
    const t0 = Date.now()
    const exit = await stopPeer(leaver, 'SIGTERM')
    expect(exit.code).toBe(0)
    expect(Date.now() - t0).toBeLessThan(3_000)
    await waitForStates(peers, [leaver.id], 'left', 10_000)
  })
})

describe('chat-counter CLI', () => {
  const run = (args: string[]) => spawnSync(NODE, [SERVER, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })

  test.each([[['--no-such-flag']], [['--profile', 'wan']], [['--no-http']], [['--http', '0.0.0.0:1234']]])('bad flags %j: one line on stderr, exit 2', (args) => {
    const r = run(args)
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^murmur: /)
  })

  test('--help lists the peer flags', () => {
    const r = run(['--help'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^Usage: node examples\/chat-counter\/server.ts/)
    // Its examples too run the app, not a bare peer.
    expect(r.stdout).toMatch(/^ {2}node examples\/chat-counter\/server.ts --listen /m)
    expect(r.stdout).not.toContain('dist/peer.js')
    for (const flag of ['--listen', '--bootstrap', '--data-dir', '--name', '--http', '--psk', '--http-token', '--profile', '--allow-fault-injection']) expect(r.stdout).toContain(flag)
  })
})

describe('chat-counter with --http-token', () => {
  afterAll(cleanup)

  test('the page is public; /api/* needs the bearer token (header, or access_token for the event stream)', async () => {
    const token = 'a-long-enough-test-token'
    const p = await spawnPeer({ entry: SERVER, args: LOCAL, token })
    expect((await http(p.http, 'GET', '/')).status).toBe(200)
    expect((await http(p.http, 'GET', '/api/counter')).status).toBe(401)
    expect((await http(p.http, 'GET', '/ready')).status).toBe(401)
    expect((await http(p.http, 'GET', '/health')).status).toBe(200)
    const auth = { authorization: `Bearer ${token}` }
    expect((await http(p.http, 'POST', '/api/counter', { delta: 2 }, auth)).body).toEqual({ value: 2 })
    const ac = new AbortController()
    const stream = await fetch(`${p.http}/api/events?access_token=${token}`, { signal: ac.signal })
    ac.abort()
    expect(stream.status).toBe(200)
    expect((await fetch(`${p.http}/api/events?access_token=wrong`, { signal: AbortSignal.timeout(5_000) })).status).toBe(401)
    // A token in the URL of a plain route is refused, even the right one (URLs end up in logs).
    const inUrl = await http<{ code: string }>(p.http, 'GET', `/api/counter?access_token=${token}`)
    expect(inUrl.status).toBe(401)
    expect(inUrl.body.code).toBe('query_token_not_allowed')
    expect((await http<{ code: string }>(p.http, 'GET', `/members?access_token=${token}`)).body.code).toBe('query_token_not_allowed')
  })
})

describe('chat-counter without a token: DNS rebinding', () => {
  afterAll(cleanup)

  /** A request with a chosen Host header (fetch does not let us set one). */
  const withHost = (base: string, method: string, route: string, host: string, body?: string): Promise<{ status: number, text: string }> => new Promise((resolve, reject) => {
    const url = new URL(base)
    const req = request({ host: url.hostname, port: url.port, method, path: route, headers: { host, origin: `http://${host}` }, agent: false, timeout: 5_000 }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => { text += d.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, text }) })
    })
    req.on('error', reject)
    req.end(body)
  })

  test('the page, the app API and the peer API refuse a foreign Host, GET included; loopback names are served', async () => {
    const p = await spawnPeer({ entry: SERVER, args: LOCAL })
    const port = new URL(p.http).port
    for (const [method, route, body] of [['GET', '/'], ['GET', '/app.js'], ['GET', '/api/counter'], ['GET', '/api/chat'], ['GET', '/api/events'],
      ['POST', '/api/counter', '{"delta":5}'], ['GET', '/members'], ['PUT', '/docs/x/kv/k', '1']] as Array<[string, string, string?]>) {
      const a = await withHost(p.http, method, route, `evil.example:${port}`, body)
      expect(a.status, `${method} ${route}`).toBe(403)
      expect(JSON.parse(a.text), `${method} ${route}`).toMatchObject({ code: 'host_not_allowed' })
    }
    expect(await counterOf(p)).toBe(0)
    expect((await withHost(p.http, 'GET', '/api/counter', `localhost:${port}`)).status).toBe(200)
    expect((await withHost(p.http, 'GET', '/', `127.0.0.1:${port}`)).status).toBe(200)
  })
})

// --http-allow-origin let a page on that origin call the peer API (preflight answered, Access-Control-Allow-
// Origin set), but not the app's own /api/*: the preflight was a 405 and the answers named no origin, so a page
// served elsewhere (a Vite dev server) could not call it, though the app takes every flag of the peer.
describe('chat-counter with --http-allow-origin', () => {
  afterAll(cleanup)

  test('/api/* answers an allowed origin\'s preflight and names it in its answers; another origin is refused', async () => {
    const origin = 'http://localhost:5173'
    const p = await spawnPeer({ entry: SERVER, args: [...LOCAL, '--http-allow-origin', origin] })
    const preflight = await fetch(`${p.http}/api/counter`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, idempotency-key' }, signal: AbortSignal.timeout(10_000) })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin)
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST')
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/content-type.*idempotency-key/)
    const post = await fetch(`${p.http}/api/counter`, { method: 'POST', headers: { origin, 'content-type': 'application/json', 'idempotency-key': 'cors-1' }, body: '{"delta":3}', signal: AbortSignal.timeout(10_000) })
    expect(post.status).toBe(200)
    expect(post.headers.get('access-control-allow-origin')).toBe(origin)
    expect(await post.json()).toEqual({ value: 3 })
    const events = await fetch(`${p.http}/api/events`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' }, signal: AbortSignal.timeout(10_000) })
    expect(events.status).toBe(204)
    expect(events.headers.get('access-control-allow-methods')).toBe('GET')
    const foreign = await fetch(`${p.http}/api/counter`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' }, signal: AbortSignal.timeout(10_000) })
    expect(foreign.status).toBe(403)
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
    // Not a preflight (no Access-Control-Request-Method): still a 405 naming the methods.
    const options = await fetch(`${p.http}/api/counter`, { method: 'OPTIONS', signal: AbortSignal.timeout(10_000) })
    expect(options.status).toBe(405)
    expect(await counterOf(p)).toBe(3)
  })
})
