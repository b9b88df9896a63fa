/**
 * The HTTP API's security rules over real sockets, in-process (createPeer on 127.0.0.1 + createHttpApi +
 * startHttpServer): DNS rebinding (a foreign Host, GET and PUT), cross-origin requests, tokens in the URL,
 * liveness without details, readiness before and after joining, and 500s that say nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ConfigError, createHttpApi, createLogger, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { HttpApi, HttpApiOptions, Peer, RunningServer } from '../../src/index.js'
import { waitFor } from '../helpers/procs.js'
import { rawHttp } from '../helpers/raw-http.js'

const TOKEN = 'security-test-token-0123456789'

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, json: unknown, text: string }

/** One request with exactly these headers (fetch would not let us set Host). */
function send (base: string, method: string, route: string, headers: Record<string, string | string[]>, body?: string, keepOpen = false): Promise<Answer> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path: route, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) }, agent: false, timeout: 10_000 }, (res) => {
      if (keepOpen) { // an event stream: the status and first bytes are enough
        res.once('data', (d: Buffer) => { resolve({ status: res.statusCode ?? 0, headers: res.headers, json: undefined, text: d.toString() }); req.destroy() })
        return
      }
      let text = ''
      res.on('data', (d: Buffer) => { text += d.toString() })
      res.on('end', () => {
        let json: unknown
        try { json = JSON.parse(text) } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json, text })
      })
    })
    req.on('error', reject)
    req.on('timeout', () => { req.destroy(new Error(`${method} ${route}: no answer`)) })
    req.end(body)
  })
}

interface Served { api: HttpApi, server: RunningServer, base: string, port: string }

const dirs: string[] = []
const closers: Array<() => Promise<void>> = []

async function serve (peer: Peer, options: HttpApiOptions, extra?: (api: HttpApi) => (req: Parameters<HttpApi['handle']>[0], res: Parameters<HttpApi['handle']>[1]) => boolean): Promise<Served> {
  const api = createHttpApi(peer, options)
  const own = extra?.(api)
  const server = await startHttpServer(async (req, res) => {
    if (own?.(req, res) === true) return
    if (!(await api.handle(req, res))) api.notFound(req, res)
  }, '127.0.0.1', 0)
  closers.push(async () => { api.close(); await server.close() })
  return { api, server, base: server.url, port: new URL(server.url).port }
}

async function startPeer (bootstrap: string[] = []): Promise<Peer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'murmur-security-'))
  dirs.push(dataDir)
  const peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], dataDir, bootstrap, profile: 'local', logger: silentLogger })
  closers.push(async () => { await peer.stop() })
  return peer
}

afterAll(async () => {
  for (const close of closers.reverse()) await close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('DNS rebinding and cross-origin requests (no token)', () => {
  let peer: Peer
  let open: Served
  beforeAll(async () => {
    peer = await startPeer()
    open = await serve(peer, {})
    await peer.write('seed', (d) => { d.getMap('kv').set('a', 'secret') })
  })

  test('a foreign Host is refused on every route, GET included, and nothing is written', async () => {
    const before = JSON.stringify(peer.docs())
    const rebinding = { host: `evil.example:${open.port}`, origin: `http://evil.example:${open.port}` }
    for (const [method, route, body] of [['GET', '/docs/seed/kv/a'], ['GET', '/docs/seed'], ['GET', '/members'], ['GET', '/events'], ['GET', '/health'],
      ['PUT', '/docs/seed/kv/a', '"pwned"'], ['DELETE', '/docs/seed/kv/a'], ['GET', '/no-such-route']] as Array<[string, string, string?]>) {
      for (const headers of [rebinding, { host: `evil.example:${open.port}` }]) {
        const a = await send(open.base, method, route, headers, body)
        expect(a.status, `${method} ${route} ${JSON.stringify(headers)}`).toBe(403)
        expect(a.json).toEqual({ error: expect.stringMatching(/--http-allow-host/), code: 'host_not_allowed' })
        expect(a.text).not.toContain('secret')
      }
    }
    expect(JSON.stringify(peer.docs())).toBe(before)
    // The same requests with a loopback Host are served.
    expect((await send(open.base, 'GET', '/docs/seed/kv/a', { host: `localhost:${open.port}` })).json).toBe('secret')
    expect((await send(open.base, 'GET', '/docs/seed/kv/a', { host: `127.0.0.1:${open.port}`, origin: `http://127.0.0.1:${open.port}` })).json).toBe('secret')
  })

  test('a foreign Origin is refused on reads and writes; a missing Origin (curl) is not', async () => {
    const host = { host: `127.0.0.1:${open.port}` }
    for (const method of ['GET', 'PUT']) {
      const a = await send(open.base, method, '/docs/seed/kv/a', { ...host, origin: 'http://evil.example' }, method === 'PUT' ? '"x"' : undefined)
      expect(a.status, method).toBe(403)
      expect((a.json as { code: string }).code).toBe('cross_origin')
    }
    expect((await send(open.base, 'GET', '/docs/seed/kv/a', host)).status).toBe(200)
  })

  test('a repeated Host is refused (400), whichever comes first: Node served the first one, a proxy may read the other', async () => {
    for (const hosts of [['localhost', 'evil.example'], ['evil.example', 'localhost'], ['localhost', 'localhost']]) {
      for (const [method, route, body] of [['GET', '/docs/seed/kv/a', ''], ['PUT', '/docs/seed/kv/a', '"pwned"'], ['GET', '/health', '']] as const) {
        const answer = await rawHttp(Number(open.port), `${method} ${route} HTTP/1.1\r\n${hosts.map(h => `Host: ${h}:${open.port}\r\n`).join('')}` +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
        expect(answer, `${method} ${route} ${hosts.join(' + ')}`).toMatch(/^HTTP\/1\.1 400 /)
        expect(answer).toContain('{"error":"send one host header, got 2","code":"invalid_request"}')
      }
    }
    expect((await send(open.base, 'GET', '/docs/seed/kv/a', { host: `localhost:${open.port}` })).json).toBe('secret')
  })

  test('an absolute-form target (through a proxy) is served like its path, and only for the Host it names', async () => {
    const get = async (target: string, host: string): Promise<string> => await rawHttp(Number(open.port), `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    const served = await get(`http://127.0.0.1:${open.port}/docs/seed/kv/a?x=1`, `127.0.0.1:${open.port}`)
    expect(served).toMatch(/^HTTP\/1\.1 200 /)
    expect(served).toContain('"secret"')
    expect(await get(`HTTP://LOCALHOST:${open.port}/health`, `localhost:${open.port}`)).toMatch(/^HTTP\/1\.1 200 /)
    // A target naming another host than the Host header: the access checks read Host, so it is refused.
    for (const [target, host] of [[`http://evil.example:${open.port}/docs/seed/kv/a`, `127.0.0.1:${open.port}`], [`http://127.0.0.1:${open.port}/docs/seed/kv/a`, `evil.example:${open.port}`],
      [`http://127.0.0.1:1/docs/seed/kv/a`, `127.0.0.1:${open.port}`], [`http://u:p@127.0.0.1:${open.port}/docs/seed/kv/a`, `127.0.0.1:${open.port}`]] as const) {
      const a = await get(target, host)
      expect(a, `${target} with Host ${host}`).toMatch(/^HTTP\/1\.1 400 /)
      expect(a).toContain('"code":"invalid_request"')
      expect(a).not.toContain('secret')
    }
    // Both naming a foreign host: the Host rule answers, as for origin-form.
    expect(await get(`http://evil.example:${open.port}/docs/seed/kv/a`, `evil.example:${open.port}`)).toMatch(/^HTTP\/1\.1 403 /)
    expect(await get(`ftp://127.0.0.1:${open.port}/health`, `127.0.0.1:${open.port}`)).toMatch(/^HTTP\/1\.1 400 /)
  })

  test('--http-allow-origin: an app on another origin calls the API (CORS preflight, then the request); other origins still cannot', async () => {
    const app = 'http://localhost:5173'
    const cors = await serve(peer, { allowOrigins: ['HTTP://LOCALHOST:5173'] })
    const host = { host: `127.0.0.1:${cors.port}` }
    // The browser's preflight for a PUT with a JSON body and an Idempotency-Key: no token needed, 204.
    const pre = await send(cors.base, 'OPTIONS', '/docs/seed/kv/b', { ...host, origin: app, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type,idempotency-key' })
    expect(pre.status).toBe(204)
    expect(pre.headers).toMatchObject({ 'access-control-allow-origin': app, vary: 'Origin' })
    expect(String(pre.headers['access-control-allow-methods']).split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD', 'PUT'])
    expect(String(pre.headers['access-control-allow-headers'])).toMatch(/content-type.*idempotency-key/)
    // The request itself: written, and its answer readable by the page (it names the origin, never *).
    const put = await send(cors.base, 'PUT', '/docs/seed/kv/b', { ...host, origin: app, 'content-type': 'application/json' }, '"from the app"')
    expect(put.status).toBe(200)
    expect(put.headers['access-control-allow-origin']).toBe(app)
    expect(String(put.headers['access-control-expose-headers'])).toContain('idempotent-replayed')
    expect((await send(cors.base, 'GET', '/docs/seed/kv/b', { ...host, origin: app })).json).toBe('from the app')
    // Another origin: neither its preflight nor its request is served, and it is told how to be allowed.
    for (const [method, headers] of [['OPTIONS', { 'access-control-request-method': 'PUT' }], ['PUT', {}], ['GET', {}]] as const) {
      const a = await send(cors.base, method, '/docs/seed/kv/b', { ...host, origin: 'http://localhost:5174', ...headers }, method === 'PUT' ? '"x"' : undefined)
      expect(a.status, method).toBe(403)
      expect(a.json).toEqual({ error: expect.stringMatching(/--http-allow-origin/), code: 'cross_origin' })
      expect(a.headers['access-control-allow-origin']).toBeUndefined()
    }
    // An allowed origin does not open the door to a rebinding Host.
    expect((await send(cors.base, 'GET', '/docs/seed/kv/b', { host: `evil.example:${cors.port}`, origin: app })).status).toBe(403)
    expect((await send(cors.base, 'GET', '/docs/seed/kv/b', host)).json).toBe('from the app')
    // Reloaded (SIGHUP): the old origin is refused at once.
    cors.api.setAllowOrigins(['http://localhost:5174'])
    expect((await send(cors.base, 'GET', '/docs/seed/kv/b', { ...host, origin: app })).status).toBe(403)
    expect((await send(cors.base, 'GET', '/docs/seed/kv/b', { ...host, origin: 'http://localhost:5174' })).status).toBe(200)
    expect(() => cors.api.setAllowOrigins(['null'])).toThrow(/allowOrigins: "null"/)
    expect(() => cors.api.setAllowOrigins(['null'])).toThrow(ConfigError)
  })

  test('--http-allow-host: a named Host is served', async () => {
    const named = await serve(peer, { allowHosts: ['murmur.test'] })
    expect((await send(named.base, 'GET', '/docs/seed/kv/a', { host: `murmur.test:${named.port}` })).json).toBe('secret')
    expect((await send(named.base, 'GET', '/docs/seed/kv/a', { host: `other.test:${named.port}` })).status).toBe(403)
  })
})

describe('tokens', () => {
  let locked: Served
  beforeAll(async () => {
    locked = await serve(await startPeer(), { token: TOKEN })
  })
  const host = (s: Served): Record<string, string> => ({ host: `127.0.0.1:${s.port}` })

  test('a wrong or missing token: 401 with a code; a rebinding Host cannot help', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: TOKEN }] as Array<Record<string, string>>) {
      const a = await send(locked.base, 'GET', '/members', { ...host(locked), ...headers })
      expect(a.status).toBe(401)
      expect(a.json).toEqual({ error: expect.any(String), code: 'unauthorized' })
      expect(a.headers['www-authenticate']).toBe('Bearer')
    }
    expect((await send(locked.base, 'GET', '/members', { host: 'evil.example', origin: 'http://evil.example' })).status).toBe(401)
    expect((await send(locked.base, 'GET', '/members', { ...host(locked), authorization: `Bearer ${TOKEN}` })).status).toBe(200)
  })

  test('an allowed origin: its preflight needs no token (browsers send none), its requests do, and it can read the 401', async () => {
    const app = 'https://app.example.com'
    const cors = await serve(await startPeer(), { token: TOKEN, allowOrigins: [app] })
    const pre = await send(cors.base, 'OPTIONS', '/members', { ...host(cors), origin: app, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' })
    expect(pre.status).toBe(204)
    expect(pre.headers['access-control-allow-headers']).toMatch(/authorization/)
    const without = await send(cors.base, 'GET', '/members', { ...host(cors), origin: app })
    expect(without.status).toBe(401)
    expect(without.headers['access-control-allow-origin']).toBe(app)
    const withToken = await send(cors.base, 'GET', '/members', { ...host(cors), origin: app, authorization: `Bearer ${TOKEN}` })
    expect(withToken.status).toBe(200)
    expect(withToken.headers['access-control-allow-origin']).toBe(app)
  })

  test('a repeated Authorization is refused (400), even when one of them is right', async () => {
    for (const auth of [[`Bearer ${TOKEN}`, 'Bearer wrong-token-wrong-token'], ['Bearer wrong-token-wrong-token', `Bearer ${TOKEN}`]]) {
      const a = await send(locked.base, 'GET', '/members', { ...host(locked), authorization: auth })
      expect(a.status, auth.join(' + ')).toBe(400)
      expect((a.json as { code: string }).code).toBe('invalid_request')
    }
  })

  test('a token in the query string is refused on a plain route, even the right one; the event stream takes it', async () => {
    const a = await send(locked.base, 'GET', `/members?access_token=${TOKEN}`, host(locked))
    expect(a.status).toBe(401)
    expect(a.json).toEqual({ error: expect.stringMatching(/Authorization: Bearer/), code: 'query_token_not_allowed' })
    const put = await send(locked.base, 'PUT', `/docs/d/kv/k?access_token=${TOKEN}`, host(locked), '1')
    expect((put.json as { code: string }).code).toBe('query_token_not_allowed')
    const stream = await send(locked.base, 'GET', `/events?access_token=${TOKEN}`, host(locked), undefined, true)
    expect(stream.status).toBe(200)
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/)
    expect((await send(locked.base, 'GET', '/events?access_token=wrong', host(locked))).status).toBe(401)
  })

  test('/health: no token, no details; /ready needs the token', async () => {
    expect(await send(locked.base, 'GET', '/health', host(locked))).toMatchObject({ status: 200, json: { ok: true } })
    expect((await send(locked.base, 'GET', '/ready', host(locked))).status).toBe(401)
  })
})

describe('readiness', () => {
  test('503 not_ready while alone; 200 once another member is alive; 200 alone when started alone on purpose', async () => {
    const first = await startPeer()
    const a = await serve(first, {})
    const host = { host: `127.0.0.1:${a.port}` }
    expect(await send(a.base, 'GET', '/ready', host)).toMatchObject({ status: 503, json: { code: 'not_ready', error: expect.any(String) } })
    expect((await send(a.base, 'GET', '/health', host)).status).toBe(200)
    const alone = await serve(first, { readyAlone: true })
    expect(await send(alone.base, 'GET', '/ready', { host: `127.0.0.1:${alone.port}` })).toMatchObject({ status: 200, json: { ready: true, peerId: first.id, alive: 1 } })

    const second = await startPeer([first.addresses()[0] as string])
    const b = await serve(second, {})
    await waitFor('the first peer ready', async () => (await send(a.base, 'GET', '/ready', host)).status === 200, 15_000)
    expect((await send(a.base, 'GET', '/ready', host)).json).toEqual({ ready: true, peerId: first.id, alive: 2 })
    await waitFor('the second peer ready', async () => (await send(b.base, 'GET', '/ready', { host: `127.0.0.1:${b.port}` })).status === 200, 15_000)
  })
})

describe('500s', () => {
  test('an unplanned failure answers code internal with a fixed text; the details go to the log', async () => {
    const lines: string[] = []
    const log = createLogger((level, component, message, fields) => { lines.push(`${level} ${component} ${message} ${JSON.stringify(fields)}`) }, 'debug')
    const s = await serve(await startPeer(), { log }, api => (req, res) => {
      if (req.url !== '/boom') return false
      api.fail(res, new Error("EACCES: permission denied, open '/home/alice/.murmur/docs/000012.ldb'"))
      return true
    })
    const a = await send(s.base, 'GET', '/boom', { host: `127.0.0.1:${s.port}` })
    expect(a.status).toBe(500)
    expect(a.json).toEqual({ error: expect.any(String), code: 'internal' })
    expect(a.text).not.toMatch(/alice|EACCES|ldb/)
    expect(lines.join('\n')).toMatch(/error .*http handler failed .*EACCES/)
  })
})
