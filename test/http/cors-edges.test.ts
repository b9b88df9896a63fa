/**
 * CORS at the edges of the API, for an origin of `--http-allow-origin`: a path no route serves, and the
 * request headers a preflight advertises. A browser shows a page nothing of an answer without
 * `Access-Control-Allow-Origin`, so a 404 without it read as a CORS failure, not as "no such route".
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { HttpApi, Peer, RunningServer } from '../../src/index.js'

const APP = 'http://localhost:5173'

let dataDir: string
let peer: Peer
let api: HttpApi
let server: RunningServer
let host: { host: string }

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'murmur-cors-edges-'))
  peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], dataDir, profile: 'local', logger: silentLogger })
  api = createHttpApi(peer, { allowOrigins: [APP] })
  server = await startHttpServer(async (req, res) => {
    if (!(await api.handle(req, res))) api.notFound(req, res)
  }, '127.0.0.1', 0)
  host = { host: `127.0.0.1:${new URL(server.url).port}` }
})

afterAll(async () => {
  api.close()
  await server.close()
  await peer.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

const call = async (method: string, route: string, headers: Record<string, string>, body?: string): Promise<Response> =>
  await fetch(`${server.url}${route}`, { method, headers, body, signal: AbortSignal.timeout(10_000) })

describe('a path no route serves, asked by an allowed origin', () => {
  test('its preflight is a 404 the browser can attribute: the allowed origin is named, as on any route', async () => {
    const pre = await call('OPTIONS', '/no-such-route', { ...host, origin: APP, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' })
    expect(pre.status).toBe(404)
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP)
    expect(pre.headers.get('vary')).toBe('Origin')
    expect(await pre.json()).toEqual({ error: 'no route OPTIONS /no-such-route', code: 'not_found' })
  })

  test('its plain GET is a 404 the page can read (with the headers it may read, as on any route)', async () => {
    const known = await call('GET', '/health', { ...host, origin: APP })
    const get = await call('GET', '/no-such-route?x=1', { ...host, origin: APP })
    expect(get.status).toBe(404)
    expect(get.headers.get('access-control-allow-origin')).toBe(APP)
    expect(get.headers.get('access-control-expose-headers')).toBe(known.headers.get('access-control-expose-headers'))
  })

  test('another origin gets no CORS header: refused (403), as on any route', async () => {
    for (const method of ['OPTIONS', 'GET']) {
      const a = await call(method, '/no-such-route', { ...host, origin: 'http://localhost:5174', 'access-control-request-method': 'GET' })
      expect(a.status, method).toBe(403)
      expect(a.headers.get('access-control-allow-origin'), method).toBeNull()
    }
  })
})

describe('the request headers a preflight allows', () => {
  test('every one it advertises is one the API takes: Content-Encoding is not (any coding but identity is a 415)', async () => {
    const pre = await call('OPTIONS', '/docs/cors/kv/a', { ...host, origin: APP, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' })
    expect(pre.status).toBe(204)
    const allowed = (pre.headers.get('access-control-allow-headers') ?? '').split(',').map(h => h.trim())
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key']))
    expect(allowed).not.toContain('content-encoding')
    // What the API does with a compressed body, whoever sends it: refused.
    const put = await call('PUT', '/docs/cors/kv/a', { ...host, 'content-type': 'application/json', 'content-encoding': 'gzip' }, '"x"')
    expect(put.status).toBe(415)
  })
})
