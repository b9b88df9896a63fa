/**
 * `Idempotency-Key` on the peer API's write routes, in-process on a real peer (createPeer, LevelDB in a
 * temp dir), and the error answers of the write outcomes (status, code, Retry-After; never internals).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { OutcomeUnknownError, StoreFailingError, StoreFullError, IdempotencyKeyReusedError, InvalidOpIdError, InvalidTextError, createHttpApi, createPeer, errorAnswer, silentLogger, startHttpServer } from '../../src/index.js'
import type { Peer } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'
import { rawHttp } from '../helpers/raw-http.js'

interface Answer { status: number, json: unknown, headers: Headers }

async function call (base: string, method: string, route: string, body?: unknown, key?: string): Promise<Answer> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000)
  })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text), headers: res.headers }
}

describe('HTTP: Idempotency-Key', () => {
  let dir: string
  let peer: Peer
  let server: RunningServer
  let base: string

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-idempotency-'))
    peer = await createPeer({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger })
    const api = createHttpApi(peer, { readyAlone: true })
    server = await startHttpServer(async (req, res) => {
      if (!(await api.handle(req, res))) api.notFound(req, res)
    }, '127.0.0.1', 0)
    base = server.url.replace(/\/$/, '')
  })

  afterAll(async () => {
    await server.close()
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('a retried PUT answers like the first, marked as a replay, and does not overwrite a later write', async () => {
    const first = await call(base, 'PUT', '/docs/d/kv/k', 1, 'put-1')
    expect(first.status).toBe(200)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    const retry = await call(base, 'PUT', '/docs/d/kv/k', 1, 'put-1')
    expect(retry.status).toBe(200)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect(retry.json).toEqual(first.json)
    expect((await call(base, 'PUT', '/docs/d/kv/k', 2, 'put-2')).status).toBe(200)
    // A late retry of the first PUT (its answer was lost, say) must not bring back 1.
    expect((await call(base, 'PUT', '/docs/d/kv/k', 1, 'put-1')).status).toBe(200)
    expect((await call(base, 'GET', '/docs/d/kv/k')).json).toBe(2)
  })

  test('a key reused for another request is refused with 422, and nothing is applied', async () => {
    expect((await call(base, 'PUT', '/docs/d/kv/a', 'x', 'key-a')).status).toBe(200)
    const other = await call(base, 'PUT', '/docs/d/kv/a', 'y', 'key-a')
    expect(other.status).toBe(422)
    expect(other.json).toMatchObject({ code: 'idempotency_key_reused' })
    expect((await call(base, 'PUT', '/docs/d/kv/b', 'x', 'key-a')).status).toBe(422) // another route
    expect((await call(base, 'GET', '/docs/d/kv/a')).json).toBe('x')
    expect((await call(base, 'GET', '/docs/d/kv/b')).status).toBe(404)
  })

  test('a retry whose URL encodes the doc name or key differently is the same request: a replay, not a 422', async () => {
    // One client sends "don't" as is (encodeURIComponent keeps the quote), another as %27 (Python's quote,
    // curl --data-urlencode); hex digits may be lower or upper case. The route decodes them all alike, and
    // a retry answered 422 "nothing was applied" after its first attempt had been applied.
    const first = await call(base, 'PUT', "/docs/enc/kv/don't", 1, 'enc-1')
    expect(first.status).toBe(200)
    for (const route of ['/docs/enc/kv/don%27t', '/docs/%65nc/kv/don%27t', '/docs/enc/kv/%64on%27t']) {
      const retry = await call(base, 'PUT', route, 1, 'enc-1')
      expect(retry.status, route).toBe(200)
      expect(retry.headers.get('idempotent-replayed'), route).toBe('true')
    }
    expect((await call(base, 'PUT', '/docs/a%2fb/kv/x', 1, 'enc-2')).status).toBe(200)
    expect((await call(base, 'PUT', '/docs/a%2Fb/kv/x', 1, 'enc-2')).headers.get('idempotent-replayed')).toBe('true')
    // Another key or doc is still another request.
    expect((await call(base, 'PUT', '/docs/enc/kv/don%22t', 1, 'enc-1')).status).toBe(422)
  })

  test('a malformed key is refused with 400 before anything happens', async () => {
    const long = await call(base, 'PUT', '/docs/d/kv/c', 1, 'x'.repeat(257))
    expect(long.status).toBe(400)
    expect(long.json).toEqual({ code: 'invalid_idempotency_key', error: expect.any(String) as string })
    expect((await call(base, 'GET', '/docs/d/kv/c')).status).toBe(404)
  })

  test('a key that is not printable ASCII is refused with 400: its bytes are read as Latin-1, so curl (UTF-8) and a browser would send two keys for one text', async () => {
    const { port } = new URL(base)
    const put = (key: string): Promise<string> => rawHttp(Number(port), `PUT /docs/d/kv/ascii HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1\r\nIdempotency-Key: ${key}\r\nConnection: close\r\n\r\n1`)
    // rawHttp writes UTF-8, as curl sends a key typed in a UTF-8 terminal.
    for (const key of ['clé-1', 'op-✓', 'x\u00a0y']) {
      const answer = await put(key)
      expect(answer, key).toMatch(/^HTTP\/1\.1 400/)
      expect(answer, key).toContain('"code":"invalid_idempotency_key"')
    }
    // The Latin-1 byte for é, as a client that sends header text as Latin-1 would.
    const latin1 = await new Promise<string>((resolve, reject) => {
      const req = request({ port: Number(port), host: '127.0.0.1', method: 'PUT', path: '/docs/d/kv/ascii', headers: { 'content-type': 'application/json', 'idempotency-key': 'clé-1' } }, (res) => {
        let body = ''
        res.on('data', (d: Buffer) => { body += d.toString() })
        res.on('end', () => { resolve(`${res.statusCode ?? 0} ${body}`) })
      })
      req.on('error', reject)
      req.end('1')
    })
    expect(latin1).toMatch(/^400 .*"code":"invalid_idempotency_key"/)
    expect((await call(base, 'GET', '/docs/d/kv/ascii')).status).toBe(404)
    // Printable ASCII, spaces inside included, is a key.
    expect((await call(base, 'PUT', '/docs/d/kv/ascii', 1, 'op 1 ~!"#$%&()*+,-./:;<=>?@[\\]^_`{|}')).status).toBe(200)
  })

  test('DELETE of a key and of a doc: a retry with the key answers 200 like the first', async () => {
    expect((await call(base, 'PUT', '/docs/gone/kv/a', 1)).status).toBe(200)
    expect((await call(base, 'DELETE', '/docs/gone/kv/a', undefined, 'del-a')).status).toBe(200)
    const again = await call(base, 'DELETE', '/docs/gone/kv/a', undefined, 'del-a')
    expect(again.status).toBe(200)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect((await call(base, 'PUT', '/docs/gone/kv/b', 1)).status).toBe(200)
    const deleted = await call(base, 'DELETE', '/docs/gone', undefined, 'del-doc')
    expect(deleted.status).toBe(200)
    expect(deleted.headers.get('idempotent-replayed')).toBeNull()
    // README: a retry answers like the first attempt, with Idempotent-Replayed: true (it had no header).
    const deletedAgain = await call(base, 'DELETE', '/docs/gone', undefined, 'del-doc')
    expect(deletedAgain.status).toBe(200)
    expect(deletedAgain.headers.get('idempotent-replayed')).toBe('true')
    expect(deletedAgain.json).toEqual(deleted.json)
    expect((await call(base, 'DELETE', '/docs/gone')).status).toBe(404) // without the key: nothing to delete
    expect((await call(base, 'GET', '/docs/gone')).status).toBe(404)
  })

  test('library: onReplay tells a keyed delete or counter.add retry apart (neither takes an fn)', async () => {
    await peer.write('lib-gone', (d) => { d.getMap('kv').set('a', 1) })
    const replays: string[] = []
    await peer.delete('lib-gone', { opId: 'lib-del', onReplay: () => { replays.push('first delete') } })
    await peer.delete('lib-gone', { opId: 'lib-del', onReplay: () => { replays.push('delete retry') } })
    const visits = await peer.counter('lib-count')
    await visits.add(1, { opId: 'lib-add', onReplay: () => { replays.push('first add') } })
    await visits.add(1, { opId: 'lib-add', onReplay: () => { replays.push('add retry') } })
    expect(replays).toEqual(['delete retry', 'add retry'])
    expect(visits.value()).toBe(1)
  })

  test('two Idempotency-Key headers, or two w values, are refused with 400 and nothing applied (they were joined into one key / one was picked)', async () => {
    const { port } = new URL(base)
    const raw = (request: string): Promise<string> => rawHttp(Number(port), request) // Connection: close ends it after the answer
    const twoKeys = await raw('PUT /docs/d/kv/two HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1\r\nIdempotency-Key: a\r\nIdempotency-Key: b\r\nConnection: close\r\n\r\n1')
    expect(twoKeys).toMatch(/^HTTP\/1\.1 400/)
    expect(twoKeys).toContain('"code":"invalid_idempotency_key"')
    const twoW = await call(base, 'PUT', '/docs/d/kv/two?w=1&w=3', 1)
    expect(twoW.status).toBe(400)
    expect(twoW.json).toMatchObject({ code: 'invalid_write_concern' })
    expect((await call(base, 'GET', '/docs/d/kv/two')).status).toBe(404)
  })

  test('a malformed write concern is refused before the write: a 400 means nothing was applied', async () => {
    // Before, ?w=<n> was checked after the write had been applied, so this answered 400 with the key written.
    const bad = await call(base, 'PUT', '/docs/d/kv/wc?w=abc', 1)
    expect(bad.status).toBe(400)
    expect(bad.json).toMatchObject({ code: 'invalid_write_concern' })
    expect((await call(base, 'GET', '/docs/d/kv/wc')).status).toBe(404)
  })

  test('/ready and /metrics say the store is healthy; writes are counted by outcome', async () => {
    expect((await call(base, 'GET', '/ready')).status).toBe(200)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toMatch(/^murmur_store_state\{state="ok"\} 1$/m)
    expect(metrics).toMatch(/^murmur_store_state\{state="full"\} 0$/m)
    expect(metrics).toMatch(/^murmur_writes_total\{outcome="durable"\} [1-9]/m)
    expect(metrics).toMatch(/^murmur_writes_total\{outcome="replayed"\} [1-9]/m)
  })
})

describe('write outcome answers', () => {
  const table: Array<[string, Error, number, string, string | undefined]> = [
    ['applied, not persisted', new OutcomeUnknownError('not-persisted', undefined, { cause: new Error('IO error: /var/lib/murmur/docs/000004.log: No space left on device') }), 500, 'outcome_unknown', undefined],
    ['store full', new StoreFullError('the store is full (no space left on device): nothing was applied; retry once space is freed'), 507, 'storage_full', '1'],
    ['store failing', new StoreFailingError('the store is failing (input/output error): nothing was applied'), 503, 'store_failing', '1'],
    ['key reused', new IdempotencyKeyReusedError('reused'), 422, 'idempotency_key_reused', undefined],
    ['bad key', new InvalidOpIdError('bad'), 400, 'invalid_idempotency_key', undefined],
    ['lone surrogate', new InvalidTextError('the write stores a text holding a lone surrogate'), 400, 'invalid_text', undefined]
  ]
  for (const [what, err, status, code, retryAfter] of table) {
    test(`${what} → ${status} ${code}`, () => {
      const a = errorAnswer(err)
      expect(a).toMatchObject({ status, code, internal: false })
      expect(a.headers['retry-after']).toBe(retryAfter)
      expect(a.message).not.toMatch(/\/var\/lib|IO error|\.log/) // the cause is logged, never answered
    })
  }

  test('an unknown outcome says what happens next and how to retry', () => {
    expect(errorAnswer(new OutcomeUnknownError('not-persisted')).message).toMatch(/applied in memory.*persisted.*when the store recovers.*same idempotency key/)
    expect(errorAnswer(new OutcomeUnknownError('durability-timeout')).message).toMatch(/not confirmed it yet.*may still become durable/)
  })
})
