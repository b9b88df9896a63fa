/**
 * The y-websocket bridge is loaded on the first upgrade to /yjs/ (issue 11), and works on that first
 * connection as it did when it was built at start: the client syncs, its edit reaches the peer, the bridge's
 * metrics count it. Before it, the metrics read zero; other paths are not taken; a bad setting still fails
 * createHttpApi; a bridge closed before it loaded refuses its client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { Peer } from '../../src/api.js'
import { ConfigError } from '../../src/core/errors.js'
import { silentLogger } from '../../src/core/logger.js'
import { createHttpApi, startHttpServer } from '../../src/http/index.js'
import type { HttpApi, RunningServer } from '../../src/http/index.js'
import { YJS_UPGRADE_PREFIX, lazyYjsUpgrade } from '../../src/http/yjs-upgrade.js'
import { createPeer } from '../../src/peer-node.js'
import { YJS_PATH_PREFIX } from '../../src/yjs/bridge.js'
import { waitFor } from '../helpers/procs.js'
import { synced, yClient } from '../yjs/clients.js'

const metric = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  return m === null ? undefined : Number(m[1])
}

describe('y-websocket bridge loaded on first use', () => {
  let peer: Peer
  let api: HttpApi
  let server: RunningServer

  beforeAll(async () => {
    peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, profile: 'local' })
    api = createHttpApi(peer, {})
    server = await startHttpServer(async (req, res) => {
      if (!(await api.handle(req, res))) api.json(res, 404, {})
    }, '127.0.0.1', 0, api.serverOptions)
  })

  afterAll(async () => {
    api.close()
    await server.close()
    await peer.stop()
  })

  it('uses the bridge\'s own path prefix', () => {
    expect(YJS_UPGRADE_PREFIX).toBe(YJS_PATH_PREFIX)
  })

  it('reads zero before any client, then serves the first client in full', async () => {
    const before = await api.metrics.metrics()
    expect(metric(before, 'murmur_yjs_connections')).toBe(0)
    expect(metric(before, 'murmur_yjs_accepted_total')).toBe(0)

    const c = yClient(server.url, 'first-use', 'ada')
    try {
      await synced(c)
      c.doc.getMap('kv').set('k', 'from the first client')
      await waitFor('the first client\'s edit on the peer', () => {
        const seen = peer.read('first-use', doc => doc.getMap('kv').get('k'))
        return seen.then(v => v === 'from the first client')
      }, 10_000, 20)
      const after = await api.metrics.metrics()
      expect(metric(after, 'murmur_yjs_connections')).toBe(1)
      expect(metric(after, 'murmur_yjs_accepted_total')).toBe(1)
    } finally {
      c.destroy()
    }
  })

  it('leaves other upgrade paths alone', () => {
    const y = lazyYjsUpgrade(peer, { authorize: () => undefined, log: silentLogger })
    const req = { url: '/other' } as unknown as Parameters<typeof y.upgrade>[0]
    expect(y.upgrade(req, undefined as unknown as Parameters<typeof y.upgrade>[1], Buffer.alloc(0))).toBe(false)
    expect(y.loaded).toBe(false)
    y.close()
  })

  it('still refuses a bad setting at once', () => {
    expect(() => createHttpApi(peer, { yjs: { maxMessageBytes: -1 } })).toThrow(ConfigError)
  })

  it('refuses the client of a bridge closed while it had not loaded', async () => {
    const other = createHttpApi(peer, {})
    const s = await startHttpServer(async (req, res) => {
      if (!(await other.handle(req, res))) other.json(res, 404, {})
    }, '127.0.0.1', 0, other.serverOptions)
    try {
      other.close()
      const ws = new WebSocket(`${s.url.replace('http', 'ws')}/yjs/late`)
      const status = await new Promise<number>((resolve) => {
        ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0) })
        ws.on('error', () => { resolve(-1) })
      })
      expect(status).toBe(503)
    } finally {
      await s.close()
    }
  })
})
