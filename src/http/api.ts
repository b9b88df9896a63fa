/**
 * The peer's HTTP API (the fixed table of DESIGN.md), as a request handler that an application can mount
 * beside its own routes: `handle` answers the requests it knows and returns false for the rest.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Registry } from 'prom-client'
import type * as Y from 'yjs'
import type { Peer } from '../api.js'
import type { Logger } from '../core/logger.js'
import { silentLogger } from '../core/logger.js'
import { controlCharIn, terminalSafe, terminalSafeJson } from '../core/terminal-safe.js'
import { createAccessCheck, parseOrigins } from './access.js'
import type { AccessCheck, AccessOptions } from './access.js'
import { allowCrossOrigin, answerPreflight, isPreflight } from './cors.js'
import type { Route } from './route.js'
import { agentRoutes } from './agent-routes.js'
import { isRecord, readJson } from './body.js'
import { HttpError, KeyNotFoundError, errorAnswer, errorBody } from './errors.js'
import { idempotencyOf, markReplayed } from './idempotency.js'
import { KV_MAP, docJsonText, docToJSON, unrenderable, valueToJSON } from './doc-json.js'
import { createMetrics } from './metrics.js'
import type { HttpCounters } from './metrics.js'
import { SseHub } from './sse.js'
import { awaitWriteConcern, writeConcernOf } from './write-concern.js'
import { registerYjsMetrics } from '../yjs/metrics.js'
import type { YjsInit } from '../yjs/config.js'
import { lazyYjsUpgrade } from './yjs-upgrade.js'
import { meshRoutes } from './mesh.js'
import { presenceRoutes } from './presence.js'
import type { HttpServerOptions } from './server.js'

export interface HttpApiOptions {
  /** Serve `/admin/*` (404 otherwise). */
  allowFaultInjection?: boolean
  /** Require `Authorization: Bearer <token>` on every route but `/health`. */
  token?: string | undefined
  /** Host names served besides loopback ones (`--http-allow-host`; see access.ts). */
  allowHosts?: readonly string[] | undefined
  /** Browser origins allowed to call the API (`--http-allow-origin`: parseOrigin's form; see cors.ts). */
  allowOrigins?: readonly string[] | undefined
  /**
   * Whether `/ready` answers ready while this peer is the only alive member (asked at each request when a
   * function). The agent passes `() => peer.nobodyToJoin()`: no bootstrap address and no mDNS, or
   * bootstrap addresses that are all its own (a one-pod StatefulSet). Default false: ready once at least
   * one other member is alive.
   */
  readyAlone?: boolean | (() => boolean)
  /** Called once `POST /leave` has left and answered (the agent exits; default: nothing more). */
  onLeave?: () => void
  log?: Logger
  /** Limits of the y-websocket endpoint (`/yjs/<doc>`). */
  yjs?: YjsInit
}

export interface HttpApi {
  /** Answers a request of the peer API; returns false if the path is not one of ours. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>
  /**
   * The Host / Origin / token check of this API's configuration, for routes mounted beside it (an app's
   * routes, a WebSocket upgrade): undefined when the request may proceed, else the refusal to answer.
   */
  authorize: AccessCheck
  /**
   * CORS for a route mounted beside this API (an app's), as the API's own routes have it: names an
   * `allowOrigins` origin in `Access-Control-Allow-Origin`, and answers a preflight from one (Host and Origin
   * checked; 403 otherwise) with the route's `methods`. True when it answered (a preflight): the route is done.
   */
  cors(req: IncomingMessage, res: ServerResponse, methods: readonly string[]): boolean
  /** Answers 404 `not_found` (or the Host/Origin refusal: unknown paths are not served to foreign Hosts either). */
  notFound(req: IncomingMessage, res: ServerResponse): void
  /** Sends a JSON response (for applications mounting their own routes). */
  json(res: ServerResponse, status: number, body: unknown): void
  /** Reports an error as `{error, code}` with its status (HttpError, named errors, or a logged 500). */
  fail(res: ServerResponse, err: unknown): void
  /** Replaces the names of `allowHosts` (SIGHUP). */
  setAllowHosts(hosts: readonly string[]): void
  /** Replaces `allowOrigins` (SIGHUP). */
  setAllowOrigins(origins: readonly string[]): void
  /** Counts a request refused outside a handler (pass it as startHttpServer's onRejected). */
  noteRejected(reason: string): void
  readonly metrics: Registry
  readonly events: SseHub
  /** The HTTP server's `upgrade` hook: serves `ws://…/yjs/<doc>` (y-websocket); false for other paths. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  /** Options for startHttpServer: refusal counting, the WebSocket upgrade, and advertising the URL. */
  readonly serverOptions: HttpServerOptions
  close(): void
}

/** Peer-id-like strings in `/admin/partition`; anything else is refused before reaching the transport. */
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{32,128}$|^b[a-z2-7]{32,128}$/
const MAX_BLOCK_LIST = 10_000
const MAX_KEY_CHARS = 1024
/** Doc events are coalesced per doc for this long, so a burst of remote updates costs one digest. */
const DOC_EVENT_COALESCE_MS = 100

/**
 * Whether HEAD is answered by this route: every GET (RFC 9110 §9.3.2; Node sends no body for HEAD) but an
 * event stream, whose answer never ends.
 */
const servesHead = (r: Route): boolean => r.method === 'GET' && r.name !== 'events'

/**
 * The URL other peers (and the /mesh page) can use for this API: a wildcard listen address (0.0.0.0, ::)
 * is replaced by the host of this peer's first non-loopback multiaddr, or loopback if it has none.
 */
export function advertisedUrl (url: string, multiaddrs: readonly string[]): string {
  const u = new URL(url)
  if (u.hostname !== '0.0.0.0' && u.hostname !== '[::]') return url
  const hosts = multiaddrs.map(a => /^\/ip[46]\/([^/]+)/.exec(a)?.[1]).filter((h): h is string => h !== undefined && h !== '0.0.0.0' && h !== '::')
  const host = hosts.find(h => h !== '127.0.0.1' && h !== '::1') ?? hosts[0] ?? '127.0.0.1'
  u.hostname = host.includes(':') ? `[${host}]` : host
  return u.origin
}

export function createHttpApi (peer: Peer, options: HttpApiOptions = {}): HttpApi {
  const log = options.log ?? silentLogger
  const events = new SseHub()
  const counters: HttpCounters = { requests: new Map(), rejected: new Map(), sseDropped: () => events.dropped }
  const metrics = createMetrics(peer, counters)
  const { observeHttp } = metrics
  let accessOptions: AccessOptions = { token: options.token, allowHosts: options.allowHosts, allowOrigins: parseOrigins(options.allowOrigins ?? []) }
  let access = createAccessCheck(accessOptions)
  const reconfigure = (change: AccessOptions): void => {
    accessOptions = { ...accessOptions, ...change }
    access = createAccessCheck(accessOptions)
  }
  const authorize: AccessCheck = (req, route) => access(req, route)
  // WebSocket clients: the same check, with the token allowed in the URL (browsers cannot set headers).
  const yjs = lazyYjsUpgrade(peer, { authorize: req => authorize(req, { queryToken: true }), ...(options.yjs === undefined ? {} : { config: options.yjs }), log: log.child('yjs') })
  registerYjsMetrics(metrics.registry, metrics.peerStats, yjs)
  const count = (map: Map<string, number>, key: string): void => { map.set(key, (map.get(key) ?? 0) + 1) }
  // R, read once: it does not change while the peer runs, and placement() counts every held doc.
  let r: number | undefined
  const replicas = (): number => (r ??= peer.placement().replicas)

  /** Sends `body` as JSON; `doc`: a doc is rendered in it, whose nesting may overflow JSON.stringify (unrenderable). */
  const json = (res: ServerResponse, status: number, body: unknown, doc?: string): void => {
    let text: string
    try {
      text = doc === undefined ? JSON.stringify(body) : docJsonText(body)
    } catch (err) {
      throw doc === undefined ? err : unrenderable(err, doc)
    }
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
    res.end(text)
  }
  const fail = (res: ServerResponse, err: unknown): void => {
    const a = errorAnswer(err)
    // A 404 is an answer ("no such doc"), not a refusal, and an unknown outcome is not one either (it is
    // counted in murmur_writes_total); everything else is counted under its code.
    if (a.status !== 404 && a.code !== 'outcome_unknown') count(counters.rejected, a.code)
    if (a.internal) log.error('http handler failed', { error: err instanceof Error ? err.stack ?? err.message : String(err) })
    if (res.headersSent) {
      res.destroy()
      return
    }
    for (const [k, v] of Object.entries(a.headers)) res.setHeader(k, v)
    json(res, a.status, { ...a.details, ...errorBody(a.code, a.message) })
  }
  const notFound = (req: IncomingMessage, res: ServerResponse): void => {
    // For an allowed origin, as on every route: without it a browser reports a CORS failure, not the 404.
    allowCrossOrigin(req, res, accessOptions.allowOrigins ?? [])
    const refused = authorize(req, { public: true })
    fail(res, refused ?? new HttpError(404, 'not_found', `no route ${req.method ?? ''} ${(req.url ?? '').split('?')[0] ?? ''}`))
  }
  const param = (raw: string, what: string): string => {
    try {
      return decodeURIComponent(raw)
    } catch {
      throw new HttpError(400, 'invalid_path', `${what} is not valid percent-encoding`)
    }
  }
  /**
   * Reads never create a doc: a name nobody has (here or on a live peer) is a 404, not a new replica. They
   * do not keep it open either (`peer.read`), so memory follows use.
   */
  const reading = async <T>(name: string, fn: (doc: Y.Doc) => T): Promise<T> => {
    const out = await peer.read(name, (doc) => ({ value: fn(doc) }))
    if (out === undefined) throw new HttpError(404, 'doc_not_found', `no doc ${terminalSafeJson(name)} here or on a live peer`)
    return out.value
  }
  const key = (raw: string): string => {
    const k = param(raw, 'key')
    if (k.length === 0 || k.length > MAX_KEY_CHARS) throw new HttpError(400, 'invalid_key', `key must be 1–${MAX_KEY_CHARS} characters`)
    return k
  }
  /**
   * A key to set: key()'s rule, and no control character (C0, DEL, C1). A key holding ESC or NUL was stored
   * and replicated, then showed up in every listing and error message that quotes it (`no key "…"`), where
   * a terminal would act on it. Keys that already hold one (set before this rule, by the library or over
   * y-websocket) can still be read and deleted, as tags can (agent-routes.ts).
   */
  const newKey = (raw: string): string => {
    const k = key(raw)
    const at = controlCharIn(k)
    if (at !== undefined) throw new HttpError(400, 'invalid_key', `key ${terminalSafeJson(k.slice(0, 80))} holds a control character ${at}: keys set over HTTP are printable text`)
    return k
  }
  /**
   * The name of a doc to write: no control character (C0, DEL, C1), as newKey. The wire refuses C0 and DEL
   * in names but carries C1 (codec.ts checkDocName, kept so for peers that hold such docs already): a write
   * to `a%C2%9Bb` created a doc whose name holds CSI, which an 8-bit terminal acts on. Docs that already have
   * one are still read and deleted; bidi controls stay allowed (listings quote them: unambiguousName).
   */
  const newDocName = (raw: string): string => {
    const name = param(raw, 'doc name')
    const at = controlCharIn(name)
    if (at !== undefined) throw new HttpError(400, 'invalid_doc_name', `doc name ${terminalSafeJson(name.slice(0, 80))} holds a control character ${at}: docs written over HTTP have printable names`)
    return name
  }
  const aliveOthers = (): number => peer.members().filter(m => m.state === 'alive' && m.peerId !== peer.id).length

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

  /** `/ready` has answered ready: the catch-up is not asked again. */
  let readyOnce = false
  const routes: Route[] = [
    // Liveness: the process answers HTTP. No token (probes and load balancers have none), no details.
    { method: 'GET', pattern: /^\/health$/, name: 'health', access: { public: true }, run: (_q, res) => { json(res, 200, { ok: true }) } },
    {
      // Readiness: the store can persist writes, and in a mesh (another member alive) or with nobody to join.
      method: 'GET', pattern: /^\/ready$/, name: 'ready',
      run: (_q, res) => {
        const store = peer.storeHealth()
        if (store.state === 'full') throw new HttpError(503, 'storage_full', `the store is full (${store.reason ?? 'no space left'}): writes are refused until space is freed`, { 'retry-after': '1' })
        if (store.state === 'failing') throw new HttpError(503, 'store_failing', `the store is failing (${store.reason ?? 'write error'}): writes are refused until it recovers`, { 'retry-after': '1' })
        const others = aliveOthers()
        const alone = typeof options.readyAlone === 'function' ? options.readyAlone() : options.readyAlone === true
        if (others === 0 && !alone) throw new HttpError(503, 'not_ready', 'no other member is alive yet: not part of a mesh')
        // Joining a mesh, reads must see what it acknowledged while this peer was down (a restart): wait for
        // the first comparison of the docs homed here with their other homes (bounded: catch-up.ts). Asked
        // only on the way to ready: a peer ready alone (a seed) does not turn unready when others join.
        const caught = others === 0 || readyOnce ? undefined : peer.catchUp()
        if (caught !== undefined && !caught.done) {
          throw new HttpError(503, 'catching_up', `${caught.pending} doc(s) homed here not yet compared with another of their homes since this peer started: reads could miss writes made meanwhile`, { 'retry-after': '1' })
        }
        readyOnce = true
        json(res, 200, { ready: true, peerId: peer.id, alive: others + 1 })
      }
    },
    { method: 'GET', pattern: /^\/members$/, name: 'members', run: (_q, res) => { json(res, 200, peer.members()) } },
    {
      method: 'GET', pattern: /^\/events$/, name: 'events', access: { queryToken: true },
      run: (req, res) => {
        if (!events.attach(req, res, [{ event: 'hello', data: { peerId: peer.id, members: peer.members() } }])) count(counters.rejected, 'event_streams_full')
      }
    },
    {
      method: 'GET', pattern: /^\/metrics$/, name: 'metrics',
      run: async (_q, res) => {
        const text = await metrics.scrape()
        res.writeHead(200, { 'content-type': metrics.registry.contentType })
        res.end(text)
      }
    },
    { method: 'GET', pattern: /^\/docs$/, name: 'docs', run: (_q, res) => { json(res, 200, peer.docs()) } },
    {
      method: 'GET', pattern: /^\/docs\/([^/]+)$/, name: 'doc',
      run: async (_q, res, [rawName = '']) => {
        const name = param(rawName, 'doc name')
        const body = await reading(name, (doc) => ({ name, digest: peer.digest(name), version: peer.version(name), homes: peer.homes(name), content: docToJSON(doc) })).catch((err: unknown) => { throw unrenderable(err, name) })
        json(res, 200, body, name)
      }
    },
    {
      method: 'DELETE', pattern: /^\/docs\/([^/]+)$/, name: 'doc',
      run: async (req, res, [rawName = '']) => {
        const name = param(rawName, 'doc name')
        const options = idempotencyOf(req)
        const w = writeConcernOf(req, peer, replicas())
        let replayed = false
        const version = await peer.delete(name, { ...options, onReplay: () => { replayed = true } })
        markReplayed(res, replayed)
        await awaitWriteConcern(peer, w, name, version)
        json(res, 200, { deleted: name, version })
      }
    },
    {
      // ?doc=<name> adds that doc's homes (computed from the member set: the doc need not exist anywhere).
      method: 'GET', pattern: /^\/placement$/, name: 'placement',
      run: (req, res) => {
        const named = new URL(req.url ?? '/', 'http://localhost').searchParams.getAll('doc')
        if (named.length > 1) throw new HttpError(400, 'invalid_doc_name', `give doc once, got ${named.length} values`)
        const name = named[0]
        json(res, 200, name === undefined ? peer.placement() : { ...peer.placement(), doc: { name, homes: peer.homes(name) } })
      }
    },
    {
      method: 'GET', pattern: /^\/docs\/([^/]+)\/kv\/([^/]+)$/, name: 'kv',
      run: async (_q, res, [rawName = '', rawKey = '']) => {
        const name = param(rawName, 'doc name')
        const k = key(rawKey)
        const found = await reading(name, (doc) => { const map = doc.getMap(KV_MAP); return map.has(k) ? { value: valueToJSON(map.get(k)) } : undefined }).catch((err: unknown) => { throw unrenderable(err, name) })
        if (found === undefined) throw new HttpError(404, 'key_not_found', `no key ${terminalSafeJson(k)} in ${terminalSafe(name)}`)
        json(res, 200, found.value, name)
      }
    },
    {
      method: 'PUT', pattern: /^\/docs\/([^/]+)\/kv\/([^/]+)$/, name: 'kv',
      run: async (req, res, [rawName = '', rawKey = '']) => {
        const name = newDocName(rawName)
        const k = newKey(rawKey)
        const value = await readJson(req)
        // The size it adds, roughly (Yjs stores the value about as compactly as JSON): a doc at its limit answers 413.
        const bytes = Buffer.byteLength(k) + Buffer.byteLength(JSON.stringify(value) ?? '')
        const w = writeConcernOf(req, peer, replicas())
        let ran = false
        const version = await peer.write(name, (doc) => { ran = true; doc.getMap(KV_MAP).set(k, value) }, { bytes, ...idempotencyOf(req, JSON.stringify(value)) })
        markReplayed(res, !ran)
        await awaitWriteConcern(peer, w, name, version)
        json(res, 200, { version })
      }
    },
    {
      method: 'DELETE', pattern: /^\/docs\/([^/]+)\/kv\/([^/]+)$/, name: 'kv',
      run: async (req, res, [rawName = '', rawKey = '']) => {
        const name = param(rawName, 'doc name')
        const k = key(rawKey)
        const options = idempotencyOf(req)
        await reading(name, () => true) // a key of a doc nobody has is a 404: deleting it must not create the doc
        const w = writeConcernOf(req, peer, replicas())
        let ran = false
        // A key the doc lacks is a 404 like GET's, decided in the write's own transaction (after a retry's
        // replay check: a retry of a delete that was applied answers 200 like the first) and before anything
        // is applied, so neither a change nor the Idempotency-Key's record is written.
        const version = await peer.write(name, (doc) => {
          ran = true
          const map = doc.getMap(KV_MAP)
          if (!map.has(k)) throw new KeyNotFoundError(`no key ${terminalSafeJson(k)} in ${terminalSafe(name)}`)
          map.delete(k)
        }, options)
        markReplayed(res, !ran)
        await awaitWriteConcern(peer, w, name, version)
        json(res, 200, { version })
      }
    }
  ]
  // The y-websocket endpoint answers WebSocket upgrades only (the server's `upgrade` hook); a plain request to
  // it was a 404 "no route", as if the endpoint did not exist. Its URL takes `?access_token=` as the upgrade
  // does: a client's URL tried with curl was a 401 saying tokens in URLs are for WebSockets only.
  routes.push({
    method: 'GET', pattern: /^\/yjs\/[^/]+$/, name: 'yjs', access: { queryToken: true },
    run: () => { throw new HttpError(426, 'upgrade_required', 'this is the y-websocket endpoint: connect with a WebSocket client (ws://host:port/yjs/<doc>, e.g. y-websocket\'s WebsocketProvider)', { upgrade: 'websocket' }) }
  })
  routes.push(...agentRoutes(peer, json, options.onLeave))
  const presence = presenceRoutes(peer, { param, json })
  routes.push(...presence.routes, ...meshRoutes(peer, { token: options.token, allowFaultInjection: options.allowFaultInjection === true, log, json }))
  if (options.allowFaultInjection === true) {
    routes.push(
      {
        method: 'POST', pattern: /^\/admin\/partition$/, name: 'admin',
        run: async (req, res) => {
          const body = await readJson(req)
          const block = isRecord(body) ? body.block : undefined
          if (!Array.isArray(block) || block.length > MAX_BLOCK_LIST || !block.every(b => typeof b === 'string' && PEER_ID.test(b))) {
            throw new HttpError(400, 'invalid_body', 'expected {"block": ["<peerId>", ...]}')
          }
          if (block.includes(peer.id)) throw new HttpError(400, 'invalid_body', `a peer cannot block itself: ${peer.id} is this peer`)
          peer.partition(block as string[])
          json(res, 200, { blocked: peer.blocked() })
        }
      },
      {
        // No body: heal everything. {"unblock": [ids]}: allow only those again (the /mesh page heals one link).
        method: 'DELETE', pattern: /^\/admin\/partition$/, name: 'admin',
        run: async (req, res) => {
          const body = await readJson(req, { allowEmpty: true })
          if (body === undefined) {
            peer.heal()
          } else {
            const ids = isRecord(body) ? body.unblock : undefined
            if (!Array.isArray(ids) || ids.length > MAX_BLOCK_LIST || !ids.every(b => typeof b === 'string' && PEER_ID.test(b))) {
              throw new HttpError(400, 'invalid_body', 'expected no body, or {"unblock": ["<peerId>", ...]}')
            }
            peer.heal(ids as string[])
          }
          json(res, 200, { blocked: peer.blocked() })
        }
      },
      { method: 'GET', pattern: /^\/admin\/partition$/, name: 'admin', run: (_q, res) => { json(res, 200, { blocked: peer.blocked() }) } }
    )
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const matching = routes.filter(r => r.pattern.test(path))
    if (matching.length === 0) return false
    let routeName = matching[0]?.name ?? 'unknown'
    const started = performance.now()
    const methods = (): string[] => matching.flatMap(r => servesHead(r) ? [r.method, 'HEAD'] : [r.method])
    try {
      allowCrossOrigin(req, res, accessOptions.allowOrigins ?? [])
      if (isPreflight(req)) {
        // Host and Origin only: a preflight never carries the token (the request it precedes will).
        const refused = authorize(req, { public: true })
        if (refused !== undefined) throw refused
        answerPreflight(res, methods())
        return true
      }
      const route = matching.find(r => r.method === req.method) ?? (req.method === 'HEAD' ? matching.find(servesHead) : undefined)
      // Access first, with the strictest rule of the path's routes when the method is wrong: a 405 must
      // not tell a caller without the token which methods exist.
      const refused = authorize(req, route?.access ?? (matching.every(r => r.access?.public === true) ? { public: true } : {}))
      if (refused !== undefined) throw refused
      if (route === undefined) {
        throw new HttpError(405, 'method_not_allowed', `${req.method ?? '?'} is not allowed on ${path}`, { allow: methods().join(', ') })
      }
      routeName = route.name
      const params = route.pattern.exec(path)?.slice(1) ?? []
      await route.run(req, res, params)
    } catch (err) {
      fail(res, err)
    } finally {
      count(counters.requests, `${routeName} ${res.statusCode}`)
      if (routeName !== 'events') observeHttp(routeName, (performance.now() - started) / 1000)
    }
    return true
  }

  const cors = (req: IncomingMessage, res: ServerResponse, methods: readonly string[]): boolean => {
    allowCrossOrigin(req, res, accessOptions.allowOrigins ?? [])
    if (!isPreflight(req)) return false
    const refused = authorize(req, { public: true })
    if (refused !== undefined) fail(res, refused)
    else answerPreflight(res, methods)
    return true
  }

  const noteRejected = (reason: string): void => { count(counters.rejected, reason) }
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => yjs.upgrade(req, socket, head)
  return {
    handle,
    authorize,
    cors,
    notFound,
    setAllowHosts: (hosts) => { reconfigure({ allowHosts: hosts }) },
    setAllowOrigins: (origins) => { reconfigure({ allowOrigins: parseOrigins(origins) }) },
    json,
    fail,
    noteRejected,
    metrics: metrics.registry,
    events,
    upgrade,
    serverOptions: { onRejected: noteRejected, onUpgrade: upgrade, onListening: (url) => { peer.advertiseHttp(advertisedUrl(url, peer.addresses())) } },
    close: () => {
      yjs.close()
      presence.close()
      for (const u of unsubscribe) u()
      if (docTimer !== undefined) clearTimeout(docTimer)
      // The last event of every stream: `murmur monitor` ends on it (exit 0 after a leave), where a stream
      // that is cut (the agent killed) ends without it.
      events.close({ event: 'closing', data: { peerId: peer.id, left: peer.self().state === 'left' } })
    }
  }
}
