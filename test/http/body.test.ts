/**
 * readJson (src/http/body.ts) over a real HTTP server: JSON nested deeper than MAX_JSON_DEPTH is a 400
 * `invalid_json`, not a stack overflow later (a PUT of `[[[…]]]` 5,000 deep used to answer 500
 * `internal`); nesting up to the limit, and brackets inside strings, are accepted as before.
 */
import { createServer } from 'node:http'
import net from 'node:net'
import { gzipSync } from 'node:zlib'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { HttpError, MAX_JSON_DEPTH, readJson } from '../../src/http/index.js'

let base = ''
let close: () => Promise<void> = async () => {}

beforeAll(async () => {
  const server = createServer((req, res) => {
    readJson(req).then((value) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: true, type: Array.isArray(value) ? 'array' : typeof value }))
    }, (err: unknown) => {
      const e = err instanceof HttpError ? err : undefined
      res.writeHead(e?.status ?? 500, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ code: e?.code ?? 'internal', error: e?.message ?? String(err) }))
    })
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  close = () => new Promise((resolve) => { server.close(() => { resolve() }) })
})
afterAll(async () => { await close() })

async function post (body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): Promise<{ status: number, body: { code?: string, ok?: boolean, error?: string } }> {
  const res = await fetch(base, { method: 'POST', body, headers, signal: AbortSignal.timeout(10_000) })
  return { status: res.status, body: await res.json() as { code?: string, ok?: boolean } }
}

const nested = (depth: number, open = '[', close = ']'): string => `${open.repeat(depth)}${close.repeat(depth)}`

describe('readJson: nesting depth', () => {
  test('arrays or objects nested deeper than the limit: 400 invalid_json', async () => {
    for (const body of [nested(MAX_JSON_DEPTH + 1), nested(5_000), nested(200_000), `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`]) {
      const r = await post(body)
      expect(r.status, body.slice(0, 20)).toBe(400)
      expect(r.body.code).toBe('invalid_json')
    }
  })

  test('nesting up to the limit is accepted, and brackets inside strings do not count', async () => {
    expect(await post(nested(MAX_JSON_DEPTH))).toEqual({ status: 200, body: { ok: true, type: 'array' } })
    expect(await post(JSON.stringify({ text: '['.repeat(10_000), quoted: '\\"[[[[' }))).toEqual({ status: 200, body: { ok: true, type: 'object' } })
  })
})

describe('readJson: lone surrogates', () => {
  // JSON may escape half of a surrogate pair alone ("\ud800"); JSON.parse gives a string no UTF-8 can
  // hold. Stored as is, the peer that took it kept "\ud800" in memory while every other replica (and
  // this one after a restart) decoded U+FFFD: the same digest, different text.
  test('a \\uD800–\\uDFFF escape without its pair, in a value or a key, at any depth: 400 invalid_json', async () => {
    for (const body of ['"\\ud800"', '"x\\udfffy"', '{"\\udc00":1}', '[1,{"a":["\\ud83d"]}]', '"\\ude00\\ud83d"', '{"text":"\\uD800"}']) {
      const r = await post(body)
      expect(r.status, body).toBe(400)
      expect(r.body.code).toBe('invalid_json')
      expect((r.body as { error?: string }).error).toMatch(/lone surrogate/)
    }
  })

  test('escaped pairs, literal astral characters and an escaped backslash before "ud800" are accepted', async () => {
    for (const body of ['"\\ud83d\\ude00"', '"😀"', '{"k\\ud83d\\ude00":"v"}', '"\\\\ud800"', '["\\u00e9", "\\uffff"]']) {
      expect((await post(body)).status, body).toBe(200)
    }
  })
})

describe('readJson: bytes that are not UTF-8', () => {
  // JSON between systems is UTF-8 (RFC 8259 §8.1). Decoded leniently, a Latin-1 "café" was stored as
  // "caf\uFFFD" and answered 200: the client's text silently replaced.
  test('invalid UTF-8 anywhere in the body: 400 invalid_json, nothing decoded', async () => {
    const bodies = [
      Buffer.from('"caf\xe9"', 'latin1'), // Latin-1 é
      Buffer.from([0x22, 0xff, 0x22]), // a byte UTF-8 never uses
      Buffer.from([0x22, 0xc0, 0xaf, 0x22]), // overlong "/"
      Buffer.from([0x22, 0xe2, 0x82, 0x22]), // a truncated sequence
      Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), // a surrogate encoded in UTF-8 (CESU)
      Buffer.concat([Buffer.from('{"k":"'), Buffer.from([0xfe]), Buffer.from('"}')])
    ]
    for (const body of bodies) {
      const r = await post(body)
      expect(r.status, body.toString('hex')).toBe(400)
      expect(r.body.code).toBe('invalid_json')
      expect((r.body as { error?: string }).error).toMatch(/UTF-8/)
    }
  })

  test('well-formed UTF-8, multi-byte and astral characters included, is accepted', async () => {
    for (const body of ['"café"', '"😀 ∑ 日本"', '{"clé":"valeur"}']) {
      expect((await post(Buffer.from(body, 'utf8'))).status, body).toBe(200)
    }
  })
})

describe('readJson: "__proto__" keys', () => {
  // JSON.parse makes "__proto__" an own key, but Yjs's decoder (lib0 readAny: obj[key] = …) sets it as
  // the object's prototype: the peer that took {"__proto__":{"admin":true},"a":1} answered it back whole
  // while every other replica (and itself after a restart) read {"a":1} with an inherited `admin` —
  // under one digest.
  test('an object key "__proto__" at any depth, escaped or not: 400 invalid_json', async () => {
    for (const body of ['{"__proto__":{"admin":true},"a":1}', '[1,{"a":{"__proto__":null}}]', '{"\u005f_proto__":1}', '{"a":[[{"__proto__":[]}]]}']) {
      const r = await post(body)
      expect(r.status, body).toBe(400)
      expect(r.body.code).toBe('invalid_json')
      expect((r.body as { error?: string }).error).toMatch(/__proto__/)
    }
  })

  test('"__proto__" as a string value, and keys that merely resemble it, are accepted', async () => {
    for (const body of ['"__proto__"', '["__proto__"]', '{"proto":1,"constructor":2,"__proto":3,"prototype":4}', '{"a":"__proto__"}']) {
      expect((await post(body)).status, body).toBe(200)
    }
  })
})

describe('readJson: numbers beyond a double', () => {
  // JSON.parse turns 1e400 into Infinity, which Yjs stores and JSON renders as null: PUT 1e400 answered 200
  // and every peer read back null.
  test('a number that overflows to ±Infinity, at any depth: 400 invalid_json', async () => {
    for (const body of ['1e400', '-1e999', '[1,{"a":1E+309}]', `1${'0'.repeat(400)}`]) {
      const r = await post(body)
      expect(r.status, body.slice(0, 20)).toBe(400)
      expect(r.body.code).toBe('invalid_json')
      expect((r.body as { error?: string }).error).toMatch(/range/)
    }
  })

  test('large, tiny and exponent-written numbers within range are accepted', async () => {
    for (const body of ['1e308', '-1.7976931348623157e308', '5e-324', '1e-400', '{"e":"1e400"}', '12345678901234567890']) {
      expect((await post(body)).status, body).toBe(200)
    }
  })
})

describe('readBody: compressed bodies', () => {
  // Before: the gzip bytes were read as the body, and the answer was 400 invalid_json "not valid UTF-8".
  test('a Content-Encoding other than identity is a 415 unsupported_encoding naming it; identity is read as usual', async () => {
    const gz = new Uint8Array(gzipSync('{"a":1}'))
    for (const [encoding, named] of [['gzip', 'gzip'], ['GZIP', 'gzip'], ['deflate, br', 'deflate, br'], ['identity, gzip', 'gzip']]) {
      const r = await post(gz, { 'content-encoding': encoding as string })
      expect(r.status, encoding).toBe(415)
      expect(r.body.code, encoding).toBe('unsupported_encoding')
      expect(r.body.error, encoding).toBe(`Content-Encoding ${named as string} is not supported: send the body uncompressed`)
    }
    for (const encoding of ['identity', '']) expect(await post('{"a":1}', { 'content-encoding': encoding }), encoding).toEqual({ status: 200, body: { ok: true, type: 'object' } })
  })
})

/** One request written byte for byte (a binary body); the status line and body of the answer. */
function rawPost (head: string, body: Buffer): Promise<{ status: number, body: { code?: string, ok?: boolean, error?: string } }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(base).port), '127.0.0.1', () => { socket.end(Buffer.concat([Buffer.from(head), body])) })
    let data = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => { data += d })
    socket.on('error', reject)
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)
      // The answer's body is chunked (the server sets no Content-Length): its JSON is one chunk.
      const text = data.slice(data.indexOf('\r\n\r\n') + 4)
      try { resolve({ status, body: JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as { code?: string } }) } catch { resolve({ status, body: {} }) }
    })
  })
}

const chunked = (bytes: Buffer): Buffer => Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n0\r\n\r\n')])

describe('readBody: transfer codings', () => {
  // Before: node undoes only the chunked framing, so a gzip transfer coding's bytes were read as the
  // body, and the answer was 400 invalid_json "not valid UTF-8" (or, worse, whatever they parsed to).
  test('a Transfer-Encoding other than plain chunked is a 415 unsupported_encoding, like a Content-Encoding', async () => {
    const gz = gzipSync('{"a":1}')
    for (const coding of ['gzip, chunked', 'GZIP,chunked', 'deflate, chunked', 'br, chunked']) {
      const r = await rawPost(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${coding}\r\nConnection: close\r\n\r\n`, chunked(gz))
      expect(r.status, coding).toBe(415)
      expect(r.body.code, coding).toBe('unsupported_encoding')
      expect(r.body.error, coding).toMatch(/^Transfer-Encoding .+ is not supported: send the body uncompressed/)
    }
    for (const coding of ['chunked', 'Chunked']) {
      const r = await rawPost(`POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ${coding}\r\nConnection: close\r\n\r\n`, chunked(Buffer.from('{"a":1}')))
      expect(r, coding).toEqual({ status: 200, body: { ok: true, type: 'object' } })
    }
  })
})
