/** A node:http server around a request handler, with the timeouts an exposed server needs. */
import { STATUS_CODES, createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'

export interface RunningServer {
  server: Server
  /** e.g. http://127.0.0.1:8080 */
  url: string
  close(): Promise<void>
}

/** Headers must arrive within this (slow-loris bound); whole requests within REQUEST_TIMEOUT_MS. */
const HEADERS_TIMEOUT_MS = 10_000
const REQUEST_TIMEOUT_MS = 30_000
const MAX_HEADER_BYTES = 16 * 1024

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void

/** Concurrent connections; past it Node drops new ones at once (an HTTP client cannot exhaust sockets). */
export const MAX_HTTP_CONNECTIONS = 1024

export interface HttpServerOptions {
  /** Told about requests refused before any handler ran (malformed, headers too large or too slow, too many connections). */
  onRejected?: (reason: string) => void
}

export function startHttpServer (handler: RequestHandler, host: string, port: number, options: HttpServerOptions = {}): Promise<RunningServer> {
  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    Promise.resolve(handler(req, res)).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  server.maxConnections = MAX_HTTP_CONNECTIONS
  server.on('drop', () => { options.onRejected?.('too_many_connections') })
  // Node answers these itself only when nobody listens for 'clientError'; we listen to count them.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const [status, reason] = err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'request_timeout'] : [400, 'malformed_request']
    options.onRejected?.(reason)
    if (socket.writable) socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`)
    else socket.destroy()
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const addr = server.address()
      const actualPort = typeof addr === 'object' && addr !== null ? addr.port : port
      const shownHost = host.includes(':') ? `[${host}]` : host
      resolve({
        server,
        url: `http://${shownHost}:${actualPort}`,
        close: () => new Promise<void>((done) => {
          server.close(() => { done() })
          server.closeAllConnections()
        })
      })
    })
  })
}
