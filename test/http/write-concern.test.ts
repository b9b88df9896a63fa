/**
 * `?w=<n>` after the write is durable: whatever stops the wait for copies, the answer must not say the
 * write was refused. Flush waits beyond `maxPendingFlushes` were refused with RateLimitError, which the
 * API answered 429 `rate_limited` — "nothing was applied" — for writes that were applied and durable (44
 * of 300 concurrent `PUT …?w=9` on a three-peer mesh: every one of their keys was in the doc).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { HttpApi, Peer } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'

describe('?w=<n> when the wait for copies cannot even start', () => {
  let dir: string
  let peer: Peer
  let api: HttpApi
  let server: RunningServer

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-write-concern-'))
    peer = await createPeer({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, replication: { maxPendingFlushes: 2 } })
    api = createHttpApi(peer)
    server = await startHttpServer(async (req, res) => { if (!(await api.handle(req, res))) api.notFound(req, res) }, '127.0.0.1', 0)
  }, 30_000)
  afterAll(async () => {
    api.close()
    await server.close()
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('every write past maxPendingFlushes is durable, and answered as such (504 write_concern_timeout), never as refused', async () => {
    // Alone, ?w=2 cannot be met: each flush waits its 5 s, and only 2 may wait at once.
    const answers = await Promise.all(Array.from({ length: 6 }, async (_, i) => {
      const res = await fetch(`${server.url}/docs/wc/kv/k${i}?w=2`, { method: 'PUT', body: String(i), signal: AbortSignal.timeout(15_000) })
      return { i, status: res.status, body: await res.json() as { code?: string, error?: string } }
    }))
    for (const a of answers) {
      expect(a.status, `k${a.i}: ${JSON.stringify(a.body)}`).toBe(504)
      expect(a.body.code).toBe('write_concern_timeout')
      expect(a.body.error).toMatch(/durable here/)
      expect((await fetch(`${server.url}/docs/wc/kv/k${a.i}`)).status).toBe(200)
    }
  }, 30_000)
})
