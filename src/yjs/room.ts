/**
 * Room: the y-websocket clients of one document on this peer, bound to the peer's live Y.Doc.
 *
 * - Opening: the first client opens the doc through the public API (`peer.hold`, which also fetches what
 *   live peers have); clients' messages wait in their queues until it is ready. The room holds the doc for
 *   as long as it has clients, and releases it with its last (closed then unless the app has it open); if the peer closes the doc anyway (shutdown, eviction) every client is
 *   closed with 1012 and reconnects, which opens it again.
 * - Client edits (sync step 2, update) are applied through `peer.write`: durable before anything else
 *   happens with them. Only then are they relayed to the room's other clients (the replicator pushes them
 *   to the mesh after the same durability point). An edit that cannot be made durable closes its client
 *   (1011/1013): it still holds the edit and sends it again when it reconnects (sync step 2). One that would
 *   take the doc past maxDocBytes closes it with 4413, which y-websocket does not retry.
 * - Every other change of the doc — from the mesh, from the HTTP API, from the app — is relayed to all
 *   clients as it happens.
 * - Awareness: each client's entries go to peer.presence (which shares them with the other peers that
 *   have clients on the doc); every change there, local or remote, is sent to all clients of the room,
 *   the sender included (y-websocket clients expect their own renewals back: a client that hears nothing
 *   for 30 s reconnects). A connection may only speak for client ids no other live connection holds, on
 *   this peer or another.
 */
import * as Y from 'yjs'
import type { DocHold, Peer } from '../api.js'
import { DecodeError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { AwarenessEntry, PresenceChange } from '../presence/index.js'
import { checkUpdate } from '../replication/doc-entry.js'
import { CloseCode } from './close-codes.js'
import type { YjsConfig } from './config.js'
import type { ClientConnection } from './connection.js'
import { awarenessMessage, decodeClientMessage, syncStep1, syncStep2, updateMessage } from './messages.js'
import type { ClientMessage } from './messages.js'
import type { YjsCounters } from './stats.js'

export interface RoomDeps {
  peer: Peer
  config: YjsConfig
  counters: YjsCounters
  log: Logger
  /** The room has no clients left (or failed to open): the bridge forgets it. */
  onEmpty: (room: Room) => void
}

/**
 * Error names whose refusal is temporary (reconnecting later can succeed). A full or failing store
 * recovers by itself (its health probe reopens it once space is back: core/store-health.ts).
 */
const TRANSIENT = new Set(['TooManyDocsError', 'RateLimitError', 'StoreBusyError', 'StoreFullError', 'StoreFailingError', 'TooManyPresenceDocsError'])

export class Room {
  private state: 'opening' | 'ready' | 'closed' = 'opening'
  private doc: Y.Doc | undefined
  /** The room's hold of the doc (Peer.hold), released when its last client goes. */
  private hold: DocHold | undefined
  private readonly conns = new Set<ClientConnection>()
  private readonly releases = new Map<ClientConnection, () => void>()
  /** Transactions that applied a client's edit → where their update bytes go (relayed once durable). */
  private readonly clientTxns = new WeakMap<Y.Transaction, (update: Uint8Array) => void>()
  private readonly detach: Array<() => void> = []

  constructor (readonly name: string, private readonly deps: RoomDeps) {
    deps.peer.hold(name).then((hold) => {
      // Every client left while it opened: nothing holds it for them any more.
      if (this.state === 'closed') {
        hold.release()
        return
      }
      this.hold = hold
      this.ready(hold.doc)
    }, (err: unknown) => { this.failed(err) })
  }

  get size (): number {
    return this.conns.size
  }

  /** Adds an accepted client. @throws TooManyPresenceDocsError (the caller closes it) */
  add (conn: ClientConnection): void {
    this.releases.set(conn, this.deps.peer.presence.join(this.name))
    this.conns.add(conn)
    if (this.state === 'ready') this.start(conn)
  }

  /** The client's socket closed: its awareness states go, and the room goes with its last client. */
  remove (conn: ClientConnection): void {
    if (!this.conns.delete(conn)) return
    if (conn.controlled.size > 0) this.deps.peer.presence.removeLocal(this.name, conn.controlled)
    this.releases.get(conn)?.()
    this.releases.delete(conn)
    if (this.conns.size === 0) this.dispose()
  }

  /** Awareness changed (here or on another peer): every client hears it, the one that sent it too. */
  presenceChanged (changes: readonly PresenceChange[]): void {
    if (this.state !== 'ready' || changes.length === 0) return
    const out = { value: changes, message: awarenessMessage(changes) }
    for (const c of this.conns) c.sendAwareness(out)
  }

  /** Closes every client (shutdown). */
  closeAll (code: number, reason: string): void {
    for (const c of [...this.conns]) c.close(code, reason)
    for (const c of [...this.conns]) this.remove(c)
    this.dispose()
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────────

  private ready (doc: Y.Doc): void {
    if (this.state === 'closed') return
    this.doc = doc
    this.state = 'ready'
    const onUpdate = (update: Uint8Array, _origin: unknown, _doc: Y.Doc, tr: Y.Transaction): void => {
      const capture = this.clientTxns.get(tr)
      if (capture !== undefined) {
        capture(update)
        return
      }
      const out = { value: update, message: updateMessage(update) }
      for (const c of this.conns) c.sendUpdate(out)
    }
    const onDestroy = (): void => { this.closeAll(CloseCode.serviceRestart, 'document closed on this peer: reconnect') }
    doc.on('update', onUpdate)
    doc.on('destroy', onDestroy)
    this.detach.push(() => { doc.off('update', onUpdate) }, () => { doc.off('destroy', onDestroy) })
    for (const c of this.conns) this.start(c)
  }

  private failed (err: unknown): void {
    const name = err instanceof Error ? err.name : 'Error'
    const [code, reason] = name === 'InvalidDocNameError'
      ? [CloseCode.badRequest, err instanceof Error ? err.message : 'invalid document name']
      : TRANSIENT.has(name) ? [CloseCode.tryAgainLater, `${name}: try again later`] : [CloseCode.internalError, `cannot open the document (${name})`]
    if (code === CloseCode.internalError) this.deps.log.warn('cannot open a doc for WebSocket clients', { doc: this.name, error: err instanceof Error ? err.message : String(err) })
    this.closeAll(code, reason)
  }

  private dispose (): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    for (const d of this.detach) d()
    this.detach.length = 0
    // The doc is closed unless the app or another holder still has it: a name a client opened and left
    // (a typo) no longer stays a live doc, listed in GET /docs, until the peer restarts.
    this.hold?.release()
    this.hold = undefined
    this.deps.onEmpty(this)
  }

  /** A client of a ready room: our state vector, every awareness state, then its queued messages. */
  private start (conn: ClientConnection): void {
    const doc = this.doc
    if (doc === undefined) return
    conn.send(syncStep1(doc), 'syncStep1')
    this.sendAllStates(conn)
    conn.start((bytes) => { this.handle(conn, bytes) })
  }

  // ── client messages ────────────────────────────────────────────────────────────────────────────

  private handle (conn: ClientConnection, bytes: Uint8Array): void {
    const doc = this.doc
    if (doc === undefined || this.state !== 'ready') return
    let msg: ClientMessage
    try {
      msg = decodeClientMessage(bytes, this.deps.config.maxAwarenessEntries)
      if (msg.type === 'syncStep2' || msg.type === 'update') checkUpdate(this.name, msg.update)
    } catch (err) {
      this.malformed(conn, err)
      return
    }
    this.deps.counters.messagesIn[msg.type]++
    switch (msg.type) {
      case 'syncStep1':
        try {
          conn.send(syncStep2(doc, msg.stateVector), 'syncStep2')
        } catch (err) {
          this.malformed(conn, err)
        }
        break
      case 'syncStep2':
      case 'update':
        this.applyEdit(conn, msg.update)
        break
      case 'awareness':
        this.deps.counters.awarenessRefused.tooLarge += msg.tooLarge
        this.setAwareness(conn, msg.entries)
        break
      case 'queryAwareness':
        this.sendAllStates(conn)
        break
    }
  }

  private malformed (conn: ClientConnection, err: unknown): void {
    this.deps.counters.malformed++
    const reason = err instanceof DecodeError ? err.message : `malformed message: ${err instanceof Error ? err.message : String(err)}`
    this.deps.log.warn('malformed y-websocket message: client closed', { doc: this.name, remote: conn.remote, error: reason })
    conn.close(CloseCode.badRequest, reason.slice(0, 120))
  }

  /**
   * Applies a client's edit through `peer.write` (durable before it resolves); relays it to the other
   * clients only then. `doc.transact` inside the write joins its transaction and hands us that transaction,
   * so the update event of exactly this edit is recognised (and not relayed early) by `onUpdate`.
   */
  private applyEdit (conn: ClientConnection, update: Uint8Array): void {
    let applied: Uint8Array | undefined
    conn.pendingWrites++
    const started = performance.now()
    this.deps.peer.write(this.name, (doc) => {
      doc.transact((tr) => {
        this.clientTxns.set(tr, (u) => { applied = u })
        Y.applyUpdate(doc, update)
      })
    }).then(() => {
      this.deps.counters.updatesDurable++
      this.deps.counters.durableMs.observe(performance.now() - started)
      if (applied === undefined) return // nothing new (the client re-sent what we had)
      const out = { value: applied, message: updateMessage(applied) }
      for (const c of this.conns) if (c !== conn) c.sendUpdate(out)
    }, (err: unknown) => {
      this.deps.counters.updatesFailed++
      const name = err instanceof Error ? err.name : 'Error'
      this.deps.log.warn('a WebSocket client\'s edit was not made durable: client closed', { doc: this.name, remote: conn.remote, error: err instanceof Error ? err.message : String(err) })
      if (name === 'DocTooLargeError') conn.close(CloseCode.tooLarge, 'edit refused: the document is at its size limit (maxDocBytes)')
      else conn.close(TRANSIENT.has(name) ? CloseCode.tryAgainLater : CloseCode.internalError, `edit not durable (${name}): reconnect`)
    }).finally(() => {
      conn.pendingWrites--
      conn.drain()
    })
  }

  /** A client's awareness entries, minus those for client ids another live connection speaks for. */
  private setAwareness (conn: ClientConnection, entries: readonly AwarenessEntry[]): void {
    const { presence } = this.deps.peer
    const { counters, config } = this.deps
    const allowed: AwarenessEntry[] = []
    // Ids this message would add: counted against maxClientIdsPerConnection with those already held, since
    // conn.controlled only grows after setLocal (one message must not carry more ids than the limit).
    const adding = new Set<number>()
    for (const e of entries) {
      if (!conn.controlled.has(e.clientId) && !adding.has(e.clientId)) {
        const held = presence.entry(this.name, e.clientId)
        // y-websocket clients send every awareness update they receive straight back (their update handler
        // ignores the origin): an entry no newer than ours is such an echo, and carries nothing.
        if (held !== undefined && held.clock >= e.clock) {
          counters.awarenessEchoes++
          continue
        }
        const takenHere = held !== undefined && held.present && held.owner === this.deps.peer.id && [...this.conns].some(c => c !== conn && c.controlled.has(e.clientId))
        // A client of another peer speaks for it there. Taken here, a removal or a state with a clock far
        // ahead reached that client (its peer relays our changes) as its own, and y-protocols answers one by
        // counting on from it: one message with clock 2^53 - 1 made the victim's next renewal a clock beyond
        // what the wire carries, and its peer closed it with 4400, for good (y-websocket does not retry),
        // its edits with it. A client that moved here from that peer is taken once the entry is gone there
        // (its connection closed: at once; the peer dead or silent: when membership or expiry says so).
        const takenElsewhere = held !== undefined && held.present && held.owner !== this.deps.peer.id
        if (takenHere || takenElsewhere) {
          counters.awarenessRefused.notOwner++
          continue
        }
        if (conn.controlled.size + adding.size >= config.maxClientIdsPerConnection) {
          counters.awarenessRefused.tooManyClientIds++
          continue
        }
        if (e.state !== null) adding.add(e.clientId)
      }
      allowed.push(e)
    }
    for (const c of presence.setLocal(this.name, allowed)) {
      if (c.state === null) conn.controlled.delete(c.clientId)
      else conn.controlled.add(c.clientId)
    }
  }

  private sendAllStates (conn: ClientConnection): void {
    const states = this.deps.peer.presence.states(this.name)
    if (states.length > 0) conn.send(awarenessMessage(states.map(s => ({ clientId: s.clientId, clock: s.clock, state: s.state }))), 'awareness')
  }
}
