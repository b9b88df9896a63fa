/**
 * A doc whose Yjs types nest a few thousand levels deep (a chain of Y.Maps: the Yjs API builds it without
 * recursion, and a y-websocket client or a library user can) cannot be rendered as JSON: Yjs's toJSON and
 * JSON.stringify recurse. GET answers 500 `doc_too_deep` saying so and where the doc can be read, instead
 * of `internal` (a bug, with a stack trace in the log); the doc stays intact. In-process: a real peer and
 * HTTP server on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import * as Y from 'yjs'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { Peer } from '../../src/api.js'

const LEVELS = 20_000

let peer: Peer
let base = ''
let stop: () => Promise<void> = async () => {}

beforeAll(async () => {
  peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, profile: 'local' })
  const api = createHttpApi(peer)
  const server = await startHttpServer(async (req, res) => {
    if (!(await api.handle(req, res))) api.notFound(req, res)
  }, '127.0.0.1', 0, api.serverOptions)
  base = server.url
  stop = async () => { api.close(); await server.close(); await peer.stop() }
  await peer.write('chain', (doc) => {
    let map = doc.getMap('kv')
    map.set('flat', 'ok')
    for (let i = 0; i < LEVELS; i++) {
      const child = new Y.Map()
      map.set('c', child)
      map = child
    }
  })
}, 30_000)
afterAll(async () => { await stop() })

async function get (path: string): Promise<{ status: number, body: { code?: string, error?: string } }> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) })
  return { status: res.status, body: await res.json() as { code?: string, error?: string } }
}

describe(`a doc whose types nest ${LEVELS.toLocaleString('en')} levels`, () => {
  test('GET /docs/:name and GET of the nested key answer 500 doc_too_deep, naming the y-websocket path', async () => {
    for (const path of ['/docs/chain', '/docs/chain/kv/c']) {
      const r = await get(path)
      expect(r.status, path).toBe(500)
      expect(r.body.code, path).toBe('doc_too_deep')
      expect(r.body.error, path).toContain('/yjs/chain')
    }
  })

  test('the doc is intact: a flat key still reads, and the whole chain is there', async () => {
    const flat = await fetch(`${base}/docs/chain/kv/flat`)
    expect(await flat.json()).toBe('ok')
    const doc = await peer.doc('chain')
    let depth = 0
    for (let m: unknown = doc.getMap('kv').get('c'); m instanceof Y.Map; m = m.get('c')) depth++
    expect(depth).toBe(LEVELS)
  })
})
