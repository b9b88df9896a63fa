/**
 * Small HTTP helpers of the app routes: bounded JSON bodies, the bearer token, and a same-origin check.
 * (The peer API has its own; they are not part of murmur's public API, and the app's needs are smaller.)
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { BadRequest, LIMITS } from './validate.ts'

/** A body must arrive within this long: a stalled client must not hold a request open. */
const BODY_TIMEOUT_MS = 10_000

/** Reads and parses a JSON body of at most LIMITS.bodyBytes; BadRequest (400/408/413) otherwise. */
export function readJsonBody (req: IncomingMessage, maxBytes: number = LIMITS.bodyBytes): Promise<unknown> {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume()
    return Promise.reject(new BadRequest(`body larger than ${maxBytes} bytes`, 413))
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const finish = (err: BadRequest | undefined): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      if (err !== undefined) {
        req.resume() // discard the rest
        reject(err)
        return
      }
      const text = Buffer.concat(chunks, size).toString('utf8')
      if (text.trim() === '') {
        reject(new BadRequest('a JSON body is required'))
        return
      }
      try {
        resolve(JSON.parse(text) as unknown)
      } catch {
        reject(new BadRequest('the body is not valid JSON'))
      }
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > maxBytes) finish(new BadRequest(`body larger than ${maxBytes} bytes`, 413))
      else chunks.push(chunk)
    }
    const onEnd = (): void => { finish(undefined) }
    const onError = (): void => { finish(new BadRequest('request body aborted')) }
    const timer = setTimeout(() => { finish(new BadRequest(`body not received within ${BODY_TIMEOUT_MS} ms`, 408)) }, BODY_TIMEOUT_MS)
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
  })
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * The same token as the peer API (`--http-token`), from `Authorization: Bearer …` or, for EventSource
 * (which cannot set headers), the `access_token` query parameter of RFC 6750 §2.3. Compared in constant time.
 */
export function tokenChecker (token: string | undefined): (req: IncomingMessage, url: URL) => boolean {
  if (token === undefined) return () => true
  const expected = sha256(token)
  return (req, url) => {
    const header = req.headers.authorization
    const given = header?.startsWith('Bearer ') === true ? header.slice('Bearer '.length) : url.searchParams.get('access_token')
    return given !== null && timingSafeEqual(sha256(given), expected)
  }
}

/**
 * Browsers send `Origin` with every cross-site POST. A request from another site's page (CSRF against a
 * peer on localhost) is refused; clients that send no Origin (curl, tests, scripts) are not browsers.
 */
export function sameOrigin (req: IncomingMessage): boolean {
  const origin = req.headers.origin
  if (origin === undefined) return true
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}
