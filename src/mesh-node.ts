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
import type { Counter, DocSummary, FlushOptions, MemberEventType, MemberView, Peer, PeerEvents, PeerStats } from './api.js'
import type { Clock } from './core/clock.js'
import type { PeerDirectory } from './core/directory.js'
import type { DocStore } from './core/doc-store.js'
import { TypedEmitter } from './core/emitter.js'
import { NotRunningError } from './core/errors.js'
import { Histogram } from './core/histogram.js'
import type { HistogramSnapshot } from './core/histogram.js'
import { silentLogger } from './core/logger.js'
import type { Logger } from './core/logger.js'
import type { Random } from './core/random.js'
import type { Destination, Transport } from './core/transport.js'
import { Membership } from './membership/membership.js'
import type { MembershipInit } from './membership/config.js'
import type { MembershipEventName } from './membership/events.js'
import type { MemberInfo } from './membership/member.js'
import { PNCounter } from './replication/pn-counter.js'
import { Replicator } from './replication/replicator.js'
import type { ReplicationInit } from './replication/config.js'
import { assertDocName } from './replication/doc-registry.js'
import type { VersionVectorJSON } from './replication/version-vector.js'

/** Fault injection by the transport (the libp2p transport's block list); the simulator partitions its network instead. */
export interface FaultInjection {
  block(ids: readonly string[]): void
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
  /** Turns `join` addresses into destinations (the libp2p peer resolves DNS names); without it `join` throws NotRunningError. */
  resolveAddrs?: (addrs: readonly string[]) => Promise<Destination[]>
  /** Replaces the transport's allow-list (`setAllowedPeers`); without it that throws NotRunningError. */
  setAllowedPeers?: (ids: readonly string[] | undefined) => void
  /** Called by `stop()` once membership and replication stopped: closes what the owner opened (transport, store). */
  close?: () => Promise<void>
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
}

/** The public Peer plus what its owner (createPeer, the simulator, tests) reaches into. */
export interface MeshNode extends Peer {
  readonly membership: Membership
  readonly replicator: Replicator
  /** Settles once the docs persisted by an earlier run have been re-opened. */
  readonly started: Promise<void>
}

/** Flush waits this long unless told otherwise. */
export const DEFAULT_FLUSH_TIMEOUT_MS = 5_000
/** Opening a doc for the first time waits at most this long for peers' copies (a doc nobody has costs the full wait once). */
export const INITIAL_FETCH_WAIT_MS = 1_000

export function memberView (m: MemberInfo): MemberView {
  return { peerId: m.id, name: m.name, state: m.state, incarnation: m.incarnation, addrs: [...m.addrs], tags: { ...m.tags } }
}

/** Membership as replication sees it (structurally the core PeerDirectory). */
function directoryOf (m: Membership): PeerDirectory {
  return {
    alivePeers: () => m.alivePeers().map(info => info.id),
    addressesOf: (id) => m.member(id)?.addrs ?? [],
    onPeerAlive: (listener) => {
      const offAlive = m.on('alive', (info) => { listener(info.id) })
      const offJoined = m.on('joined', (info) => { listener(info.id) })
      return () => { offAlive(); offJoined() }
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
  private readonly events = new TypedEmitter<PeerEvents>()
  private readonly initialFetches = new Map<string, Promise<Y.Doc>>()
  private readonly log: Logger
  private readonly writeAckMs = new Histogram()
  private readonly antiEntropyRoundMs = new Histogram()
  private stopping: Promise<void> | undefined

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
    this.replicator = new Replicator({ transport, clock, random: random.fork(), log: this.log.child('replication'), store, peers: directoryOf(this.membership) }, {
      profile,
      ...(init.replication === undefined ? {} : { config: init.replication })
    })
    const types: MembershipEventName[] = ['joined', 'alive', 'suspect', 'dead', 'left', 'updated']
    for (const type of types) {
      this.membership.on(type, (m) => { this.events.emit('member', { type: type as MemberEventType, member: memberView(m) }) })
    }
    this.replicator.on('change', (e) => {
      this.events.emit('doc', e.from === undefined ? { name: e.doc, origin: e.origin } : { name: e.doc, origin: e.origin, from: e.from })
    })
    this.replicator.on('durable', (e) => { this.events.emit('durable', { name: e.doc, version: e.version }) })
    this.replicator.on('synced', (e) => { this.antiEntropyRoundMs.observe(e.durationMs) })
    this.membership.start()
    this.replicator.start()
    this.started = new Promise((resolve) => { this.reopenPersistedDocs(resolve) })
    const seeds = init.seeds ?? []
    if (seeds.length > 0) {
      void this.membership.join(seeds).then(({ contacted }) => {
        if (contacted === 0) this.log.warn('no bootstrap peer answered yet; retrying in the background', { seeds: seeds.length })
      }, () => {})
    }
  }

  /**
   * A peer replicates the docs it has opened; after a restart those are the ones on disk. Re-opening them
   * at start-up means writes acknowledged just before a crash are pushed and synced again without anyone
   * having to read them first. Callbacks, not promises: the simulator's loop runs this to completion.
   */
  private reopenPersistedDocs (done: () => void): void {
    this.replicator.listPersisted((err, names = []) => {
      if (err !== null) {
        this.log.warn('could not list persisted docs', { error: err.message })
        done()
        return
      }
      let opened = 0
      let index = 0
      const next = (): void => {
        const name = names[index++]
        if (name === undefined || !this.replicator.isRunning) {
          if (names.length > 0) this.log.info('re-opened persisted docs', { docs: opened })
          done()
          return
        }
        this.replicator.openWith(name, (openErr) => {
          if (openErr === null) {
            opened++
          } else {
            this.log.warn('could not re-open a persisted doc', { doc: name, error: openErr.message })
            if (openErr.name === 'TooManyDocsError') index = names.length
          }
          next()
        })
      }
      next()
    })
  }

  addresses (): string[] {
    return this.c.transport.addresses()
  }

  /**
   * Opens `name`. The first time, and if anyone is alive, it also waits (≤ INITIAL_FETCH_WAIT_MS) for the
   * first exchange with a peer hosting it, so that reading a doc someone else wrote does not look empty.
   */
  async doc (name: string): Promise<Y.Doc> {
    const pending = this.initialFetches.get(name)
    if (pending !== undefined) return await pending
    if (this.replicator.docs().includes(name) || this.membership.alivePeers().length === 0) return await this.replicator.open(name)
    const opening = this.replicator.open(name).then(async (doc) => {
      await this.firstExchange(name)
      return doc
    }).finally(() => { this.initialFetches.delete(name) })
    this.initialFetches.set(name, opening)
    return await opening
  }

  async find (name: string): Promise<Y.Doc | undefined> {
    if (this.hasDoc(name)) return await this.doc(name)
    if (this.membership.alivePeers().length === 0) return undefined
    // Nobody we know of hosts it: open it, which asks a few live peers (they answer with hints of hosts
    // they know), and give it up again if nothing arrived.
    const doc = await this.doc(name)
    if (Object.keys(this.replicator.version(name) ?? {}).length > 0 || this.replicator.hostsOf(name).length > 0) return doc
    if (this.initialFetches.has(name)) return doc // someone else is opening it meanwhile
    this.replicator.close(name)
    return undefined
  }

  private firstExchange (name: string): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        timer.cancel()
        offSynced()
        offChange()
        resolve()
      }
      const timer = this.c.clock.setTimeout(done, INITIAL_FETCH_WAIT_MS)
      const offSynced = this.replicator.on('synced', (e) => { if (e.docs.includes(name)) done() })
      const offChange = this.replicator.on('change', (e) => { if (e.doc === name && e.origin === 'remote') done() })
    })
  }

  async write (name: string, fn: (doc: Y.Doc) => void): Promise<VersionVectorJSON> {
    const started = this.c.clock.now()
    const version = await this.replicator.write(name, fn)
    this.writeAckMs.observe(this.c.clock.now() - started)
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
    const out: DocSummary[] = []
    for (const name of this.replicator.docs()) {
      const digest = this.replicator.digest(name)
      const version = this.replicator.version(name)
      if (digest !== undefined && version !== undefined) out.push({ name, digest, version })
    }
    return out.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  }

  flush (name: string, options: FlushOptions): Promise<VersionVectorJSON> {
    return this.replicator.flush(name, { replicas: options.replicas, timeoutMs: options.timeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS })
  }

  async counter (name: string, mapName?: string): Promise<Counter> {
    const doc = await this.replicator.open(name)
    const counter = new PNCounter(doc, this.id, mapName)
    return {
      add: async (delta) => {
        await this.write(name, () => { counter.increment(delta) })
        return counter.value()
      },
      value: () => counter.value()
    }
  }

  members (): MemberView[] {
    return this.membership.members().map(memberView)
  }

  self (): MemberView {
    return memberView(this.membership.local())
  }

  on<K extends keyof PeerEvents>(type: K, listener: (event: PeerEvents[K]) => void): () => void {
    return this.events.on(type, listener)
  }

  async join (addrs: readonly string[]): Promise<{ contacted: number }> {
    if (this.c.resolveAddrs === undefined) throw new NotRunningError('this node cannot resolve addresses')
    const dests = await this.c.resolveAddrs(addrs)
    this.log.info('joining on request', { addresses: dests.length })
    return await this.membership.join(dests)
  }

  setTags (tags: Record<string, string>): void {
    this.membership.setTags(tags)
    this.log.info('tags replaced', { tags: Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(',') })
  }

  setAllowedPeers (ids: readonly string[] | undefined): void {
    if (this.c.setAllowedPeers === undefined) throw new NotRunningError('this node has no allow-list')
    this.c.setAllowedPeers(ids)
  }

  partition (block: readonly string[]): void {
    if (this.c.faults === undefined) throw new NotRunningError('this node has no fault injection')
    this.c.faults.block(block.filter(id => id !== this.id))
    this.log.info('fault injection: partitioned', { blocked: this.c.faults.blocked().length })
  }

  heal (): void {
    if (this.c.faults === undefined) throw new NotRunningError('this node has no fault injection')
    this.c.faults.heal()
    this.log.info('fault injection: healed')
  }

  blocked (): string[] {
    return this.c.faults?.blocked() ?? []
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
      }
    }
  }

  leave (): Promise<void> {
    return this.membership.leave()
  }

  stop (): Promise<void> {
    this.stopping ??= this.shutdown()
    return this.stopping
  }

  private async shutdown (): Promise<void> {
    this.replicator.stop()
    this.membership.stop()
    this.events.removeAll()
    await this.c.close?.()
  }
}
