/**
 * The peer's HTTP API (the fixed table of DESIGN.md), as a request handler that an application can mount
 * beside its own routes: `handle` answers the requests it knows and returns false for the rest.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Registry } from 'prom-client'
import type * as Y from 'yjs'
import type { Peer } from '../api.js'
import type { Logger } from '../core/logger.js'
import { silentLogger } from '../core/logger.js'
import { bearerAuthorizer, sameOrigin } from './auth.js'
import { HttpError, isRecord, readJson } from './body.js'
import { KV_MAP, docToJSON } from './doc-json.js'
import { createMetrics } from './metrics.js'
import type { HttpCounters } from './metrics.js'
import { SseHub } from './sse.js'

export interface HttpApiOptions {
  /** Serve `/admin/*` (404 otherwise). */
  allowFaultInjection?: boolean
  /** Require `Authorization: Bearer <token>` on every route. */
  token?: string
  log?: Logger
}

export interface HttpApi {
  /** Answers a request of the peer API; returns false if the path is not one of ours. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>
  /** Sends a JSON response (for applications mounting their own routes). */
  json(res: ServerResponse, status: number, body: unknown): void
  /** Reports an error as JSON with the right status (HttpError, named errors, or 500). */
  fail(res: ServerResponse, err: unknown): void
  /** Counts a request refused outside a handler (pass it as startHttpServer's onRejected). */
  noteRejected(reason: string): void
  readonly metrics: Registry
  readonly events: SseHub
  close(): void
}

/** Peer-id-like strings in `/admin/partition`; anything else is refused before reaching the transport. */
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{32,128}$|^b[a-z2-7]{32,128}$/
const MAX_BLOCK_LIST = 10_000
const MAX_KEY_CHARS = 1024
/** Doc events are coalesced per doc for this long, so a burst of remote updates costs one digest. */
const DOC_EVENT_COALESCE_MS = 100

interface Route {
  method: string
  pattern: RegExp
  name: string
  run: (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void> | void
}

const STATUS_OF_ERROR: Record<string, number> = {
  InvalidDocNameError: 400,
  ConfigError: 400,
  RangeError: 400,
  TimeoutError: 504,
  RateLimitError: 429,
  TooManyDocsError: 503,
  StoreBusyError: 503,
  NotRunningError: 503
}

export function createHttpApi (peer: Peer, options: HttpApiOptions = {}): HttpApi {
  const log = options.log ?? silentLogger
  const events = new SseHub()
  const counters: HttpCounters = { requests: new Map(), rejected: new Map(), sseDropped: () => events.dropped }
  const metrics = createMetrics(peer, counters)
  const authorized = bearerAuthorizer(options.token)
  const count = (map: Map<string, number>, key: string): void => { map.set(key, (map.get(key) ?? 0) + 1) }

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    res.end(text)
  }
  const fail = (res: ServerResponse, err: unknown): void => {
    if (err instanceof HttpError) {
      if (err.reason !== undefined) count(counters.rejected, err.reason)
      json(res, err.status, { error: err.message })
      return
    }
    const name = err instanceof Error ? err.name : 'Error'
    const status = STATUS_OF_ERROR[name] ?? 500
    if (status === 500) log.error('http handler failed', { error: err instanceof Error ? err.stack ?? err.message : String(err) })
    else count(counters.rejected, name)
    if (!res.headersSent) json(res, status, { error: err instanceof Error ? err.message : String(err) })
    else res.destroy()
  }
  const param = (raw: string, what: string): string => {
    try {
      return decodeURIComponent(raw)
    } catch {
      throw new HttpError(400, `${what} is not valid percent-encoding`, 'invalid_path')
    }
  }
  /** Reads never create a doc: a name nobody has (here or on a live peer) is a 404, not a new replica. */
  const existing = async (name: string): Promise<Y.Doc> => {
    const doc = await peer.find(name)
    if (doc === undefined) throw new HttpError(404, `no doc "${name}" here or on a live peer`)
    return doc
  }
  const key = (raw: string): string => {
    const k = param(raw, 'key')
    if (k.length === 0 || k.length > MAX_KEY_CHARS) throw new HttpError(400, `key must be 1–${MAX_KEY_CHARS} characters`, 'invalid_key')
    return k
  }

  // Live events: membership changes as they happen, doc changes coalesced per doc.
  const pendingDocs = new Map<string, 'local' | 'remote'>()
  let docTimer: NodeJS.Timeout | undefined
  const flushDocs = (): void => {
    docTimer = undefined
    for (const [name, origin] of pendingDocs) events.publish('doc', { name, origin, digest: peer.digest(name), version: peer.version(name) })
    pendingDocs.clear()
  }
  const unsubscribe = [
    peer.on('member', (e) => { events.publish('member', e) }),
    peer.on('doc', (e) => {
      if (events.size === 0) return
      pendingDocs.set(e.name, e.origin)
      docTimer ??= setTimeout(flushDocs, DOC_EVENT_COALESCE_MS)
    })
  ]

  const routes: Route[] = [
    {
      method: 'GET', pattern: /^\/health$/, name: 'health',
      run: (_q, res) => { json(res, 200, { ok: true, peerId: peer.id, alive: peer.members().filter(m => m.state === 'alive').length }) }
    },
    { method: 'GET', pattern: /^\/members$/, name: 'members', run: (_q, res) => { json(res, 200, peer.members()) } },
    {
      method: 'GET', pattern: /^\/events$/, name: 'events',
      run: (req, res) => {
        if (!events.attach(req, res, [{ event: 'hello', data: { peerId: peer.id, members: peer.members() } }])) count(counters.rejected, 'event_streams_full')
      }
    },
    {
      method: 'GET', pattern: /^\/metrics$/, name: 'metrics',
      run: async (_q, res) => {
        const text = await metrics.metrics()
        res.writeHead(200, { 'content-type': metrics.contentType })
        res.end(text)
      }
    },
    { method: 'GET', pattern: /^\/docs$/, name: 'docs', run: (_q, res) => { json(res, 200, peer.docs()) } },
    {
      method: 'GET', pattern: /^\/docs\/([^/]+)$/, name: 'doc',
      run: async (_q, res, [rawName = '']) => {
        const name = param(rawName, 'doc name')
        const doc = await existing(name)
        json(res, 200, { name, digest: peer.digest(name), version: peer.version(name), content: docToJSON(doc) })
      }
    },
    {
      method: 'GET', pattern: /^\/docs\/([^/]+)\/kv\/([^/]+)$/, name: 'kv',
      run: async (_q, res, [rawName = '', rawKey = '']) => {
        const name = param(rawName, 'doc name')
        const k = key(rawKey)
        const map = (await existing(name)).getMap(KV_MAP)
        if (!map.has(k)) json(res, 404, { error: `no key "${k}" in ${name}` })
        else json(res, 200, map.get(k))
      }
    },
    {
      method: 'PUT', pattern: /^\/docs\/([^/]+)\/kv\/([^/]+)$/, name: 'kv',
      run: async (req, res, [rawName = '', rawKey = '']) => {
        const name = param(rawName, 'doc name')
        const k = key(rawKey)
        const value = await readJson(req)
        const version = await peer.write(name, (doc) => { doc.getMap(KV_MAP).set(k, value) })
        json(res, 200, { version })
      }
    },
    {
      method: 'DELETE', pattern: /^\/docs\/([^/]+)\/kv\/([^/]+)$/, name: 'kv',
      run: async (_q, res, [rawName = '', rawKey = '']) => {
        const name = param(rawName, 'doc name')
        const k = key(rawKey)
        const version = await peer.write(name, (doc) => { doc.getMap(KV_MAP).delete(k) })
        json(res, 200, { version })
      }
    }
  ]
  if (options.allowFaultInjection === true) {
    routes.push(
      {
        method: 'POST', pattern: /^\/admin\/partition$/, name: 'admin',
        run: async (req, res) => {
          const body = await readJson(req)
          const block = isRecord(body) ? body.block : undefined
          if (!Array.isArray(block) || block.length > MAX_BLOCK_LIST || !block.every(b => typeof b === 'string' && PEER_ID.test(b))) {
            throw new HttpError(400, 'expected {"block": ["<peerId>", ...]}', 'invalid_body')
          }
          peer.partition(block as string[])
          json(res, 200, { blocked: peer.blocked() })
        }
      },
      { method: 'DELETE', pattern: /^\/admin\/partition$/, name: 'admin', run: (_q, res) => { peer.heal(); json(res, 200, { blocked: [] }) } },
      { method: 'GET', pattern: /^\/admin\/partition$/, name: 'admin', run: (_q, res) => { json(res, 200, { blocked: peer.blocked() }) } }
    )
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const matching = routes.filter(r => r.pattern.test(path))
    if (matching.length === 0) return false
    let routeName = matching[0]?.name ?? 'unknown'
    try {
      if (!authorized(req)) {
        res.setHeader('www-authenticate', 'Bearer')
        throw new HttpError(401, 'missing or wrong bearer token', 'unauthorized')
      }
      const route = matching.find(r => r.method === req.method)
      if (route === undefined) {
        res.setHeader('allow', matching.map(r => r.method).join(', '))
        throw new HttpError(405, `${req.method ?? '?'} is not allowed on ${path}`, 'method_not_allowed')
      }
      routeName = route.name
      if (req.method !== 'GET' && !sameOrigin(req)) throw new HttpError(403, 'cross-origin request refused', 'cross_origin')
      const params = route.pattern.exec(path)?.slice(1) ?? []
      await route.run(req, res, params)
    } catch (err) {
      fail(res, err)
    } finally {
      count(counters.requests, `${routeName} ${res.statusCode}`)
    }
    return true
  }

  return {
    handle,
    json,
    fail,
    noteRejected: (reason) => { count(counters.rejected, reason) },
    metrics,
    events,
    close: () => {
      for (const u of unsubscribe) u()
      if (docTimer !== undefined) clearTimeout(docTimer)
      events.close()
    }
  }
}
