/**
 * Input a user sends by mistake, answered with a message that says what is wrong, in-process on a real
 * peer (createPeer, LevelDB in a temp dir):
 *  - a kv key holding a control character (`PUT /docs/d/kv/a%1bb`, `%00`) is a 400 naming the character and
 *    where it is; it was stored, replicated, and shown raw in every message quoting it. Keys that already
 *    hold one (written by the library) are still read and deleted, and the messages quoting them are
 *    terminal-safe.
 *  - a doc written (`PUT /docs/a%C2%9Bb/kv/x`, and so `murmur docs put`) whose name holds a control character
 *    is a 400 invalid_doc_name naming it and where it is, as for keys. The wire refuses C0 and DEL in doc names
 *    but carries C1 (replication/codec.ts, kept so for peers that hold such docs), so a name holding CSI
 *    (U+009B, which an 8-bit terminal acts on) was created where `a%1Bb` was refused. Docs that already have
 *    such a name are still read and deleted; bidi controls stay allowed (listings quote them).
 *  - a JSON body that starts with a UTF-8 byte-order mark (Notepad, PowerShell) is read as its JSON (RFC 8259
 *    §8.1 lets a parser ignore it); it was a bare "not valid JSON". A UTF-16 body is refused saying so.
 *  - an HTTP/1.0 request without a Host header (the DNS-rebinding guard requires a loopback one) is refused
 *    saying the header is missing; it said `Host "" is not served here`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { Peer } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'
import { KV_MAP } from '../../src/http/doc-json.js'
import { rawHttp } from '../helpers/raw-http.js'

async function call (base: string, method: string, route: string, body?: string | Uint8Array<ArrayBuffer>): Promise<{ status: number, json: { error?: string, code?: string } & Record<string, unknown> }> {
  const res = await fetch(`${base}${route}`, { method, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(10_000) })
  const text = await res.text()
  return { status: res.status, json: text === '' ? {} : JSON.parse(text) as { error?: string, code?: string } }
}

/** C0, DEL and C1 characters: what a terminal acts on. */
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/

describe('HTTP: input mistakes get a message that names them', () => {
  let dir: string
  let peer: Peer
  let server: RunningServer
  let base: string

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-input-'))
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
    ['a%1bb', '\\u001b', 2],
    ['a%00b', '\\u0000', 2],
    ['%0A', '\\u000a', 1],
    ['ok%7F', '\\u007f', 3],
    ['%F0%9F%99%82x%C2%9B', '\\u009b', 3]
  ])('PUT key %s: 400 invalid_key naming %s at character %d, nothing written', async (rawKey, shown, at) => {
    const r = await call(base, 'PUT', `/docs/ctl/kv/${rawKey}`, '"v"')
    expect(r.status).toBe(400)
    expect(r.json.code).toBe('invalid_key')
    expect(r.json.error).toContain(`control character (${shown}) at character ${at}`)
    expect(r.json.error).not.toMatch(RAW_CONTROL)
    expect((await call(base, 'GET', '/docs/ctl')).status).toBe(404)
  })

  test('a key that already holds a control character is read and deleted; the messages quoting it are terminal-safe', async () => {
    await peer.write('old', (doc) => { doc.getMap(KV_MAP).set('x\u001b]0;PWNED\u0007', 'v') })
    const got = await call(base, 'GET', '/docs/old/kv/x%1B%5D0%3BPWNED%07')
    expect(got).toEqual({ status: 200, json: 'v' })
    const missing = await call(base, 'GET', '/docs/old/kv/nope%1B%5B2J')
    expect(missing.status).toBe(404)
    expect(missing.json.error).toBe('no key "nope\\u001b[2J" in old')
    // Doc names cannot hold C0 characters (replication/codec.ts), but C1 ones (CSI, U+009B) and bidi controls.
    const gone = await call(base, 'GET', '/docs/n%C2%9Bo/kv/k')
    expect(gone.json.error).toBe('no doc "n\\u009bo" here or on a live peer')
    expect((await call(base, 'DELETE', '/docs/old/kv/x%1B%5D0%3BPWNED%07')).status).toBe(200)
    const again = await call(base, 'DELETE', '/docs/old/kv/x%1B%5D0%3BPWNED%07')
    expect(again.status).toBe(404)
    expect(again.json.error).not.toMatch(RAW_CONTROL)
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

  test('a bidi control in the name of a doc written is still allowed', async () => {
    expect((await call(base, 'PUT', '/docs/a%E2%80%AEb/kv/x', '"v"')).status).toBe(200)
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

  test('a body after a UTF-8 byte-order mark is read as its JSON', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf])
    const put = await call(base, 'PUT', '/docs/bom/kv/k', Buffer.concat([bom, Buffer.from('{"a": "é"}')]))
    expect(put.status, put.json.error).toBe(200)
    expect(await call(base, 'GET', '/docs/bom/kv/k')).toEqual({ status: 200, json: { a: 'é' } })
    // One mark only: a second one is a character before the JSON, refused as before.
    const two = await call(base, 'PUT', '/docs/bom/kv/k2', Buffer.concat([bom, bom, Buffer.from('1')]))
    expect(two.status).toBe(400)
    expect(two.json.code).toBe('invalid_json')
  })

  test('a UTF-16 body is refused saying so', async () => {
    for (const bom of [[0xff, 0xfe], [0xfe, 0xff]]) {
      const text = Buffer.from('"v"', 'utf16le')
      if (bom[0] === 0xfe) text.swap16()
      const r = await call(base, 'PUT', '/docs/bom/kv/u16', Buffer.concat([Buffer.from(bom), text]))
      expect(r.status).toBe(400)
      expect(r.json).toEqual({ code: 'invalid_json', error: 'the body is not valid UTF-8: it starts with a UTF-16 byte-order mark; send it as UTF-8 (JSON text is UTF-8: RFC 8259 §8.1)' })
    }
  })

  test('an HTTP/1.0 request without Host: 403 saying the Host header is missing', async () => {
    const answer = await rawHttp(Number(new URL(base).port), 'GET /members HTTP/1.0\r\n\r\n')
    expect(answer).toMatch(/^HTTP\/1\.1 403 /)
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: string, code: string }
    expect(body.code).toBe('host_not_allowed')
    expect(body.error).toMatch(/^the request has no Host header/)
    // With one, the same request is served.
    expect(await rawHttp(Number(new URL(base).port), 'GET /members HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n')).toMatch(/^HTTP\/1\.1 200 /)
  })
})
