/**
 * HEAD (RFC 9110 §9.3.2: every general-purpose server supports GET and HEAD): answered as the GET of the
 * same route, without a body. It was a 405 on every route, /health included, so a monitor that checks
 * with HEAD (UptimeRobot's default, `curl -I`) saw a live peer as down. Event streams are not served to
 * HEAD (an endless answer without a body): 405, as before.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { HttpApi, Peer } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'

const TOKEN = 'head-token-0123456789'

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, bytes: number }

function send (base: string, method: string, route: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(base)
    const req = request({ host: url.hostname, port: url.port, method, path: route, headers, agent: false, timeout: 10_000 }, (res) => {
      let bytes = 0
      res.on('data', (c: Buffer) => { bytes += c.length })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }) })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new Error(`${method} ${route}: no answer`)) })
    req.on('error', reject)
    req.end()
  })
}

describe('HEAD on the HTTP API', () => {
  let dataDir: string
  let peer: Peer
  const apis: HttpApi[] = []
  const servers: RunningServer[] = []
  let open = ''
  let locked = ''

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'murmur-http-head-'))
    peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], dataDir, logger: silentLogger })
    await peer.write('seed', (d) => { d.getMap('kv').set('a', 1) })
    for (const token of [undefined, TOKEN]) {
      const api = createHttpApi(peer, token === undefined ? {} : { token })
      const server = await startHttpServer(async (req, res) => { if (!(await api.handle(req, res))) api.notFound(req, res) }, '127.0.0.1', 0)
      apis.push(api)
      servers.push(server)
    }
    open = servers[0]?.url ?? ''
    locked = servers[1]?.url ?? ''
  }, 30_000)
  afterAll(async () => {
    for (const api of apis) api.close()
    await Promise.all(servers.map(async s => { await s.close() }))
    await peer.stop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  test('HEAD answers as GET does, without a body', async () => {
    for (const [route, status] of [['/health', 200], ['/members', 200], ['/docs', 200], ['/docs/seed', 200], ['/docs/seed/kv/a', 200], ['/docs/seed/kv/nope', 404], ['/metrics', 200]] as const) {
      const head = await send(open, 'HEAD', route)
      const get = await send(open, 'GET', route)
      expect(head.status, route).toBe(status)
      expect(get.status, route).toBe(status)
      expect(head.bytes, route).toBe(0)
      expect(head.headers['content-type'], route).toBe(get.headers['content-type'])
    }
  })

  test('HEAD needs the token like GET; 405s list HEAD beside GET; an event stream is not served to HEAD', async () => {
    expect((await send(locked, 'HEAD', '/docs')).status).toBe(401)
    expect((await send(locked, 'HEAD', '/docs', { authorization: `Bearer ${TOKEN}` })).status).toBe(200)
    expect((await send(locked, 'HEAD', '/health')).status).toBe(200)
    const wrong = await send(open, 'POST', '/docs/seed/kv/a')
    expect(wrong.status).toBe(405)
    expect(String(wrong.headers.allow).split(', ').sort()).toEqual(['DELETE', 'GET', 'HEAD', 'PUT'])
    const events = await send(open, 'HEAD', '/events')
    expect(events.status).toBe(405)
    expect(events.headers.allow).toBe('GET')
  })
})
