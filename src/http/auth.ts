/**
 * Request checks shared by the peer API and applications mounting it: a bearer token compared in constant
 * time, and a same-origin check against cross-site requests from a browser.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * A check for `Authorization: Bearer <token>`, or — for EventSource, which cannot set headers — the
 * `access_token` query parameter (RFC 6750 §2.3). Without a token every request passes.
 */
export function bearerAuthorizer (token: string | undefined): (req: IncomingMessage) => boolean {
  if (token === undefined) return () => true
  const expected = digest(token)
  return (req) => {
    const header = req.headers.authorization
    let given: string | null = header?.startsWith('Bearer ') === true ? header.slice('Bearer '.length) : null
    if (given === null) {
      try {
        given = new URL(req.url ?? '/', 'http://localhost').searchParams.get('access_token')
      } catch {
        given = null
      }
    }
    return given !== null && timingSafeEqual(digest(given), expected)
  }
}

/**
 * Browsers send `Origin` with every cross-site POST, PUT or DELETE. A request from another site's page
 * (CSRF against a peer on localhost) is refused; clients that send no Origin (curl, scripts) are not
 * browsers, and same-origin pages pass.
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
