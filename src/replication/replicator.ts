/**
 * Replicator: Yjs documents replicated over the sync channel. This class wires the parts and owns the
 * public API; each job lives in its own module:
 *
 *   doc-registry.ts   open docs, load from the store, fresh replica ids        durable-log.ts  store acks
 *   push.ts           push durable local updates, forward new remote ones      anti-entropy.ts digests → vectors → diffs
 *   flush-tracker.ts  WriteTo(n): wait for n persisted replicas                compactor.ts    history compaction
 *   host-directory.ts who hosts which doc                                      sync-link.ts    framing, chunks, counters
 *   persisted-names.ts docs with persisted state (isKnown, persistedDocs)
 *   write-outcome.ts  refuse / durable / unknown rules                         op-records.ts, idempotency.ts,
 *                                                                              op-sweeper.ts   idempotency keys
 *
 * Write path: the app edits a doc (through `write`, or `doc.transact` directly) → the Yjs update event →
 * store.append → on the store's callback: acknowledge (`write` resolves), emit `durable`, push to k live
 * hosts. `write` refuses up front while the store is failing, skips a key it has applied before, and
 * reports a change it applied but could not get confirmed as an unknown outcome (write-outcome.ts). A remote update that changed the doc is appended too; a pushed one is forwarded once, after it is
 * durable; one that carried a flush id is acknowledged to its sender after it is durable.
 *
 * Runs unchanged in the simulator: no libp2p, no ambient time or randomness, and no protocol step waits
 * on a promise (promises exist only at this public edge and settle from callbacks).
 */
import { aliveSet, pushTargets } from './alive-set.js'
import { AliveResyncs } from './alive-resyncs.js'
import type * as Y from 'yjs'
import { hasLoneSurrogate } from '../core/codec.js'
import { every } from '../core/clock.js'
import type { Clock, Timer } from '../core/clock.js'
import { TypedEmitter } from '../core/emitter.js'
import { ConfigError, DecodeError, NotRunningError, RateLimitError } from '../core/errors.js'
import { IdempotencyKeyReusedError, InvalidTextError, PartialWriteError, StoreFailingError, writeOutcome } from '../core/outcome.js'
import { RateLimitedLog, silentLogger } from '../core/logger.js'
import type { Logger } from '../core/logger.js'
import type { Random } from '../core/random.js'
import { Channel } from '../core/transport.js'
import type { PeerId, Transport } from '../core/transport.js'
import { AntiEntropy } from './anti-entropy.js'
import { CatchUp } from './catch-up.js'
import type { CatchUpState } from './catch-up.js'
import { AppendRepair } from './append-repair.js'
import { DocCatalog } from './catalog.js'
import { metaVector } from './doc-meta.js'
import type { DocMeta } from './doc-meta.js'
import { CHUNK_ENVELOPE_BYTES } from './codec.js'
import type { SyncMessage, SyncMessageOf } from './codec.js'
import { Compactor } from './compactor.js'
import { resolveReplicationConfig } from './config.js'
import type { ReplicationConfig, ReplicationInit, ReplicationPresetName } from './config.js'
import { pendingBytes, structCount } from './doc-entry.js'
import type { DocEntry, EncodedMeta } from './doc-entry.js'
import { DocRegistry } from './doc-registry.js'
import type { OpenCallback } from './doc-registry.js'
import { DocNotFoundError, DocTooLargeError, TooManyDocsError } from './errors.js'
import type { ReplicatorEvents, StoreOp } from './events.js'
import { Confirmations } from './confirmations.js'
import { CoveredDigests } from './covered.js'
import { FlushTracker } from './flush-tracker.js'
import { HostDirectory } from './host-directory.js'
import { opKey, peerTag } from './idempotency.js'
import { opIndexOf } from './op-records.js'
import type { OpRecord } from './op-records.js'
import { OpSweeper, sweepIntervalMs } from './op-sweeper.js'
import { RemoteOrigin } from './origins.js'
import type { RemoteKind } from './origins.js'
import { WITHDRAW_ORIGIN, WRITE_ORIGIN } from './origins.js'
import { Placement } from './placement.js'
import type { PlacementInfo } from './placement.js'
import { ReplicasAgreement } from './replicas-agreement.js'
import { Pusher } from './push.js'
import { Rebalancer } from './rebalancer.js'
import { handOffBeforeLeaving } from './leave-handoff.js'
import { StepBatcher } from './step-batcher.js'
import { createCounters } from './stats.js'
import type { ReplicatorCounters, ReplicatorStats } from './stats.js'
import type { DocStore } from '../core/doc-store.js'
import type { PeerDirectory } from '../core/directory.js'
import { equalBytes } from './summary.js'
import { SyncLink } from './sync-link.js'
import { deleteContents } from './tombstone.js'
import { digestHex, toJSON } from './version-vector.js'
import type { VersionVectorJSON } from './version-vector.js'
import { loneSurrogateSince, markEdit, withdrawLoneSurrogates, withdrawSince } from './well-formed.js'
import type { EditMark } from './well-formed.js'
import { editBytes, freedBytes } from './edit-size.js'
import { afterTransactions, awaitDurable, refusalFor } from './write-outcome.js'
import { CoHomeRelay } from './co-home-relay.js'
import { ReadRepairs, WIDE_REPAIR_MS } from './read-repair.js'

export interface ReplicatorComponents {
  transport: Transport
  clock: Clock
  random: Random
  log?: Logger
  store: DocStore
  peers: PeerDirectory
  /**
   * Wall-clock ms since the epoch, for what other peers and later runs compare (idempotency records).
   * Default: `clock.now()` (the simulator's virtual time; a real peer passes Date.now).
   */
  wallTime?: () => number
}

export interface WriteOptions {
  /**
   * How many bytes the write adds, if the caller knows (the HTTP API passes the body's size): a write that
   * would take the doc past `maxDocBytes` is refused with DocTooLargeError before it runs.
   */
  bytes?: number
  /**
   * Idempotency key: if a write with this key was applied to the doc before (here, or on a peer whose
   * update reached this one) within `idempotencyWindowMs`, `fn` is not called and the write answers like
   * the first once that is durable here (idempotency.ts).
   */
  opId?: string
  /** What the request was: a later write with the same `opId` and another fingerprint is refused (IdempotencyKeyReusedError). */
  fingerprint?: string
  /** Durability wait before OutcomeUnknownError('durability-timeout') (default `writeTimeoutMs`). */
  timeoutMs?: number
  /** A keyed counter increment: stored in the key's record instead of a slot (pn-counter.ts). Needs `opId`. */
  counter?: { map: string, delta: number }
  /** Checked after the replay check and before anything is applied: an error to refuse with instead. */
  precondition?: (entry: DocEntry) => Error | undefined
  /** Called when the write is answered as a replay of its `opId` (nothing applied). */
  onReplay?: () => void
}

export interface ReplicatorOptions {
  /** Timing preset (default `lan`). */
  profile?: ReplicationPresetName
  /** Overrides of single fields of the preset. */
  config?: ReplicationInit
}

export interface FlushOptions {
  /** Peers (other than this one) that must have applied and persisted our changes. */
  replicas: number
  /** Reject with TimeoutError after this long. */
  timeoutMs: number
}

/**
 * An open that failed: a refusal (invalid name, too many docs, stopped) as it is; anything else is the
 * store failing to read the doc — named, with the raw error (paths and all) only as its cause.
 */
function loadFailure (name: string, err: Error): Error {
  return writeOutcome(err) === 'refused' ? err : new StoreFailingError(`the store could not load "${name}"; nothing was changed`, { cause: err })
}

/** Headroom between a Digests page and the chunk size (frame type, session, page numbers). */
const PAGE_ENVELOPE_BYTES = 64
/** A doc gets at most one gap-filling round per this long (fillGap); the next pending update may start another. */
const GAP_FILL_SPACING_MS = 500
/** Docs whose last gap-filling round is remembered. */
const MAX_GAP_FILLS = 4_096
/** Members remembered as using another R: as many as a member table holds (membership's maxMembers). */
const MAX_DISAGREEING_MEMBERS = 16_384
/** A peer whose rounds do not complete is called caught up this long after it first could compare (catch-up.ts). */
export const CATCH_UP_BOUND_MS = 15_000

export class Replicator {
  readonly config: ReplicationConfig
  readonly localId: PeerId
  private readonly transport: Transport
  private readonly clock: Clock
  private readonly random: Random
  private readonly peers: PeerDirectory
  private readonly log: Logger
  private readonly warnings: RateLimitedLog
  private readonly events: TypedEmitter<ReplicatorEvents>
  private readonly counters: ReplicatorCounters = createCounters()
  /** Doc → when its last gap-filling round started, and the folded round after it if one is due (fillGap). */
  private readonly gapFills = new Map<string, { at: number, from: PeerId, timer: Timer | undefined }>()
  private readonly registry: DocRegistry
  private readonly hosts: HostDirectory
  private readonly link: SyncLink
  private readonly pusher: Pusher
  private readonly antiEntropy: AntiEntropy
  private readonly flushes: FlushTracker
  private readonly compactor: Compactor
  private readonly placement: Placement
  private readonly replicasAgreement: ReplicasAgreement
  private readonly catchUpTracker: CatchUp
  private readonly confirmations: Confirmations
  private readonly covered: CoveredDigests
  private readonly rebalancer: Rebalancer
  private readonly readRepairs: ReadRepairs
  private readonly coHomes: CoHomeRelay
  private readonly aliveResyncs: AliveResyncs
  private readonly steps: StepBatcher
  private readonly durable: boolean
  private readonly sweeper: OpSweeper
  private readonly appendRepair: AppendRepair
  private readonly selfTag: string
  private readonly wallTime: () => number
  private readonly timers: Timer[] = []
  private readonly unsubscribe: Array<() => void> = []
  private readonly catalog = new DocCatalog()
  /** The store's list has been read into the catalog (until then, names persisted earlier are unknown). */
  private listed = false
  private readonly listedWaiters: Array<(err: Error | null) => void> = []
  /**
   * Docs new here being created by an anti-entropy step that brings them (step 2 carries the initiator's
   * whole state; a step 1 we take up as a home is answered with all of the responder's): not fetched from
   * every peer once loaded, as a doc the app opens is. Each peer holding it would answer with one more
   * exchange of it — after a loss every new home got each doc it took over once, then confirmed it with
   * every other live peer (the placement bench: ×2.2 the bytes of the docs that lost a copy). The other
   * homes' shared rounds bring anything the creating exchange did not.
   */
  private readonly creatingBySync = new Set<string>()
  private readonly store: DocStore
  private pendingWrites = 0
  /** drain() was called: new writes are refused while those under way finish. */
  private draining = false
  /** What ends each drain() wait (the last write under way settled, its timer, or stop()). */
  private drainWaiters: Array<() => void> = []
  private running = false
  private stopped = false

  constructor (components: ReplicatorComponents, options: ReplicatorOptions = {}) {
    const { transport, random, store, peers } = components
    // Every timer callback of every module runs guarded: a bug there is counted and logged, and never
    // escapes into the caller's event loop (or stops the simulator).
    const clock: Clock = {
      now: () => components.clock.now(),
      setTimeout: (fn, delayMs) => components.clock.setTimeout(() => { this.guard('timer', fn) }, delayMs)
    }
    this.transport = transport
    this.clock = clock
    this.random = random
    this.peers = peers
    this.store = store
    this.durable = store.durable
    this.log = components.log ?? silentLogger
    this.warnings = new RateLimitedLog(this.log, () => clock.now())
    this.events = new TypedEmitter((err) => { this.log.warn('replication event listener threw', { error: String(err) }) })
    this.config = resolveReplicationConfig(options.config, options.profile ?? 'lan')
    this.localId = transport.localId
    this.selfTag = peerTag(transport.localId)
    this.wallTime = components.wallTime ?? (() => components.clock.now())
    const frameLimit = transport.maxFrameBytes(Channel.sync)
    if (this.config.chunkBytes + CHUNK_ENVELOPE_BYTES > frameLimit) {
      throw new ConfigError(`chunkBytes (${this.config.chunkBytes}) plus its envelope exceeds the sync frame limit (${frameLimit})`)
    }
    const { config, counters } = this
    this.placement = new Placement(this.localId, config.replicas)
    this.replicasAgreement = new ReplicasAgreement(config.replicas, this.log, MAX_DISAGREEING_MEMBERS)
    this.catchUpTracker = new CatchUp(this.localId, CATCH_UP_BOUND_MS, (outcome, pending, sinceMs) => {
      this.antiEntropy.stopComparing()
      const fields = { docs: this.catalog.size, afterMs: Math.round(sinceMs) }
      if (outcome === 'caught up') this.log.info('caught up: every doc homed here compared with another of its homes since start', fields)
      else this.log.warn('calling this peer caught up without having compared every doc it homes with another home', { ...fields, pending, boundMs: CATCH_UP_BOUND_MS })
    })
    this.confirmations = new Confirmations(Math.max(1024, config.maxDocsPerRound * 4), () => clock.now())
    this.covered = new CoveredDigests(config.maxTrackedDocs)
    this.registry = new DocRegistry(store, random, {
      onUpdate: (entry, update, origin, tr) => { this.onDocUpdate(entry, update, origin, tr) },
      onLoaded: (entry, updates, corrupt) => { this.onLoaded(entry, updates, corrupt) },
      onLoadError: (entry, err) => { this.onStoreError(entry.name, 'load', err) }
    }, { maxOpen: config.maxOpenDocs, now: () => clock.now(), busy: (entry) => this.flushes.hasDoc(entry.name) })
    this.hosts = new HostDirectory(config.maxTrackedDocs, config.maxHostsPerDoc, (doc) => this.holds(doc))
    this.link = new SyncLink({
      transport,
      peers,
      counters,
      warnings: this.warnings,
      now: () => clock.now(),
      chunkBytes: config.chunkBytes,
      random,
      clock,
      pace: {
        framesPerSec: config.paceFramesPerSec,
        burstFrames: config.paceBurstFrames,
        bytesPerSec: config.paceBytesPerSec,
        burstBytes: config.paceBurstBytes,
        maxQueuedBytes: config.maxPacedBytes
      },
      reassembly: {
        maxTransferBytes: config.maxTransferBytes,
        maxReassemblyBytes: config.maxReassemblyBytes,
        maxTransfersPerPeer: config.maxTransfersPerPeer,
        maxTransfers: config.maxTransfers,
        timeoutMs: config.reassemblyTimeoutMs
      }
    })
    this.steps = new StepBatcher(this.link, clock, config.chunkBytes, counters)
    this.pusher = new Pusher({
      localId: this.localId, placement: this.placement, link: this.link, hosts: this.hosts, peers, random, clock, counters,
      fanout: () => config.pushFanout, pushAllMaxHosts: () => config.pushAllMaxHosts, forwardBatchMs: () => config.forwardBatchMs,
      connected: (peer) => transport.isConnected?.(peer) ?? true,
      hasConnectionRoom: () => transport.hasConnectionRoom?.() ?? true
    })
    this.flushes = new FlushTracker({
      localId: this.localId, link: this.link, placement: this.placement, durable: this.durable, peers, clock, config, counters
    })
    this.antiEntropy = new AntiEntropy({
      localId: this.localId,
      link: this.link,
      steps: this.steps,
      registry: this.registry,
      catalog: this.catalog,
      covered: this.covered,
      placement: this.placement,
      durable: this.durable,
      hosts: this.hosts,
      peers,
      random,
      clock,
      config,
      counters,
      pageBytes: config.chunkBytes - PAGE_ENVELOPE_BYTES,
      withDoc: (name, create, fn, from, type) => this.withDoc(name, create, fn, from, type),
      onThrottled: (peer, dropped) => {
        this.warnings.warn('listing-budget', 'a peer\'s anti-entropy listings ask for more work than its budget: docs left to later rounds', { peer, dropped })
      },
      apply: (entry, update, from, asked) => { this.applyRemote(entry, update, from, 'sync', asked) },
      noteVector: (peer, doc, vector) => { this.flushes.noteVector(peer, doc, vector) },
      confirmed: (doc, peer, digest, durable) => {
        this.confirmations.note(doc, peer, digest, durable)
        this.rebalancer.confirmed(doc)
      },
      settledAfterChange: () => { this.guard('handoff', () => { this.rebalancer.tick() }) },
      onSynced: (peer, docs, durationMs) => { this.events.emit('synced', { peer, docs, durationMs }) },
      onAbsent: (peer, doc) => { this.events.emit('absent', { doc, from: peer }) },
      onHosted: (peer, doc, empty) => { this.events.emit('hosted', { doc, from: peer, empty }) },
      connected: (peer) => this.isConnected(peer)
    })
    this.rebalancer = new Rebalancer({
      localId: this.localId,
      placement: this.placement,
      catalog: this.catalog,
      registry: this.registry,
      confirmations: this.confirmations,
      antiEntropy: this.antiEntropy,
      store,
      peers,
      clock,
      config,
      counters,
      durable: this.durable,
      connected: (peer) => transport.isConnected?.(peer) ?? true,
      random,
      onDropped: (doc, digest, homes) => {
        this.covered.forget(doc)
        this.log.info('dropped a copy its homes hold', { doc, homes: homes.length })
        this.events.emit('dropped', { doc, digest: digestHex(digest), homes })
      },
      onError: (doc, err) => { this.onStoreError(doc, 'remove', err) }
    })
    this.readRepairs = new ReadRepairs(clock, () => config.readRepairIntervalMs, config.maxTrackedDocs)
    this.coHomes = new CoHomeRelay({
      localId: this.localId, placement: this.placement, peers, clock,
      digestOf: (doc) => this.antiEntropy.digestOf(doc),
      startRound: (peer, items) => this.antiEntropy.startRound(peer, items, 'handoff', false),
      onRelay: () => { this.counters.coHomeRelays++ }
    })
    this.compactor = new Compactor({
      store, clock, registry: this.registry, config, counters,
      onCompacted: (entry, bytes, meta) => {
        this.noteEarlierDigest(entry.name, meta.meta)
        this.catalog.noteDurable(entry.name, meta.meta)
        this.events.emit('compacted', { doc: entry.name, bytes })
      },
      onError: (entry, err) => { this.onStoreError(entry.name, 'compact', err) }
    })
    this.aliveResyncs = new AliveResyncs({
      clock,
      gapMs: () => config.antiEntropyIntervalMs,
      run: (peer) => { this.guard('alive', () => { this.antiEntropy.peerAlive(peer) }) },
      isAlive: (peer) => aliveSet(this.peers).has(peer)
    })
    this.appendRepair = new AppendRepair({
      clock,
      repair: (entry) => { this.guard('repair', () => { this.repair(entry) }) },
      // Before, neither happened: a guest copy's catalog digest stayed that of the state before the failure, which
      // its homes had confirmed, so the rebalancer dropped the copy with the repaired writes (outcomes.test.ts).
      repaired: (entry, updates, meta) => {
        this.noteDurable(entry.name, meta)
        if (this.running && entry.ready) this.guard('push', () => { for (const u of updates) this.pusher.pushLocal(entry, u) })
      }
    })
    this.sweeper = new OpSweeper({
      registry: this.registry, store, config, counters, peerId: this.localId, selfTag: this.selfTag, wallTime: this.wallTime
    })
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────────

  /** Attaches to the transport and membership and starts the anti-entropy and compaction loops. */
  start (): void {
    if (this.running) return
    if (this.stopped) throw new NotRunningError('a stopped replicator cannot be restarted; create a new one')
    this.running = true
    this.unsubscribe.push(
      this.transport.onFrame(Channel.sync, (from, bytes) => { this.onFrame(from, bytes) }),
      // A failed dial holds back new dials of sync frames to that peer for a moment (dial-backoff.ts).
      this.transport.onPeerEvent((e) => {
        if (e.id === undefined) return
        if (e.type === 'unreachable') this.link.backoff.failed(e.id)
        else if (e.type === 'connected') this.link.backoff.reset(e.id)
      }),
      this.peers.onPeerAlive((id) => {
        if (!this.running) return
        this.link.backoff.reset(id)
        this.refreshMembers()
        this.aliveResyncs.cameAlive(id)
      }),
      this.peers.onMemberChange?.(() => { if (this.running) this.refreshMembers() }) ?? (() => {}),
      // Store back: persist at once what it lost meanwhile (docs whose appends failed), not a second later.
      this.store.onHealth((h) => {
        if (h.state !== 'ok' || !this.running) return
        for (const entry of this.registry.readyEntries()) if (entry.log.failed) this.guard('repair', () => { this.repair(entry) })
      })
    )
    this.refreshMembers()
    const { config } = this
    // Random phase: peers started together should not all sync in the same instant.
    this.timers.push(
      // The loops' bodies are guarded inside `every`, so one failing round does not end the loop.
      this.after(this.random.int(config.antiEntropyIntervalMs), () => every(this.clock, () => config.antiEntropyIntervalMs, () => {
        this.guard('anti-entropy', () => {
          this.link.expire()
          this.refreshMembers()
          this.antiEntropy.tick()
          this.rebalancer.tick()
          this.catchUp()
        })
      })),
      this.after(this.random.int(config.compactIntervalMs), () => every(this.clock, () => config.compactIntervalMs, () => {
        this.guard('compaction', () => { this.compactor.run() })
      })),
      every(this.clock, () => Math.max(100, Math.floor(config.idleEvictMs / 4)), () => {
        this.guard('eviction', () => { this.registry.evictIdle(config.idleEvictMs) })
      }),
      every(this.clock, () => sweepIntervalMs(config.idempotencyWindowMs), () => {
        this.guard('sweep', () => { this.sweeper.run() })
      })
    )
    this.readCatalog()
    this.log.info('replication started', { id: this.localId })
  }

  /**
   * Before a graceful leave: hands every held doc to the peers that will home it without this one and waits,
   * at most `timeoutMs`, until each is confirmed by one of them (leave-handoff.ts). Resolves with the docs
   * still unconfirmed: as far as this peer knows, only on its own disk.
   */
  handOffBeforeLeaving (timeoutMs: number): Promise<string[]> {
    if (!this.running) return Promise.resolve([])
    return new Promise((resolve) => {
      handOffBeforeLeaving({
        localId: this.localId,
        placement: this.placement,
        catalog: this.catalog,
        confirmations: this.confirmations,
        antiEntropy: this.antiEntropy,
        peers: this.peers,
        clock: this.clock,
        durable: this.durable,
        maxDocsPerRound: this.config.maxDocsPerRound
      }, timeoutMs, resolve)
    })
  }

  /** R: homes per document (`replication.replicas`). */
  get replicas (): number {
    return this.placement.replicas
  }

  /** Writes accepted and not yet answered (what drain() waits for). */
  get writesUnderWay (): number {
    return this.pendingWrites
  }

  /**
   * The start of a graceful stop: refuses new writes (NotRunningError: nothing applied) and resolves once
   * every write under way has its outcome — durable, as a rule: the store confirms in milliseconds — or
   * after `ms`. Without it, stop() answered those writes OutcomeUnknownError although they were about to be
   * on disk (and were, after a restart).
   */
  drain (ms: number): Promise<void> {
    this.draining = true
    if (!this.running || this.pendingWrites === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => { this.endDrains() }, ms)
      this.drainWaiters.push(() => {
        timer.cancel()
        resolve()
      })
    })
  }

  private endDrains (): void {
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const end of waiters) end()
  }

  /**
   * Stops loops and timers, detaches from transport and membership, fails pending opens, writes and
   * flushes with NotRunningError and destroys every doc. Does not close the store (its owner does).
   */
  stop (): void {
    if (!this.running) return
    this.endDrains()
    this.running = false
    this.stopped = true
    for (const t of this.timers) t.cancel()
    this.timers.length = 0
    for (const u of this.unsubscribe) u()
    this.unsubscribe.length = 0
    this.flushes.stop()
    this.pusher.flush() // local writes waiting for the end of the turn still leave (the link may yet send them)
    this.compactor.clear()
    this.appendRepair.clear()
    this.antiEntropy.clear()
    this.aliveResyncs.clear()
    this.clearGapFills()
    this.rebalancer.clear()
    this.readRepairs.clear()
    this.coHomes.clear()
    this.covered.clear()
    this.steps.clear()
    this.link.clear()
    this.warnUnpersisted()
    this.registry.closeAll(new NotRunningError('replication stopped'))
    this.log.info('replication stopped')
    this.events.removeAll()
  }

  /**
   * At stop: the docs holding a change the store failed to persist (a failing store, a removed data dir).
   * Their writes answered `outcome_unknown`, saying they are lost if the peer stops first: say it happened.
   */
  private warnUnpersisted (): void {
    const docs = this.registry.readyEntries().filter(e => e.log.failed).map(e => e.name)
    if (docs.length === 0) return
    this.log.warn('stopping with changes the store never persisted: they are lost on this peer (peers that fetched them keep them)', {
      docs: docs.length, names: docs.slice(0, 5).join(',') + (docs.length > 5 ? ',…' : '')
    })
  }

  get isRunning (): boolean {
    return this.running
  }

  // ── documents ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Opens `name` for the app (idempotent): loads it from the store, asks peers hosting it for what we lack,
   * and keeps it in memory — never evicted — until `close(name)`. Resolves with the live Y.Doc once loaded;
   * edits to it are persisted and replicated. Rejects with InvalidDocNameError for a name the wire cannot
   * carry (1–256 chars, no control characters), and with TooManyDocsError if `maxOpenDocs` docs are loaded
   * and none of them can be evicted.
   */
  open (name: string): Promise<Y.Doc> {
    if (!this.running) return Promise.reject(new NotRunningError('replication is not running'))
    return new Promise((resolve, reject) => {
      this.openEntry(name, (err, entry) => {
        if (err !== null || entry === undefined) {
          reject(err ?? new NotRunningError('open failed'))
          return
        }
        entry.pinned = true
        resolve(entry.doc)
      })
    })
  }

  /**
   * Loads `name` without keeping it for the app (a read, a probe): it stays in memory while in use and is
   * evicted once idle. `cb(null, doc)` once loaded.
   */
  load (name: string, cb: (err: Error | null, doc?: Y.Doc) => void): void {
    if (!this.running) {
      cb(new NotRunningError('replication is not running'))
      return
    }
    this.openEntry(name, (err, entry) => {
      if (err !== null || entry === undefined) cb(err === null ? new NotRunningError('open failed') : loadFailure(name, err))
      else cb(null, entry.doc)
    })
  }

  /**
   * Whether `name` exists as far as this peer knows: held here (in memory or in the store) and not deleted,
   * or hosted by a live peer (per the host directory). Lets a reader (HTTP GET) answer 404 instead of
   * creating a doc by reading it. Docs persisted by an earlier run are known once the store's list has been
   * read, right after start (`whenListed`).
   */
  isKnown (name: string): boolean {
    if (this.holds(name)) return !this.isDeleted(name)
    return this.hosts.hostsOf(name, aliveSet(this.peers)).length > 0
  }

  /**
   * Whether this peer has something of `name` to answer a read from: stored, loaded with state, or held open
   * by the app. A loaded doc with nothing in it (made by a sync step that brought nothing, or by a read that
   * found nothing yet) is not: a read asks peers for it again instead of answering from it.
   */
  hasState (name: string): boolean {
    if (this.rebalancer.isDropping(name)) return false // the store is removing it: nothing to build on
    if (this.catalog.has(name)) return true
    const entry = this.registry.ready(name)
    return entry !== undefined && (entry.pinned || entry.log.position > 0 || entry.vector().size > 0)
  }

  /**
   * A read here answered from the copy of `name` this peer holds: if that is a guest copy (stored, not homed
   * here, not held open by the app), its homes are asked for what they hold beyond it (read-repair.ts).
   */
  readFromCopy (name: string): void {
    if (!this.running) return
    this.rebalancer.read(name)
    const entry = this.registry.ready(name)
    if (entry === undefined || entry.pinned || !this.catalog.has(name) || this.placement.isHome(name)) return
    const due = this.readRepairs.due(name, this.placement.version)
    if (due === undefined) return
    // The member set changed since the copy was last asked for widely, or within WIDE_REPAIR_MS (a heal): the homes and connected hosts.
    if (due.wide || this.clock.now() - this.placement.changedAt < WIDE_REPAIR_MS) this.antiEntropy.repairWidely(entry)
    else this.antiEntropy.repair(entry, due.turn)
  }

  /**
   * A read here found nothing of `name` and fetched it (asked every peer a first read asks): its copy is kept
   * while read (rebalancer.ts READ_COPY_KEEP_MS), and its repairs ask widely once the member set changes.
   */
  noteFetchedForRead (name: string): void {
    if (!this.running) return
    this.rebalancer.read(name)
    this.readRepairs.fetched(name, this.placement.version)
  }

  /**
   * Loads `name` and, if nothing of it is here yet, asks peers for it again (the first ask can come back
   * empty: the peers holding it were busy exchanging it with someone else). `cb` once loaded.
   */
  refetch (name: string, cb: (err: Error | null) => void): void {
    this.load(name, (err) => {
      const entry = this.registry.ready(name)
      if (err === null && entry !== undefined && this.running && !this.catalog.has(name) && entry.vector().size === 0) this.antiEntropy.fetch(entry)
      cb(err)
    })
  }

  /** Whether this peer holds `name` (loaded, or in its store), deleted or not. */
  holds (name: string): boolean {
    return this.registry.get(name) !== undefined || this.catalog.has(name)
  }

  /** Whether `name` is a tombstone here (tombstone.ts). False for a doc this peer does not hold. */
  isDeleted (name: string): boolean {
    const entry = this.registry.ready(name)
    if (entry !== undefined) return entry.deleted
    return this.catalog.get(name)?.meta?.deleted === true
  }

  /** Names of every doc with persisted state (the store's list, sorted). */
  persistedDocs (): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.listPersisted((err, names) => { if (err !== null) reject(err); else resolve(names ?? []) })
    })
  }

  /** `persistedDocs` with a callback (for callers driven by the simulator's synchronous loop). */
  listPersisted (cb: (err: Error | null, names?: string[]) => void): void {
    this.whenListed((err) => {
      if (err !== null) cb(err)
      else cb(null, [...this.catalog.values()].map(e => e.name).sort())
    })
  }

  /** Calls back once the store's list of docs is in the catalog (at once if it is). */
  whenListed (cb: (err: Error | null) => void): void {
    if (this.listed) cb(null)
    else this.listedWaiters.push(cb)
  }

  /**
   * The app is done with `name`: the live Y.Doc it had may be destroyed from now on (at once if nothing is
   * in flight for it). Its persisted state stays, and it keeps being replicated like every doc this peer holds.
   */
  close (name: string): void {
    const entry = this.registry.get(name)
    if (entry === undefined) return
    entry.pinned = false
    if (!entry.ready) return
    this.registry.evictNow(name)
  }

  /** Evicts `name` now unless the app holds it open or something is in flight for it (a probe that found nothing). */
  release (name: string): void {
    if (this.registry.get(name)?.pinned === false) this.registry.evictNow(name)
  }

  /** The live doc, once open and loaded. */
  doc (name: string): Y.Doc | undefined {
    return this.registry.ready(name)?.doc
  }

  isReady (name: string): boolean {
    return this.registry.ready(name) !== undefined
  }

  /** Whether the app holds `name` open (`open` without a `close` since). */
  isOpen (name: string): boolean {
    return this.registry.get(name)?.pinned === true
  }

  /** Names of the docs in memory (loaded or loading). */
  docs (): string[] {
    return this.registry.names()
  }

  /**
   * Every doc this peer holds and that is not deleted, with its digest and version: from memory for loaded
   * docs, else from the catalog (what the store holds; docs whose digest is not known yet are left out).
   */
  summaries (): Array<{ name: string, digest: string, version: VersionVectorJSON }> {
    const out = new Map<string, { name: string, digest: string, version: VersionVectorJSON }>()
    for (const e of this.catalog.values()) {
      const meta = e.meta
      if (meta === undefined || meta.deleted || this.registry.ready(e.name) !== undefined) continue
      const vector = metaVector(meta)
      out.set(e.name, { name: e.name, digest: digestHex(meta.digest), version: vector === undefined ? {} : toJSON(vector) })
    }
    for (const entry of this.registry.readyEntries()) {
      // Held docs, and docs the app opened even while still empty (it created them).
      if (!entry.deleted && (this.catalog.has(entry.name) || entry.log.position > 0 || entry.pinned)) out.set(entry.name, { name: entry.name, digest: digestHex(entry.digestBytes()), version: toJSON(entry.vector()) })
    }
    return [...out.values()]
  }

  /**
   * Runs `fn` on the doc in one transaction (opening and loading the doc first if needed) and resolves with
   * the doc's version once the change — and everything before it — is durable. Outcomes (core/outcome.ts):
   *  - refused, nothing applied: NotRunningError, RateLimitError, InvalidOpIdError, TooManyDocsError,
   *    InvalidDocNameError, StoreFailingError/StoreFullError (the store is known to be failing, or could
   *    not load the doc), IdempotencyKeyReusedError, what `precondition` returned, or InvalidTextError (a
   *    lone surrogate in `fingerprint` or the counter map, or in what `fn` added: that edit is withdrawn in
   *    its own transaction, well-formed.ts; PartialWriteError, not a refusal, if `fn` also deleted earlier
   *    list or text content or a nested type, which cannot be put back);
   *  - unknown: OutcomeUnknownError — applied in memory, not confirmed by the store (it failed, the wait
   *    timed out, or the replicator stopped);
   *  - an exception from `fn` is passed on once the doc is durable: whatever `fn` changed before throwing
   *    is kept (Yjs has no rollback), and its key is not recorded.
   * With `opId`, a key the doc has applied before is not applied again (`fn` is not called): the write
   * waits for the doc to be durable and answers like the first did.
   */
  write (name: string, fn: (doc: Y.Doc, tr: Y.Transaction) => void, options: WriteOptions = {}): Promise<VersionVectorJSON> {
    if (!this.running) return this.refused(new NotRunningError('replication is not running'))
    if (this.draining) return this.refused(new NotRunningError('the peer is stopping: nothing was applied'))
    let key: string | undefined
    try {
      key = options.opId === undefined ? undefined : opKey(options.opId)
    } catch (err) {
      return this.refused(err as Error)
    }
    const malformed = options.fingerprint !== undefined && hasLoneSurrogate(options.fingerprint)
      ? 'fingerprint'
      : options.counter !== undefined && hasLoneSurrogate(options.counter.map) ? 'counter map name' : undefined
    if (malformed !== undefined) return this.refused(new InvalidTextError(`the ${malformed} holds a lone surrogate, which UTF-8 (and so every other replica) cannot carry: nothing was applied`))
    if (this.pendingWrites >= this.config.maxPendingWrites) {
      return this.refused(new RateLimitError(`${this.pendingWrites} writes pending (maxPendingWrites)`))
    }
    this.pendingWrites++
    return new Promise<VersionVectorJSON>((resolve, reject) => {
      const done = (err: unknown, version?: VersionVectorJSON): void => {
        this.pendingWrites--
        if (this.pendingWrites === 0) this.endDrains()
        if (err === null && version !== undefined) {
          this.counters.writesDurable++
          resolve(version)
          return
        }
        const error = err instanceof Error ? err : new Error(String(err))
        if (writeOutcome(error) === 'refused') this.counters.writesRefused++
        else this.counters.writesUnknown++
        reject(error)
      }
      this.openEntry(name, (err, entry) => {
        if (err !== null || entry === undefined) done(err === null ? new NotRunningError('open failed') : loadFailure(name, err))
        else this.applyWrite(entry, fn, key, options, done)
      })
    })
  }

  /** The write on its loaded doc: replay a known key, refuse, or apply and wait for the store. */
  private applyWrite (entry: DocEntry, fn: (doc: Y.Doc, tr: Y.Transaction) => void, key: string | undefined, options: WriteOptions, done: (err: unknown, version?: VersionVectorJSON) => void): void {
    const timeoutMs = options.timeoutMs ?? this.config.writeTimeoutMs
    const prior = key === undefined ? undefined : opIndexOf(entry.doc).owner(key)
    if (prior !== undefined) {
      this.replay(entry, prior, options, timeoutMs, done)
      return
    }
    const refusal = refusalFor(this.store.health(), entry) ?? options.precondition?.(entry) ?? this.refuseSize(entry, options.bytes ?? 0)
    if (refusal !== undefined) {
      if (entry.log.failed && this.store.health().state === 'ok') this.repair(entry) // now, not in a second
      done(refusal)
      return
    }
    let fnError: unknown = null
    try {
      entry.doc.transact((tr) => {
        const mark = markEdit(entry.doc, tr)
        try {
          if (options.counter === undefined || key === undefined) fn(entry.doc, tr)
        } finally {
          // Before Yjs commits: text UTF-8 cannot carry, or an edit past the size limit, is taken back here, unseen.
          fnError = this.withdrawIfMalformed(entry, tr, mark) ?? this.withdrawIfTooLarge(entry, tr, mark)
        }
        if (key !== undefined && fnError === null) this.record(entry, key, options)
      }, WRITE_ORIGIN)
    } catch (e) {
      fnError ??= e
    }
    if (fnError === null) this.rebalancer.written(entry.name)
    // A write may apply an update whose dependencies are missing (a y-websocket client's edit, an app's
    // Y.applyUpdate): Yjs keeps it pending, outside the doc. Bound it like a remote one.
    this.boundPending(entry, this.localId)
    awaitDurable(entry, this.clock, timeoutMs, (storeErr, version) => { done(fnError ?? storeErr, version) })
  }

  /**
   * If the write's edit (from `mark` on) holds a lone surrogate, withdraws it in its own transaction and
   * returns the error to reject with: InvalidTextError (a refusal: the doc's content is as before) or, when
   * it also deleted earlier content Yjs cannot put back, PartialWriteError. Else null.
   */
  private withdrawIfMalformed (entry: DocEntry, tr: Y.Transaction, mark: EditMark): Error | null {
    const found = loneSurrogateSince(entry.doc, mark.clock)
    if (found === undefined) return null
    const lost = withdrawSince(entry.doc, tr, mark)
    this.counters.writesMalformed++
    const refusal = new InvalidTextError(`the write to "${entry.name}" stores ${found} holding a lone surrogate, which UTF-8 (and so every other replica) cannot carry: nothing of it was applied`)
    if (lost === 0) return refusal
    return new PartialWriteError(`the write to "${entry.name}" stores ${found} holding a lone surrogate: what it added was withdrawn, but the ${lost} earlier item(s) it deleted (list or text content, nested types) cannot be put back`, { cause: refusal })
  }

  /**
   * If the write's edit (from `mark` on) takes the doc past `maxDocBytes`, withdraws it as a malformed one is
   * and returns DocTooLargeError (a refusal), or PartialWriteError if it also deleted what cannot be put back.
   * Else null. A single write larger than the limit was accepted: only the writes after it were refused.
   */
  private withdrawIfTooLarge (entry: DocEntry, tr: Y.Transaction, mark: EditMark): Error | null {
    const refusal = this.refuseSize(entry, editBytes(entry.doc, mark.clock), () => freedBytes(tr, mark))
    if (refusal === undefined) return null
    const lost = withdrawSince(entry.doc, tr, mark)
    if (lost === 0) return refusal
    return new PartialWriteError(`the write to "${entry.name}" would take it past maxDocBytes: what it added was withdrawn, but the ${lost} earlier item(s) it deleted (list or text content, nested types) cannot be put back`, { cause: refusal })
  }

  private refused<T> (err: Error): Promise<T> {
    this.counters.writesRefused++
    return Promise.reject(err)
  }

  /** Records key `key` in the write's transaction; a writer at its count limit forgets its oldest keys first. */
  private record (entry: DocEntry, key: string, options: WriteOptions): void {
    const index = opIndexOf(entry.doc)
    if (index.countOf(this.selfTag) >= this.config.maxIdempotencyKeys) this.sweeper.sweep(entry, 1)
    const c = options.counter
    index.push({
      k: key,
      at: Math.floor(this.wallTime()),
      p: this.selfTag,
      ...(options.fingerprint === undefined ? {} : { f: options.fingerprint }),
      ...(c === undefined ? {} : { m: c.map, d: c.delta })
    })
  }

  /** A key applied before: refuse another request under it, else answer once the doc is durable here. */
  private replay (entry: DocEntry, prior: OpRecord, options: WriteOptions, timeoutMs: number, done: (err: unknown, version?: VersionVectorJSON) => void): void {
    const sameCounter = options.counter === undefined || (prior.m === options.counter.map && prior.d === options.counter.delta)
    if (!sameCounter || (options.fingerprint !== undefined && prior.f !== undefined && prior.f !== options.fingerprint)) {
      done(new IdempotencyKeyReusedError('this idempotency key was first used for another request: nothing was applied'))
      return
    }
    this.counters.writesReplayed++
    options.onReplay?.()
    awaitDurable(entry, this.clock, timeoutMs, done)
  }

  /**
   * A DocTooLargeError if a write of `bytes` would take `entry` past `maxDocBytes` (refused before it runs:
   * Yjs cannot take a change back). The size is the estimate the store's appends and compactions keep; only
   * when the estimate says no is the doc measured exactly (an estimate inflated by overwritten updates that no
   * compaction has folded yet must not refuse a write the doc has room for). `freed`: the write's `bytes` are
   * in the doc already (its edit, measured in its transaction), and this much of what it deleted goes when
   * it commits.
   */
  private refuseSize (entry: DocEntry, bytes: number, freed?: () => number): DocTooLargeError | undefined {
    const limit = this.config.maxDocBytes
    if (entry.stateBytes + bytes <= limit) return undefined
    const exact = freed === undefined ? entry.encodeState().byteLength : Math.max(0, entry.encodeState().byteLength - bytes - freed())
    if (exact + bytes <= limit) {
      this.compactor.compactSoon(entry) // fold the history, so the estimate comes back down
      return undefined
    }
    this.counters.writesTooLarge++
    return new DocTooLargeError(`"${entry.name}" holds ${exact} bytes; ${bytes > 0 ? `${bytes} more` : 'more'} would exceed maxDocBytes (${limit}), beyond which it could not be replicated reliably`)
  }

  /**
   * Replicated delete (tombstone.ts): deletes every item of the doc this peer holds and marks it deleted, as
   * one durable write. Rejects with DocNotFoundError if this peer does not hold `name` or it is deleted
   * already (callers fetch it first: see MeshNode.delete) — unless `options.opId` names a delete already
   * applied, which answers like the first.
   */
  deleteDoc (name: string, options: Omit<WriteOptions, 'counter' | 'precondition'> = {}): Promise<VersionVectorJSON> {
    if (!this.holds(name)) return this.refused(new DocNotFoundError(`no doc "${name}" here`))
    const gone = (entry: DocEntry): Error | undefined => entry.deleted ? new DocNotFoundError(`no doc "${name}" here`) : undefined
    return this.write(name, (doc, tr) => { deleteContents(doc, tr) }, { ...options, precondition: gone })
  }

  /** Resolves once every change made to `name` so far (by `write` or `doc.transact`) is durable. */
  whenDurable (name: string): Promise<VersionVectorJSON> {
    const entry = this.registry.ready(name)
    if (!this.running || entry === undefined) return Promise.reject(new NotRunningError(`"${name}" is not open`))
    return new Promise((resolve, reject) => {
      afterTransactions(entry.doc, () => {
        const version = toJSON(entry.vector())
        entry.log.whenDurable((err) => { if (err === null) resolve(version); else reject(err) })
      })
    })
  }

  /**
   * Resolves once `replicas` other peers have applied and persisted everything this peer had of `name`
   * when flush was called (with that version); rejects with TimeoutError after `timeoutMs`, and with
   * DocNotFoundError if this peer does not hold `name`.
   */
  flush (name: string, options: FlushOptions): Promise<VersionVectorJSON> {
    if (!this.running) return Promise.reject(new NotRunningError('replication is not running'))
    if (!Number.isSafeInteger(options.replicas) || options.replicas < 0 || !(options.timeoutMs >= 0)) {
      return Promise.reject(new RangeError('flush: replicas must be an integer ≥ 0 and timeoutMs ≥ 0'))
    }
    if (!this.holds(name)) return Promise.reject(new DocNotFoundError(`no doc "${name}" here`))
    return new Promise((resolve, reject) => {
      this.openEntry(name, (err, entry) => {
        if (err !== null || entry === undefined) {
          reject(err ?? new NotRunningError('open failed'))
          return
        }
        afterTransactions(entry.doc, () => {
          if (!this.running || !entry.ready) {
            reject(new NotRunningError(`"${name}" is not open`))
            return
          }
          this.flushes.flush(entry, options.replicas, options.timeoutMs, (flushErr, target) => {
            if (flushErr === null && target !== undefined) resolve(toJSON(target))
            else reject(flushErr ?? new Error('flush failed'))
          })
        })
      })
    })
  }

  /** The doc's version vector (JSON form), if loaded. */
  version (name: string): VersionVectorJSON | undefined {
    const entry = this.registry.ready(name)
    return entry === undefined ? undefined : toJSON(entry.vector())
  }

  /** The doc's convergence digest (hex SHA-256 of state vector + delete set), if loaded. */
  digest (name: string): string | undefined {
    const entry = this.registry.ready(name)
    return entry === undefined ? undefined : digestHex(entry.digestBytes())
  }

  /** The digest of what the store holds of `name` (hex), loaded or not; undefined if not held or not known yet. */
  durableDigest (name: string): string | undefined {
    const d = this.catalog.get(name)?.meta?.digest
    return d === undefined ? undefined : digestHex(d)
  }

  /** The doc's homes as this peer's placement has them (peer ids, this one included if it is one). */
  homes (name: string): PeerId[] {
    return [...this.placement.homes(name)]
  }

  /**
   * The placement scheme and this peer's view of it, with the docs it holds by kind. `disagreeing`: members
   * whose anti-entropy summaries said another R (`--replicas`) than ours, with the R each said
   * (replicas-agreement.ts).
   */
  placementInfo (): PlacementInfo & { docs: { held: number, homed: number, guest: number, open: number }, peers: Record<PeerId, number>, disagreeing: Record<PeerId, number> } {
    const peers: Record<PeerId, number> = {}
    for (const id of this.placement.describe().members) peers[id] = 0
    let homed = 0
    let guest = 0
    for (const e of this.catalog.values()) {
      const homes = this.placement.homes(e.name)
      for (const h of homes) peers[h] = (peers[h] ?? 0) + 1
      if (homes.includes(this.localId)) homed++
      else guest++
    }
    const open = this.registry.readyEntries().filter(e => e.pinned).length
    return { ...this.placement.describe(), docs: { held: this.catalog.size, homed, guest, open }, peers, disagreeing: this.replicasAgreement.disagreeing() }
  }

  /**
   * Whether this peer has compared the docs it homes with their other homes since it started (catch-up.ts):
   * until then its reads may miss writes the mesh acknowledged while it was down. Not before the store's
   * list of docs is read, nor while no other member is in the placement.
   */
  catchUp (): CatchUpState {
    if (!this.running || !this.listed) return { done: false, pending: 0 }
    return this.catchUpTracker.check({
      now: this.clock.now(),
      held: this.catalog.values(),
      homes: name => this.placement.homes(name),
      members: new Set(this.placement.describe().members),
      compared: peer => this.antiEntropy.hasCompared(peer),
      comparedStale: peer => this.antiEntropy.hasComparedStale(peer)
    })
  }

  /**
   * Takes the member set from the directory (alive or suspect members). A change moves docs: new homes
   * fetch (shared rounds), copies no longer homed here are handed over and dropped (the rebalancer).
   */
  private refreshMembers (): void {
    const active = this.peers.activePeers?.() ?? this.peers.alivePeers()
    const gone = this.placement.setMembers(active, this.clock.now())
    if (gone === undefined) return
    for (const id of gone) {
      this.link.forget(id)
      this.replicasAgreement.forget(id)
    }
    this.log.info('placement changed', { members: this.placement.size, replicas: this.config.replicas, version: this.placement.version })
    this.rebalancer.placementChanged()
    this.antiEntropy.placementChanged()
  }

  /** Live peers that said they hold `name` (in a listing, a reply or an update): the host directory. */
  knownHosts (name: string): PeerId[] {
    return this.hosts.hostsOf(name, aliveSet(this.peers))
  }

  /** The homes of `name` that are alive or suspect, other than this peer (the peers a fetch of it always asks). */
  liveHomes (name: string): PeerId[] {
    const reach = pushTargets(this.peers)
    return this.placement.homes(name).filter(p => p !== this.localId && reach.has(p))
  }

  /** Whether a connection to `peer` is open (a transport that cannot tell says yes). */
  isConnected (peer: PeerId): boolean {
    return this.transport.isConnected?.(peer) ?? true
  }

  /** Live peers a write to `name` is pushed to: its other homes, and the peers known to hold it open. */
  hostsOf (name: string): PeerId[] {
    const alive = aliveSet(this.peers)
    const homes = this.placement.homes(name).filter(p => p !== this.localId && alive.has(p))
    return [...new Set([...homes, ...this.hosts.hostsOf(name, alive)])]
  }

  on<K extends keyof ReplicatorEvents>(type: K, listener: (event: ReplicatorEvents[K]) => void): () => void {
    return this.events.on(type, listener)
  }

  stats (): ReplicatorStats {
    const ready = this.registry.readyEntries()
    return {
      ...structuredClone(this.counters),
      docs: this.registry.size,
      heldDocs: this.catalog.size,
      homedDocs: this.catalog.size - this.rebalancer.guestCount,
      guestDocs: this.rebalancer.guestCount,
      replicasDisagreeing: this.replicasAgreement.size,
      pacedBytes: this.link.pacedBytes,
      evictions: this.registry.evictions,
      trackedDocs: this.hosts.trackedDocs,
      sessions: this.antiEntropy.outstanding,
      transfers: this.link.transfers,
      reassemblyBytes: this.link.reassemblyBytes,
      pendingFlushes: this.flushes.size,
      pendingWrites: this.pendingWrites,
      pendingUpdateBytes: ready.reduce((sum, e) => sum + pendingBytes(e.doc), 0),
      docStructs: ready.reduce((sum, e) => sum + structCount(e.doc), 0)
    }
  }

  /** registry.open, with its synchronous refusals (invalid name, too many docs) passed to `cb`, and counted. */
  private openEntry (name: string, cb: OpenCallback): void {
    // Not while its copy is being dropped: loaded then, it is whatever the removal left (rebalancer.ts afterDrop).
    if (this.rebalancer.isDropping(name)) {
      this.rebalancer.afterDrop(name, () => { this.openEntry(name, cb) })
      return
    }
    try {
      if (!this.holds(name) && this.catalog.size >= this.config.maxDocs) {
        throw new TooManyDocsError(`${this.catalog.size} docs are held here (maxDocs); "${name}" was not created`)
      }
      this.registry.open(name, cb)
    } catch (err) {
      if (err instanceof TooManyDocsError) {
        this.counters.openRefused++
        this.warnings.warn('open:refused', 'too many docs', { doc: name, error: err.message })
      }
      cb(err instanceof Error ? err : new Error(String(err)))
    }
  }

  // ── write path ─────────────────────────────────────────────────────────────────────────────────

  private onDocUpdate (entry: DocEntry, update: Uint8Array, origin: unknown, tr: Y.Transaction): void {
    if (origin instanceof RemoteOrigin) {
      origin.changed = true
      this.counters.updatesApplied++
      this.events.emit('change', { doc: entry.name, origin: 'remote', from: origin.from, bytes: update.byteLength })
      const meta = this.appendMeta(entry, update)
      entry.log.append(update, meta.bytes, (err) => {
        if (err !== null) {
          // Not acknowledged (acks wait for whenDurable, which now reports this error) and not forwarded.
          this.onAppendError(entry, err, update)
          return
        }
        this.noteDurable(entry.name, meta)
        if (!this.running || !entry.ready) return
        if (origin.kind === 'spread') this.guard('forward', () => { this.pusher.forward(entry, update, origin.from) })
        else if (origin.kind === 'push' && this.placement.isHome(entry.name)) this.guard('forward', () => { this.pusher.relay(entry, update, origin.from) })
        else if (origin.kind === 'sync' && origin.asked) this.guard('relay', () => { this.coHomes.learned(entry.name, origin.from) })
      })
      return
    }
    this.counters.localUpdates++
    this.events.emit('change', { doc: entry.name, origin: 'local', bytes: update.byteLength })
    const meta = this.appendMeta(entry, update)
    entry.log.append(update, meta.bytes, (err) => {
      if (err !== null) {
        this.onAppendError(entry, err, update)
        return
      }
      this.noteDurable(entry.name, meta)
      if (!this.running || !entry.ready) return
      this.events.emit('durable', { doc: entry.name, version: toJSON(entry.vector()) })
      this.guard('push', () => { this.pusher.pushLocal(entry, update) })
    })
    // An edit made on the doc itself, not through `write` (which checks before committing): it is
    // committed, so text UTF-8 cannot carry is taken back right after, in a transaction of its own.
    if (origin !== WRITE_ORIGIN && origin !== WITHDRAW_ORIGIN) this.guard('well-formed', () => { this.withdrawCommitted(entry, tr) })
  }

  /** Withdraws what a committed local edit stored holding a lone surrogate (see onDocUpdate), and says so. */
  private withdrawCommitted (entry: DocEntry, tr: Y.Transaction): void {
    const doc = entry.doc
    const before = tr.beforeState.get(doc.clientID) ?? 0
    if ((tr.afterState.get(doc.clientID) ?? 0) <= before) return
    const found = withdrawLoneSurrogates(doc, before, WITHDRAW_ORIGIN)
    if (found === undefined) return
    this.counters.writesMalformed++
    this.warnings.warn('malformed', 'a local edit stored text with a lone surrogate, which UTF-8 (and so every other replica) cannot carry: it was deleted again; use write() to have such an edit refused', { doc: entry.name, what: found })
  }

  /** An append of `name` completed: the store holds `meta`'s state. A doc new here may be a guest copy. */
  private noteDurable (name: string, meta: EncodedMeta): void {
    const known = this.catalog.has(name)
    this.noteEarlierDigest(name, meta.meta)
    this.catalog.noteDurable(name, meta.meta)
    if (!known) this.rebalancer.classify(name)
    this.rebalancer.changed(name)
  }

  /** The store is about to hold `next` for `name`: the state it held before is still in it (covered.ts). */
  private noteEarlierDigest (name: string, next: DocMeta | undefined): void {
    const before = this.catalog.get(name)?.meta?.digest
    if (before !== undefined && next !== undefined && !equalBytes(before, next.digest)) this.covered.add(name, before)
  }

  /** The doc's meta after `update` (what the store will hold once its append completes). */
  private appendMeta (entry: DocEntry, update: Uint8Array): EncodedMeta {
    entry.stateBytes += update.byteLength
    this.registry.touch(entry)
    return entry.metaNow()
  }

  /** Applies a remote update; throws DecodeError (from checkUpdate or Yjs) for one that is not valid. */
  private applyRemote (entry: DocEntry, update: Uint8Array, from: PeerId, kind: RemoteKind, asked = false): void {
    try {
      const result = entry.applyRemote(update, new RemoteOrigin(from, kind, asked))
      if (result === 'duplicate') this.counters.updatesDuplicate++
      else if (result === 'pending') {
        this.counters.updatesPending++
        if (kind !== 'sync') this.fillGap(entry, from)
      }
    } finally {
      // Also after a throw: Yjs may have parked part of an update it then failed to integrate.
      this.boundPending(entry, from)
    }
  }

  /**
   * A pushed or forwarded update of `entry` is waiting for an earlier one we never got (a push that missed
   * us: an epidemic reaches ≈ 94 % of hosts at k = 3; a member that was down or suspected). Until it comes,
   * Yjs parks every later update of that writer, merging each into a growing pending blob — O(pending) per
   * update. The sender has the missing update (it forwards only updates it integrated, and Yjs integrates a
   * writer's updates in order), so one round with it now fills the gap, instead of the next anti-entropy
   * round with someone. At most one such round per doc per GAP_FILL_SPACING_MS; a gap found meanwhile gets
   * one at the end of that time if the doc still has something pending then.
   */
  private fillGap (entry: DocEntry, from: PeerId, spaced = false): void {
    const now = this.clock.now()
    const name = entry.name
    const fill = this.gapFills.get(name)
    // `spaced`: called by the timer that waited out the spacing. It must not test the spacing again: with
    // fractional times, now − at can fall a hair short of the spacing when that timer fires, and the timer
    // it would then arm fires at the same instant, again and again (the 30-peer heal simulation spun on one
    // instant for half an hour).
    if (!spaced && fill !== undefined && now - fill.at < GAP_FILL_SPACING_MS) {
      fill.from = from
      fill.timer ??= this.clock.setTimeout(() => {
        fill.timer = undefined
        const ready = this.registry.ready(name)
        if (this.running && ready !== undefined && ready.pendingBytes > 0) this.fillGap(ready, fill.from, true)
      }, fill.at + GAP_FILL_SPACING_MS - now)
      return
    }
    if (fill === undefined && this.gapFills.size >= MAX_GAP_FILLS) this.clearGapFills() // forgetting only allows an early round
    this.gapFills.set(name, { at: now, from, timer: fill?.timer })
    this.counters.gapFills++
    this.antiEntropy.startRound(from, [{ name, digest: entry.wireDigest() }], 'plain', false)
  }

  private clearGapFills (): void {
    for (const f of this.gapFills.values()) f.timer?.cancel()
    this.gapFills.clear()
  }

  /**
   * Drops what `entry` holds waiting for missing dependencies once it exceeds maxPendingUpdateBytes (the
   * config field says why that is safe): a peer sending only gapped updates cannot grow a doc unboundedly.
   */
  private boundPending (entry: DocEntry, from: PeerId): void {
    const dropped = entry.dropPendingOver(this.config.maxPendingUpdateBytes)
    if (dropped === 0) return
    this.counters.pendingDropped++
    this.counters.pendingBytesDropped += dropped
    this.warnings.warn('pending', 'dropped updates waiting for missing dependencies', {
      doc: entry.name, from, bytes: dropped, maxPendingUpdateBytes: this.config.maxPendingUpdateBytes
    })
  }

  private onLoaded (entry: DocEntry, updates: number, corrupt: number): void {
    if (corrupt > 0) {
      this.counters.storeErrors += corrupt
      this.log.error('persisted updates failed to apply', { doc: entry.name, corrupt, of: updates })
    }
    const held = this.catalog.get(entry.name)
    // What was loaded is what the store holds: the digest of a doc persisted without a meta becomes known.
    if (updates > 0 && held?.meta === undefined) this.catalog.noteDurable(entry.name, entry.metaNow().meta)
    // A compaction by an older version persisted pending structs too: bound them like remote ones.
    this.boundPending(entry, this.localId)
    this.events.emit('opened', { doc: entry.name, updates })
    if (!this.running) return
    // A doc new to this peer: ask who has it. One it held is kept in step by the periodic rounds.
    if (held === undefined && !this.creatingBySync.has(entry.name)) this.antiEntropy.fetch(entry)
  }

  /** An append failed: the doc's history is not durable until the lost update is persisted again (or a compaction supersedes it): repair soon. */
  private onAppendError (entry: DocEntry, error: Error, update: Uint8Array): void {
    this.onStoreError(entry.name, 'append', error)
    if (this.running && entry.ready) this.appendRepair.failed(entry, update)
  }

  /**
   * Makes `entry`'s history durable again after failed appends: appends the lost updates again (cheap:
   * their size, append-repair.ts), or compacts if too much was lost to keep. Waits for a healthy store
   * (its recovery calls this again) and for the doc's appends in flight.
   */
  private repair (entry: DocEntry): void {
    if (!this.running || !entry.ready) return
    if (!entry.log.failed) {
      this.appendRepair.forget(entry)
      return
    }
    if (this.store.health().state !== 'ok') return
    if (!entry.log.idle) {
      this.appendRepair.soon(entry)
      return
    }
    if (!this.appendRepair.reappend(entry)) this.compactor.maybeCompact(entry)
  }

  private onStoreError (doc: string, op: StoreOp, error: Error): void {
    this.counters.storeErrors++
    this.warnings.warn(`store:${op}`, 'store operation failed', { doc, op, error: error.message })
    this.events.emit('storeError', { doc, op, error })
  }

  // ── receiving ──────────────────────────────────────────────────────────────────────────────────

  private onFrame (from: PeerId, bytes: Uint8Array): void {
    if (!this.running || from === this.localId) return
    const msg = this.link.receive(from, bytes)
    if (msg === undefined) return
    this.handle(from, msg.type, () => { this.dispatch(from, msg) })
  }

  /**
   * Runs a message handler: a DecodeError (bad input, found while handling) is counted and logged and
   * drops the message; any other exception is a bug, counted and logged by `guard`.
   */
  private handle (from: PeerId, type: SyncMessage['type'], fn: () => void): void {
    this.guard('frame', () => {
      try {
        fn()
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err
        this.counters.decodeErrors++
        this.warnings.warn(`decode:${from}`, 'rejected sync message', { from, type, error: err.message })
      }
    })
  }

  /** Runs `fn`; an exception (a bug, never bad input: that is a DecodeError) is counted and logged, not thrown. */
  private guard (where: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.counters.handlerErrors++
      this.warnings.warn(`bug:${where}`, 'replication handler failed', { where, error: err instanceof Error ? err.stack ?? err.message : String(err) })
    }
  }

  /**
   * Runs the handler `fn` of a message from `from` about doc `name` once the doc is in memory: at once if it
   * is loaded, after loading it if this peer holds it (or `create`: a doc the message may bring here).
   * Messages for a doc that is loading wait in order. Returns false (nothing runs) for a doc this peer
   * neither holds nor may create.
   */
  private withDoc (name: string, create: boolean, fn: (entry: DocEntry) => void, from?: PeerId, type?: SyncMessage['type']): boolean {
    const ready = this.registry.ready(name)
    if (ready !== undefined) {
      this.registry.touch(ready)
      fn(ready)
      return true
    }
    if (!create && !this.holds(name)) return false
    const creating = type === 'syncDoc' && !this.holds(name) && this.registry.get(name) === undefined
    if (creating) this.creatingBySync.add(name)
    this.openEntry(name, (err, entry) => {
      if (creating) this.creatingBySync.delete(name)
      // A refusal or load error is counted where it happened; the sender retries in a later round.
      if (err !== null || entry === undefined || !this.running) return
      if (from === undefined || type === undefined) this.guard('doc', () => { fn(entry) })
      else this.handle(from, type, () => { fn(entry) })
    })
    return true
  }

  private dispatch (from: PeerId, msg: SyncMessage): void {
    switch (msg.type) {
      case 'digests': this.antiEntropy.handleDigests(from, msg); return
      case 'digestsReply': this.antiEntropy.handleDigestsReply(from, msg); return
      case 'syncDoc': this.antiEntropy.handleSyncDoc(from, msg); return
      case 'syncBatch':
        for (const step of msg.steps) this.handle(from, 'syncDoc', () => { this.antiEntropy.handleSyncDoc(from, step) })
        return
      case 'summary':
        if (msg.replicas !== undefined && this.placement.isMember(from)) this.replicasAgreement.note(from, msg.replicas)
        this.antiEntropy.handleSummary(from, msg)
        return
      case 'summaryReply':
        if (msg.replicas !== undefined && this.placement.isMember(from)) this.replicasAgreement.note(from, msg.replicas)
        this.antiEntropy.handleSummaryReply(from, msg)
        return
      case 'update': this.onUpdate(from, msg); return
      case 'ack': this.flushes.handleAck(from, msg); return
      case 'chunk': this.counters.unexpectedFrames++ // reassembled by the link; never reaches here
    }
  }

  /**
   * A push, forward or flush update. Its sender hosts the doc — recorded only once the update applied (a
   * rejected one throws DecodeError first and leaves the host directory as it was).
   */
  private onUpdate (from: PeerId, msg: SyncMessageOf<'update'>): void {
    // A doc new here is taken if we home it (a write pushed to its homes), or if the sender wants a durable
    // copy here (a flush: we may be covering for an unreachable home, and keep it as a guest until handed over).
    const create = msg.ackId !== 0 || this.placement.isHome(msg.doc)
    const held = this.withDoc(msg.doc, create, (entry) => {
      this.applyRemote(entry, msg.update, from, msg.spread ? 'spread' : 'push')
      this.hosts.add(from, msg.doc, msg.open)
      if (msg.ackId === 0) return
      // The ack claims what is durable once the wait below ends: the doc as it is now. Read later, the
      // vector would include updates applied meanwhile whose appends are still in flight.
      const vector = entry.vector()
      entry.log.whenDurable((err) => {
        if (err !== null || !this.running) return
        this.counters.acksSent++
        this.guard('ack', () => { this.link.send(from, { type: 'ack', doc: msg.doc, ackId: msg.ackId, vector, durable: this.durable }) })
      })
    }, from, 'update')
    if (!held) this.counters.unhostedFrames++
  }

  /**
   * Reads the store's list into the catalog. Docs persisted without a meta (by an older version, or whose
   * meta did not decode) are loaded once, in the background, so that their digest becomes known.
   */
  private readCatalog (): void {
    this.store.listDocs((err, stored) => {
      if (err !== null) this.onStoreError('', 'list', err)
      const unknown = err === null ? this.catalog.addListed(stored ?? []) : []
      this.listed = true
      if (this.running) {
        this.antiEntropy.catalogListed()
        this.rebalancer.placementChanged() // classify what the store listed
      }
      for (const cb of this.listedWaiters.splice(0)) cb(err)
      if (unknown.length > 0) this.log.info('reading docs persisted without a digest', { docs: unknown.length })
      this.scanUnknown(unknown, 0)
    })
  }

  /** Loads `names[i..]` one at a time (each is evicted again once idle), so their digests become known. */
  private scanUnknown (names: readonly string[], i: number): void {
    const name = names[i]
    if (name === undefined || !this.running) return
    this.load(name, () => { this.scanUnknown(names, i + 1) })
  }

  private after (delayMs: number, start: () => Timer): Timer {
    let inner: Timer | undefined
    const outer = this.clock.setTimeout(() => { inner = start() }, delayMs)
    return { cancel: () => { outer.cancel(); inner?.cancel() } }
  }
}

