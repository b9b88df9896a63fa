/**
 * `GET /docs/:name/presence` when this peer cannot watch one more doc: presence refuses a further doc
 * (TooManyPresenceDocsError, `maxLocalDocs`) and the route answered 500 `internal` — an unplanned failure
 * — for what is a limit that frees up. It is a 503 `too_many_docs` now, like the other limits of its kind.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { HttpApi, Peer } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'

describe('GET /docs/:name/presence at the presence limit', () => {
  let peer: Peer
  let api: HttpApi
  let server: RunningServer
  const releases: Array<() => void> = []

  beforeAll(async () => {
    peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, presence: { maxLocalDocs: 2 } })
    api = createHttpApi(peer)
    server = await startHttpServer(async (req, res) => { if (!(await api.handle(req, res))) api.notFound(req, res) }, '127.0.0.1', 0)
    // Two docs with local clients (as two y-websocket rooms would declare): the limit is reached.
    releases.push(peer.presence.join('one'), peer.presence.join('two'))
  }, 30_000)
  afterAll(async () => {
    for (const r of releases) r()
    api.close()
    await server.close()
    await peer.stop()
  })

  test('a doc already joined answers 200; one more doc answers 503 too_many_docs, not 500', async () => {
    expect((await fetch(`${server.url}/docs/one/presence`)).status).toBe(200)
    const res = await fetch(`${server.url}/docs/three/presence`)
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ error: expect.stringMatching(/maxLocalDocs/), code: 'too_many_docs' })
  })
})
