/**
 * `/mesh`: a page on every peer that shows the whole mesh live — every member as each peer sees it, every
 * doc's digest on every peer that holds it — and, with `--allow-fault-injection`, cuts and heals links.
 *
 *   GET  /mesh          the page (bundled at build time into dist/web/mesh/; no CDN)
 *   GET  /mesh/state    JSON: one entry per peer with its view, and where the view came from
 *   GET  /mesh/view     JSON: this peer's own view (what another peer's /mesh asks over HTTP)
 *   POST /mesh/links    {"op":"cut"|"heal","a":id,"b":id} | {"op":"isolate","a":id} | {"op":"heal-all"}
 *
 * How this peer learns the others' views: it asks them over the mesh (presence/views.ts — works wherever
 * the mesh works, needs no HTTP exposure or shared token, costs nothing while no page is open). A peer the
 * mesh cannot reach — exactly the interesting case during a partition injected through /mesh/links — is asked
 * over its HTTP API instead, at the address it advertises (the `murmur.http` member tag, gossiped with
 * membership, so it is known even for a peer that was never asked), with this peer's token (meshes that
 * share a token: tests, demos, one operator). Only with `--allow-fault-injection`: the tag is whatever a
 * member says, so a peer that followed it in production would hand its bearer token (which opens /leave and
 * the admin routes) to any member that points the tag at itself, and would fetch arbitrary URLs on a
 * member's say-so. Without fault injection a link is cut only by the network, which cuts HTTP too, so the
 * fallback would add nothing but that risk: such a peer is shown unreachable, with its last known view.
 *
 * Cutting and healing goes over HTTP only (each peer's /admin/partition): a cut link cannot carry its own
 * heal, and the mesh protocol never carries commands that change another peer's connectivity.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import type { Peer } from '../api.js'
import type { Logger } from '../core/logger.js'
import { terminalSafeJson } from '../core/terminal-safe.js'
import { HTTP_TAG, PRESENCE_LIMITS } from '../presence/index.js'
import type { MeshView } from '../presence/index.js'
import { isRecord, readJson } from './body.js'
import { HttpError } from './errors.js'
import type { MeshPeerState, MeshState } from './mesh-state.js'
import type { Route } from './route.js'

export interface MeshRouteDeps {
  token: string | undefined
  allowFaultInjection: boolean
  log: Logger
  json: (res: ServerResponse, status: number, body: unknown) => void
}

/** Views older than this are collected again (several open pages share one collection). */
const STATE_CACHE_MS = 500
/** How long peers get to answer, over the mesh and then over HTTP. */
const MESH_TIMEOUT_MS = 700
const HTTP_TIMEOUT_MS = 700
/** Peers remembered (last known view, advertised HTTP address). */
const MAX_REMEMBERED = 4096

const PAGE_TYPES: Record<string, string> = { 'index.html': 'text/html; charset=utf-8', 'mesh.js': 'text/javascript; charset=utf-8', 'mesh.css': 'text/css; charset=utf-8' }
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer'
}

/**
 * The built page: dist/web/mesh/ beside this module in the peer bundle (dist/peer.js), beside dist/http/ in
 * the library, or the built copy in dist/ when running from src/ in tests. Found by its built script, which
 * the sources in web/mesh/ lack.
 */
function pageDir (): string | undefined {
  const candidates = ['./web/mesh/', '../web/mesh/', '../../dist/web/mesh/'].map(rel => new URL(rel, import.meta.url).pathname)
  return candidates.find(p => existsSync(`${p}index.html`) && existsSync(`${p}mesh.js`))
}

function fromView (peerId: string, source: MeshPeerState['source'], v: MeshView, at: number): MeshPeerState {
  return {
    peerId,
    name: v.name,
    source,
    http: v.http ?? null,
    at,
    members: v.members.map(m => ({ peerId: m.id, name: m.name, state: m.state, incarnation: m.incarnation })),
    docs: v.docs.map(d => ({ name: d.name, digest: d.digest })),
    blocked: [...v.blocked]
  }
}

const str = (v: unknown, max: number): string | undefined => typeof v === 'string' && v.length <= max ? v : undefined

/**
 * Validates another peer's `/mesh/view` answer (input from the network: bounded, typed, or refused), with
 * the same limits as a view over the mesh.
 */
export function parsePeerState (body: unknown): Omit<MeshPeerState, 'source' | 'http' | 'at'> | undefined {
  if (!isRecord(body)) return undefined
  const peerId = str(body.peerId, PRESENCE_LIMITS.peerIdChars)
  const name = str(body.name, PRESENCE_LIMITS.nameChars)
  if (peerId === undefined || name === undefined || !Array.isArray(body.members) || !Array.isArray(body.docs)) return undefined
  if (body.members.length > PRESENCE_LIMITS.membersPerView || body.docs.length > PRESENCE_LIMITS.docsPerView) return undefined
  const members: MeshPeerState['members'] = []
  for (const m of body.members) {
    if (!isRecord(m)) return undefined
    const id = str(m.peerId, PRESENCE_LIMITS.peerIdChars)
    const n = str(m.name, PRESENCE_LIMITS.nameChars)
    const state = str(m.state, 16)
    if (id === undefined || n === undefined || state === undefined || !MEMBER_STATES.has(state) || !Number.isSafeInteger(m.incarnation)) return undefined
    members.push({ peerId: id, name: n, state, incarnation: m.incarnation as number })
  }
  const docs: MeshPeerState['docs'] = []
  for (const d of body.docs) {
    if (!isRecord(d)) return undefined
    const doc = str(d.name, PRESENCE_LIMITS.nameChars)
    const digest = str(d.digest, PRESENCE_LIMITS.digestChars)
    if (doc === undefined || digest === undefined) return undefined
    docs.push({ name: doc, digest })
  }
  const blocked = Array.isArray(body.blocked) && body.blocked.length <= PRESENCE_LIMITS.blockedPerView && body.blocked.every(b => str(b, PRESENCE_LIMITS.peerIdChars) !== undefined)
    ? body.blocked as string[]
    : null
  return { peerId, name, members, docs, blocked }
}

const MEMBER_STATES = new Set(['alive', 'suspect', 'dead', 'left'])

export function meshRoutes (peer: Peer, deps: MeshRouteDeps): Route[] {
  const lastKnown = new Map<string, MeshPeerState>()
  const httpOf = new Map<string, string>()
  let cached: { at: number, state: Promise<MeshState> } | undefined
  const files = new Map<string, Buffer>()

  const remember = (s: MeshPeerState): void => {
    if (lastKnown.size >= MAX_REMEMBERED && !lastKnown.has(s.peerId)) lastKnown.clear()
    lastKnown.set(s.peerId, s)
    if (s.http !== null) {
      if (httpOf.size >= MAX_REMEMBERED && !httpOf.has(s.peerId)) httpOf.clear()
      httpOf.set(s.peerId, s.http)
    }
  }

  const request = async (url: string, method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(deps.token === undefined ? {} : { authorization: `Bearer ${deps.token}` }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS)
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}${text === '' ? '' : ` ${text.slice(0, 200)}`}`)
    return text === '' ? undefined : JSON.parse(text) as unknown
  }

  /** A peer's view through its HTTP API (`GET /mesh/view`), when the mesh cannot reach it. */
  const viewOverHttp = async (peerId: string, url: string): Promise<MeshPeerState> => {
    const view = parsePeerState(await request(url, 'GET', '/mesh/view'))
    if (view === undefined) throw new Error(`${url}/mesh/view: not a view`)
    if (view.peerId !== peerId) throw new Error(`${url} is not ${peerId} any more`)
    return { ...view, source: 'http', http: url, at: Date.now() }
  }

  /** Advertised HTTP addresses, gossiped as member tags (known even for peers we cannot reach now). */
  const learnAdvertised = (): void => {
    for (const m of peer.members()) {
      const url = m.tags[HTTP_TAG]
      if (url !== undefined && /^https?:\/\/[^\s/]+$/.test(url) && m.peerId !== peer.id) httpOf.set(m.peerId, url)
    }
  }

  const collect = async (): Promise<MeshState> => {
    const now = Date.now()
    learnAdvertised()
    const self = fromView(peer.id, 'self', peer.meshView(), now)
    const others = peer.members().filter(m => m.peerId !== peer.id && m.state !== 'left')
    const askable = others.filter(m => m.state === 'alive' || m.state === 'suspect').map(m => m.peerId)
    const views = await peer.meshViews({ peers: askable, timeoutMs: MESH_TIMEOUT_MS })
    const states = new Map<string, MeshPeerState>()
    for (const [id, v] of views) states.set(id, fromView(id, 'mesh', v, Date.now()))
    await Promise.all(others.filter(m => deps.allowFaultInjection && !states.has(m.peerId)).map(async (m) => {
      const url = httpOf.get(m.peerId)
      if (url === undefined) return
      try {
        states.set(m.peerId, await viewOverHttp(m.peerId, url))
      } catch (err) {
        deps.log.debug('mesh view over HTTP failed', { peer: m.peerId, error: err instanceof Error ? err.message : String(err) })
      }
    }))
    for (const s of states.values()) remember(s)
    const peers = [self, ...others.map((m): MeshPeerState => {
      const s = states.get(m.peerId)
      if (s !== undefined) return s
      const last = lastKnown.get(m.peerId)
      return last === undefined
        ? { peerId: m.peerId, name: m.name, source: 'unreachable', http: httpOf.get(m.peerId) ?? null, at: 0, members: [], docs: [], blocked: null }
        : { ...last, source: 'unreachable' }
    })]
    return { self: peer.id, now, faultInjection: deps.allowFaultInjection, peers }
  }

  const state = (): Promise<MeshState> => {
    if (cached === undefined || Date.now() - cached.at > STATE_CACHE_MS) cached = { at: Date.now(), state: collect() }
    return cached.state
  }

  /** Blocks or unblocks `ids` at `target` (this peer, or another over its HTTP API). */
  const apply = async (target: string, action: 'block' | 'unblock' | 'healAll', ids: string[]): Promise<void> => {
    if (target === peer.id) {
      if (action === 'block') peer.partition(ids)
      else if (action === 'unblock') peer.heal(ids)
      else peer.heal()
      return
    }
    const url = httpOf.get(target)
    if (url === undefined) throw new Error('no HTTP address known for this peer (it advertises none: started without --http?)')
    if (action === 'block') await request(url, 'POST', '/admin/partition', { block: ids })
    else await request(url, 'DELETE', '/admin/partition', action === 'unblock' ? { unblock: ids } : undefined)
  }

  const links = async (body: unknown): Promise<Array<{ peerId: string, ok: boolean, error?: string }>> => {
    const op = isRecord(body) ? body.op : undefined
    const a = isRecord(body) && typeof body.a === 'string' ? body.a : undefined
    const b = isRecord(body) && typeof body.b === 'string' ? body.b : undefined
    const known = new Set(peer.members().map(m => m.peerId))
    // Which field, and why: 'a and b must be member peer ids' answered an isolate, which has no b, too.
    const check = (id: string | undefined, field: 'a' | 'b'): string => {
      if (id === undefined) throw new HttpError(400, 'invalid_body', `${String(op)} needs "${field}": a member's peer id`)
      if (!known.has(id)) throw new HttpError(400, 'invalid_body', `"${field}" ${terminalSafeJson(id.slice(0, 80))} is not a member's peer id (GET /members lists them)`)
      return id
    }
    let plan: Array<[string, 'block' | 'unblock' | 'healAll', string[]]>
    if (op === 'cut' || op === 'heal') {
      const [x, y] = [check(a, 'a'), check(b, 'b')]
      if (x === y) throw new HttpError(400, 'invalid_body', 'a and b must differ')
      const action = op === 'cut' ? 'block' : 'unblock'
      plan = [[x, action, [y]], [y, action, [x]]]
    } else if (op === 'isolate') {
      const x = check(a, 'a')
      const rest = [...known].filter(id => id !== x)
      plan = [[x, 'block', rest], ...rest.map((id): [string, 'block', string[]] => [id, 'block', [x]])]
    } else if (op === 'heal-all') {
      plan = [...known].map((id): [string, 'healAll', string[]] => [id, 'healAll', []])
    } else {
      throw new HttpError(400, 'invalid_body', 'op must be cut, heal, isolate or heal-all')
    }
    deps.log.info('/mesh: fault injection', { op: String(op), peers: plan.length })
    cached = undefined
    // A script may cut links on a peer whose page was never opened: the addresses come from the tags.
    learnAdvertised()
    return await Promise.all(plan.map(async ([target, action, ids]) => {
      try {
        await apply(target, action, ids)
        return { peerId: target, ok: true }
      } catch (err) {
        return { peerId: target, ok: false, error: err instanceof Error ? err.message : String(err) }
      }
    }))
  }

  const serveFile = (res: ServerResponse, name: string): void => {
    let body = files.get(name)
    if (body === undefined) {
      const dir = pageDir()
      if (dir === undefined) throw new HttpError(503, 'not_built', 'the /mesh page is not built: run npm run build')
      body = readFileSync(`${dir}${name}`)
      files.set(name, body)
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': PAGE_TYPES[name] ?? 'application/octet-stream', 'cache-control': 'no-cache', 'content-length': body.length })
    res.end(body)
  }

  const routes: Route[] = [
    // The page and its assets are public, like the app's page: what they load (/mesh/state) needs the token.
    { method: 'GET', pattern: /^\/mesh\/?$/, name: 'mesh', access: { public: true }, run: (_q, res) => { serveFile(res, 'index.html') } },
    { method: 'GET', pattern: /^\/mesh\/(mesh\.js|mesh\.css)$/, name: 'mesh', access: { public: true }, run: (_q, res, [file = '']) => { serveFile(res, file) } },
    { method: 'GET', pattern: /^\/mesh\/state$/, name: 'mesh', run: async (_q, res) => { deps.json(res, 200, await state()) } },
    // This peer's own view: what another peer's /mesh asks over HTTP when the mesh between them is cut.
    { method: 'GET', pattern: /^\/mesh\/view$/, name: 'mesh', run: (_q, res) => { deps.json(res, 200, fromView(peer.id, 'self', peer.meshView(), Date.now())) } }
  ]
  if (deps.allowFaultInjection) {
    routes.push({
      method: 'POST', pattern: /^\/mesh\/links$/, name: 'mesh',
      run: async (req, res) => {
        const results = await links(await readJson(req))
        const failed = results.filter(r => !r.ok)
        if (failed.length === 0) {
          deps.json(res, 200, { results })
          return
        }
        // An error answer like any other ({error, code}, counted), with each peer's result beside it.
        const why = failed.map(r => `${r.peerId}: ${r.error ?? 'failed'}`).join('; ')
        throw new HttpError(502, 'links_failed', `${failed.length} of ${results.length} peers could not be told: ${why}`, {}, { results })
      }
    })
  }
  return routes
}
