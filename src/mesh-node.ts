/**
 * One node, assembled in one place: SWIM membership and Yjs replication on an injected transport, clock,
 * random source and store, behind the public `Peer` API. Transport-free (no libp2p, no disk, no real time):
 * `createPeer` (peer-node.ts) builds it over libp2p + LevelDB + the system clock, and the simulator
 * (sim/replica-cluster.ts) over a SimNetwork + MemoryDocStore + virtual time, so both run the same read
 * path (`find`, `doc`, re-opening persisted docs) and the same write path — as js-libp2p builds every
 * node from one factory with injected components.
 *
 * Nothing here waits on a promise between protocol steps: promises exist only at the public edge and
 * settle from callbacks and clock timers, so the simulator's synchronous loop drives it unchanged.
 */
import type * as Y from 'yjs'
import type { Counter, DocHold, DocSummary, FlushOptions, JoinFailure, JoinOutcome, MemberEventType, MemberView, MeshViewOptions, Peer, PeerEvents, PeerPresence, PeerStats, PlacementView, CatchUpView, WriteOptions } from './api.js'
import type { Clock } from './core/clock.js'
import { requireStringRecord } from './core/config.js'
import { checkMemberTags } from './core/member-text.js'
import { WriteConcernUnsatisfiableError, checkCopies, checkKnownOptions, checkOptionsObject, checkTimeout, unsatisfiableFlush, writeOptionsOf } from './write-options.js'
import type { PeerDirectory } from './core/directory.js'
import type { DocStore } from './core/doc-store.js'
import { TypedEmitter } from './core/emitter.js'
import { ConfigError, NotRunningError } from './core/errors.js'
import { Histogram } from './core/histogram.js'
import type { HistogramSnapshot } from './core/histogram.js'
import type { StoreHealth } from './core/store-health.js'
import { silentLogger } from './core/logger.js'
import type { Logger } from './core/logger.js'
import type { Random } from './core/random.js'
import type { Destination, Transport } from './core/transport.js'
import { SWIM_LIMITS } from './membership/codec.js'
import { membershipDirectory } from './membership/directory.js'
import { Membership } from './membership/membership.js'
import type { MembershipInit } from './membership/config.js'
import type { MembershipEventName } from './membership/events.js'
import { MemberState, metaEqual } from './membership/member.js'
import { MAX_PENDING_PUSH_PULLS } from './membership/push-pull.js'
import type { MemberInfo } from './membership/member.js'
import { HTTP_TAG, Presence, presenceDirectory } from './presence/index.js'
import { tagCountProblem } from './presence/tag-count.js'
import type { MeshView, PresenceInit } from './presence/index.js'
import { DocFetch } from './doc-fetch.js'
import { BlindRepair, blindSetsOf } from './replication/blind-writes.js'
import type { BlindSet } from './replication/blind-writes.js'
import { COUNTER_MAP, PNCounter } from './replication/pn-counter.js'
import { Replicator } from './replication/replicator.js'
import type { ReplicationInit } from './replication/config.js'
import { assertDocName } from './replication/doc-registry.js'
import { DocNotFoundError } from './replication/errors.js'
import type { VersionVectorJSON } from './replication/version-vector.js'

/** Fault injection by the transport (the libp2p transport's block list); the simulator partitions its network instead. */
export interface FaultInjection {
  block(ids: readonly string[]): void
  /** Allows these peers again (the others stay blocked). */
  unblock(ids: readonly string[]): void
  heal(): void
  blocked(): string[]
}

export interface MeshNodeComponents {
  transport: Transport
  clock: Clock
  random: Random
  store: DocStore
  log?: Logger
  /** Serves `partition` / `heal` / `blocked`; without it `partition` and `heal` throw NotRunningError. */
  faults?: FaultInjection
  /** Transport counters for `stats()` (the libp2p transport has them; the simulator counts per network). */
  transportStats?: () => Record<string, unknown>
  /** The on-disk store's counters for `stats()`, with its batch write latency (undefined for a memory store). */
  storeStats?: () => (object & { batchWriteMs: HistogramSnapshot }) | undefined
  /**
   * Turns `join` addresses into destinations (the libp2p peer resolves DNS names), with the names that did
   * not resolve and why; without it `join` throws NotRunningError.
   */
  resolveAddrs?: (addrs: readonly string[]) => Promise<{ destinations: Destination[], unresolved: JoinFailure[] }>
  /** Replaces the transport's allow-list (`setAllowedPeers`); without it that throws NotRunningError. */
  setAllowedPeers?: (ids: readonly string[] | undefined) => void
  /** Called by `stop()` once membership and replication stopped: closes what the owner opened (transport, store). */
  close?: () => Promise<void>
  /** Wall-clock ms since the epoch (idempotency records; see ReplicatorComponents). Default: `clock.now()`. */
  wallTime?: () => number
  /** `nobodyToJoin()` (createPeer knows the bootstrap's DNS answers and mDNS). Default: no seeds were given. */
  nobodyToJoin?: () => boolean
  /** Whether a seed is this node itself (createPeer also knows its own addresses). Default: the seed names our id. */
  isOwnSeed?: (seed: Destination) => boolean
}

export interface MeshNodeInit {
  /** Member name (default: the peer id). */
  name?: string
  tags?: Record<string, string>
  /** Peers to join through (in the background: a node alone is a mesh of one and keeps re-trying). */
  seeds?: Destination[]
  /** Timing preset of membership and replication (default `lan`; the simulator uses `sim`). */
  profile?: 'lan' | 'local' | 'sim'
  membership?: MembershipInit
  replication?: ReplicationInit
  /** Presence settings (awareness expiry, refresh, limits). */
  presence?: PresenceInit
}

/** The public Peer plus what its owner (createPeer, the simulator, tests) reaches into. */
export interface MeshNode extends Peer {
  readonly membership: Membership
  readonly replicator: Replicator
  /** Settles once the store's list of docs has been read (what this node holds is known). */
  readonly started: Promise<void>
}

/** The events `on` takes: every key of PeerEvents (the type makes sure none is missing). */
const PEER_EVENTS: Record<keyof PeerEvents, true> = { member: true, doc: true, durable: true }

/** The options `flush` takes. */
const FLUSH_OPTIONS: Record<keyof FlushOptions, true> = { replicas: true, timeoutMs: true }

/** The options `meshViews` takes. */
const MESH_VIEW_OPTIONS: Record<keyof MeshViewOptions, true> = { peers: true, timeoutMs: true }

/** Flush waits this long unless told otherwise. */
export const DEFAULT_FLUSH_TIMEOUT_MS = 5_000

/** stop(): how long writes under way may take to become durable before the rest stops (they are usually ms from it). */
const STOP_DRAIN_MS = 3_000
/** A graceful leave waits at most this for its docs to be confirmed elsewhere (the CLI's leave budget is 1.5 s). */
const LEAVE_HANDOFF_MS = 1_000
/** meshViews(): how long to wait for peers' views by default. */
const DEFAULT_VIEW_TIMEOUT_MS = 1_000

/** @throws TypeError unless the `fn` a JavaScript caller gave is a function (was "fn is not a function", after opening the doc). */
function checkFunction (caller: string, fn: unknown): void {
  if (typeof fn !== 'function') throw new TypeError(`${caller}: fn must be a function, got ${fn === null ? 'null' : typeof fn}`)
}

/** @throws TypeError unless `ids` is an array of strings (a string was "block.filter is not a function"). */
function checkPeerList (caller: string, ids: unknown): void {
  if (!Array.isArray(ids) || !ids.every(id => typeof id === 'string')) throw new TypeError(`${caller}: peers must be an array of peer ids, got ${ids === null ? 'null' : Array.isArray(ids) ? 'an array of other things' : typeof ids}`)
}

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

export function memberView (m: MemberInfo): MemberView {
  return { peerId: m.id, name: m.name, state: m.state, incarnation: m.incarnation, addrs: [...m.addrs], tags: { ...m.tags } }
}

/**
 * Membership as replication sees it: who is alive (membership's own directory), plus what placement needs —
 * the members that count (alive or suspect) and a signal whenever one changes state.
 */
function directoryOf (m: Membership): PeerDirectory {
  return {
    ...membershipDirectory(m),
    isSuspect: (id) => m.isSuspect(id),
    activePeers: () => m.members().filter(info => info.id !== m.localId && (info.state === 'alive' || info.state === 'suspect')).map(info => info.id),
    onMemberChange: (listener) => {
      const types: MembershipEventName[] = ['joined', 'alive', 'suspect', 'dead', 'left']
      const offs = types.map(type => m.on(type, (info) => { listener(info.id) }))
      return () => { for (const off of offs) off() }
    }
  }
}

/** Builds and starts a node: membership, replication, re-opening of persisted docs, joining through `seeds`. */
export function createMeshNode (components: MeshNodeComponents, init: MeshNodeInit = {}): MeshNode {
  return new MeshNodeImpl(components, init)
}

class MeshNodeImpl implements MeshNode {
  readonly id: string
  readonly membership: Membership
  readonly replicator: Replicator
  readonly started: Promise<void>
  readonly presence: PeerPresence
  /** Awareness across the mesh and the /mesh page's view requests (the presence channel). */
  private readonly mesh: Presence
  private readonly events = new TypedEmitter<PeerEvents>()
  private httpUrl: string | undefined
  /** The value we set on the HTTP_TAG tag (to tell it from one the user set). */
  private advertisedTag: string | undefined
  /** Fetching docs held nothing of before they are opened, read or written (doc-fetch.ts). */
  private readonly fetch: DocFetch
  /** Keys set by writes applied before their doc arrived, set again if an earlier value wins (blind-writes.ts). */
  private readonly blind: BlindRepair
  /** Docs the app opened (`doc`, `find`) and has not closed: releasing a hold leaves them open. */
  private readonly appOpen = new Set<string>()
  /** Holds of docs by others than the app (Peer.hold: y-websocket rooms), by name. */
  private readonly holds = new Map<string, number>()
  private readonly log: Logger
  private readonly writeAckMs = new Histogram()
  private readonly antiEntropyRoundMs = new Histogram()
  private stopping: Promise<void> | undefined
  private stopCalled = false
  /** How deep this turn is inside a change: a write's fn, a `doc` listener (see letGo). */
  private changing = 0
  private seedCount = 0

  constructor (private readonly c: MeshNodeComponents, init: MeshNodeInit) {
    const { transport, clock, random, store } = c
    this.log = c.log ?? silentLogger
    this.id = transport.localId
    const profile = init.profile ?? 'lan'
    this.membership = new Membership({ transport, clock, random: random.fork(), log: this.log.child('membership') }, {
      name: init.name ?? transport.localId,
      ...(init.tags === undefined ? {} : { tags: init.tags }),
      seeds: init.seeds ?? [],
      profile,
      ...(init.membership === undefined ? {} : { config: init.membership })
    })
    this.replicator = new Replicator({
      transport, clock, random: random.fork(), log: this.log.child('replication'), store, peers: directoryOf(this.membership),
      ...(c.wallTime === undefined ? {} : { wallTime: c.wallTime })
    }, {
      profile,
      ...(init.replication === undefined ? {} : { config: init.replication })
    })
    this.fetch = new DocFetch({
      id: this.id, replicator: this.replicator, membership: this.membership, clock, stopped: () => this.stopCalled, nobodyToJoin: () => this.nobodyToJoin()
    })
    this.blind = new BlindRepair({
      clock, log: this.log.child('replication'), doc: n => this.replicator.doc(n), write: async (n, fn) => await this.replicator.write(n, fn)
    })
    this.mesh = new Presence({
      transport, clock, random: random.fork(), log: this.log.child('presence'), peers: presenceDirectory(this.membership),
      view: () => this.meshView()
    }, init.presence)
    const docs = this.mesh.docs
    // Presence docs are docs (y-websocket rooms, GET /docs/:name/presence): a name no doc can have was
    // joined, and a number then threw from the frame encoder with the doc joined all the same.
    this.presence = {
      join: (doc) => { assertDocName(doc); return docs.join(doc) },
      isJoined: doc => docs.isJoined(doc),
      setLocal: (doc, entries) => { assertDocName(doc); return docs.setLocal(doc, entries) },
      removeLocal: (doc, ids) => { assertDocName(doc); return docs.removeLocal(doc, ids) },
      states: doc => docs.states(doc),
      entry: (doc, clientId) => docs.entry(doc, clientId),
      onChange: listener => docs.on('change', listener)
    }
    const types: MembershipEventName[] = ['joined', 'alive', 'suspect', 'dead', 'left', 'updated']
    for (const type of types) {
      this.membership.on(type, (m) => { this.events.emit('member', { type: type as MemberEventType, member: memberView(m) }) })
    }
    this.replicator.on('change', (e) => {
      if (e.origin === 'remote') this.blind.remoteChange(e.doc)
      this.changing++
      try {
        this.events.emit('doc', e.from === undefined ? { name: e.doc, origin: e.origin } : { name: e.doc, origin: e.origin, from: e.from })
      } finally {
        this.changing--
      }
    })
    this.replicator.on('durable', (e) => { this.events.emit('durable', { name: e.doc, version: e.version }) })
    this.replicator.on('synced', (e) => { this.antiEntropyRoundMs.observe(e.durationMs) })
    this.membership.start()
    this.replicator.start()
    this.mesh.start()
    this.started = new Promise((resolve) => { this.replicator.whenListed(() => { resolve() }) })
    const seeds = init.seeds ?? []
    // A bootstrap list shared by every peer (one config file, a StatefulSet's seed names) names this peer
    // too: it is skipped, and a list naming nobody else is a new mesh, not a seed that did not answer.
    const others = seeds.filter(s => !this.isOwn(s))
    this.seedCount = others.length
    if (others.length < seeds.length) this.log.info(others.length === 0 ? 'every bootstrap address is this peer itself: starting a new mesh, waiting for others to join' : 'skipping the bootstrap address that is this peer itself', { seeds: others.length })
    if (others.length > 0) {
      void this.membership.join(others).then(({ contacted }) => {
        if (contacted === 0) this.log.warn('no bootstrap peer answered yet; retrying in the background', { seeds: others.length })
      }, () => {})
    }
  }

  addresses (): string[] {
    return this.c.transport.addresses()
  }

  /**
   * Opens `name` for the app, which holds it until `close(name)`. The first time (a doc this peer does not
   * hold yet) and if anyone is alive, it also waits (≤ INITIAL_FETCH_WAIT_MS) for the first exchange with a
   * peer hosting it, so that reading a doc someone else wrote does not look empty.
   */
  async doc (name: string): Promise<Y.Doc> {
    const doc = await this.fetch.opened(name)
    this.appOpen.add(name)
    return doc
  }

  async hold (name: string): Promise<DocHold> {
    const doc = await this.fetch.opened(name)
    this.holds.set(name, (this.holds.get(name) ?? 0) + 1)
    let released = false
    return {
      doc,
      release: () => {
        if (released) return
        released = true
        const left = (this.holds.get(name) ?? 1) - 1
        if (left > 0) {
          this.holds.set(name, left)
          return
        }
        this.holds.delete(name)
        this.letGo(name)
      }
    }
  }


  async find (name: string): Promise<Y.Doc | undefined> {
    const found = await new Promise<boolean>((resolve, reject) => {
      this.fetch.locate(name, (err, ok) => { if (err !== null) reject(err); else resolve(ok === true) })
    })
    if (!found) return undefined
    const doc = await this.replicator.open(name)
    this.appOpen.add(name)
    return doc
  }

  read<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T | undefined> {
    try {
      checkFunction('read', fn)
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise((resolve, reject) => {
      const attempt = (again: boolean): void => {
        this.fetch.locate(name, (err, found, local) => {
          if (err !== null) {
            reject(err)
            return
          }
          if (found !== true) {
            resolve(undefined)
            return
          }
          // Runs inside the load callback: the doc cannot be evicted between loading and reading.
          this.replicator.load(name, (loadErr, doc) => {
            if (loadErr !== null || doc === undefined) {
              reject(loadErr ?? new NotRunningError('load failed'))
              return
            }
            // Held here when located, gone when loaded: a guest copy its homes confirmed was dropped in
            // between. Locate it again, which asks the homes for it, rather than read the empty doc.
            if (local === true && !again && !this.replicator.hasState(name)) {
              attempt(true)
              return
            }
            // Answered from the copy held here: a guest copy asks its homes for what they learned since.
            if (local === true) this.replicator.readFromCopy(name)
            else this.replicator.noteFetchedForRead(name)
            try {
              resolve(fn(doc))
            } catch (fnErr) {
              reject(fnErr)
            }
          })
        })
      }
      attempt(false)
    })
  }

  close (name: string): void {
    assertDocName(name)
    this.appOpen.delete(name)
    // A doc something else holds (a y-websocket room) stays open until its last hold is released.
    this.letGo(name)
  }

  /**
   * Closes `name` in the replicator unless the app or a hold still has it open. From inside a change — a
   * write's fn, a `doc` listener, a transaction on the live doc — only once the change is over: its update is not in the store's log yet,
   * so the doc was evicted with it (the write resolved "durable" with an empty version, the change gone).
   */
  private letGo (name: string): void {
    if (this.appOpen.has(name) || this.holds.has(name)) return
    if (this.changing > 0 || (this.replicator.doc(name)?._transaction ?? null) !== null) queueMicrotask(() => { this.letGo(name) })
    else this.replicator.close(name)
  }

  async delete (name: string, options: WriteOptions = {}): Promise<VersionVectorJSON> {
    const { options: checked, rethrow } = writeOptionsOf('delete', options)
    const found = await new Promise<boolean>((resolve, reject) => {
      this.fetch.locate(name, (err, ok) => { if (err !== null) reject(err); else resolve(ok === true) })
    })
    // A deleted doc is still held: a keyed retry of the delete is answered from its record.
    if (!found && !(options.opId !== undefined && this.replicator.holds(name))) throw new DocNotFoundError(`no doc "${name}" here or on a live peer`)
    const version = await this.replicator.deleteDoc(name, checked)
    rethrow()
    return version
  }




  async write (name: string, fn: (doc: Y.Doc) => void, options: WriteOptions = {}): Promise<VersionVectorJSON> {
    checkFunction('write', fn)
    const { options: checked, rethrow } = writeOptionsOf('write', options)
    // An async `fn` (TypeScript lets one stand for a `=> void`): the write was acknowledged before the rest
    // of it ran, and a throw after its first await was an unhandled rejection that ended the process.
    let promised = false
    let blind = false
    let blindSets: BlindSet[] = []
    const run = (doc: Y.Doc, tr: Y.Transaction): void => {
      this.changing++
      let returned: unknown
      try {
        returned = fn(doc)
      } finally {
        this.changing--
      }
      if (blind) blindSets = blindSetsOf(doc, tr)
      if (!isThenable(returned)) return
      promised = true
      returned.then(undefined, (err: unknown) => { this.log.warn(`the async fn of a write to "${name}" failed after the write was answered`, { error: String(err) }) })
    }
    const started = this.c.clock.now()
    // Called back, not awaited: with nothing to fetch the write is applied within this call, as before (the
    // simulator's synchronous loop, and a caller that does not await, see it applied at once).
    const version = await new Promise<VersionVectorJSON>((resolve, reject) => {
      this.fetch.caughtUpForWrite(name, (applyBlind) => {
        blind = applyBlind
        this.replicator.write(name, run, checked).then(resolve, reject)
      })
    })
    this.writeAckMs.observe(this.c.clock.now() - started)
    this.blind.record(name, blindSets)
    rethrow()
    if (promised) throw new TypeError('write: fn returned a promise: a write runs fn synchronously, in one transaction; what it does after an await is not part of the write')
    return version
  }



  hasDoc (name: string): boolean {
    assertDocName(name)
    return this.replicator.isKnown(name)
  }

  version (name: string): VersionVectorJSON | undefined {
    return this.replicator.version(name)
  }

  digest (name: string): string | undefined {
    return this.replicator.digest(name)
  }

  docs (): DocSummary[] {
    // Stopped: nothing is open, as version() and digest() say (they answer undefined); the docs it held were
    // still listed, with digests of docs no longer there to read.
    if (!this.replicator.isRunning) return []
    return this.replicator.summaries().sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  }

  flush (name: string, options: FlushOptions): Promise<VersionVectorJSON> {
    try {
      checkOptionsObject('flush', options, ' { replicas, timeoutMs? }')
      checkKnownOptions('flush', options, FLUSH_OPTIONS)
      assertDocName(name)
      checkTimeout('flush', options.timeoutMs)
      checkCopies(options.replicas, this.replicator.replicas)
    } catch (err) {
      return Promise.reject(err)
    }
    const up = this.membership.members().filter(m => m.state === 'alive' || m.state === 'suspect').length
    const unsatisfiable = this.replicator.holds(name) ? unsatisfiableFlush(name, options.replicas, up, this.c.store.durable) : undefined
    if (unsatisfiable !== undefined) return Promise.reject(new WriteConcernUnsatisfiableError(unsatisfiable))
    return this.replicator.flush(name, { replicas: options.replicas, timeoutMs: options.timeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS })
  }

  homes (name: string): string[] {
    assertDocName(name)
    return this.replicator.homes(name)
  }

  placement (): PlacementView {
    return this.replicator.placementInfo()
  }

  catchUp (): CatchUpView {
    return this.replicator.catchUp()
  }

  async counter (name: string, mapName = COUNTER_MAP): Promise<Counter> {
    const map: unknown = mapName
    if (typeof map !== 'string') throw new TypeError(`counter: mapName must be a string, got ${map === null ? 'null' : typeof map}`)
    const doc = await this.replicator.open(name)
    this.appOpen.add(name) // the app's, as `doc` and `find`: a room's release leaves it open
    const counter = new PNCounter(doc, this.id, mapName)
    return {
      add: async (delta, options = {}) => {
        if (!Number.isSafeInteger(delta)) throw new RangeError(`counter delta must be a safe integer, got ${delta}`)
        // Keyed: the replicator stores the increment under its key instead of calling the function.
        const { options: checked, rethrow } = writeOptionsOf('counter.add', options)
        const started = this.c.clock.now()
        await this.replicator.write(name, () => { counter.increment(delta) }, { ...checked, counter: { map: mapName, delta } })
        this.writeAckMs.observe(this.c.clock.now() - started)
        rethrow()
        return counter.value()
      },
      value: () => counter.value()
    }
  }

  members (): MemberView[] {
    return this.membership.members().map(memberView)
  }

  nobodyToJoin (): boolean {
    return this.c.nobodyToJoin?.() ?? this.seedCount === 0
  }

  self (): MemberView {
    return memberView(this.membership.local())
  }

  on<K extends keyof PeerEvents>(type: K, listener: (event: PeerEvents[K]) => void): () => void {
    // A misspelt event or a listener that is no function was accepted and never heard of again.
    if (!Object.hasOwn(PEER_EVENTS, type)) throw new TypeError(`on: unknown event ${JSON.stringify(type)}: one of ${Object.keys(PEER_EVENTS).join(', ')}`)
    const given: unknown = listener
    if (typeof given !== 'function') throw new TypeError(`on: the listener must be a function, got ${given === null ? 'null' : typeof given}`)
    // Isolated, as every listener of the peer's parts is (a throw must not break the loop that emitted the
    // event), and logged: the app's own bug vanished without a trace, even with DEBUG=murmur.
    return this.events.on(type, (event) => {
      try {
        listener(event)
      } catch (err) {
        this.log.warn(`a listener of peer.on("${type}") threw`, { error: String(err) })
      }
    })
  }

  async join (addrs: readonly string[]): Promise<JoinOutcome> {
    if (this.c.resolveAddrs === undefined) throw new NotRunningError('this node cannot resolve addresses')
    const { destinations: resolved, unresolved } = await this.c.resolveAddrs(addrs)
    // Each destination once (an address given twice, a name and the address it resolves to): each was
    // asked and counted once per time it was given ("2 peer(s) answered" for one peer).
    const seen = new Set<string>()
    const dests = resolved.filter((d) => {
      const key = d.id ?? d.addrs.join(' ')
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    const others = dests.filter(d => !this.isOwn(d))
    const self = dests.length - others.length
    this.log.info('joining on request', { addresses: others.length, ...(self === 0 ? {} : { ownSkipped: self }) })
    // Why each address that did not answer failed, as the transport reported its dial (refused, a handshake
    // that failed): without it, an operator saw only "0 peer(s) answered".
    const { contacted, unanswered, dialFailures, notSent } = await this.membership.join(others)
    const waited = `no answer within ${this.membership.config.joinTimeoutMs / 1000} s`
    // Seeds membership never asked: MAX_PENDING_PUSH_PULLS requests were already waiting for answers. They
    // were reported "no answer within 5 s", as if they had been asked and kept silent.
    const notTried = new Set(notSent)
    const capped = `not tried: ${MAX_PENDING_PUSH_PULLS} requests were already waiting for answers (ask fewer addresses at once)`
    const failed = unanswered.map(d => ({ addr: d.addrs[0] ?? d.id ?? '?', reason: dialFailures.get(d) ?? (notTried.has(d) ? capped : waited) }))
    return { contacted, self, failed: [...unresolved, ...failed] }
  }

  /** Whether a bootstrap or join destination is this peer itself (by id, or by its own addresses). */
  private isOwn (d: Destination): boolean {
    return this.c.isOwnSeed?.(d) ?? d.id === this.id
  }

  setTags (tags: Record<string, string>): void {
    this.refuseStopped('setTags')
    requireStringRecord(tags, 'tags')
    checkMemberTags(tags, 'tags')
    // 32 of the user's own left no room for the HTTP tag added below: the codec refused 33 ("meta.tags: 33
    // entries exceeds 32"), where createPeer, --tag and POST /tags say how many may be set and why.
    const tooMany = tagCountProblem(tags)
    if (tooMany !== undefined) throw new ConfigError(`tags: ${tooMany}`)
    // The HTTP address this peer advertises (advertiseHttp) stays unless the new tags set it themselves:
    // a SIGHUP reload or `murmur tags` replaces the user's tags, not the /mesh page's way to reach us.
    if (this.advertisedTag !== undefined && !(HTTP_TAG in tags)) tags = { ...tags, [HTTP_TAG]: this.advertisedTag }
    this.replaceOwnTags(tags)
    this.log.info('tags replaced', { tags: Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(',') })
  }

  setAllowedPeers (ids: readonly string[] | undefined): void {
    this.refuseStopped('setAllowedPeers')
    if (this.c.setAllowedPeers === undefined) throw new NotRunningError('this node has no allow-list')
    this.c.setAllowedPeers(ids)
  }

  partition (block: readonly string[]): void {
    this.refuseStopped('partition')
    checkPeerList('partition', block)
    if (this.c.faults === undefined) throw new NotRunningError('this node has no fault injection')
    this.c.faults.block(block.filter(id => id !== this.id))
    this.log.info('fault injection: partitioned', { blocked: this.c.faults.blocked().length })
  }

  heal (ids?: readonly string[]): void {
    this.refuseStopped('heal')
    if (ids !== undefined) checkPeerList('heal', ids)
    if (this.c.faults === undefined) throw new NotRunningError('this node has no fault injection')
    if (ids === undefined) this.c.faults.heal()
    else this.c.faults.unblock(ids)
    this.log.info('fault injection: healed', { peers: ids === undefined ? 'all' : ids.length, blocked: this.c.faults.blocked().length })
  }

  blocked (): string[] {
    return this.c.faults?.blocked() ?? []
  }

  storeHealth (): StoreHealth {
    return this.c.store.health()
  }

  stats (): PeerStats {
    const storage = this.c.storeStats?.()
    return {
      membership: { ...this.membership.stats() },
      transport: { ...this.c.transportStats?.() },
      replication: { ...this.replicator.stats() },
      ...(storage === undefined ? {} : { storage: { ...storage } }),
      latency: {
        writeAckMs: this.writeAckMs.snapshot(),
        antiEntropyRoundMs: this.antiEntropyRoundMs.snapshot(),
        ...(storage === undefined ? {} : { storeWriteMs: storage.batchWriteMs })
      },
      presence: { ...this.mesh.stats() }
    }
  }

  meshView (): MeshView {
    return {
      name: this.membership.local().name,
      http: this.httpUrl,
      members: this.membership.members().map(m => ({ id: m.id, name: m.name, state: m.state, incarnation: m.incarnation })),
      docs: this.docs().map(d => ({ name: d.name, digest: d.digest })),
      blocked: this.blocked(),
      truncated: false
    }
  }

  meshViews (options: MeshViewOptions = {}): Promise<Map<string, MeshView>> {
    try {
      checkOptionsObject('meshViews', options)
      checkKnownOptions('meshViews', options, MESH_VIEW_OPTIONS)
      checkTimeout('meshViews', options.timeoutMs)
      if (options.peers !== undefined) checkPeerList('meshViews', options.peers)
    } catch (err) {
      return Promise.reject(err)
    }
    const peers = options.peers ?? this.membership.members().filter(m => m.id !== this.id && (m.state === 'alive' || m.state === 'suspect')).map(m => m.id)
    return new Promise((resolve) => { this.mesh.views.request(peers, options.timeoutMs ?? DEFAULT_VIEW_TIMEOUT_MS, resolve) })
  }

  advertiseHttp (url: string | undefined): void {
    this.refuseStopped('advertiseHttp')
    // Checked before anything changes: a number was set as our tag, then failed deep inside.
    const given: unknown = url
    if (given !== undefined && typeof given !== 'string') throw new TypeError(`advertiseHttp: the URL must be a string or undefined, got ${given === null ? 'null' : typeof given}`)
    if (url !== undefined) checkMemberTags({ [HTTP_TAG]: url }, 'advertiseHttp')
    this.httpUrl = url
    // Also as a member tag: gossiped with membership, so every member knows it — also across a partition,
    // when this peer cannot be asked (the /mesh page then reaches it over HTTP). A tag the user set wins.
    const tags = { ...this.membership.local().tags }
    if (tags[HTTP_TAG] === url || (HTTP_TAG in tags && tags[HTTP_TAG] !== this.advertisedTag)) return
    if (url === undefined) delete tags[HTTP_TAG]
    else if (url.length > SWIM_LIMITS.tagValueChars || (!(HTTP_TAG in tags) && Object.keys(tags).length >= SWIM_LIMITS.tags)) return
    else tags[HTTP_TAG] = url
    this.advertisedTag = url
    this.replaceOwnTags(tags)
  }

  /**
   * Replaces our tags (gossiped by membership). Membership emits events for the other members only; the
   * change is an `updated` member event here too, as it is on every peer it reaches (else `GET /events`
   * and `murmur monitor` on this peer alone never showed `murmur tags` run on it).
   */
  private replaceOwnTags (tags: Record<string, string>): void {
    const before = this.membership.local()
    this.membership.setTags(tags)
    const now = this.membership.local()
    if (now.state === MemberState.alive && !metaEqual(before, now)) this.events.emit('member', { type: 'updated', member: memberView(now) })
  }

  async leave (): Promise<void> {
    this.refuseStopped('leave')
    // No doc leaves with this peer as its only copy (written here while its homes were cut off, say).
    const unconfirmed = await this.replicator.handOffBeforeLeaving(LEAVE_HANDOFF_MS)
    if (unconfirmed.length > 0) {
      this.log.warn('leaving with docs no other peer confirmed holding: they may be only on this peer\'s disk; restart it with the same data dir to hand them over', { docs: unconfirmed.length, first: unconfirmed.slice(0, 5).join(',') })
    }
    await this.membership.leave()
  }

  /**
   * @throws NotRunningError once `stop` was called: a change to a stopped peer (its tags, a leave) was
   * accepted silently and went nowhere, where writes and reads already said so.
   */
  private refuseStopped (caller: string): void {
    if (this.stopCalled) throw new NotRunningError(`${caller}: the peer is stopped; nothing was changed`)
  }

  stop (): Promise<void> {
    // Set first: shutdown runs its first steps before `stopping` is assigned, and the waits they end look here.
    this.stopCalled = true
    this.stopping ??= this.shutdown()
    return this.stopping
  }

  private async shutdown (): Promise<void> {
    // Writes under way get their outcome (durable) first; with none, everything below runs at once.
    if (this.replicator.writesUnderWay > 0) await this.replicator.drain(STOP_DRAIN_MS)
    this.mesh.stop() // says bye while the transport is still up
    this.blind.stop()
    this.replicator.stop()
    this.membership.stop()
    // Reads waiting for other peers' answers end now (NotRunningError), not up to a second after the stop.
    this.fetch.stop()
    this.events.removeAll()
    await this.c.close?.()
  }
}

/** Whether `name` is a doc name the replicator takes (assertDocName does not throw). */
