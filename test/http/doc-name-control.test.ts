/**
 * A doc written over HTTP (`PUT /docs/<name>/kv/<key>`, and so `murmur docs put`) may not have a control
 * character in its name, in-process on a real peer (createPeer, LevelDB in a temp dir). The wire refuses C0
 * and DEL in names but carries C1 (replication/codec.ts), so `PUT /docs/a%C2%9Bb/kv/x` created a doc whose
 * name holds CSI (U+009B), which an 8-bit terminal acts on, where `a%1Bb` was refused. Now both are a 400
 * invalid_doc_name naming the character and where it is, as a key's is; docs that already have such a name
 * (the library, or a peer of an older version) are still read, edited by delete and deleted; bidi controls
 * stay allowed (listings quote them).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { Peer } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'
import { KV_MAP } from '../../src/http/doc-json.js'

async function call (base: string, method: string, route: string, body?: string): Promise<{ status: number, json: { error?: string, code?: string } & Record<string, unknown> }> {
  const res = await fetch(`${base}${route}`, { method, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(10_000) })
  const text = await res.text()
  return { status: res.status, json: text === '' ? {} : JSON.parse(text) as { error?: string, code?: string } }
}

/** C0, DEL and C1 characters: what a terminal acts on. */
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/

describe('HTTP: a doc written has no control character in its name', () => {
  let dir: string
  let peer: Peer
  let server: RunningServer
  let base: string

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-docname-'))
    peer = await createPeer({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger })
    const api = createHttpApi(peer)
    server = await startHttpServer(async (req, res) => {
      if (!(await api.handle(req, res))) api.notFound(req, res)
    }, '127.0.0.1', 0, api.serverOptions)
    base = server.url.replace(/\/$/, '')
  })

  afterAll(async () => {
    await server.close()
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test.each([
    ['a%C2%9Bb', '\\u009b', 2],
    ['%C2%80', '\\u0080', 1],
    ['%F0%9F%99%82x%C2%9F', '\\u009f', 3],
    ['a%1Bb', '\\u001b', 2],
    ['ok%7F', '\\u007f', 3]
  ])('PUT to doc %s: 400 invalid_doc_name naming %s at character %d, no doc created', async (rawName, shown, at) => {
    const r = await call(base, 'PUT', `/docs/${rawName}/kv/x`, '"v"')
    expect(r.status).toBe(400)
    expect(r.json.code).toBe('invalid_doc_name')
    expect(r.json.error).toContain(`control character (${shown}) at character ${at}`)
    expect(r.json.error).not.toMatch(RAW_CONTROL)
    expect(peer.docs().map(d => d.name)).not.toContain(decodeURIComponent(rawName))
  })

  test('a bidi control in a doc name is still allowed', async () => {
    const r = await call(base, 'PUT', '/docs/a%E2%80%AEb/kv/x', '"v"')
    expect(r.status).toBe(200)
    expect(await call(base, 'GET', '/docs/a%E2%80%AEb/kv/x')).toEqual({ status: 200, json: 'v' })
  })

  test('a doc that already has a C1 name is read, its keys and itself deleted; writing to it is refused', async () => {
    await peer.write('old\u009b', (doc) => { doc.getMap(KV_MAP).set('k', 'v'); doc.getMap(KV_MAP).set('j', 1) })
    expect(await call(base, 'GET', '/docs/old%C2%9B/kv/k')).toEqual({ status: 200, json: 'v' })
    expect((await call(base, 'GET', '/docs/old%C2%9B')).status).toBe(200)
    const put = await call(base, 'PUT', '/docs/old%C2%9B/kv/k', '"w"')
    expect(put.status).toBe(400)
    expect(put.json.code).toBe('invalid_doc_name')
    expect((await call(base, 'DELETE', '/docs/old%C2%9B/kv/j')).status).toBe(200)
    expect(await call(base, 'GET', '/docs/old%C2%9B/kv/k')).toEqual({ status: 200, json: 'v' })
    expect((await call(base, 'DELETE', '/docs/old%C2%9B')).status).toBe(200)
    expect((await call(base, 'GET', '/docs/old%C2%9B')).status).toBe(404)
  })
})
