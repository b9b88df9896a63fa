/**
 * `?w=<n>`: the answer's class must say what happened to the write.
 *
 *  - More copies than members up (a lone peer asked for w=2): refused at once, before the write — 503
 *    `write_concern_unsatisfiable`, nothing applied. It used to apply the write, wait 5 s for copies no
 *    peer could give, and answer 504 for a write that was there.
 *  - A wait that cannot start or ends early, after the write is durable: never an answer of the refused
 *    class. Flush waits beyond `maxPendingFlushes` were refused with RateLimitError, which the API answered
 *    429 `rate_limited` — "nothing was applied" — for writes that were applied and durable (44 of 300
 *    concurrent `PUT …?w=9` on a three-peer mesh: every one of their keys was in the doc).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { HttpApi, Peer, PeerOptions } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'
import { waitFor } from '../helpers/procs.js'

interface ErrorBody { code?: string, error?: string }

/** A durable peer serving the HTTP API (its R `replicas`), and `others` more peers joined to it. */
function meshWithApi (others: ReadonlyArray<Partial<PeerOptions>>, replicas?: number): { url: () => string, peers: () => Peer[] } {
  const dirs: string[] = []
  const peers: Peer[] = []
  let api: HttpApi
  let server: RunningServer
  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'murmur-write-concern-'))
    dirs.push(dataDir)
    const a = await createPeer({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], profile: 'local', logger: silentLogger, replication: { maxPendingFlushes: 2, ...(replicas === undefined ? {} : { replicas }) } })
    peers.push(a)
    for (const o of others) peers.push(await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], profile: 'local', logger: silentLogger, bootstrap: [a.addresses()[0] as string], ...o }))
    await waitFor('every peer alive at the first', () => a.members().filter(m => m.state === 'alive').length === peers.length, 15_000)
    api = createHttpApi(a)
    server = await startHttpServer(async (req, res) => { if (!(await api.handle(req, res))) api.notFound(req, res) }, '127.0.0.1', 0)
  }, 30_000)
  afterAll(async () => {
    api.close()
    await server.close()
    await Promise.all(peers.map(p => p.stop()))
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })
  return { url: () => server.url, peers: () => peers }
}

describe('?w=<n> with more copies than members up: refused at once, nothing applied', () => {
  const mesh = meshWithApi([])
  const call = async (method: string, p: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number, ms: number, body: ErrorBody, retryAfter: string | null }> => {
    const started = performance.now()
    const res = await fetch(`${mesh.url()}${p}`, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(15_000) })
    return { status: res.status, ms: performance.now() - started, body: await res.json() as ErrorBody, retryAfter: res.headers.get('retry-after') }
  }

  test('PUT, DELETE of a key and of a doc with w=2 on a lone peer: 503 write_concern_unsatisfiable within a second; the doc is as it was', async () => {
    const put = await call('PUT', '/docs/wc1/kv/k?w=2', '1', { 'idempotency-key': 'wc1-put' })
    expect(put.status, JSON.stringify(put.body)).toBe(503)
    expect(put.body.code).toBe('write_concern_unsatisfiable')
    expect(put.body.error).toMatch(/nothing was applied/)
    expect(put.retryAfter).toBe('1')
    expect(put.ms).toBeLessThan(1_000)
    expect((await call('GET', '/docs/wc1')).status).toBe(404) // not even created

    expect((await call('PUT', '/docs/wc1/kv/k', '1')).status).toBe(200)
    const delKey = await call('DELETE', '/docs/wc1/kv/k?w=3')
    expect(delKey.body.code).toBe('write_concern_unsatisfiable')
    expect(delKey.ms).toBeLessThan(1_000)
    const delDoc = await call('DELETE', '/docs/wc1?w=2')
    expect(delDoc.body.code).toBe('write_concern_unsatisfiable')
    expect(delDoc.ms).toBeLessThan(1_000)
    expect((await call('GET', '/docs/wc1/kv/k')).status).toBe(200) // neither delete was applied

    // The key of the refused PUT was not recorded: a retry without w is a first attempt, not a replay.
    const retry = await fetch(`${mesh.url()}/docs/wc1/kv/k2`, { method: 'PUT', body: '2', headers: { 'idempotency-key': 'wc1-put' } })
    expect(retry.status).toBe(200)
    expect(retry.headers.get('idempotent-replayed')).toBeNull()
    // w=1 is this peer's own copy: always satisfiable.
    expect((await call('PUT', '/docs/wc1/kv/k3?w=1', '3')).status).toBe(200)
  })
})

// R = 2 with three durable peers up: w=3 found its three copies (the writer is no home of some docs, so
// its own copy counted) and answered 200, but rebalancing then dropped the copy off the two homes. With
// R = 1 a process run lost 6 of 20 docs acknowledged with ?w=2 when the one home of each was SIGKILLed.
describe('?w=<n> above R (--replicas): refused at once, nothing applied', () => {
  const dirs: string[] = []
  const durable = (): Partial<PeerOptions> => {
    dirs.push(mkdtempSync(path.join(os.tmpdir(), 'murmur-write-concern-')))
    return { dataDir: dirs.at(-1), replication: { replicas: 2 } }
  }
  const mesh = meshWithApi([durable(), durable()], 2)
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

  test('PUT, DELETE of a key and of a doc with w=3 when R = 2: 400 invalid_write_concern naming R; w=2 is met', async () => {
    const refused = async (method: string, route: string, body?: string): Promise<void> => {
      const res = await fetch(`${mesh.url()}${route}`, { method, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(15_000) })
      const answer = await res.json() as ErrorBody
      expect(res.status, `${method} ${route}: ${JSON.stringify(answer)}`).toBe(400)
      expect(answer.code).toBe('invalid_write_concern')
      expect(answer.error).toMatch(/--replicas 2/)
    }
    for (let i = 0; i < 4; i++) await refused('PUT', `/docs/above-r-${i}/kv/k?w=3`, '1')
    for (let i = 0; i < 4; i++) expect((await fetch(`${mesh.url()}/docs/above-r-${i}`)).status, 'nothing applied').toBe(404)
    const put = await fetch(`${mesh.url()}/docs/above-r-0/kv/k?w=2`, { method: 'PUT', body: '1', signal: AbortSignal.timeout(15_000) })
    expect(put.status, await put.text()).toBe(200)
    await refused('DELETE', '/docs/above-r-0/kv/k?w=3')
    await refused('DELETE', '/docs/above-r-0?w=3')
    expect((await fetch(`${mesh.url()}/docs/above-r-0/kv/k`)).status, 'neither delete applied').toBe(200)
  })

  test('peer.flush with more replicas than R rejects at once with a RangeError', async () => {
    const peer = mesh.peers()[0] as Peer
    await peer.write('above-r-lib', d => { d.getMap('kv').set('k', 1) })
    await expect(peer.flush('above-r-lib', { replicas: 3 })).rejects.toThrow(/more than the 2 homes/)
    await expect(peer.flush('above-r-lib', { replicas: 2 })).resolves.toBeDefined()
  })
})

describe('?w=<n> when the wait for copies cannot even start', () => {
  // Two members up, but the second keeps its copies in memory: a w=2 passes the check and can never be met.
  const mesh = meshWithApi([{}])

  test('every write past maxPendingFlushes is durable, and answered as such (504 write_concern_timeout), never as refused', async () => {
    // ?w=2 cannot be met: each flush waits its 5 s, and only 2 may wait at once.
    const answers = await Promise.all(Array.from({ length: 6 }, async (_, i) => {
      const res = await fetch(`${mesh.url()}/docs/wc/kv/k${i}?w=2`, { method: 'PUT', body: String(i), signal: AbortSignal.timeout(15_000) })
      return { i, status: res.status, body: await res.json() as ErrorBody }
    }))
    for (const a of answers) {
      expect(a.status, `k${a.i}: ${JSON.stringify(a.body)}`).toBe(504)
      expect(a.body.code).toBe('write_concern_timeout')
      expect(a.body.error).toMatch(/durable here/)
      expect((await fetch(`${mesh.url()}/docs/wc/kv/k${a.i}`)).status).toBe(200)
    }
  }, 30_000)
})
