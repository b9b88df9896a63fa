/**
 * The app's HTTP routes (the fixed "example app JSON API" of DESIGN.md), the page, and the event stream.
 * `handle` answers what it knows and returns false for the rest, like the peer API's `handle`, so the
 * server can chain them on one port.
 *
 *   GET  /api/counter  → {"value": n}
 *   POST /api/counter  {"delta": n} → {"value": n}            once durable on this peer
 *   GET  /api/chat     → [{"id","from","text","at"}]          ordered by at, then id
 *   POST /api/chat     {"from","text"} → {"id","from","text","at"}   once durable on this peer
 *
 * Both POSTs take an `Idempotency-Key` header (one per click in the page): retried with the same key, on
 * this peer or another, the write takes effect once; a retry answers `Idempotent-Replayed: true` (a chat
 * POST with the message as it was first stored, a counter POST with the current value). Outcomes are the peer API's: 2xx durable; 4xx, 503,
 * 507 not applied; 500 (`outcome_unknown`, `internal`) or no answer: retry with the same key.
 *   GET  /api/state    → the page's state snapshot (see live.ts)
 *   GET  /api/events   → Server-Sent Events: `state`, `chat`
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { HttpError, idempotencyOf, markReplayed, readJson } from '../../dist/index.js'
import type { HttpApi, Peer, RouteAccess } from '../../dist/index.js'
import { appState } from './live.ts'
import type { LiveUpdates } from './live.ts'
import type { ChatCounter } from './model.ts'
import type { StaticFiles } from './static.ts'
import { LIMITS, parseChatPost, parseDelta } from './validate.ts'

export interface AppRoutesInit {
  peer: Peer
  model: ChatCounter
  live: LiveUpdates
  /**
   * The peer API: its access check (Host, Origin, token) guards these routes too, and its json/fail
   * helpers keep both APIs' answers and error codes alike.
   */
  api: HttpApi
  staticFiles: StaticFiles
}

/** The page and its assets need no token (it is typed into the page); the event stream takes it in the URL. */
const PAGE: RouteAccess = { public: true }
const EVENTS: RouteAccess = { queryToken: true }

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void

export function createAppRoutes (o: AppRoutesInit): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { api, model, peer } = o
  const body = (req: IncomingMessage): Promise<unknown> => readJson(req, { maxBytes: LIMITS.bodyBytes })
  const routes: Record<string, Partial<Record<string, Handler>>> = {
    '/api/counter': {
      GET: (_q, res) => { api.json(res, 200, { value: model.counter() }) },
      POST: async (req, res) => {
        const delta = parseDelta(await body(req))
        let replayed = false
        const value = await model.add(delta, { ...idempotencyOf(req, String(delta)), onReplay: () => { replayed = true } })
        markReplayed(res, replayed)
        api.json(res, 200, { value })
      }
    },
    '/api/chat': {
      GET: (_q, res) => { api.json(res, 200, model.messages()) },
      POST: async (req, res) => {
        const { from, text } = parseChatPost(await body(req))
        const { message, replayed } = await model.post(from, text, idempotencyOf(req, from, text))
        markReplayed(res, replayed)
        api.json(res, 200, message)
      }
    },
    '/api/state': { GET: (_q, res) => { api.json(res, 200, appState(peer, model)) } },
    '/api/events': { GET: (req, res) => { o.live.attach(req, res) } }
  }

  return async (req, res) => {
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://localhost')
    } catch {
      return false // not ours; the peer API answers malformed targets
    }
    const isApi = url.pathname === '/api' || url.pathname.startsWith('/api/')
    if (!isApi && !o.staticFiles.has(url.pathname)) return false
    try {
      const methods = isApi ? routes[url.pathname] : undefined
      // HEAD as GET (Node sends no body), as the peer API does, but on the event stream, whose answer never ends.
      const headToo = methods?.GET !== undefined && url.pathname !== '/api/events'
      const allow = Object.keys(methods ?? {}).flatMap(m => m === 'GET' && headToo ? [m, 'HEAD'] : [m])
      // A page on an --http-allow-origin origin (a dev server) calls /api/* as it calls the peer API.
      if (methods !== undefined && api.cors(req, res, allow)) return true
      const refused = api.authorize(req, isApi ? (url.pathname === '/api/events' ? EVENTS : {}) : PAGE)
      if (refused !== undefined) throw refused
      if (!isApi) {
        // The page and its assets are GET and HEAD only: another method was the peer API's 404 "no route
        // POST /app.js", as if the path did not exist.
        if (!o.staticFiles.serve(req, res, url.pathname)) throw new HttpError(405, 'method_not_allowed', `${req.method ?? '?'} is not allowed on ${url.pathname}`, { allow: 'GET, HEAD' })
        return true
      }
      if (methods === undefined) throw new HttpError(404, 'not_found', `no route ${url.pathname}`)
      const handler = methods[req.method ?? ''] ?? (req.method === 'HEAD' && headToo ? methods.GET : undefined)
      if (handler === undefined) throw new HttpError(405, 'method_not_allowed', `${req.method ?? '?'} is not allowed on ${url.pathname}`, { allow: allow.join(', ') })
      await handler(req, res)
    } catch (err) {
      api.fail(res, err) // HttpError (bad bodies, access) and named murmur errors → status and code; anything else → 500, logged
    }
    return true
  }
}
