/**
 * Replicator: Yjs documents replicated over the sync channel. This class wires the parts and owns the
 * public API; each job lives in its own module:
 *
 *   doc-registry.ts   open docs, load from the store, fresh replica ids        durable-log.ts  store acks
 *   push.ts           push durable local updates, forward new remote ones      anti-entropy.ts digests → vectors → diffs
 *   flush-tracker.ts  WriteTo(n): wait for n persisted replicas                compactor.ts    history compaction
 *   host-directory.ts who hosts which doc                                      sync-link.ts    framing, chunks, counters
 *   persisted-names.ts docs with persisted state (isKnown, persistedDocs)
 *
 * Write path: the app edits a doc (through `write`, or `doc.transact` directly) → the Yjs update event →
 * store.append → on the store's callback: acknowledge (`write` resolves), emit `durable`, push to k live
 * hosts. A remote update that changed the doc is appended too; a pushed one is forwarded once, after it is
 * durable; one that carried a flush id is acknowledged to its sender after it is durable.
 *
 * Runs unchanged in the simulator: no libp2p, no ambient time or randomness, and no protocol step waits
 * on a promise (promises exist only at this public edge and settle from callbacks).
 */
import type * as Y from 'yjs'
import { every } from '../core/clock.js'
import type { Clock, Timer } from '../core/clock.js'
import { TypedEmitter } from '../core/emitter.js'
import { ConfigError, DecodeError, NotRunningError, RateLimitError } from '../core/errors.js'
import { RateLimitedLog, silentLogger } from '../core/logger.js'
import type { Logger } from '../core/logger.js'
import type { Random } from '../core/random.js'
import { Channel } from '../core/transport.js'
import type { PeerId, Transport } from '../core/transport.js'
import { AntiEntropy } from './anti-entropy.js'
import { CHUNK_ENVELOPE_BYTES } from './codec.js'
import type { SyncMessage, SyncMessageOf } from './codec.js'
import { Compactor } from './compactor.js'
import { resolveReplicationConfig } from './config.js'
import type { ReplicationConfig, ReplicationInit, ReplicationPresetName } from './config.js'
import { pendingBytes } from './doc-entry.js'
import type { DocEntry } from './doc-entry.js'
import { DocRegistry } from './doc-registry.js'
import type { OpenCallback } from './doc-registry.js'
import { TooManyDocsError } from './errors.js'
import type { ReplicatorEvents, StoreOp } from './events.js'
import { FlushTracker } from './flush-tracker.js'
import { HostDirectory } from './host-directory.js'
import { RemoteOrigin } from './origins.js'
import type { RemoteKind } from './origins.js'
import { WRITE_ORIGIN } from './origins.js'
import { PersistedNames } from './persisted-names.js'
import { Pusher } from './push.js'
import { createCounters } from './stats.js'
import type { ReplicatorCounters, ReplicatorStats } from './stats.js'
import type { DocStore } from '../core/doc-store.js'
import type { PeerDirectory } from '../core/directory.js'
import { SyncLink } from './sync-link.js'
import { digest, toJSON } from './version-vector.js'
import type { VersionVectorJSON } from './version-vector.js'

export interface ReplicatorComponents {
  transport: Transport
  clock: Clock
  random: Random
  log?: Logger
  store: DocStore
  peers: PeerDirectory
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
 * Runs `fn` once Yjs has finished the transactions in progress. A write made from inside an observer or a
 * `change` listener runs while another transaction is being cleaned up: its update event (and so its
 * append to the store) comes only after that cleanup, and acknowledging before it would be premature.
 */
function afterTransactions (doc: Y.Doc, fn: () => void): void {
  if (doc._transactionCleanups.length > 0) doc.once('afterAllTransactions', fn)
  else fn()
}

/** Headroom between a Digests page and the chunk size (frame type, session, page numbers). */
const PAGE_ENVELOPE_BYTES = 64

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
  private readonly registry: DocRegistry
  private readonly hosts: HostDirectory
  private readonly link: SyncLink
  private readonly pusher: Pusher
  private readonly antiEntropy: AntiEntropy
  private readonly flushes: FlushTracker
  private readonly compactor: Compactor
  private readonly timers: Timer[] = []
  private readonly unsubscribe: Array<() => void> = []
  private readonly persisted: PersistedNames
  private pendingWrites = 0
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
    this.persisted = new PersistedNames(store)
    this.log = components.log ?? silentLogger
    this.warnings = new RateLimitedLog(this.log, () => clock.now())
    this.events = new TypedEmitter((err) => { this.log.warn('replication event listener threw', { error: String(err) }) })
    this.config = resolveReplicationConfig(options.config, options.profile ?? 'lan')
    this.localId = transport.localId
    const frameLimit = transport.maxFrameBytes(Channel.sync)
    if (this.config.chunkBytes + CHUNK_ENVELOPE_BYTES > frameLimit) {
      throw new ConfigError(`chunkBytes (${this.config.chunkBytes}) plus its envelope exceeds the sync frame limit (${frameLimit})`)
    }
    const { config, counters } = this
    this.registry = new DocRegistry(store, random, {
      onUpdate: (entry, update, origin) => { this.onDocUpdate(entry, update, origin) },
      onLoaded: (entry, updates, corrupt) => { this.onLoaded(entry, updates, corrupt) },
      onLoadError: (entry, err) => { this.onStoreError(entry.name, 'load', err) }
    }, config.maxOpenDocs)
    this.hosts = new HostDirectory(config.maxTrackedDocs, config.maxHostsPerDoc, (doc) => this.registry.get(doc) !== undefined)
    this.link = new SyncLink({
      transport,
      peers,
      counters,
      warnings: this.warnings,
      now: () => clock.now(),
      chunkBytes: config.chunkBytes,
      random,
      reassembly: {
        maxTransferBytes: config.maxTransferBytes,
        maxReassemblyBytes: config.maxReassemblyBytes,
        maxTransfersPerPeer: config.maxTransfersPerPeer,
        maxTransfers: config.maxTransfers,
        timeoutMs: config.reassemblyTimeoutMs
      }
    })
    this.pusher = new Pusher({ link: this.link, hosts: this.hosts, peers, random, counters, fanout: () => config.pushFanout, pushAllMaxHosts: () => config.pushAllMaxHosts })
    this.flushes = new FlushTracker({
      link: this.link, hosts: this.hosts, peers, clock, random, config, counters,
      discover: (entry) => { this.antiEntropy.fetch(entry) }
    })
    this.antiEntropy = new AntiEntropy({
      localId: this.localId,
      link: this.link,
      registry: this.registry,
      hosts: this.hosts,
      peers,
      random,
      clock,
      config,
      counters,
      pageBytes: config.chunkBytes - PAGE_ENVELOPE_BYTES,
      apply: (entry, update, from) => { this.applyRemote(entry, update, from, 'sync') },
      noteVector: (peer, doc, vector) => { this.flushes.noteVector(peer, doc, vector) },
      onSynced: (peer, docs, durationMs) => { this.events.emit('synced', { peer, docs, durationMs }) }
    })
    this.compactor = new Compactor({
      store, clock, registry: this.registry, config, counters,
      onCompacted: (entry, bytes) => {
        this.persisted.add(entry.name)
        this.events.emit('compacted', { doc: entry.name, bytes })
      },
      onError: (entry, err) => { this.onStoreError(entry.name, 'compact', err) }
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
      this.peers.onPeerAlive((id) => { if (this.running) this.antiEntropy.peerAlive(id) })
    )
    const { config } = this
    // Random phase: peers started together should not all sync in the same instant.
    this.timers.push(
      // The loops' bodies are guarded inside `every`, so one failing round does not end the loop.
      this.after(this.random.int(config.antiEntropyIntervalMs), () => every(this.clock, () => config.antiEntropyIntervalMs, () => {
        this.guard('anti-entropy', () => {
          this.link.expire()
          this.antiEntropy.tick()
        })
      })),
      this.after(this.random.int(config.compactIntervalMs), () => every(this.clock, () => config.compactIntervalMs, () => {
        this.guard('compaction', () => { this.compactor.run() })
      }))
    )
    this.persisted.read((err) => { if (err !== null) this.onStoreError('', 'list', err) })
    this.log.info('replication started', { id: this.localId })
  }

  /**
   * Stops loops and timers, detaches from transport and membership, fails pending opens, writes and
   * flushes with NotRunningError and destroys every doc. Does not close the store (its owner does).
   */
  stop (): void {
    if (!this.running) return
    this.running = false
    this.stopped = true
    for (const t of this.timers) t.cancel()
    this.timers.length = 0
    for (const u of this.unsubscribe) u()
    this.unsubscribe.length = 0
    this.flushes.stop()
    this.compactor.clear()
    this.antiEntropy.clear()
    this.link.clear()
    this.registry.closeAll(new NotRunningError('replication stopped'))
    this.log.info('replication stopped')
    this.events.removeAll()
  }

  get isRunning (): boolean {
    return this.running
  }

  // ── documents ──────────────────────────────────────────────────────────────────────────────────

  /**
   * Opens `name` (idempotent): loads it from the store, then asks peers hosting it for what we lack.
   * Resolves with the live Y.Doc once loaded; edits to it are persisted and replicated. Rejects with
   * InvalidDocNameError for a name the wire cannot carry (1–256 chars, no control characters), and with
   * TooManyDocsError if it is not open and `maxOpenDocs` docs are.
   */
  open (name: string): Promise<Y.Doc> {
    if (!this.running) return Promise.reject(new NotRunningError('replication is not running'))
    return new Promise((resolve, reject) => {
      this.openEntry(name, (err, entry) => {
        if (err !== null || entry === undefined) reject(err ?? new NotRunningError('open failed'))
        else resolve(entry.doc)
      })
    })
  }

  /**
   * Whether `name` exists as far as this peer knows: open here, persisted here, or hosted by a live peer
   * (per the host directory). Lets a reader (HTTP GET) answer 404 instead of creating a doc by reading it.
   * Persisted names come from the store's list, read once at start (see `persistedDocs`), plus every doc
   * persisted since: until that first list has arrived, a doc persisted by an earlier run counts only once
   * open or hosted.
   */
  isKnown (name: string): boolean {
    if (this.registry.get(name) !== undefined || this.persisted.has(name)) return true
    return this.hosts.hostsOf(name, new Set(this.peers.alivePeers())).length > 0
  }

  /** Names of every doc with persisted state (the store's list, sorted): what to re-open at start-up. */
  persistedDocs (): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.listPersisted((err, names) => { if (err !== null) reject(err); else resolve(names ?? []) })
    })
  }

  /** `persistedDocs` with a callback (for callers driven by the simulator's synchronous loop). */
  listPersisted (cb: (err: Error | null, names?: string[]) => void): void {
    this.persisted.read(cb)
  }

  /** `open` with a callback: `cb(null)` once loaded, or the refusal (invalid name, too many docs, store error). */
  openWith (name: string, cb: (err: Error | null) => void): void {
    if (!this.running) {
      cb(new NotRunningError('replication is not running'))
      return
    }
    this.openEntry(name, (err) => { cb(err) })
  }

  /** Stops replicating `name` and destroys its doc. Its persisted state stays in the store. */
  close (name: string): void {
    this.flushes.abortDoc(name)
    this.registry.close(name, new NotRunningError(`"${name}" was closed`))
  }

  /** The live doc, once open and loaded. */
  doc (name: string): Y.Doc | undefined {
    return this.registry.ready(name)?.doc
  }

  isReady (name: string): boolean {
    return this.registry.ready(name) !== undefined
  }

  /** Names of the open docs (loaded or loading). */
  docs (): string[] {
    return this.registry.names()
  }

  /**
   * Runs `fn` on the doc in one transaction (opening and loading the doc first if needed) and resolves with
   * the doc's version once the change — and everything before it — is durable. Rejects if the store failed
   * (the change stays in memory and replicates, but was not acknowledged) or if `fn` threw (whatever it
   * changed before throwing is kept: Yjs has no rollback).
   */
  write (name: string, fn: (doc: Y.Doc) => void): Promise<VersionVectorJSON> {
    if (!this.running) return Promise.reject(new NotRunningError('replication is not running'))
    if (this.pendingWrites >= this.config.maxPendingWrites) {
      return Promise.reject(new RateLimitError(`${this.pendingWrites} writes pending (maxPendingWrites)`))
    }
    this.pendingWrites++
    return new Promise<VersionVectorJSON>((resolve, reject) => {
      const done = (err: unknown, version?: VersionVectorJSON): void => {
        this.pendingWrites--
        if (err === null && version !== undefined) resolve(version)
        else reject(err instanceof Error ? err : new Error(String(err)))
      }
      const opened = (err: Error | null, entry?: DocEntry): void => {
        if (err !== null || entry === undefined) {
          done(err)
          return
        }
        let fnError: unknown = null
        try {
          entry.doc.transact(() => { fn(entry.doc) }, WRITE_ORIGIN)
        } catch (e) {
          fnError = e
        }
        afterTransactions(entry.doc, () => {
          const version = toJSON(entry.vector())
          entry.log.whenDurable((storeErr) => { done(fnError ?? storeErr, version) })
        })
      }
      this.openEntry(name, opened)
    })
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
   * when flush was called (with that version); rejects with TimeoutError after `timeoutMs`.
   */
  flush (name: string, options: FlushOptions): Promise<VersionVectorJSON> {
    const entry = this.registry.ready(name)
    if (!this.running || entry === undefined) return Promise.reject(new NotRunningError(`"${name}" is not open`))
    if (!Number.isSafeInteger(options.replicas) || options.replicas < 0 || !(options.timeoutMs >= 0)) {
      return Promise.reject(new RangeError('flush: replicas must be an integer ≥ 0 and timeoutMs ≥ 0'))
    }
    return new Promise((resolve, reject) => {
      afterTransactions(entry.doc, () => {
        if (!this.running || !entry.ready) {
          reject(new NotRunningError(`"${name}" is not open`))
          return
        }
        this.flushes.flush(entry, options.replicas, options.timeoutMs, (err, target) => {
          if (err === null && target !== undefined) resolve(toJSON(target))
          else reject(err ?? new Error('flush failed'))
        })
      })
    })
  }

  /** The doc's version vector (JSON form), if open and loaded. */
  version (name: string): VersionVectorJSON | undefined {
    const entry = this.registry.ready(name)
    return entry === undefined ? undefined : toJSON(entry.vector())
  }

  /** The doc's convergence digest (hex SHA-256 of state vector + delete set), if open and loaded. */
  digest (name: string): string | undefined {
    const entry = this.registry.ready(name)
    return entry === undefined ? undefined : digest(entry.doc)
  }

  /** Live peers known to host `name`. */
  hostsOf (name: string): PeerId[] {
    return this.hosts.hostsOf(name, new Set(this.peers.alivePeers()))
  }

  /** Starts an anti-entropy round with `peer` now (admin and tests). Returns false if none was started. */
  syncWith (peer: PeerId): boolean {
    if (!this.running) return false
    const entries = this.registry.readyEntries()
    return entries.length > 0 && this.antiEntropy.startRound(peer, entries, true)
  }

  on<K extends keyof ReplicatorEvents>(type: K, listener: (event: ReplicatorEvents[K]) => void): () => void {
    return this.events.on(type, listener)
  }

  stats (): ReplicatorStats {
    return {
      ...structuredClone(this.counters),
      docs: this.registry.size,
      trackedDocs: this.hosts.trackedDocs,
      sessions: this.antiEntropy.outstanding,
      transfers: this.link.transfers,
      reassemblyBytes: this.link.reassemblyBytes,
      pendingFlushes: this.flushes.size,
      pendingWrites: this.pendingWrites,
      pendingUpdateBytes: this.registry.readyEntries().reduce((sum, e) => sum + pendingBytes(e.doc), 0)
    }
  }

  /** registry.open, with its synchronous refusals (invalid name, too many docs) passed to `cb`, and counted. */
  private openEntry (name: string, cb: OpenCallback): void {
    try {
      this.registry.open(name, cb)
    } catch (err) {
      if (err instanceof TooManyDocsError) {
        this.counters.openRefused++
        this.warnings.warn('open:refused', 'too many open docs', { doc: name, maxOpenDocs: this.config.maxOpenDocs })
      }
      cb(err instanceof Error ? err : new Error(String(err)))
    }
  }

  // ── write path ─────────────────────────────────────────────────────────────────────────────────

  private onDocUpdate (entry: DocEntry, update: Uint8Array, origin: unknown): void {
    if (origin instanceof RemoteOrigin) {
      origin.changed = true
      this.counters.updatesApplied++
      this.events.emit('change', { doc: entry.name, origin: 'remote', from: origin.from, bytes: update.byteLength })
      entry.log.append(update, (err) => {
        if (err !== null) {
          // Not acknowledged (acks wait for whenDurable, which now reports this error) and not forwarded.
          this.onAppendError(entry, err)
          return
        }
        this.persisted.add(entry.name)
        if (origin.kind === 'spread' && this.running && entry.ready) this.guard('forward', () => { this.pusher.forward(entry, update, origin.from) })
      })
      return
    }
    this.counters.localUpdates++
    this.events.emit('change', { doc: entry.name, origin: 'local', bytes: update.byteLength })
    entry.log.append(update, (err) => {
      if (err !== null) {
        this.onAppendError(entry, err)
        return
      }
      this.persisted.add(entry.name)
      if (!this.running || !entry.ready) return
      this.events.emit('durable', { doc: entry.name, version: toJSON(entry.vector()) })
      this.guard('push', () => { this.pusher.pushLocal(entry, update) })
    })
  }

  /** Applies a remote update; throws DecodeError (from checkUpdate or Yjs) for one that is not valid. */
  private applyRemote (entry: DocEntry, update: Uint8Array, from: PeerId, kind: RemoteKind): void {
    try {
      const result = entry.applyRemote(update, new RemoteOrigin(from, kind))
      if (result === 'duplicate') this.counters.updatesDuplicate++
      else if (result === 'pending') this.counters.updatesPending++
    } finally {
      // Also after a throw: Yjs may have parked part of an update it then failed to integrate.
      this.boundPending(entry, from)
    }
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
    if (updates > 0) this.persisted.add(entry.name)
    // A compaction by an older version persisted pending structs too: bound them like remote ones.
    this.boundPending(entry, this.localId)
    this.events.emit('opened', { doc: entry.name, updates })
    if (!this.running) return
    this.antiEntropy.fetch(entry)
    this.antiEntropy.docLoaded()
  }

  /** An append failed: the doc's history is not durable until a compaction supersedes it, so repair soon. */
  private onAppendError (entry: DocEntry, error: Error): void {
    this.onStoreError(entry.name, 'append', error)
    if (this.running && entry.ready) this.compactor.repairSoon(entry)
  }

  private onStoreError (doc: string, op: StoreOp, error: Error): void {
    this.counters.storeErrors++
    this.warnings.warn(`store:${op}`, 'store operation failed', { doc, op, error: error.message })
    this.events.emit('storeError', { doc, op, error })
  }

  // ── receiving ──────────────────────────────────────────────────────────────────────────────────

  private onFrame (from: PeerId, bytes: Uint8Array): void {
    if (!this.running || from === this.localId) return
    this.guard('frame', () => {
      const msg = this.link.receive(from, bytes)
      if (msg === undefined) return
      try {
        this.dispatch(from, msg)
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err
        this.counters.decodeErrors++
        this.warnings.warn(`decode:${from}`, 'rejected sync message', { from, type: msg.type, error: err.message })
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

  private dispatch (from: PeerId, msg: SyncMessage): void {
    switch (msg.type) {
      case 'digests': this.antiEntropy.handleDigests(from, msg); return
      case 'digestsReply': this.antiEntropy.handleDigestsReply(from, msg); return
      case 'syncDoc': this.antiEntropy.handleSyncDoc(from, msg); return
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
    const entry = this.registry.ready(msg.doc)
    if (entry === undefined) {
      this.counters.unhostedFrames++
      return
    }
    this.applyRemote(entry, msg.update, from, msg.spread ? 'spread' : 'push')
    this.hosts.add(from, msg.doc)
    if (msg.ackId === 0) return
    entry.log.whenDurable((err) => {
      if (err !== null || !this.running || !entry.ready) return
      this.counters.acksSent++
      this.guard('ack', () => { this.link.send(from, { type: 'ack', doc: msg.doc, ackId: msg.ackId, vector: entry.vector() }) })
    })
  }

  private after (delayMs: number, start: () => Timer): Timer {
    let inner: Timer | undefined
    const outer = this.clock.setTimeout(() => { inner = start() }, delayMs)
    return { cancel: () => { outer.cancel(); inner?.cancel() } }
  }
}
