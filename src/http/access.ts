/**
 * Who may talk to the HTTP API. One check, applied to every request of the peer API, of applications
 * mounting it, and of WebSocket upgrades, in this order:
 *
 *  0. One Host and one Authorization header: Node keeps the first of repeated ones and drops the rest, so
 *     `Host: localhost` then `Host: evil.example` was served as loopback while a proxy in front may have
 *     read the other one. RFC 9112 §3.2 requires a 400 for more than one Host; the same for Authorization.
 *  1. Host. A page on evil.example can make its name resolve to 127.0.0.1 (DNS rebinding) and then talk
 *     to a loopback peer as "same origin": the browser sends `Host: evil.example`, and since the page also
 *     controls `Origin`, comparing the two proves nothing. What a rebinding page cannot choose is a Host
 *     that is ours. So without a token only loopback Hosts (`localhost`, `*.localhost`, 127.0.0.0/8, `[::ffff:127.0.0.1]`,
 *     `[::1]`) and the names given with `--http-allow-host` are served — GET included, as Vite's
 *     `server.allowedHosts` and geth's `--http.vhosts` do. With a token the Host is not checked unless an
 *     allow-list was given: a rebinding page does not know the token.
 *  2. Origin. A browser sends `Origin` on cross-site fetches, event streams and WebSocket upgrades (which no
 *     CORS rule protects); one that is not the request's own origin, nor one of `--http-allow-origin`
 *     (an app on its own dev server: cors.ts answers its preflights), is refused, whatever the method.
 *     Clients that send none (curl, scripts, other peers) are not browsers.
 *  3. Token (`Authorization: Bearer <token>`, compared in constant time), unless the route is public.
 *     Only routes a browser cannot send a header on (EventSource, WebSocket) opt into `?access_token=`
 *     (RFC 6750 §2.3); anywhere else a token in the URL is refused, because URLs end up in proxy logs.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { isIPv6 } from 'node:net'
import type { Duplex } from 'node:stream'
import { ConfigError } from '../core/errors.js'
import { HttpError, errorBody } from './errors.js'
import { nodeHttp } from './node-builtins.js'

/** What a route asks of a request (default: token required, header only). */
export interface RouteAccess {
  /** No token needed (liveness). The Host and Origin checks still apply. */
  public?: boolean
  /** `?access_token=` is accepted: for browser APIs that cannot set headers (EventSource, WebSocket). */
  queryToken?: boolean
}

export interface AccessOptions {
  /** Bearer token (≥ 16 characters of printable ASCII: tokenProblem); without one every route is open to loopback Hosts only. */
  token?: string | undefined
  /**
   * Host names served besides the loopback ones (`--http-allow-host`): `name`, an IP address, or
   * `.example.com` for the domain and every subdomain. Given, it is enforced even with a token.
   */
  allowHosts?: readonly string[] | undefined
  /**
   * Browser origins allowed besides the request's own (`--http-allow-origin`), as `parseOrigin` returns
   * them: their pages may call the API and open its WebSockets (the token is still required if set).
   */
  allowOrigins?: readonly string[] | undefined
}

/** Returns undefined when `req` may proceed, else the refusal to answer with. */
export type AccessCheck = (req: IncomingMessage, route?: RouteAccess) => HttpError | undefined

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** Headers a request must not repeat (Node would silently use the first). */
const SINGLE_HEADERS = ['host', 'authorization'] as const

/** The host part of a Host header (`[::1]:8080` → `::1`, `Example.COM.:80` → `example.com`); undefined if malformed. */
export function hostName (header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/@\s]+))(?::\d{1,5})?$/.exec(header)
  if (m === null) return undefined
  return (m[1] ?? m[2] ?? '').toLowerCase().replace(/\.$/, '')
}

/** True for names and addresses only this machine can reach (RFC 6761 §6.3 reserves `.localhost`). */
export function isLoopbackHost (host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  return h === 'localhost' || h.endsWith('.localhost') || isLoopbackIpv6(h) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

/**
 * `::1`, or an IPv4-mapped loopback address (`::ffff:127.0.0.1`, which a URL writes `::ffff:7f00:1`), in
 * any spelling of IPv6 (`0:0:0:0:0:0:0:1`): a loopback address like 127.0.0.1. No brackets.
 */
export function isLoopbackIpv6 (ip: string): boolean {
  if (!isIPv6(ip)) return false
  let canonical: string
  try {
    canonical = new URL(`http://[${ip}]`).hostname
  } catch {
    return false // a zone id (fe80::1%eth0): not loopback
  }
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical)
}

/** Whether `host` (already normalised by hostName) is one of ours. */
export function hostAllowed (host: string, allowHosts: readonly string[] = []): boolean {
  if (isLoopbackHost(host)) return true
  return allowHosts.some((a) => {
    // Without its trailing dot, as hostName reads the header: `--http-allow-host example.com.` (a fully
    // qualified name) matched no request, since every Host is compared without one.
    const allowed = a.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '')
    return allowed.startsWith('.') ? host === allowed.slice(1) || host.endsWith(allowed) : host === allowed
  })
}

/**
 * An origin as browsers serialise it (`scheme://host[:port]`, lower case, no default port), from an
 * operator's `--http-allow-origin` value; throws a one-line error for anything else. `null` (file://
 * pages, sandboxed frames: any site can make one) and `*` are refused: an origin allowed here may use
 * the API with this peer's authority.
 */
export function parseOrigin (value: string): string {
  const hint = 'expected an origin like http://localhost:5173 or https://app.example.com (scheme, host and port only)'
  if (value === 'null' || value === '*') throw new Error(`${value} cannot be allowed: any page can send it; ${hint}`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error(hint)
  }
  const bare = url.pathname === '/' && !value.endsWith('/') && url.search === '' && url.hash === '' && url.username === '' && url.password === ''
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !bare) throw new Error(hint)
  return url.origin
}

/**
 * `parseOrigin` over a list of allowed origins (library options), naming the bad one.
 * @throws ConfigError, as for the token.
 */
export function parseOrigins (values: readonly string[]): string[] {
  return values.map((v) => {
    try {
      return parseOrigin(v)
    } catch (err) {
      throw new ConfigError(`allowOrigins: ${JSON.stringify(v)}: ${(err as Error).message}`)
    }
  })
}

/** Whether the `Origin` header `origin` is one of `allowed` (parseOrigin's form). */
export function originAllowed (origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || allowed.length === 0) return false
  try {
    return allowed.includes(parseOrigin(origin))
  } catch {
    return false
  }
}

function sameOrigin (origin: string, hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return false
  try {
    const url = new URL(origin)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`http://${hostHeader}`).host
  } catch {
    return false
  }
}

/** The token of the Authorization header, and of the `access_token` query parameter. */
function tokensOf (req: IncomingMessage): { header: string | undefined, query: string | undefined } {
  const auth = req.headers.authorization
  // The scheme is case-insensitive (RFC 9110 §11.1): curl users write "bearer" too. The token is not.
  const header = auth === undefined ? undefined : /^bearer +(\S.*)$/i.exec(auth)?.[1]
  const url = req.url ?? ''
  const q = url.indexOf('?')
  const query = q < 0 ? undefined : new URLSearchParams(url.slice(q + 1)).get('access_token') ?? undefined
  return { header, query }
}

/** Bearer tokens shorter than this are refused: a token is a password nobody types. */
export const MIN_TOKEN_CHARS = 16

/**
 * What is wrong with an HTTP token, if anything: too short, or a character other than printable ASCII.
 * HTTP clients send other characters differently — curl the UTF-8 bytes it was given, browsers and Node's
 * fetch Latin-1 (and refuse anything past U+00FF) — so such a token matched for some clients and never
 * for others; whitespace is trimmed off a header's ends.
 */
export function tokenProblem (token: string): string | undefined {
  if (token.length < MIN_TOKEN_CHARS) return `at least ${MIN_TOKEN_CHARS} characters`
  if (/[^\x21-\x7e]/.test(token)) return 'printable ASCII, no spaces (HTTP clients send other characters differently: curl as UTF-8, browsers and Node as Latin-1)'
  return undefined
}
/**
 * @throws ConfigError if `options.token` is one the CLI refuses (tokenProblem): an empty token locked every
 *   client out with no error anywhere, and one past printable ASCII matched for some clients only.
 */
export function createAccessCheck (options: AccessOptions = {}): AccessCheck {
  const problem = options.token === undefined ? undefined : tokenProblem(options.token)
  if (problem !== undefined) throw new ConfigError(`the HTTP API's token must be ${problem}`)
  const expected = options.token === undefined ? undefined : digest(options.token)
  const allowHosts = options.allowHosts ?? []
  const allowOrigins = parseOrigins(options.allowOrigins ?? [])
  const checkHost = expected === undefined || allowHosts.length > 0
  const unauthorized = (message: string, code = 'unauthorized'): HttpError => new HttpError(401, code, message, { 'www-authenticate': 'Bearer' })
  return (req, route = {}) => {
    for (const name of SINGLE_HEADERS) {
      const n = req.headersDistinct[name]?.length ?? 0
      if (n > 1) return new HttpError(400, 'invalid_request', `send one ${name} header, got ${n}`)
    }
    if (checkHost) {
      const host = hostName(req.headers.host)
      if (host === undefined || !hostAllowed(host, allowHosts)) {
        // Without a Host (HTTP/1.0 may leave it out; HTTP/1.1 without one is a 400 of server.ts) the refusal
        // said `Host "" is not served here`, as if an empty name had been sent and refused.
        const given = req.headers.host
        const refusal = given === undefined
          ? 'the request has no Host header, which this peer requires (a loopback Host, or an --http-allow-host name: its guard against DNS rebinding): send one (Host: 127.0.0.1:<port>)'
          : `Host ${JSON.stringify(given)} is not served here: use a loopback address`
        return new HttpError(403, 'host_not_allowed', `${refusal}, or start the peer with --http-allow-host <name> (or a token)`)
      }
    }
    const origin = req.headers.origin
    if (origin !== undefined && !sameOrigin(origin, req.headers.host) && !originAllowed(origin, allowOrigins)) {
      return new HttpError(403, 'cross_origin', `cross-origin request refused: pages on ${JSON.stringify(origin)} may call this peer only if it is started with --http-allow-origin <that origin>`)
    }
    if (expected === undefined || route.public === true) return undefined
    const { header, query } = tokensOf(req)
    if (query !== undefined && route.queryToken !== true) {
      return unauthorized('a token in the URL (access_token) is accepted only on event streams and WebSockets; send "Authorization: Bearer <token>"', 'query_token_not_allowed')
    }
    const given = header ?? query
    if (given === undefined || !timingSafeEqual(digest(given), expected)) return unauthorized('missing or wrong bearer token')
    return undefined
  }
}

/**
 * Answers a refused WebSocket upgrade (or any request whose socket was taken over) on the raw socket:
 * the same status, code and JSON body as a refused HTTP request, then closes it.
 */
export function refuseUpgrade (socket: Duplex, err: HttpError): void {
  const body = JSON.stringify(errorBody(err.code, err.message))
  const headers = Object.entries(err.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${err.status} ${nodeHttp.STATUS_CODES[err.status] ?? ''}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `${headers}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
  } else {
    socket.destroy()
  }
}
