/** A node:http server around a request handler, with the timeouts an exposed server needs. */
import { createServer } from 'node:http'
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

export function startHttpServer (handler: RequestHandler, host: string, port: number): Promise<RunningServer> {
  const server = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    Promise.resolve(handler(req, res)).catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
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
