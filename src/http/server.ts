/** A node:http (or node:https) server around a request handler, with the timeouts an exposed server needs. */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { errorBody } from './errors.js'
import { GracefulStop } from './graceful-stop.js'
import { nodeHttp, nodeHttps } from './node-builtins.js'

const { STATUS_CODES } = nodeHttp

export interface HttpCloseOptions {
  /**
   * How long requests in flight may take to be answered before their connections are cut (default 0:
   * cut at once). End event streams and WebSockets first (HttpApi.close()): they are answers that never end.
   */
  graceMs?: number
}

export interface RunningServer {
  server: Server
  /** e.g. http://127.0.0.1:8080 or https://127.0.0.1:8443 */
  url: string
  /**
   * Takes no new work, at once: the listening socket closes (new connections are refused), idle
   * keep-alive connections close, and a request that still arrives (its connection was mid-request) is
   * answered 503 `shutting_down` with `Retry-After` and `connection: close` — nothing was done. Requests
   * in flight go on, and their connections close once they are answered. Idempotent.
   */
  stopAccepting(): void
  /** stopAccepting(), then true once no request is in flight, or false after `timeoutMs` (connections stay open). */
  drain(timeoutMs: number): Promise<boolean>
  /** drain(graceMs), then cuts every connection still open; resolves once the server is closed. */
  close(options?: HttpCloseOptions): Promise<void>
}

/** Headers must arrive within this (slow-loris bound); whole requests within REQUEST_TIMEOUT_MS. */
const HEADERS_TIMEOUT_MS = 10_000
const REQUEST_TIMEOUT_MS = 30_000
/**
 * How often Node looks for requests past those timeouts. Its default, 30 s, is when they are enforced: headers
 * sent a line every few seconds held a connection for up to 40 s before the 408, not 10 s, so a slow-loris
 * client needed a quarter of the connections to fill MAX_HTTP_CONNECTIONS. A check a second costs one pass
 * over the open connections.
 */
const TIMEOUT_CHECK_MS = 1_000
const MAX_HEADER_BYTES = 16 * 1024
/**
 * A socket with nothing sent or received for this long is closed (nginx's send_timeout is 60 s too): a
 * client that stops reading a large answer (a 12 MiB doc) would otherwise pin it in memory for as long as
 * it keeps the connection open, since Node sets no socket timeout by default. Longer than any wait of a
 * handler (a write, then its ?w= copies, then a doc fetched from its homes: under 30 s), and than the
 * heartbeat of event streams (15 s). WebSockets are exempt: ws clears the timeout, and their keepalive
 * closes a client that stops answering.
 */
export const IDLE_TIMEOUT_MS = 60_000

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void

/** Concurrent connections; past it Node drops new ones at once (an HTTP client cannot exhaust sockets). */
export const MAX_HTTP_CONNECTIONS = 1024

export interface TlsFiles {
  /** PEM certificate chain. */
  cert: string | Buffer
  /** PEM private key. */
  key: string | Buffer
}

export interface HttpServerOptions {
  /** Told about requests refused before any handler ran (malformed, headers too large or too slow, too many connections, TLS handshake failed), and connections closed idle. */
  onRejected?: (reason: string) => void
  /** Serve HTTPS with this certificate and key (`--https-cert`, `--https-key`). */
  tls?: TlsFiles
  /** Handles an HTTP upgrade (WebSocket); returns false for one it does not serve (answered 404). */
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean
  /** Told the server's URL once it listens. */
  onListening?: (url: string) => void
  /** Close a connection idle (nothing read or written) this long; default IDLE_TIMEOUT_MS. */
  idleTimeoutMs?: number
  /** Answer 408 to a request whose headers have not all arrived this long after it began; default HEADERS_TIMEOUT_MS. */
  headersTimeoutMs?: number
}

/** Refusals Node makes before a handler runs: status and code by parser error. */
function clientErrorAnswer (code: string | undefined): [number, string, string] {
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'headers_too_large', `request headers exceed ${MAX_HEADER_BYTES} bytes`]
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'request_timeout', 'request not received in time']
  return [400, 'malformed_request', 'malformed HTTP request']
}

function answerRaw (socket: Duplex, status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const body = JSON.stringify(errorBody(code, message))
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\n${extra}content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
}

/** The refusal of a request that arrives once the server stops accepting: nothing was done, retry (elsewhere). */
const SHUTTING_DOWN = ['shutting_down', 'the server is shutting down: the request was not served; retry (on another peer)'] as const
const SHUTTING_DOWN_HEADERS: Readonly<Record<string, string>> = { 'retry-after': '1' }

/** The methods routes may take, for the `Allow` of a refused CONNECT (which names no route). */
const CONNECT_ALLOW = 'GET, HEAD, POST, PUT, DELETE, OPTIONS'

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' }

/**
 * An absolute-form request target (`GET http://host:port/path HTTP/1.1`, what a client sends through a
 * proxy) rewritten to origin-form in `req.url`, which every route matches: RFC 9112 §3.2.2 requires
 * servers to accept it, and it used to get 404. Its authority must name the same host and port as the
 * Host header, which the access checks read (access.ts: DNS rebinding): a target that disagrees is
 * refused. Returns the refusal's message, or undefined when `req` may proceed.
 */
export function toOriginForm (req: IncomingMessage): string | undefined {
  const raw = req.url ?? ''
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return undefined
  let target: URL
  try {
    target = new URL(raw)
  } catch {
    return 'malformed request target'
  }
  const defaultPort = DEFAULT_PORTS[target.protocol]
  if (defaultPort === undefined) return `request target scheme ${target.protocol} is not served here`
  let host: URL | undefined
  try {
    host = req.headers.host === undefined ? undefined : new URL(`${target.protocol}//${req.headers.host}`)
  } catch {}
  if (host === undefined || host.hostname !== target.hostname || (host.port || defaultPort) !== (target.port || defaultPort) || target.username !== '' || target.password !== '') {
    return 'the request target\'s host differs from the Host header'
  }
  req.url = `${target.pathname}${target.search}`
  return undefined
}

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without a Host header is a 400. Node answers it itself unless told
 * not to (requireHostHeader), with an empty body; this gives it the API's JSON error. (An HTTP/1.0 one may
 * omit Host; the access checks refuse a missing Host as not loopback.) Returns the refusal's message.
 */
function missingHost (req: IncomingMessage): string | undefined {
  return req.httpVersion === '1.1' && req.headers.host === undefined ? 'an HTTP/1.1 request must carry a Host header' : undefined
}

/**
 * Whether a request asks to switch to WebSocket. Node sends every request with an `Upgrade` header to the
 * 'upgrade' hook unless told otherwise, so `curl --http2 http://…` (`Upgrade: h2c` on an ordinary GET) got
 * 404 "no WebSocket endpoint" on every route, /health included; RFC 9110 §7.8 lets a server ignore Upgrade
 * and answer over HTTP/1.1, which is what any other upgrade now gets.
 */
export function isWebSocketUpgrade (req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade
  return typeof upgrade === 'string' && upgrade.split(',').some(p => p.trim().toLowerCase() === 'websocket')
}

export function startHttpServer (handler: RequestHandler, host: string, port: number, options: HttpServerOptions = {}): Promise<RunningServer> {
  // requireHostHeader: off, so that an HTTP/1.1 request without Host gets the API's JSON 400 (missingHost),
  // not Node's empty one.
  // shouldUpgradeCallback (Node ≥ 22.21; not in @types/node yet): only a WebSocket upgrade goes to the
  // 'upgrade' hook, any other (`curl --http2`'s `Upgrade: h2c`) is an ordinary request (isWebSocketUpgrade).
  const serverOptions: ServerOptions & { shouldUpgradeCallback: (req: IncomingMessage) => boolean } = {
    headersTimeout: options.headersTimeoutMs ?? HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    maxHeaderSize: MAX_HEADER_BYTES, requireHostHeader: false, shouldUpgradeCallback: isWebSocketUpgrade
  }
  const idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS
  const server: Server = options.tls === undefined
    ? nodeHttp.createServer(serverOptions)
    : nodeHttps().createServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key })
  const stop = new GracefulStop(server)
  server.on('request', (req: IncomingMessage, res: ServerResponse): void => {
    stop.track(res)
    if (stop.stopping) {
      options.onRejected?.(SHUTTING_DOWN[0])
      const body = JSON.stringify(errorBody(...SHUTTING_DOWN))
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close', ...SHUTTING_DOWN_HEADERS })
      res.end(body)
      return
    }
    // Per request, not server.setTimeout: an idle keep-alive connection between requests is Node's to close
    // (keepAliveTimeout), and is no rejection.
    res.setTimeout(idleTimeoutMs, () => {
      options.onRejected?.('idle_timeout')
      res.destroy()
    })
    const badTarget = missingHost(req) ?? toOriginForm(req)
    if (badTarget !== undefined) {
      options.onRejected?.('invalid_request')
      res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', connection: 'close' })
      res.end(JSON.stringify(errorBody('invalid_request', badTarget)))
      return
    }
    Promise.resolve(handler(req, res)).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' })
      res.end(JSON.stringify(errorBody('internal', 'internal error')))
    })
  })
  server.maxConnections = MAX_HTTP_CONNECTIONS
  server.on('drop', () => { options.onRejected?.('too_many_connections') })

  // Node answers these itself only when nobody listens for 'clientError'; we listen to count them.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // The client hung up (a closed tab, ^C, a proxy giving up): nobody to answer, and nothing refused.
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
      socket.destroy()
      return
    }
    const [status, code, message] = clientErrorAnswer(err.code)
    options.onRejected?.(code)
    answerRaw(socket, status, code, message)
  })
  // A plain-HTTP client (or a scanner) on the TLS port: counted, the socket closed by Node.
  server.on('tlsClientError', () => { options.onRejected?.('tls_handshake_failed') })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => { socket.destroy() })
    if (stop.stopping) {
      options.onRejected?.(SHUTTING_DOWN[0])
      answerRaw(socket, 503, ...SHUTTING_DOWN, SHUTTING_DOWN_HEADERS)
      return
    }
    // missingHost too: an HTTP/1.1 upgrade without Host got 403 host_not_allowed where any other request gets this 400.
    const badTarget = missingHost(req) ?? toOriginForm(req)
    if (badTarget !== undefined) {
      options.onRejected?.('invalid_request')
      answerRaw(socket, 400, 'invalid_request', badTarget)
      return
    }
    if (options.onUpgrade?.(req, socket, head) !== true) {
      options.onRejected?.('upgrade_not_found')
      answerRaw(socket, 404, 'not_found', `no WebSocket endpoint at ${(req.url ?? '').split('?')[0] ?? ''}`)
    }
  })
  // CONNECT (a proxy's tunnel): Node hands it to this hook and, with no listener, closed the socket without
  // a byte. Nothing here is a proxy: the API's JSON 405, counted like the other refusals.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => { socket.destroy() })
    if (stop.stopping) {
      options.onRejected?.(SHUTTING_DOWN[0])
      answerRaw(socket, 503, ...SHUTTING_DOWN, SHUTTING_DOWN_HEADERS)
      return
    }
    options.onRejected?.('method_not_allowed')
    answerRaw(socket, 405, 'method_not_allowed', `${req.method ?? 'CONNECT'} is not served here (this is no proxy)`, { allow: CONNECT_ALLOW })
  })
  const scheme = options.tls === undefined ? 'http' : 'https'
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const addr = server.address()
      const actualPort = typeof addr === 'object' && addr !== null ? addr.port : port
      const shownHost = host.includes(':') ? `[${host}]` : host
      const url = `${scheme}://${shownHost}:${actualPort}`
      options.onListening?.(url)
      resolve({
        server,
        url,
        stopAccepting: () => { stop.stopAccepting() },
        drain: timeoutMs => stop.drain(timeoutMs),
        close: async (o = {}) => { await stop.close(o.graceMs) }
      })
    })
  })
}
