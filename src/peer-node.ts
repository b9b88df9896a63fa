/**
 * The composition root: one libp2p transport, SWIM membership and Yjs replication on it, a durable store,
 * real time and OS randomness. `createPeer` is the only place where these are wired together; the
 * protocol modules themselves never see libp2p, the disk or the clock.
 */
import { hostname } from 'node:os'
import path from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import type * as Y from 'yjs'
import type { Counter, DocSummary, FlushOptions, MemberEventType, MemberView, MeshViewOptions, Peer, PeerEvents, PeerOptions, PeerPresence, PeerStats } from './api.js'
import { SystemClock } from './core/clock.js'
import { TypedEmitter } from './core/emitter.js'
import { MurmurError } from './core/errors.js'
import { defaultLibraryLogger } from './core/logger.js'
import type { Logger } from './core/logger.js'
import { Histogram } from './core/histogram.js'
import { ensurePrivateDir } from './core/private-files.js'
import { systemRandom } from './core/random.js'
import type { Destination } from './core/transport.js'
import { Membership, membershipDirectory } from './membership/index.js'
import { SWIM_LIMITS } from './membership/codec.js'
import type { MemberInfo, MembershipEventName } from './membership/index.js'
import { DnsSeeds, createLibp2pTransport, dnsSeed, mdnsServiceTag, resolveSeeds, systemResolver } from './net/index.js'
import type { Libp2pTransport } from './net/index.js'
import { MemoryDocStore, PNCounter, Replicator, assertDocName } from './replication/index.js'
import type { DocStore, VersionVectorJSON } from './replication/index.js'
import { LevelDocStore, openLevelDocStore } from './storage/index.js'
import type { LevelDocStoreStats } from './storage/index.js'
import { HTTP_TAG, Presence, presenceDirectory } from './presence/index.js'
import type { MeshView } from './presence/index.js'

/** libp2p 3 needs Promise.withResolvers (Node 22); older runtimes fail deep inside the first handshake. */
export const MIN_NODE_MAJOR = 22

export class UnsupportedRuntimeError extends MurmurError {
  override name = 'UnsupportedRuntimeError'
}

const DEFAULT_FLUSH_TIMEOUT_MS = 5_000
/** Opening a doc for the first time waits at most this long for peers' copies (a doc nobody has costs the full wait once). */
const INITIAL_FETCH_WAIT_MS = 1_000
/** meshViews(): how long to wait for peers' views by default. */
const DEFAULT_VIEW_TIMEOUT_MS = 1_000
/** Where documents live inside the data dir (the identity key sits beside it as peer.key). */
export const DOCS_DIR = 'docs'

/** Turns a bootstrap multiaddr into a destination, taking the peer id from `/p2p/<id>` when present. */
export function bootstrapDestination (addr: string): Destination {
  const ma = multiaddr(addr)
  const id = ma.getComponents().find(c => c.name === 'p2p')?.value
  return id === undefined ? { addrs: [ma.toString()] } : { id, addrs: [ma.toString()] }
}

export function memberView (m: MemberInfo): MemberView {
  return { peerId: m.id, name: m.name, state: m.state, incarnation: m.incarnation, addrs: [...m.addrs], tags: { ...m.tags } }
}

function defaultName (transport: Libp2pTransport): string {
  const port = transport.addresses().map(a => /\/tcp\/(\d+)/.exec(a)?.[1]).find(p => p !== undefined)
  return port === undefined ? hostname() : `${hostname()}:${port}`
}

/**
 * Starts a peer: listens, joins through `bootstrap` (in the background: a peer alone is a valid mesh of
 * one and keeps re-trying its seeds), and serves documents.
 * @throws UnsupportedRuntimeError, ConfigError, IdentityError, PskError, StoreLockedError
 */
export async function createPeer (options: PeerOptions = {}): Promise<Peer> {
  const major = Number(process.versions.node.split('.')[0])
  if (major < MIN_NODE_MAJOR) throw new UnsupportedRuntimeError(`murmur needs Node ${MIN_NODE_MAJOR} or newer; this is ${process.version}`)
  const log = options.logger ?? defaultLibraryLogger()
  const bootstrap = options.bootstrap ?? []
  // DNS names are resolved here, every record joined (libp2p would dial one); IP addresses are seeds as they are.
  const dnsNamed = bootstrap.flatMap(a => dnsSeed(a) ?? [])
  const seeds = bootstrap.filter(a => dnsSeed(a) === undefined).map(bootstrapDestination)
  // Owner-only data dir (identity key, documents), before anything is created in it.
  if (options.dataDir !== undefined) await ensurePrivateDir(options.dataDir, log)
  // Open the store first: a data dir locked by another running peer must fail before we listen.
  const store: DocStore = options.dataDir === undefined
    ? new MemoryDocStore()
    : await openLevelDocStore(path.join(options.dataDir, DOCS_DIR), { log })
  let transport: Libp2pTransport
  try {
    transport = await createLibp2pTransport({
      ...(options.listen === undefined ? {} : { listen: options.listen }),
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.psk === undefined ? {} : { psk: options.psk }),
      ...(options.allowPeers === undefined ? {} : { allowPeers: options.allowPeers }),
      mdns: typeof options.mdns === 'object' ? { serviceTag: mdnsServiceTag(options.mdns.cluster) } : options.mdns ?? false,
      ...(options.advertise === undefined ? {} : { announce: options.advertise }),
      logger: log
    })
  } catch (err) {
    await store.close()
    throw err
  }
  const clock = new SystemClock()
  const random = systemRandom()
  const membership = new Membership({ transport, clock, random: random.fork(), log: log.child('membership') }, {
    name: options.name ?? defaultName(transport),
    ...(options.tags === undefined ? {} : { tags: options.tags }),
    seeds,
    profile: options.profile ?? 'lan',
    ...(options.membership === undefined ? {} : { config: options.membership })
  })
  const directory = membershipDirectory(membership)
  const replicator = new Replicator({ transport, clock, random: random.fork(), log: log.child('replication'), store, peers: directory }, {
    profile: options.profile ?? 'lan',
    ...(options.replication === undefined ? {} : { config: options.replication })
  })
  // Presence's view answers read the node (its docs and blocked peers): bound once the node exists.
  let node: PeerNode | undefined
  const presence = new Presence({
    transport, clock, random: random.fork(), log: log.child('presence'), peers: presenceDirectory(membership),
    view: () => node?.meshView() ?? { name: '', http: undefined, members: [], docs: [], blocked: [], truncated: false }
  }, options.presence)
  membership.start()
  replicator.start()
  presence.start()
  node = new PeerNode(transport, membership, replicator, presence, store, log)
  await reopenPersistedDocs(replicator, log)
  transport.onDiscovered((dest) => { void membership.join([dest]) })
  if (dnsNamed.length > 0) {
    new DnsSeeds({
      seeds: dnsNamed,
      resolve: systemResolver,
      log: log.child('bootstrap'),
      self: () => transport.addresses(),
      alive: () => membership.alivePeers().flatMap(m => m.addrs),
      join: (addrs) => { void membership.join(addrs.map(bootstrapDestination)) },
      running: () => membership.isRunning
    }).start()
  }
  if (seeds.length > 0) {
    void membership.join(seeds).then(({ contacted }) => {
      if (contacted === 0) log.warn('no bootstrap peer answered yet; retrying in the background', { seeds: seeds.length })
    })
  }
  return node
}

/**
 * A peer replicates the docs it has opened; after a restart those are the ones on disk. Re-opening them
 * at start-up means writes acknowledged just before a crash are pushed and synced again without anyone
 * having to read them first.
 */
async function reopenPersistedDocs (replicator: Replicator, log: Logger): Promise<void> {
  const names = await replicator.persistedDocs()
  let opened = 0
  for (const name of names) {
    try {
      await replicator.open(name)
      opened++
    } catch (err) {
      log.warn('could not re-open a persisted doc', { doc: name, error: err instanceof Error ? err.message : String(err) })
      if (err instanceof Error && err.name === 'TooManyDocsError') break
    }
  }
  if (names.length > 0) log.info('re-opened persisted docs', { docs: opened })
}

/** The counters of a LevelDB store; undefined for the in-memory one. */
function storeStats (store: DocStore): LevelDocStoreStats | undefined {
  return store instanceof LevelDocStore ? store.stats() : undefined
}

class PeerNode implements Peer {
  readonly id: string
  readonly presence: PeerPresence
  private readonly events = new TypedEmitter<PeerEvents>()
  private httpUrl: string | undefined
  /** The value we set on the HTTP_TAG tag (to tell it from one the user set). */
  private advertisedTag: string | undefined
  private readonly initialFetches = new Map<string, Promise<Y.Doc>>()
  private readonly writeAckMs = new Histogram()
  private readonly antiEntropyRoundMs = new Histogram()
  private stopping: Promise<void> | undefined

  constructor (
    private readonly transport: Libp2pTransport,
    private readonly membership: Membership,
    private readonly replicator: Replicator,
    private readonly mesh: Presence,
    private readonly store: DocStore,
    private readonly log: Logger
  ) {
    this.id = transport.localId
    const docs = mesh.docs
    this.presence = {
      join: doc => docs.join(doc),
      isJoined: doc => docs.isJoined(doc),
      setLocal: (doc, entries) => docs.setLocal(doc, entries),
      removeLocal: (doc, ids) => docs.removeLocal(doc, ids),
      states: doc => docs.states(doc),
      entry: (doc, clientId) => docs.entry(doc, clientId),
      onChange: listener => docs.on('change', listener)
    }
    const types: MembershipEventName[] = ['joined', 'alive', 'suspect', 'dead', 'left', 'updated']
    for (const type of types) {
      membership.on(type, (m) => { this.events.emit('member', { type: type as MemberEventType, member: memberView(m) }) })
    }
    replicator.on('change', (e) => {
      this.events.emit('doc', e.from === undefined ? { name: e.doc, origin: e.origin } : { name: e.doc, origin: e.origin, from: e.from })
    })
    replicator.on('durable', (e) => { this.events.emit('durable', { name: e.doc, version: e.version }) })
    replicator.on('synced', (e) => { this.antiEntropyRoundMs.observe(e.durationMs) })
  }

  addresses (): string[] {
    return this.transport.addresses()
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
        clearTimeout(timer)
        offSynced()
        offChange()
        resolve()
      }
      const timer = setTimeout(done, INITIAL_FETCH_WAIT_MS)
      const offSynced = this.replicator.on('synced', (e) => { if (e.docs.includes(name)) done() })
      const offChange = this.replicator.on('change', (e) => { if (e.doc === name && e.origin === 'remote') done() })
    })
  }

  async write (name: string, fn: (doc: Y.Doc) => void): Promise<VersionVectorJSON> {
    const started = performance.now()
    const version = await this.replicator.write(name, fn)
    this.writeAckMs.observe(performance.now() - started)
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
    const named = addrs.flatMap(a => dnsSeed(a) ?? [])
    const resolved = named.length === 0 ? [] : await resolveSeeds(named, systemResolver, this.log)
    const dests = [...addrs.filter(a => dnsSeed(a) === undefined), ...resolved].map(bootstrapDestination)
    this.log.info('joining on request', { addresses: dests.length })
    return await this.membership.join(dests)
  }

  setTags (tags: Record<string, string>): void {
    // The HTTP address this peer advertises (advertiseHttp) stays unless the new tags set it themselves:
    // a SIGHUP reload or `murmur tags` replaces the user's tags, not the /mesh page's way to reach us.
    if (this.advertisedTag !== undefined && !(HTTP_TAG in tags)) tags = { ...tags, [HTTP_TAG]: this.advertisedTag }
    this.membership.setTags(tags)
    this.log.info('tags replaced', { tags: Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(',') })
  }

  setAllowedPeers (ids: readonly string[] | undefined): void {
    this.transport.setAllowPeers(ids)
  }

  partition (block: readonly string[]): void {
    this.transport.block(block.filter(id => id !== this.id))
    this.log.info('fault injection: partitioned', { blocked: this.transport.blockedPeers().length })
  }

  heal (ids?: readonly string[]): void {
    if (ids === undefined) this.transport.heal()
    else this.transport.unblock(ids)
    this.log.info('fault injection: healed', { peers: ids === undefined ? 'all' : ids.length, blocked: this.transport.blockedPeers().length })
  }

  blocked (): string[] {
    return this.transport.blockedPeers()
  }

  stats (): PeerStats {
    const storage = storeStats(this.store)
    return {
      membership: { ...this.membership.stats() },
      transport: { ...this.transport.stats() },
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
      blocked: this.transport.blockedPeers(),
      truncated: false
    }
  }

  meshViews (options: MeshViewOptions = {}): Promise<Map<string, MeshView>> {
    const peers = options.peers ?? this.membership.members().filter(m => m.id !== this.id && (m.state === 'alive' || m.state === 'suspect')).map(m => m.id)
    return new Promise((resolve) => { this.mesh.views.request(peers, options.timeoutMs ?? DEFAULT_VIEW_TIMEOUT_MS, resolve) })
  }

  advertiseHttp (url: string | undefined): void {
    this.httpUrl = url
    // Also as a member tag: gossiped with membership, so every member knows it — also across a partition,
    // when this peer cannot be asked (the /mesh page then reaches it over HTTP). A tag the user set wins.
    const tags = { ...this.membership.local().tags }
    if (tags[HTTP_TAG] === url || (HTTP_TAG in tags && tags[HTTP_TAG] !== this.advertisedTag)) return
    if (url === undefined) delete tags[HTTP_TAG]
    else if (url.length > SWIM_LIMITS.tagValueChars || (!(HTTP_TAG in tags) && Object.keys(tags).length >= SWIM_LIMITS.tags)) return
    else tags[HTTP_TAG] = url
    this.advertisedTag = url
    this.membership.setTags(tags)
  }

  leave (): Promise<void> {
    return this.membership.leave()
  }

  stop (): Promise<void> {
    this.stopping ??= this.shutdown()
    return this.stopping
  }

  private async shutdown (): Promise<void> {
    this.mesh.stop() // says bye while the transport is still up
    this.replicator.stop()
    this.membership.stop()
    await this.transport.close()
    await this.store.close()
    this.events.removeAll()
  }
}
