/**
 * The document lifecycle over the HTTP API, in-process on a real peer (createPeer, LevelDB in a temp dir):
 * a key delete on an unknown doc creates nothing, a delete of a key the doc lacks is a 404 that writes nothing, DELETE /docs/:name is a delete readers see (404) and a
 * later PUT revives, and reads of docs that were evicted from memory load them again.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { Peer } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'

async function call (base: string, method: string, route: string, body?: unknown, key?: string): Promise<{ status: number, json: unknown }> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
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
    peer = await createPeer({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, replication: { idleEvictMs: 200, maxDocBytes: 64 * 1024 } })
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

  test('a plain GET of the y-websocket endpoint is a 426 upgrade_required naming WebSockets, not a 404 "no route"', async () => {
    const res = await fetch(`${base}/yjs/notes`, { signal: AbortSignal.timeout(10_000) })
    expect(res.status).toBe(426)
    expect(res.headers.get('upgrade')).toBe('websocket')
    expect(await res.json()).toMatchObject({ code: 'upgrade_required', error: expect.stringMatching(/WebSocket/) })
    expect(peer.hasDoc('notes')).toBe(false)
  })

  test('DELETE of a key in an unknown doc is a 404 and creates nothing', async () => {
    expect((await call(base, 'DELETE', '/docs/ghost/kv/k')).status).toBe(404)
    expect((await call(base, 'GET', '/docs/ghost')).status).toBe(404)
    expect(peer.docs().map(d => d.name)).not.toContain('ghost')
    expect(peer.hasDoc('ghost')).toBe(false)
  })

  test('DELETE of a key the doc does not hold is a 404 key_not_found, like GET, and writes nothing', async () => {
    expect((await call(base, 'PUT', '/docs/keys/kv/a', 1)).status).toBe(200)
    const before = (await call(base, 'GET', '/docs/keys')).json
    const refused = (): number => Number(peer.stats().replication.writesRefused)
    const refusedBefore = refused()
    for (const key of [undefined, 'del-missing', 'del-missing']) {
      const missing = await call(base, 'DELETE', '/docs/keys/kv/nope', undefined, key)
      expect(missing.status, `Idempotency-Key ${String(key)}`).toBe(404)
      expect(missing.json).toEqual({ code: 'key_not_found', error: 'no key "nope" in keys' })
    }
    // Nothing was written, not even the Idempotency-Key's record: version and digest are as they were.
    expect((await call(base, 'GET', '/docs/keys')).json).toEqual(before)
    expect(refused() - refusedBefore).toBe(3) // murmur_writes_total{outcome="refused"}: nothing was applied
    // A key that is there is deleted (200); deleting it again is the 404.
    expect((await call(base, 'DELETE', '/docs/keys/kv/a')).status).toBe(200)
    expect((await call(base, 'DELETE', '/docs/keys/kv/a')).status).toBe(404)
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

  test('a write that would take a doc past its size limit is a 413 with a clear error, and changes nothing', async () => {
    const big = 'x'.repeat(40 * 1024)
    expect((await call(base, 'PUT', '/docs/heavy/kv/a', big)).status).toBe(200)
    const refused = await call(base, 'PUT', '/docs/heavy/kv/b', big)
    expect(refused.status).toBe(413)
    expect(refused.json).toMatchObject({ code: 'doc_too_large' })
    expect((refused.json as { error: string }).error).toMatch(/maxDocBytes/)
    expect((await call(base, 'GET', '/docs/heavy/kv/b')).status).toBe(404)
    // Overwriting the same key many times grows the history, not the doc: never refused.
    for (let i = 0; i < 40; i++) expect((await call(base, 'PUT', '/docs/churn/kv/k', 'y'.repeat(4 * 1024) + String(i))).status).toBe(200)
    expect((await call(base, 'PUT', '/docs/heavy/kv/a', 'small')).status).toBe(200)
  })

  test('?w=<n> waits for n durable copies: 1 is this peer\'s own disk; more than the mesh has is refused at once (503); junk is a 400', async () => {
    expect((await call(base, 'PUT', '/docs/w/kv/k?w=1', 1)).status).toBe(200)
    expect((await call(base, 'PUT', '/docs/w/kv/k?w=zero', 1)).json).toMatchObject({ code: 'invalid_write_concern' })
    expect((await call(base, 'PUT', '/docs/w/kv/k?w=0', 1)).status).toBe(400)
    const alone = await call(base, 'PUT', '/docs/w/kv/k?w=2', 2)
    expect(alone.status).toBe(503)
    expect(alone.json).toMatchObject({ code: 'write_concern_unsatisfiable' })
    expect((await call(base, 'GET', '/docs/w/kv/k')).json).toBe(1) // nothing applied (test/http/write-concern.test.ts)
    expect((await call(base, 'GET', '/docs/w')).json).toMatchObject({ homes: [peer.id] })
    expect((await call(base, 'GET', '/placement')).json).toMatchObject({ scheme: 'rendezvous', replicas: 3, members: [peer.id] })
  }, 30_000)
})
