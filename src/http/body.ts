/**
 * Reading request bodies from untrusted clients: a byte limit (413), a time limit (408), uncompressed
 * only (415) and strict JSON (400). Nothing is parsed before the whole body is in, and nothing beyond the
 * limit is buffered. Uncompressed: no Content-Encoding but identity, no Transfer-Encoding but chunked.
 */
import type { IncomingMessage } from 'node:http'
import { HttpError } from './errors.js'
import { hasLoneSurrogate, jsonDepth } from '../core/codec.js'

/** Largest JSON body accepted (a kv value or a chat message; docs are replicated, not uploaded). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024
/** A body must arrive within this long after the headers. */
export const BODY_TIMEOUT_MS = 10_000
/**
 * Deepest nesting of arrays and objects accepted in a JSON body. JSON.parse takes any depth, but what
 * handles the value next (JSON.stringify, Yjs's encoder, the replicas' decoder) recurses, and a few
 * thousand levels overflow the stack: a 400 here, not a 500 from deep inside a write.
 */
export const MAX_JSON_DEPTH = 64

/**
 * On an answer given before the body was read to its end: the connection closes after it. Kept alive, it
 * went on draining what the client still sent — a body trickling in past BODY_TIMEOUT_MS held the connection
 * until Node's own 30 s request timeout, which then wrote a second 408 for the same request.
 */
const CLOSE = { connection: 'close' } as const

export function readBody (req: IncomingMessage, maxBytes = MAX_JSON_BODY_BYTES, timeoutMs = BODY_TIMEOUT_MS): Promise<Buffer> {
  const encoding = codingOf(req, 'content-encoding', ['identity']) ?? codingOf(req, 'transfer-encoding', ['chunked'])
  if (encoding !== undefined) {
    req.resume()
    return Promise.reject(new HttpError(415, 'unsupported_encoding', `${encoding} is not supported: send the body uncompressed`, { ...CLOSE }))
  }
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume()
    return Promise.reject(new HttpError(413, 'body_too_large', `body of ${declared} bytes exceeds ${maxBytes}`, { ...CLOSE }))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const finish = (err: HttpError | null): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      if (err !== null) {
        req.resume() // drain and discard the rest
        reject(err)
      } else {
        resolve(Buffer.concat(chunks, size))
      }
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > maxBytes) finish(new HttpError(413, 'body_too_large', `body exceeds ${maxBytes} bytes`, { ...CLOSE }))
      else chunks.push(chunk)
    }
    const onEnd = (): void => { finish(null) }
    const onError = (): void => { finish(new HttpError(400, 'body_aborted', 'request body aborted')) }
    const timer = setTimeout(() => { finish(new HttpError(408, 'body_timeout', `body not received within ${timeoutMs} ms`, { ...CLOSE })) }, timeoutMs)
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
  })
}

/**
 * The body's codings in `header` (Content-Encoding, Transfer-Encoding) other than the `plain` ones, named
 * for an answer (`Content-Encoding gzip`), or undefined. A compressed body was read as its raw bytes:
 * gzip's are not UTF-8, so a client that compresses got a 400 saying its JSON was not UTF-8. Node undoes
 * only the chunked framing of a Transfer-Encoding: `gzip, chunked` left the gzip bytes as the body.
 */
function codingOf (req: IncomingMessage, header: 'content-encoding' | 'transfer-encoding', plain: readonly string[]): string | undefined {
  const raw = req.headers[header]
  if (raw === undefined) return undefined
  const codings = raw.split(',').map(c => c.trim().toLowerCase()).filter(c => c !== '' && !plain.includes(c))
  if (codings.length === 0) return undefined
  const shown = codings.join(', ')
  const name = header === 'content-encoding' ? 'Content-Encoding' : 'Transfer-Encoding'
  return `${name} ${/^[\x21-\x7e ,]{1,40}$/.test(shown) ? shown : JSON.stringify(shown.slice(0, 40))}`
}

export interface ReadJsonOptions {
  /** Largest body accepted (default MAX_JSON_BODY_BYTES); larger → 413. */
  maxBytes?: number
  /** Resolve with undefined for an empty body instead of a 400. */
  allowEmpty?: boolean
}

/**
 * Parses a JSON body, or throws an HttpError (400 invalid, not UTF-8 or empty, 408 too slow, 413 too large). The
 * content type is not checked: `curl -d '"x"'` sends form-encoded headers with a JSON body, and the body
 * is what matters.
 */
export async function readJson (req: IncomingMessage, options: ReadJsonOptions = {}): Promise<unknown> {
  const body = await readBody(req, options.maxBytes)
  let text: string
  try {
    text = UTF8.decode(body)
  } catch {
    const utf16 = UTF16_BOM.some(bom => body.subarray(0, 2).equals(bom))
    throw new HttpError(400, 'invalid_json', `the body is not valid UTF-8${utf16 ? ': it starts with a UTF-16 byte-order mark; send it as UTF-8' : ''} (JSON text is UTF-8: RFC 8259 §8.1)`)
  }
  if (text.trim() === '') {
    if (options.allowEmpty === true) return undefined
    throw new HttpError(400, 'invalid_json', 'a JSON body is required')
  }
  let value: unknown
  try {
    value = JSON.parse(text) as unknown
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON')
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new HttpError(400, 'invalid_json', `the body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`)
  const surrogates = SURROGATE_ESCAPE.test(text)
  const unfaithful = surrogates || MAYBE_PROTO.test(text) || MAYBE_OVERFLOW.test(text) ? unreplicable(value, surrogates) : undefined
  if (unfaithful === 'surrogate') {
    throw new HttpError(400, 'invalid_json', 'the body holds a lone surrogate (a \\uD800–\\uDFFF escape without its pair): not Unicode text, and the other peers would store U+FFFD in its place')
  }
  if (unfaithful === 'number') {
    throw new HttpError(400, 'invalid_json', 'the body holds a number beyond the range of a double (e.g. 1e400): it would be stored as Infinity and read back as null')
  }
  if (unfaithful === 'proto') {
    throw new HttpError(400, 'invalid_json', 'the body holds an object key "__proto__": the other peers would decode it as the object\'s prototype, not as a key (another value under the same digest)')
  }
  return value
}

/**
 * Strict: bytes that are not UTF-8 are refused, not turned into U+FFFD (a Latin-1 "café" would be stored
 * as "caf\uFFFD" and answered 200). A leading byte-order mark is dropped (ignoreBOM false), as RFC 8259
 * §8.1 lets a parser do: files saved by Notepad or PowerShell (`curl --data-binary @body.json`) start with
 * one, and kept, it made a valid body a bare "not valid JSON".
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })
/** The byte-order marks of UTF-16 (little- and big-endian): PowerShell 5's `Out-File` writes UTF-16LE. */
const UTF16_BOM = [Buffer.from([0xff, 0xfe]), Buffer.from([0xfe, 0xff])]

/** Text decoded from UTF-8 holds no surrogate of its own: only an escape in the JSON can produce one. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/
/** A "__proto__" key is spelled out, or hides behind \\u escapes (any of its letters may be one). */
const MAYBE_PROTO = /__proto__|\\u/
/** A number that may overflow a double: a three-digit exponent, or 309 digits in a row. */
const MAYBE_OVERFLOW = /[eE][+-]?\d{3}|\d{309}/

/**
 * What in a parsed JSON value the other replicas would read back differently, under the same digest as
 * the peer that took the write (which keeps the parsed value in memory):
 *  - 'surrogate': a string or key holding a lone surrogate (only looked for when `surrogates`, i.e. the
 *    text has such an escape). UTF-8 cannot encode one: Yjs writes it as U+FFFD.
 *  - 'proto': an object key "__proto__". JSON.parse makes it an own key; Yjs's decoder (lib0 readAny,
 *    `obj[key] = …`) sets the object's prototype instead, so the key vanishes and its fields are inherited.
 *  - 'number': a number JSON.parse turned into ±Infinity (1e400), which is stored as such and rendered as
 *    null everywhere (not a divergence, but not what the client sent either).
 * Iterative; the value is at most MAX_JSON_DEPTH deep anyway.
 */
function unreplicable (value: unknown, surrogates: boolean): 'surrogate' | 'proto' | 'number' | undefined {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'string') {
      if (surrogates && hasLoneSurrogate(v)) return 'surrogate'
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return 'number'
    } else if (Array.isArray(v)) {
      for (const item of v as unknown[]) stack.push(item) // not push(...v): a 1 MiB body may hold 500,000 items
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, item] of Object.entries(v)) {
        if (k === '__proto__') return 'proto'
        if (surrogates && hasLoneSurrogate(k)) return 'surrogate'
        stack.push(item)
      }
    }
  }
  return undefined
}

export function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
