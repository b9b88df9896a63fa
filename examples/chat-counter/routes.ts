/**
 * The app's HTTP routes (the fixed "example app JSON API" of DESIGN.md), the page, and the event stream.
 * `handle` answers what it knows and returns false for the rest, like the peer API's `handle`, so the
 * server can chain them on one port.
 *
 *   GET  /api/counter  → {"value": n}
 *   POST /api/counter  {"delta": n} → {"value": n}            once durable on this peer
 *   GET  /api/chat     → [{"id","from","text","at"}]          ordered by at, then id
 *   POST /api/chat     {"from","text"} → {"id","from","text","at"}   once durable on this peer
 *   GET  /api/state    → the page's state snapshot (see live.ts)
 *   GET  /api/events   → Server-Sent Events: `state`, `chat`
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { bearerAuthorizer, readJson, sameOrigin } from '../../dist/index.js'
import type { HttpApi, Peer } from '../../dist/index.js'
import { appState } from './live.ts'
import type { LiveUpdates } from './live.ts'
import type { ChatCounter } from './model.ts'
import type { StaticFiles } from './static.ts'
import { BadRequest, LIMITS, parseChatPost, parseDelta } from './validate.ts'

export interface AppRoutesInit {
  peer: Peer
  model: ChatCounter
  live: LiveUpdates
  /** The peer API: its json/fail helpers keep both APIs' answers and error mapping alike. */
  api: HttpApi
  staticFiles: StaticFiles
  /** `--http-token`: required on /api/* as on the peer API (the page and its assets stay public). */
  token?: string | undefined
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void

export function createAppRoutes (o: AppRoutesInit): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { api, model, peer } = o
  const authorized = bearerAuthorizer(o.token)
  const body = (req: IncomingMessage): Promise<unknown> => readJson(req, { maxBytes: LIMITS.bodyBytes })
  const routes: Record<string, Partial<Record<string, Handler>>> = {
    '/api/counter': {
      GET: (_q, res) => { api.json(res, 200, { value: model.counter() }) },
      POST: async (req, res) => {
        const delta = parseDelta(await body(req))
        api.json(res, 200, { value: await model.add(delta) })
      }
    },
    '/api/chat': {
      GET: (_q, res) => { api.json(res, 200, model.messages()) },
      POST: async (req, res) => {
        const { from, text } = parseChatPost(await body(req))
        api.json(res, 200, await model.post(from, text))
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
    if (o.staticFiles.serve(req, res, url.pathname)) return true
    if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false
    try {
      if (!authorized(req)) {
        res.setHeader('www-authenticate', 'Bearer')
        throw new BadRequest('missing or wrong bearer token', 401)
      }
      const methods = routes[url.pathname]
      if (methods === undefined) throw new BadRequest(`no route ${url.pathname}`, 404)
      const handler = methods[req.method ?? '']
      if (handler === undefined) {
        res.setHeader('allow', Object.keys(methods).join(', '))
        throw new BadRequest(`${req.method ?? '?'} is not allowed on ${url.pathname}`, 405)
      }
      if (req.method !== 'GET' && !sameOrigin(req)) throw new BadRequest('cross-origin request refused', 403)
      await handler(req, res)
    } catch (err) {
      if (err instanceof BadRequest) {
        if (!res.headersSent) api.json(res, err.status, { error: err.message })
      } else {
        api.fail(res, err) // HttpError (body limits) and named murmur errors → their status; anything else → 500, logged
      }
    }
    return true
  }
}
