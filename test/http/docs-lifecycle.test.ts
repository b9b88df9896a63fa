/**
 * The document lifecycle over the HTTP API, in-process on a real peer (createPeer, LevelDB in a temp dir):
 * a key delete on an unknown doc creates nothing, DELETE /docs/:name is a delete readers see (404) and a
 * later PUT revives, and reads of docs that were evicted from memory load them again.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { Peer } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'

async function call (base: string, method: string, route: string, body?: unknown): Promise<{ status: number, json: unknown }> {
  const res = await fetch(`${base}${route}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(10_000)
  })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
}

describe('HTTP: documents as a lifecycle', () => {
  let dir: string
  let peer: Peer
  let server: RunningServer
  let base: string

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-lifecycle-'))
    peer = await createPeer({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, replication: { idleEvictMs: 200 } })
    const api = createHttpApi(peer)
    server = await startHttpServer(async (req, res) => {
      if (!(await api.handle(req, res))) api.json(res, 404, { error: 'no route' })
    }, '127.0.0.1', 0)
    base = server.url.replace(/\/$/, '')
  })

  afterAll(async () => {
    await server.close()
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('DELETE of a key in an unknown doc is a 404 and creates nothing', async () => {
    expect((await call(base, 'DELETE', '/docs/ghost/kv/k')).status).toBe(404)
    expect((await call(base, 'GET', '/docs/ghost')).status).toBe(404)
    expect(peer.docs().map(d => d.name)).not.toContain('ghost')
    expect(peer.hasDoc('ghost')).toBe(false)
  })

  test('DELETE /docs/:name deletes; readers get 404; a later PUT revives it with only the new content', async () => {
    expect((await call(base, 'PUT', '/docs/temp/kv/a', 1)).status).toBe(200)
    expect((await call(base, 'DELETE', '/docs/temp')).status).toBe(200)
    expect((await call(base, 'GET', '/docs/temp')).status).toBe(404)
    expect((await call(base, 'GET', '/docs/temp/kv/a')).status).toBe(404)
    expect((await call(base, 'DELETE', '/docs/temp')).status).toBe(404)
    expect(((await call(base, 'GET', '/docs')).json as Array<{ name: string }>).map(d => d.name)).not.toContain('temp')
    expect((await call(base, 'PUT', '/docs/temp/kv/b', 2)).status).toBe(200)
    expect((await call(base, 'GET', '/docs/temp')).json).toMatchObject({ content: { kv: { b: 2 } } })
    expect(((await call(base, 'GET', '/docs/temp')).json as { content: Record<string, unknown> }).content).not.toHaveProperty('__murmur')
  })

  test('a doc evicted from memory is still listed and served', async () => {
    expect((await call(base, 'PUT', '/docs/cold/kv/k', 'v')).status).toBe(200)
    const deadline = Date.now() + 10_000
    while (peer.stats().replication.docs !== 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
    expect(peer.stats().replication.docs).toBe(0)
    expect(((await call(base, 'GET', '/docs')).json as Array<{ name: string }>).map(d => d.name)).toContain('cold')
    expect((await call(base, 'GET', '/docs/cold/kv/k')).json).toBe('v')
  })
})
