/**
 * YjsBridge: `ws://host:port/yjs/<doc>` speaks the y-websocket protocol, so an unmodified y-websocket
 * `WebsocketProvider` (Node or browser) edits the peer's replicated documents and shares awareness with
 * clients of every other peer:
 *
 *   new WebsocketProvider('ws://127.0.0.1:8080/yjs', 'notes', ydoc, { params: { access_token } })
 *
 * This class owns the upgrade (auth, path, limits), the rooms (room.ts: one per doc with clients) and the
 * keepalive; it refuses with a close code a y-websocket client understands (close-codes.ts): 44xx when
 * retrying cannot help, 1013 when it can.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { RawData, WebSocket } from 'ws'
import type { Peer } from '../api.js'
import { RateLimitedLog, silentLogger } from '../core/logger.js'
import type { Logger } from '../core/logger.js'
import { assertDocName } from '../replication/index.js'
import { controlCharIn } from '../core/terminal-safe.js'
import { createAccessCheck, refuseUpgrade } from '../http/access.js'
import { HttpError } from '../http/errors.js'
import { upgradeRefusal } from './auth.js'
import type { UpgradeCheck } from './auth.js'
import { CloseCode, closeReason } from './close-codes.js'
import { resolveYjsConfig } from './config.js'
import type { YjsConfig, YjsInit } from './config.js'
import { ClientConnection } from './connection.js'
import { permissionDenied } from './messages.js'
import { Room } from './room.js'
import { createYjsCounters } from './stats.js'
import type { YjsCounters, YjsStats } from './stats.js'

/** Documents are served under this path: `/yjs/<doc>` (the doc name percent-encoded as needed). */
export const YJS_PATH_PREFIX = '/yjs/'
/**
 * On close, how long a client has to answer the close frame before its socket is cut. ws would wait 30 s,
 * and the HTTP server's close waits for every socket: a client that stopped reading would hold a
 * shutdown past its deadline (2.8 s), so that the peer is never stopped cleanly.
 */
export const CLOSE_GRACE_MS = 500

export interface YjsBridgeOptions {
  /**
   * Who may connect: the HTTP API's access check with `?access_token=` allowed (createHttpApi passes its
   * own). Default: no token, loopback Hosts only, same origin.
   */
  authorize?: UpgradeCheck
  config?: YjsInit
  log?: Logger
}

export class YjsBridge {
  readonly config: YjsConfig
  private readonly counters: YjsCounters = createYjsCounters()
  private readonly wss: WebSocketServer
  private readonly rooms = new Map<string, Room>()
  private readonly conns = new Set<ClientConnection>()
  private readonly authorize: UpgradeCheck
  private readonly log: Logger
  private readonly warnings: RateLimitedLog
  private readonly keepalive: NodeJS.Timeout
  private readonly offPresence: () => void
  private closed = false

  constructor (private readonly peer: Peer, options: YjsBridgeOptions = {}) {
    this.config = resolveYjsConfig(options.config)
    this.log = options.log ?? silentLogger
    this.warnings = new RateLimitedLog(this.log, () => performance.now())
    const open = createAccessCheck()
    this.authorize = options.authorize ?? (req => open(req, { queryToken: true }))
    // maxPayload: the WebSocket layer refuses a bigger message itself (close 1009) before buffering it.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.config.maxMessageBytes, perMessageDeflate: false, clientTracking: false })
    this.wss.on('wsClientError', (err, socket, req) => { this.refuseHandshake(err, socket, req) })
    this.offPresence = peer.presence.onChange(({ doc, changes }) => { this.rooms.get(doc)?.presenceChanged(changes) })
    this.keepalive = setInterval(() => { this.ping() }, this.config.keepaliveMs)
    this.keepalive.unref()
  }

  /** Whether `req` asks for a document WebSocket (the path is under /yjs/). */
  matches (req: IncomingMessage): boolean {
    return (req.url ?? '').startsWith(YJS_PATH_PREFIX)
  }

  /** The HTTP server's `upgrade` hook: returns false (leaving the socket alone) for paths that are not ours. */
  handleUpgrade (req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (!this.matches(req)) return false
    if (this.closed) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
      return true
    }
    const refused = this.authorize(req)
    const refusal = refused === undefined ? undefined : upgradeRefusal(refused)
    if (refused !== undefined && refusal?.beforeHandshake === true) {
      this.count(refusal.counter)
      this.warnings.warn(`refused:${refusal.counter}`, 'yjs client refused', { reason: refusal.counter, remote: remoteOf(req) })
      refuseUpgrade(socket, refused)
      return true
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (refusal !== undefined) this.refuse(ws, refusal.closeCode, refusal.reason, refusal.counter, remoteOf(req))
      else this.accept(ws, req)
    })
    return true
  }

  stats (): YjsStats {
    const { durableMs, ...counts } = this.counters
    return { ...structuredClone(counts), durableMs: durableMs.snapshot(), connections: this.conns.size, rooms: this.rooms.size }
  }

  /**
   * Closes every client with 1001 (going away) and refuses new ones; a client that has not answered the
   * close frame within CLOSE_GRACE_MS is cut off. Idempotent.
   */
  close (): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.keepalive)
    this.offPresence()
    for (const room of [...this.rooms.values()]) room.closeAll(CloseCode.goingAway, 'peer shutting down')
    this.wss.close()
    if (this.conns.size > 0) {
      // conns loses each client as its socket closes; what is left did not answer.
      setTimeout(() => { for (const conn of this.conns) conn.ws.terminate() }, CLOSE_GRACE_MS).unref()
    }
  }

  private accept (ws: WebSocket, req: IncomingMessage): void {
    const remote = remoteOf(req)
    let name: string
    try {
      name = decodeURIComponent((req.url ?? '').slice(YJS_PATH_PREFIX.length).split('?')[0] ?? '')
      assertDocName(name)
      // The wire carries C1 in names (peers may hold such docs); a client may open one held here, but not
      // create one, as HTTP writes may not (api.ts newDocName): an 8-bit terminal acts on CSI in a listing.
      const control = controlCharIn(name)
      if (control !== undefined && !this.peer.hasDoc(name)) throw new Error(`the name holds a control character ${control}: new docs have printable names`)
    } catch (err) {
      this.refuse(ws, CloseCode.badRequest, `invalid document name: ${err instanceof Error ? err.message : String(err)}`.slice(0, 120), 'bad_doc_name', remote)
      return
    }
    if (this.conns.size >= this.config.maxConnections) {
      this.refuse(ws, CloseCode.tryAgainLater, `too many clients (${this.config.maxConnections})`, 'too_many_connections', remote)
      return
    }
    const existing = this.rooms.get(name)
    if (existing !== undefined && existing.size >= this.config.maxConnectionsPerDoc) {
      this.refuse(ws, CloseCode.tryAgainLater, `too many clients on this document (${this.config.maxConnectionsPerDoc})`, 'too_many_doc_connections', remote)
      return
    }
    const conn = new ClientConnection(ws, name, remote, { config: this.config, counters: this.counters, now: () => performance.now() })
    const room = existing ?? this.openRoom(name)
    try {
      room.add(conn)
    } catch (err) {
      // Presence refused a further doc (maxLocalDocs): temporary.
      this.refuse(ws, CloseCode.tryAgainLater, `${err instanceof Error ? err.name : 'Error'}: try again later`, 'too_many_docs', remote)
      if (room.size === 0) room.closeAll(CloseCode.tryAgainLater, 'no clients')
      return
    }
    this.conns.add(conn)
    this.counters.accepted++
    this.log.info('yjs client connected', { doc: name, remote, clients: room.size })
    ws.on('message', (data: RawData) => { conn.receive(toBytes(data)) })
    ws.on('pong', () => { conn.alive = true })
    ws.on('error', (err: Error & { code?: string }) => {
      // The WebSocket layer closes the socket itself (1009 for a message above maxPayload); count it as such.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') conn.close(CloseCode.tooBig, 'message too big')
      this.warnings.warn(`ws-error:${name}`, 'yjs client socket error', { doc: name, remote, error: err.message })
    })
    ws.on('close', (code: number) => {
      conn.closedByPeer(code)
      this.conns.delete(conn)
      room.remove(conn)
      this.log.info('yjs client disconnected', { doc: name, remote, code })
    })
  }

  private openRoom (name: string): Room {
    const room = new Room(name, {
      peer: this.peer,
      config: this.config,
      counters: this.counters,
      log: this.log,
      onEmpty: (r) => { if (this.rooms.get(r.name) === r) this.rooms.delete(r.name) }
    })
    this.rooms.set(name, room)
    return room
  }

  /** A refusal at connect; `closeCode` when the WebSocket was opened (and closed with it). */
  private count (counter: string, closeCode?: number): void {
    this.counters.refused[counter] = (this.counters.refused[counter] ?? 0) + 1
    if (closeCode !== undefined) this.counters.closed[closeCode] = (this.counters.closed[closeCode] ?? 0) + 1
  }

  private refuse (ws: WebSocket, code: number, reason: string, counter: string, remote: string): void {
    this.count(counter, code)
    this.warnings.warn(`refused:${counter}`, 'yjs client refused', { reason: counter, code, remote })
    // y-websocket clients log a permission-denied message's reason (the close reason is not shown).
    if (code === CloseCode.unauthorized || code === CloseCode.forbidden) ws.send(permissionDenied(reason))
    ws.close(code, closeReason(reason))
  }

  /**
   * A handshake ws cannot complete (a POST, no Sec-WebSocket-Key, an unknown version): ws answered it in
   * text/html (`Invalid HTTP method`), where every other refusal of the API is its JSON error with a code
   * (a 405 without the `Allow` header RFC 9110 requires, too).
   */
  private refuseHandshake (err: Error, socket: Duplex, req: IncomingMessage): void {
    const refusal = req.method === 'GET'
      ? new HttpError(400, 'invalid_request', `not a valid WebSocket handshake: ${err.message}`, /version/i.test(err.message) ? { 'sec-websocket-version': '13, 8' } : {})
      : new HttpError(405, 'method_not_allowed', `${req.method ?? '?'} is not allowed on a WebSocket endpoint: open it with GET (a WebSocket client)`, { allow: 'GET' })
    this.count(refusal.code)
    this.warnings.warn(`refused:${refusal.code}`, 'yjs client refused', { reason: refusal.code, error: err.message, remote: remoteOf(req) })
    refuseUpgrade(socket, refusal)
  }

  /** Keepalive: a client that did not answer the previous ping is gone (half-open TCP): terminate it. */
  private ping (): void {
    for (const conn of this.conns) {
      if (!conn.alive) {
        conn.ws.terminate()
        continue
      }
      conn.alive = false
      conn.ws.ping()
    }
  }
}

function remoteOf (req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`
}

function toBytes (data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data))
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}
