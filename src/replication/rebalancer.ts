/**
 * Rebalancing and hinted handoff: every doc this peer holds without homing it (a guest copy — written here,
 * read here, kept for a home that was unreachable, or homed here until a membership change) is handed to
 * its homes, and dropped only once each of its R current homes confirmed holding exactly the state this
 * peer has stored — durably, if this peer's store is durable (Dynamo §4.6's hinted handoff, with the
 * preference list of placement.ts). Never before: a copy is the last one until proven otherwise. Docs
 * the app holds open here are kept (interest) and only handed over, to the homes we hold a connection to
 * (`handTo`).
 *
 * The evidence comes from handoff rounds (anti-entropy.ts): a home answers that its stored copy has our
 * digest, or takes our diff and confirms once it is on its disk. A doc that changes here meanwhile has a new
 * digest, and the old confirmations no longer count.
 *
 * Guests are found by a scan of the catalog after every placement change (sliced, so 100,000 docs do not
 * block the event loop) and as docs become held; each tick works on at most `maxDocsPerRound` of them.
 *
 * A copy read here within the last READ_COPY_KEEP_MS is handed over but not dropped: it serves the reads,
 * which repair it from its homes (read-repair.ts). A copy written here at a steady pace is kept the same way
 * until the writes pause (WRITE_KEEP_GAPS).
 */
import { aliveSet } from './alive-set.js'
import type { Clock, Timer } from '../core/clock.js'
import type { Random } from '../core/random.js'
import type { DocStore } from '../core/doc-store.js'
import type { PeerDirectory } from '../core/directory.js'
import type { PeerId } from '../core/transport.js'
import type { AntiEntropy, Listed } from './anti-entropy.js'
import type { DocCatalog } from './catalog.js'
import type { ReplicationConfig } from './config.js'
import type { Confirmations } from './confirmations.js'
import type { DocRegistry } from './doc-registry.js'
import type { Placement } from './placement.js'
import type { ReplicatorCounters } from './stats.js'
import { WIRE_DIGEST_BYTES } from './version-vector.js'

export interface RebalancerOptions {
  localId: PeerId
  placement: Placement
  catalog: DocCatalog
  registry: DocRegistry
  confirmations: Confirmations
  antiEntropy: AntiEntropy
  store: DocStore
  peers: PeerDirectory
  clock: Clock
  config: ReplicationConfig
  counters: ReplicatorCounters
  /** This peer's store is durable: then only durable confirmations count. */
  durable: boolean
  /** Whether a connection to `peer` is open (a round with it needs no dial). */
  connected(peer: PeerId): boolean
  random: Random
  /** A copy was dropped: `homes` had confirmed holding `digest`. */
  onDropped(doc: string, digest: Uint8Array, homes: readonly PeerId[]): void
  onError(doc: string, err: Error): void
}

/** Docs classified per slice of a scan. */
const SCAN_SLICE = 5_000

/**
 * A guest doc that changed within the last tick is handed to a home that confirmed some state of it within
 * this many ticks only once that time is up. Its changes since went to that home by push (the writer pushes
 * every write to the homes), so the round would mostly confirm a state already gone; a doc written every
 * tick never matches any home exactly and was handed to each of its R homes at every tick for as long as the
 * writes went on (30 real peers writing one doc 2/s each: 17 of each home's 89 sync frames per second in,
 * and as many out). A quiet doc is handed over at the next tick as before, so drops are not delayed.
 */
const BUSY_HANDOFF_TICKS = 4

/**
 * A guest copy read within this long is kept. Dropped as soon as its homes confirmed it, a doc polled on a
 * peer that does not home it (a dashboard; the soak's reads after a heal) was fetched whole from its homes
 * by the next read, stored, confirmed and dropped again: test/replication/read-copy.sim.test.ts, read every
 * 250 ms for 30 s, dropped it 22–23 times; on the 50-peer soak's busy machine each refetch took seconds,
 * and the copies three peers dropped mid-poll held a heal's writes back from their reads until 12.7 s.
 */
export const READ_COPY_KEEP_MS = 30_000
/** Docs whose last read is remembered, at most (the oldest is forgotten: its copy may then go sooner). */
const MAX_READS_TRACKED = 10_000

/**
 * A guest copy written here again within WRITE_STEADY_GAP_MS of its previous write is kept until the writes
 * pause for WRITE_KEEP_GAPS times the gap between the last two. Dropped as soon as its homes confirmed it
 * (between two writes of a peer writing 2/s, once every home had acked the first), the next write found
 * nothing to build on and fetched the whole doc first (mesh-node.ts `write`): the 50-peer soak refetched its
 * 50,000-entry doc ~100 times a run, each from a home already at its busiest.
 * test/replication/write-copy.sim.test.ts. A doc written once, or rarely, is dropped as before.
 */
const WRITE_STEADY_GAP_MS = 5_000
const WRITE_KEEP_GAPS = 3
/** Docs whose last writes are remembered, at most (the oldest is forgotten: its copy may then go sooner). */
const MAX_WRITES_TRACKED = 10_000

export class Rebalancer {
  /** Held docs this peer does not home (as of the last scan or change). */
  private readonly guests = new Set<string>()
  /** Docs whose removal is on its way to the store → what waits for it to end (`afterDrop`). */
  private readonly dropping = new Map<string, Array<() => void>>()
  /** When each guest doc last changed here (durably). */
  private readonly changedAt = new Map<string, number>()
  /** When docs not homed here were last read here, oldest first (re-inserted on each read). */
  private readonly readAt = new Map<string, number>()
  /** When docs not homed here were last written here, and the gap before that write, oldest first. */
  private readonly writtenAt = new Map<string, { at: number, gap: number }>()
  private scan: { names: string[], next: number, timer: Timer } | undefined
  private scannedVersion = -1

  constructor (private readonly o: RebalancerOptions) {}

  get guestCount (): number {
    return this.guests.size
  }

  /** Whether `doc` is being dropped (a removal is on its way to the store). */
  isDropping (doc: string): boolean {
    return this.dropping.has(doc)
  }

  /**
   * Calls `cb` once `doc` is not being dropped (at once if it is not). A doc opened while its removal was on
   * its way to the store was loaded from what the removal left — nothing — and a write on it raced the value
   * it replaced (the 50-peer soak lost 2 writes so, test/replication/write-after-drop.sim.test.ts).
   */
  afterDrop (doc: string, cb: () => void): void {
    const waiting = this.dropping.get(doc)
    if (waiting === undefined) cb()
    else waiting.push(cb)
  }

  /** The member set changed (or the catalog was just read): re-classify every held doc (sliced). */
  placementChanged (): void {
    this.scan?.timer.cancel()
    const names = [...this.o.catalog.values()].map(e => e.name)
    this.scan = { names, next: 0, timer: this.o.clock.setTimeout(() => { this.scanSlice() }, 0) }
  }

  private scanSlice (): void {
    const s = this.scan
    if (s === undefined) return
    const end = Math.min(s.names.length, s.next + SCAN_SLICE)
    for (; s.next < end; s.next++) this.classify(s.names[s.next] as string)
    if (s.next < s.names.length) {
      s.timer = this.o.clock.setTimeout(() => { this.scanSlice() }, 0)
      return
    }
    this.scan = undefined
    this.scannedVersion = this.o.placement.version
  }

  /** `doc` became held or changed here: is it a guest? */
  classify (doc: string): void {
    if (this.o.catalog.has(doc) && !this.o.placement.isHome(doc)) this.guests.add(doc)
    else {
      this.guests.delete(doc)
      this.changedAt.delete(doc)
    }
  }

  /** `doc` was read here: a guest copy of it is kept for READ_COPY_KEEP_MS (a fetched one too). */
  read (doc: string): void {
    if (!this.o.placement.isHome(doc)) rememberLast(this.readAt, doc, this.o.clock.now(), MAX_READS_TRACKED)
  }

  /** `doc` was written here: a guest copy written at a steady pace is kept while the writes go on. */
  written (doc: string): void {
    if (this.o.placement.isHome(doc)) return
    const now = this.o.clock.now()
    const last = this.writtenAt.get(doc)
    rememberLast(this.writtenAt, doc, { at: now, gap: last === undefined ? Number.POSITIVE_INFINITY : now - last.at }, MAX_WRITES_TRACKED)
  }

  /** Whether `doc` is being written here at a steady pace (an old entry is forgotten on the way). */
  private beingWritten (doc: string, now: number): boolean {
    const w = this.writtenAt.get(doc)
    if (w === undefined) return false
    if (w.gap <= WRITE_STEADY_GAP_MS && now - w.at < WRITE_KEEP_GAPS * w.gap) return true
    if (now - w.at >= WRITE_STEADY_GAP_MS) this.writtenAt.delete(doc)
    return false
  }

  /** Whether a guest copy of `doc` serves reads or writes here now, and so is kept though its homes hold it. */
  private inUse (doc: string, now: number): boolean {
    return this.o.registry.get(doc)?.pinned === true || this.beingRead(doc, now) || this.beingWritten(doc, now)
  }

  /** Whether `doc` was read here lately (an old entry is forgotten on the way). */
  private beingRead (doc: string, now: number): boolean {
    const at = this.readAt.get(doc)
    if (at === undefined) return false
    if (now - at < READ_COPY_KEEP_MS) return true
    this.readAt.delete(doc)
    return false
  }

  /** `doc` changed here (an append completed). */
  changed (doc: string): void {
    if (this.guests.has(doc)) this.changedAt.set(doc, this.o.clock.now())
  }

  /** One round of handoffs: drop what R homes confirmed, hand the rest to their homes. */
  tick (): void {
    if (this.o.placement.version !== this.scannedVersion && this.scan === undefined) this.placementChanged()
    // While the member set is still changing (a join being learned), wait: the homes may not be the homes.
    if (this.guests.size === 0 || this.o.clock.now() - this.o.placement.changedAt < this.o.config.placementSettleMs) return
    const alive = aliveSet(this.o.peers)
    const perHome = new Map<PeerId, Listed[]>()
    // Docs already in a handoff round with a home that is still under way are not listed to it again.
    const underWay = new Map<PeerId, ReadonlySet<string>>()
    let worked = 0
    const now = this.o.clock.now()
    const tick = this.o.config.antiEntropyIntervalMs
    for (const doc of [...this.guests]) {
      if (worked >= this.o.config.maxDocsPerRound) break
      if (this.dropping.has(doc)) continue
      const held = this.o.catalog.get(doc)
      if (held === undefined || this.o.placement.isHome(doc)) {
        this.guests.delete(doc)
        this.changedAt.delete(doc)
        continue
      }
      const digest = held.meta?.digest
      if (digest === undefined) continue // not read yet
      worked++
      const homes = this.o.placement.homes(doc)
      const missing = homes.filter(h => !this.o.confirmations.holds(doc, h, digest, this.o.durable))
      if (missing.length === 0) {
        if (!this.inUse(doc, now)) this.drop(doc, digest, homes)
        continue
      }
      const busy = now - (this.changedAt.get(doc) ?? Number.NEGATIVE_INFINITY) < tick
      for (const home of this.handTo(doc, missing.filter(h => alive.has(h)))) {
        if (busy && this.o.confirmations.confirmedSince(doc, home, now - BUSY_HANDOFF_TICKS * tick, this.o.durable)) continue
        let inRound = underWay.get(home)
        if (inRound === undefined) underWay.set(home, inRound = this.o.antiEntropy.handingOver(home))
        if (inRound.has(doc)) continue
        let list = perHome.get(home)
        if (list === undefined) {
          list = []
          perHome.set(home, list)
        }
        list.push({ name: doc, digest: digest.subarray(0, WIRE_DIGEST_BYTES) })
      }
    }
    for (const [home, items] of perHome) {
      if (this.o.antiEntropy.startHandoff(home, items)) this.o.counters.handoffRounds++
    }
  }

  /**
   * The homes a round of this tick hands `doc` to, of the live ones that have not confirmed it. A doc the app
   * holds open here stays here whatever they hold: a handoff only brings them what was written here, which
   * pushes and the interest rounds bring too. So it goes to those we hold a connection to, and to one other
   * a tick only when there is none. After a heal every peer holding a doc open lacked a connection to each
   * of its homes and handed it to all of them at once: in the 50-peer soak, where every peer holds the soak
   * doc open, 190 handoff listings went out with no connection after one heal, their dials converging on
   * the doc's three homes.
   */
  private handTo (doc: string, homes: PeerId[]): PeerId[] {
    if (this.o.registry.get(doc)?.pinned !== true) return homes
    const near = homes.filter(h => this.o.connected(h))
    return near.length > 0 ? near : this.o.random.sample(homes, 1)
  }

  /**
   * A home confirmed holding `doc`: if that was the last confirmation its guest copy here waited for, drop
   * it now rather than at the next tick (up to antiEntropyIntervalMs later, 5 s on a LAN: the tail of a heal).
   */
  confirmed (doc: string): void {
    if (!this.guests.has(doc) || this.dropping.has(doc) || this.o.placement.isHome(doc)) return
    if (this.o.clock.now() - this.o.placement.changedAt < this.o.config.placementSettleMs) return
    const digest = this.o.catalog.get(doc)?.meta?.digest
    if (digest === undefined || this.inUse(doc, this.o.clock.now())) return
    const homes = this.o.placement.homes(doc)
    if (homes.every(h => this.o.confirmations.holds(doc, h, digest, this.o.durable))) this.drop(doc, digest, homes)
  }

  /**
   * Drops the local copy of `doc`: R homes confirmed `digest`, which is still what the store holds, and
   * nothing here needs the doc in memory. Appends issued after the removal (a write arriving meanwhile) are
   * kept by the store and make the doc held again — a new guest copy, handed off in turn.
   */
  private drop (doc: string, digest: Uint8Array, homes: readonly PeerId[]): void {
    const loaded = this.o.registry.get(doc)
    if (loaded !== undefined && !this.o.registry.evictNow(doc)) return // in use: next tick
    const waiting: Array<() => void> = []
    this.dropping.set(doc, waiting)
    this.guests.delete(doc)
    this.changedAt.delete(doc)
    this.readAt.delete(doc)
    this.o.store.remove(doc, (err) => {
      this.dropping.delete(doc)
      if (err !== null) {
        this.guests.add(doc)
        this.o.onError(doc, err)
      } else {
        this.o.catalog.remove(doc)
        this.o.confirmations.forget(doc)
        this.o.antiEntropy.forgetHandoff(doc)
        this.o.counters.docsDropped++
        this.o.onDropped(doc, digest, homes)
      }
      for (const cb of waiting) cb()
    })
  }

  clear (): void {
    this.scan?.timer.cancel()
    this.scan = undefined
    this.guests.clear()
    this.changedAt.clear()
    this.readAt.clear()
    this.writtenAt.clear()
  }
}

/** Sets `key` as the newest entry of `map` (oldest first), forgetting the oldest past `max`. */
function rememberLast<V> (map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key)
  map.set(key, value)
  if (map.size > max) map.delete(map.keys().next().value as string)
}
