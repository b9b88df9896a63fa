/** A route of the HTTP API: method, path pattern, handler, and what it asks of a request (access.ts). */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RouteAccess } from './access.js'

export interface Route {
  method: string
  pattern: RegExp
  /** Label of `murmur_http_requests_total` and the duration histogram. */
  name: string
  run: (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void> | void
  /** Default: bearer token in the header (when the API has one). `{ public: true }`: a page and its assets. */
  access?: RouteAccess
}
