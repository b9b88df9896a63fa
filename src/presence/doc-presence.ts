/**
 * DocPresence: Yjs awareness across the mesh. The awareness states of clients connected to any peer reach
 * the clients of the same doc on every other peer; they are ephemeral (never persisted), expire like
 * y-protocols' states (30 s without a refresh), and go away with their client or their peer.
 *
 * Who talks to whom: only peers with clients on a doc ("interested" peers) exchange its states, directly
 * (no relaying: one hop, and a peer is the only authority on its own clients).
 *   - A peer that gets its first client on a doc says `hello` (with its clients' states) to every live
 *     peer; an interested peer answers with its own states and from then on sends it every change. The
 *     same hello goes to a peer that becomes alive (a join, or the heal of a partition), and at each
 *     refresh to up to `helloFanout` live peers not yet known as interested (a lost hello is repaired).
 *   - Every `refreshIntervalMs` a peer sends its clients' states again to the interested peers: the
 *     owner's refresh keeps them fresh there, and repairs a lost change frame.
 *   - A peer whose last client leaves says `bye`; one that receives states for a doc it has no clients on
 *     answers `bye` (a stale subscription, e.g. after a restart, is dropped at once).
 *   - A peer declared dead or left by membership takes its clients' states with it, at once.
 *
 * Runs unchanged in the simulator: no libp2p, no ambient time or randomness.
 */
import type { Clock, Timer } from '../core/clock.js'
import { TypedEmitter } from '../core/emitter.js'
import { MurmurError } from '../core/errors.js'
import type { RateLimitedLog } from '../core/logger.js'
import type { Random } from '../core/random.js'
import type { PeerId } from '../core/transport.js'
import { PRESENCE_LIMITS, entryWireBytes } from './codec.js'
import type { AwarenessEntry, PresenceMessageOf } from './codec.js'
import type { PresenceConfig } from './config.js'
import type { PresenceLink } from './link.js'
import type { PresenceCounters } from './stats.js'
import { PresenceTable } from './table.js'
import type { PresenceChange } from './table.js'

/** `join` refused: `maxLocalDocs` docs already have clients here. */
export class TooManyPresenceDocsError extends MurmurError {
  override name = 'TooManyPresenceDocsError'
}

/** Who is alive, how to reach them, and when that changes (membership, seen from presence). */
export interface PresenceDirectory {
  alivePeers(): PeerId[]
  addressesOf(id: PeerId): readonly string[]
  onPeerAlive(listener: (id: PeerId) => void): () => void
  /** A peer was declared dead or left. */
  onPeerGone(listener: (id: PeerId) => void): () => void
}

/** One client's presence as `states` lists it. */
export interface PresenceState {
  readonly clientId: number
  readonly clock: number
  /** The state's JSON text. */
  readonly state: string
  /** The peer the client is connected to. */
  readonly peer: PeerId
  /** Milliseconds since the state was last set or refreshed. */
  readonly ageMs: number
}

export interface DocPresenceEvents {
  /** States of `doc` changed (added, updated or removed — `state: null`), locally or from a peer. */
  change: { doc: string, changes: readonly PresenceChange[] }
}

export interface DocPresenceDeps {
  localId: PeerId
  link: PresenceLink
  peers: PresenceDirectory
  clock: Clock
  random: Random
  config: PresenceConfig
  counters: PresenceCounters
  warnings: RateLimitedLog
}

/** Headroom between a DocStates page and the frame limit (type, doc name, flags). */
const STATES_ENVELOPE_BYTES = 1024

export class DocPresence {
  private readonly table: PresenceTable
  private readonly events: TypedEmitter<DocPresenceEvents>
  /** doc → local handles (clients) holding interest in it. */
  private readonly interest = new Map<string, number>()
  /** doc → peers known to have clients on it (they get our clients' changes). */
  private readonly subscribers = new Map<string, Set<PeerId>>()
  /** `${peer}\n${doc}` → when we last answered bye (once per refresh interval). */
  private readonly byes = new Map<string, number>()
  /** Local changes not yet sent to the interested peers, per doc (newest per client), sent at the end of the turn. */
  private readonly outbox = new Map<string, Map<number, AwarenessEntry>>()
  private flushTimer: Timer | undefined

  constructor (private readonly deps: DocPresenceDeps) {
    this.table = new PresenceTable({ maxDocs: deps.config.maxDocs, maxEntriesPerDoc: deps.config.maxEntriesPerDoc })
    this.events = new TypedEmitter((err) => { deps.warnings.warn('listener', 'presence listener threw', { error: String(err) }) })
  }

  on<K extends keyof DocPresenceEvents>(type: K, listener: (event: DocPresenceEvents[K]) => void): () => void {
    return this.events.on(type, listener)
  }

  /**
   * Declares a local client of `doc` (one call per client); the returned function releases it. While a
   * doc has clients here, this peer exchanges its states with the other peers that have clients on it.
   * @throws TooManyPresenceDocsError
   */
  join (doc: string): () => void {
    const count = this.interest.get(doc) ?? 0
    if (count === 0) {
      if (this.interest.size >= this.deps.config.maxLocalDocs) throw new TooManyPresenceDocsError(`clients on ${this.interest.size} docs already (maxLocalDocs)`)
      this.interest.set(doc, 1)
      this.subscribers.set(doc, new Set())
      for (const peer of this.deps.peers.alivePeers()) this.sendStates(peer, doc, this.localEntries(doc), true)
    } else {
      this.interest.set(doc, count + 1)
    }
    let released = false
    return () => {
      if (released) return
      released = true
      this.release(doc)
    }
  }

  /** Whether `doc` has clients here. */
  isJoined (doc: string): boolean {
    return this.interest.has(doc)
  }

  /**
   * Applies awareness entries of local clients (y-protocols rules: a higher clock wins) and passes what
   * changed on to the interested peers and to `change` listeners. Ignored unless the doc was joined.
   * Returns the changes (for the caller's bookkeeping of which client ids a connection controls).
   */
  setLocal (doc: string, entries: readonly AwarenessEntry[]): readonly PresenceChange[] {
    if (!this.interest.has(doc)) return []
    const { changes, refused } = this.table.apply(doc, this.deps.localId, entries, this.deps.clock.now())
    this.deps.counters.entriesRefused += refused
    this.publish(doc, changes)
    return changes
  }

  /** Removes the states of local clients (their connection closed); returns the removals. */
  removeLocal (doc: string, clientIds: Iterable<number>): readonly PresenceChange[] {
    const removals: AwarenessEntry[] = []
    for (const clientId of clientIds) {
      const e = this.table.get(doc, clientId)
      if (e !== undefined && e.owner === this.deps.localId && e.state !== null) removals.push({ clientId, clock: e.clock, state: null })
    }
    if (removals.length === 0) return []
    const { changes } = this.table.apply(doc, this.deps.localId, removals, this.deps.clock.now())
    this.publish(doc, changes)
    return changes
  }

  /** Present states of `doc`: local clients' and other peers' clients'. */
  states (doc: string): PresenceState[] {
    const now = this.deps.clock.now()
    return this.table.states(doc).map(e => ({ clientId: e.clientId, clock: e.clock, state: e.state ?? 'null', peer: e.owner, ageMs: Math.max(0, Math.round(now - e.updatedAt)) }))
      .sort((a, b) => a.clientId - b.clientId)
  }

  /** The entry held for a client (tombstones included), for the bridge's ownership checks. */
  entry (doc: string, clientId: number): { readonly clock: number, readonly owner: PeerId, readonly present: boolean } | undefined {
    const e = this.table.get(doc, clientId)
    return e === undefined ? undefined : { clock: e.clock, owner: e.owner, present: e.state !== null }
  }

  // ── inbound ────────────────────────────────────────────────────────────────────────────────────

  onStates (from: PeerId, msg: PresenceMessageOf<'states'>): void {
    const { doc } = msg
    if (msg.bye) {
      this.subscribers.get(doc)?.delete(from)
      this.dropOwner(from, doc)
      return
    }
    if (!this.interest.has(doc)) {
      this.deps.counters.uninterestedFrames++
      // A hello asks nothing of a peer without clients on the doc. Anything else means the sender thinks
      // we still have clients on it (a restart, a lost bye): tell it, at most once per refresh interval.
      if (!msg.hello) this.answerBye(from, doc)
      return
    }
    const subs = this.subscribers.get(doc)
    const isNew = subs !== undefined && !subs.has(from)
    subs?.add(from)
    const { changes, refused } = this.table.apply(doc, from, msg.entries, this.deps.clock.now())
    if (refused > 0) {
      this.deps.counters.entriesRefused += refused
      this.deps.warnings.warn(`refused:${from}`, 'presence entries refused: table limit reached', { from, doc, refused })
    }
    if (changes.length > 0) this.events.emit('change', { doc, changes })
    // Answer a hello; and a peer we did not know to be interested gets our states once (its hello may
    // have reached us before our clients' states existed, or been lost).
    if (msg.hello || isNew) this.sendStates(from, doc, this.localEntries(doc), false)
  }

  // ── membership ─────────────────────────────────────────────────────────────────────────────────

  /** A peer joined or came back (partition healed): tell it about every doc we have clients on. */
  peerAlive (id: PeerId): void {
    for (const doc of this.interest.keys()) this.sendStates(id, doc, this.localEntries(doc), true)
  }

  /** A peer is dead or left: its clients' states go with it. */
  peerGone (id: PeerId): void {
    for (const subs of this.subscribers.values()) subs.delete(id)
    this.dropOwner(id)
    for (const key of this.byes.keys()) if (key.startsWith(`${id}\n`)) this.byes.delete(key)
  }

  // ── timers ─────────────────────────────────────────────────────────────────────────────────────

  /** Every refreshIntervalMs: our clients' states again to the interested peers; hellos to a few others. */
  refresh (): void {
    const alive = this.deps.peers.alivePeers()
    for (const doc of this.interest.keys()) {
      const entries = this.localEntries(doc)
      const subs = this.subscribers.get(doc) ?? new Set<PeerId>()
      for (const peer of subs) this.sendStates(peer, doc, entries, false)
      const others = alive.filter(p => !subs.has(p))
      for (const peer of this.deps.random.sample(others, this.deps.config.helloFanout)) this.sendStates(peer, doc, entries, true)
    }
    const now = this.deps.clock.now()
    for (const [key, at] of this.byes) if (now - at >= this.deps.config.refreshIntervalMs) this.byes.delete(key)
  }

  /** Every expireCheckIntervalMs: states nobody refreshed within outdatedTimeoutMs are removed. */
  expire (): void {
    const removed = this.table.expire(this.deps.clock.now(), this.deps.config.outdatedTimeoutMs)
    for (const [doc, changes] of removed) {
      this.deps.counters.statesExpired += changes.length
      const local = changes.filter(c => c.owner === this.deps.localId)
      // Our own clients' expired states are removals the other peers must hear of; theirs expire there too.
      if (local.length > 0) for (const peer of this.subscribers.get(doc) ?? []) this.sendStates(peer, doc, local, false)
      this.events.emit('change', { doc, changes })
    }
  }

  /** Shutdown: tell the interested peers our clients are gone (they would otherwise wait for membership). */
  sayGoodbye (): void {
    this.flushTimer?.cancel()
    this.flushTimer = undefined
    this.outbox.clear()
    for (const [doc, subs] of this.subscribers) for (const peer of subs) this.sendBye(peer, doc)
  }

  stats (): { states: number, localStates: number, localDocs: number, subscriptions: number } {
    let states = 0
    let localStates = 0
    for (const doc of this.table.docNames()) {
      for (const e of this.table.states(doc)) {
        states++
        if (e.owner === this.deps.localId) localStates++
      }
    }
    let subscriptions = 0
    for (const s of this.subscribers.values()) subscriptions += s.size
    return { states, localStates, localDocs: this.interest.size, subscriptions }
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────

  private release (doc: string): void {
    const count = this.interest.get(doc) ?? 0
    if (count > 1) {
      this.interest.set(doc, count - 1)
      return
    }
    this.interest.delete(doc)
    for (const peer of this.subscribers.get(doc) ?? []) this.sendBye(peer, doc)
    this.subscribers.delete(doc)
    // Nobody here shows this doc's presence any more: forget it (the peers were told to stop sending).
    this.table.dropDoc(doc)
  }

  /**
   * Local changes go to the interested peers at the end of the turn (clock.setTimeout 0), merged per doc
   * (the newest entry per client): clients changing together — or many messages handled in one turn
   * under load — cost one frame per peer, not one each. Listeners here hear of them at once.
   */
  private publish (doc: string, changes: readonly PresenceChange[]): void {
    if (changes.length === 0) return
    let box = this.outbox.get(doc)
    if (box === undefined) this.outbox.set(doc, box = new Map())
    for (const c of changes) box.set(c.clientId, { clientId: c.clientId, clock: c.clock, state: c.state })
    this.flushTimer ??= this.deps.clock.setTimeout(() => { this.flushOutbox() }, 0)
    this.events.emit('change', { doc, changes })
  }

  private flushOutbox (): void {
    this.flushTimer = undefined
    for (const [doc, box] of this.outbox) {
      const entries = [...box.values()]
      for (const peer of this.subscribers.get(doc) ?? []) this.sendStates(peer, doc, entries, false)
    }
    this.outbox.clear()
  }

  private dropOwner (owner: PeerId, doc?: string): void {
    for (const [name, changes] of this.table.dropOwner(owner, doc)) {
      this.deps.counters.statesDroppedWithPeer += changes.length
      this.events.emit('change', { doc: name, changes })
    }
  }

  private localEntries (doc: string): AwarenessEntry[] {
    return this.table.states(doc, this.deps.localId).map(e => ({ clientId: e.clientId, clock: e.clock, state: e.state }))
  }

  private answerBye (to: PeerId, doc: string): void {
    const key = `${to}\n${doc}`
    if (this.byes.has(key)) return
    if (this.byes.size >= this.deps.config.maxDocs) this.byes.clear()
    this.byes.set(key, this.deps.clock.now())
    this.sendBye(to, doc)
  }

  private sendBye (to: PeerId, doc: string): void {
    this.deps.link.send(to, { type: 'states', doc, hello: false, bye: true, entries: [] })
  }

  /** Sends `entries` (paged to the frame limit); a hello is sent even with no entries. */
  private sendStates (to: PeerId, doc: string, entries: readonly AwarenessEntry[], hello: boolean): void {
    if (entries.length === 0) {
      if (hello) this.deps.link.send(to, { type: 'states', doc, hello, bye: false, entries: [] })
      return
    }
    const budget = this.deps.link.maxFrameBytes - STATES_ENVELOPE_BYTES - doc.length * 3
    let page: AwarenessEntry[] = []
    let bytes = 0
    let first = true
    const flush = (): void => {
      if (page.length === 0) return
      // Only the first page asks for an answer: one hello, one reply.
      this.deps.link.send(to, { type: 'states', doc, hello: hello && first, bye: false, entries: page })
      first = false
      page = []
      bytes = 0
    }
    for (const e of entries) {
      const size = entryWireBytes(e)
      if (page.length > 0 && (bytes + size > budget || page.length >= PRESENCE_LIMITS.entriesPerFrame)) flush()
      page.push(e)
      bytes += size
    }
    flush()
  }
}
