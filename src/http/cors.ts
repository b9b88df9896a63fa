/**
 * CORS for the origins of `--http-allow-origin` (access.ts lets their requests through): an app served
 * from its own origin (a Vite dev server on http://localhost:5173, a static site) calls the peer's API
 * from the browser. Fetches with a token, a JSON body or an Idempotency-Key are not "simple" requests,
 * so the browser first sends a preflight (`OPTIONS` with `Access-Control-Request-Method`), answered here
 * without a token (a preflight never carries one, Fetch standard §4.8); the real request is then checked
 * like any other. Responses to an allowed origin name it in `Access-Control-Allow-Origin` (never `*`),
 * with `Vary: Origin` for caches. WebSocket upgrades need none of this: browsers send `Origin` and do not
 * read CORS headers on them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { originAllowed } from './access.js'
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER } from './idempotency.js'

/**
 * Request headers an app may send: the token, a JSON body, the idempotency key. Not Content-Encoding: a
 * body in any coding but identity is refused (415, body.ts), and identity is what no header means.
 */
const ALLOWED_HEADERS = ['authorization', 'content-type', IDEMPOTENCY_HEADER]
/** Response headers an app may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = [REPLAYED_HEADER, 'retry-after', 'www-authenticate', 'allow']
/** How long a browser may reuse a preflight's answer (seconds; Chromium caps it at 7,200). */
const MAX_AGE_S = 600

/** Sets the CORS headers on `res` when `req` comes from an allowed origin (and `Vary: Origin` always). */
export function allowCrossOrigin (req: IncomingMessage, res: ServerResponse, allowOrigins: readonly string[]): void {
  res.setHeader('vary', 'Origin')
  const origin = req.headers.origin
  if (origin === undefined || !originAllowed(origin, allowOrigins)) return
  res.setHeader('access-control-allow-origin', origin)
  res.setHeader('access-control-expose-headers', EXPOSED_HEADERS.join(', '))
}

/** Whether `req` is a CORS preflight (an OPTIONS request a browser sends before the real one). */
export function isPreflight (req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined
}

/**
 * Answers a preflight from an allowed origin (the caller has checked Host and Origin): 204 with the
 * methods of the path's routes and the headers an app may send.
 */
export function answerPreflight (res: ServerResponse, methods: readonly string[]): void {
  res.writeHead(204, {
    'access-control-allow-methods': methods.join(', '),
    'access-control-allow-headers': ALLOWED_HEADERS.join(', '),
    'access-control-max-age': String(MAX_AGE_S),
    'cache-control': 'no-store'
  })
  res.end()
}
