/**
 * Stronger writes (Akka's WriteTo(n)): `flush` waits until `replicas` peers have applied AND persisted
 * everything this peer had of a doc when flush was called.
 *
 * Protocol: the flush sends each live host an Update with a flush id, holding what that host lacks
 * (the inserts past the vector it last reported, plus our whole delete set — so deletes are covered even
 * though vectors do not count them). The host applies it, waits for its store's callback, and answers an
 * Ack with its vector at that time. A host counts once its acked vector dominates our vector at flush
 * time: then it has every insert we had and, having applied our delete set, every delete. Frames may be
 * lost, so unconfirmed hosts get the update again every `flushRetryMs`, sized from their latest ack.
 */
import type { Clock, Timer } from '../core/clock.js'
import { AbortError, NotRunningError, RateLimitError, TimeoutError } from '../core/errors.js'
import type { Random } from '../core/random.js'
import type { PeerId } from '../core/transport.js'
import type { SyncMessageOf } from './codec.js'
import type { ReplicationConfig } from './config.js'
import type { DocEntry } from './doc-entry.js'
import type { HostDirectory } from './host-directory.js'
import type { ReplicatorCounters } from './stats.js'
import type { PeerDirectory } from '../core/directory.js'
import type { SyncLink } from './sync-link.js'
import { dominates, emptyVector } from './version-vector.js'
import type { VersionVector } from './version-vector.js'

export type FlushCallback = (err: Error | null, target?: VersionVector) => void

export interface FlushTrackerOptions {
  link: SyncLink
  hosts: HostDirectory
  peers: PeerDirectory
  clock: Clock
  random: Random
  config: ReplicationConfig
  counters: ReplicatorCounters
  /** Too few hosts known: look for more (a targeted anti-entropy round). */
  discover(entry: DocEntry): void
}

interface PendingFlush {
  readonly id: number
  readonly entry: DocEntry
  readonly target: VersionVector
  readonly replicas: number
  readonly confirmed: Set<PeerId>
  readonly sentTo: Set<PeerId>
  targets: PeerId[]
  retry: Timer | undefined
  deadline: Timer | undefined
  readonly cb: FlushCallback
}

/** (peer, doc) vectors remembered to size flush updates; least recently reported forgotten first. */
const MAX_KNOWN_VECTORS = 4096
const UINT32 = 0x1_0000_0000

export class FlushTracker {
  private readonly pending = new Map<number, PendingFlush>()
  private readonly known = new Map<string, VersionVector>()
  private nextId = 1

  constructor (private readonly o: FlushTrackerOptions) {}

  get size (): number {
    return this.pending.size
  }

  flush (entry: DocEntry, replicas: number, timeoutMs: number, cb: FlushCallback): void {
    const target = entry.vector()
    if (replicas <= 0) {
      cb(null, target)
      return
    }
    if (this.pending.size >= this.o.config.maxPendingFlushes) {
      cb(new RateLimitError(`${this.pending.size} flushes pending (maxPendingFlushes)`))
      return
    }
    const id = this.takeId()
    const f: PendingFlush = { id, entry, target, replicas, confirmed: new Set(), sentTo: new Set(), targets: [], retry: undefined, deadline: undefined, cb }
    this.pending.set(id, f)
    this.o.counters.flushes++
    f.deadline = this.o.clock.setTimeout(() => {
      this.finish(f, new TimeoutError(`flush of "${entry.name}": ${f.confirmed.size} of ${replicas} replicas confirmed within ${timeoutMs} ms`))
    }, timeoutMs)
    this.round(f)
  }

  handleAck (from: PeerId, msg: SyncMessageOf<'ack'>): void {
    this.o.counters.acksReceived++
    this.noteVector(from, msg.doc, msg.vector)
    const f = this.pending.get(msg.ackId)
    if (f === undefined || f.entry.name !== msg.doc || !f.sentTo.has(from)) {
      this.o.counters.unexpectedFrames++
      return
    }
    if (!dominates(msg.vector, f.target)) return // it still lacks something: the next retry sends it
    f.confirmed.add(from)
    if (f.confirmed.size >= f.replicas) this.finish(f, null)
  }

  /** Remembers the latest vector `peer` reported for `doc`. */
  noteVector (peer: PeerId, doc: string, vector: VersionVector): void {
    const key = `${peer}\u0000${doc}`
    this.known.delete(key)
    this.known.set(key, vector)
    if (this.known.size > MAX_KNOWN_VECTORS) this.known.delete(this.known.keys().next().value as string)
  }

  /** Whether a flush of `doc` is pending (its doc must stay in memory). */
  hasDoc (doc: string): boolean {
    for (const f of this.pending.values()) if (f.entry.name === doc) return true
    return false
  }

  /** Fails the flushes of a doc that was closed. */
  abortDoc (doc: string): void {
    for (const f of [...this.pending.values()]) if (f.entry.name === doc) this.finish(f, new AbortError(`"${doc}" was closed`))
  }

  stop (): void {
    for (const f of [...this.pending.values()]) this.finish(f, new NotRunningError('replication stopped'))
    this.known.clear()
  }

  private round (f: PendingFlush): void {
    if (!this.pending.has(f.id)) return
    const alive = new Set(this.o.peers.alivePeers())
    const hosts = this.o.hosts.hostsOf(f.entry.name, alive).filter(p => !f.confirmed.has(p))
    // Keep earlier targets (their acks may be in flight), then fill up at random.
    const kept = f.targets.filter(p => hosts.includes(p))
    const fresh = this.o.random.shuffle(hosts.filter(p => !kept.includes(p)))
    f.targets = [...kept, ...fresh].slice(0, this.o.config.flushFanout)
    for (const peer of f.targets) {
      const update = f.entry.diffFor(this.known.get(`${peer}\u0000${f.entry.name}`) ?? emptyVector())
      f.sentTo.add(peer)
      this.o.link.send(peer, { type: 'update', doc: f.entry.name, update, ackId: f.id, spread: false })
    }
    if (hosts.length + f.confirmed.size < f.replicas) this.o.discover(f.entry)
    f.retry = this.o.clock.setTimeout(() => { this.round(f) }, this.o.config.flushRetryMs)
  }

  private finish (f: PendingFlush, err: Error | null): void {
    if (!this.pending.delete(f.id)) return
    f.retry?.cancel()
    f.deadline?.cancel()
    if (err === null) this.o.counters.flushesSucceeded++
    else this.o.counters.flushesFailed++
    if (err === null) f.cb(null, f.target)
    else f.cb(err)
  }

  private takeId (): number {
    for (;;) {
      const id = this.nextId
      this.nextId = (this.nextId + 1) % UINT32
      if (id !== 0 && !this.pending.has(id)) return id
    }
  }
}
