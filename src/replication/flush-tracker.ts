/**
 * Write concerns (Akka's WriteTo(n), Dynamo's W): `flush` waits until `replicas` durable copies, on distinct
 * peers, hold everything this peer had of a doc when flush was called. This peer's own copy counts once it
 * is durable, if its store is; copies on peers without a data dir never count.
 *
 * Protocol: the flush sends an Update with a flush id to peers in the doc's preference list (placement.ts):
 * its homes first, and one more peer per retry while too few confirmed — the next in the list, which keeps
 * it as a guest and hands it to the homes later (hinted handoff, Dynamo §4.6). The update holds what the
 * peer lacks (the inserts past the vector it last reported, plus our whole delete set — so deletes are
 * covered even though vectors do not count them). The peer applies it, waits for its store's callback, and
 * answers an Ack with the vector it held as that wait began, and whether its store is durable. A peer
 * counts once its acked vector dominates our vector at flush time and it is durable. Frames may be lost, so
 * unconfirmed peers get the update again every `flushRetryMs`, sized from their latest ack.
 */
import { aliveSet } from './alive-set.js'
import type { Clock, Timer } from '../core/clock.js'
import { AbortError, NotRunningError, RateLimitError, TimeoutError } from '../core/errors.js'
import type { PeerId } from '../core/transport.js'
import type { SyncMessageOf } from './codec.js'
import type { ReplicationConfig } from './config.js'
import type { DocEntry } from './doc-entry.js'
import type { Placement } from './placement.js'
import type { ReplicatorCounters } from './stats.js'
import type { PeerDirectory } from '../core/directory.js'
import type { SyncLink } from './sync-link.js'
import { dominates, emptyVector } from './version-vector.js'
import type { VersionVector } from './version-vector.js'

export type FlushCallback = (err: Error | null, target?: VersionVector) => void

export interface FlushTrackerOptions {
  localId: PeerId
  link: SyncLink
  placement: Placement
  /** This peer's store is durable: its own copy counts. */
  durable: boolean
  peers: PeerDirectory
  clock: Clock
  config: ReplicationConfig
  counters: ReplicatorCounters
}

interface PendingFlush {
  readonly id: number
  readonly entry: DocEntry
  readonly target: VersionVector
  readonly replicas: number
  readonly confirmed: Set<PeerId>
  /** Peers that acked without a durable store: they never count, and are not asked again. */
  readonly volatile: Set<PeerId>
  readonly sentTo: Set<PeerId>
  targets: PeerId[]
  /** This peer's own copy is durable (counts as one). */
  self: boolean
  rounds: number
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
    const f: PendingFlush = {
      id, entry, target, replicas, confirmed: new Set(), volatile: new Set(), sentTo: new Set(), targets: [], self: false, rounds: 0,
      retry: undefined, deadline: undefined, cb
    }
    this.pending.set(id, f)
    this.o.counters.flushes++
    f.deadline = this.o.clock.setTimeout(() => {
      this.finish(f, new TimeoutError(`flush of "${entry.name}": ${this.copies(f)} of ${replicas} durable copies confirmed within ${timeoutMs} ms`))
    }, timeoutMs)
    if (this.o.durable) {
      entry.log.whenDurable((err) => {
        if (err !== null || !this.pending.has(f.id)) return
        f.self = true
        if (this.copies(f) >= f.replicas) this.finish(f, null)
      })
    }
    if (this.pending.has(f.id)) this.round(f)
  }

  /** Durable copies confirmed so far, this peer's included. */
  private copies (f: PendingFlush): number {
    return f.confirmed.size + (f.self ? 1 : 0)
  }

  handleAck (from: PeerId, msg: SyncMessageOf<'ack'>): void {
    this.o.counters.acksReceived++
    this.noteVector(from, msg.doc, msg.vector)
    const f = this.pending.get(msg.ackId)
    if (f === undefined || f.entry.name !== msg.doc || !f.sentTo.has(from)) {
      this.o.counters.unexpectedFrames++
      return
    }
    if (!msg.durable) {
      f.volatile.add(from) // holds it in memory only: never a durable copy
      return
    }
    if (!dominates(msg.vector, f.target)) return // it still lacks something: the next retry sends it
    f.confirmed.add(from)
    if (this.copies(f) >= f.replicas) this.finish(f, null)
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
    const alive = aliveSet(this.o.peers)
    // The preference list: homes first, then who covers for them. Each retry widens it by one peer, so
    // an unreachable home is covered by the next peer (which hands the update over later).
    const candidates = this.o.placement.preferenceList(f.entry.name)
      .filter(p => p !== this.o.localId && alive.has(p) && !f.confirmed.has(p) && !f.volatile.has(p))
    const needed = Math.max(1, f.replicas - this.copies(f))
    f.targets = candidates.slice(0, Math.min(this.o.config.flushFanout, needed + f.rounds))
    f.rounds++
    for (const peer of f.targets) {
      const update = f.entry.diffFor(this.known.get(`${peer}\u0000${f.entry.name}`) ?? emptyVector())
      f.sentTo.add(peer)
      this.o.link.send(peer, { type: 'update', doc: f.entry.name, update, ackId: f.id, spread: false, open: f.entry.pinned })
    }
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
