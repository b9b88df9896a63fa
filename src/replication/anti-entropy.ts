/**
 * Pull anti-entropy (Demers et al., "Epidemic algorithms for replicated database maintenance", push-pull
 * variant), cheap when idle, in three kinds of round:
 *
 *  - shared: between two homes, over the docs both home (summary.ts). The initiator sends the summary's
 *    root; equal roots end the round (two small frames, whatever the number of docs). Otherwise the
 *    responder returns its bucket hashes (folded into about one group per doc for a small set) and the
 *    initiator lists its docs of the differing buckets — the
 *    listing is complete for those buckets, so the responder also finds the docs the initiator lacks
 *    (a new home fetches this way) and the initiator those the responder lacks.
 *  - plain: a listing of some docs (docs the app holds open here without homing them, a doc just opened):
 *    the responder compares those it holds and hints at peers hosting the others.
 *  - handoff: a guest (a peer holding a doc it does not home) lists such docs to one of their homes, which
 *    keeps them: it answers which it holds durably with that very digest, and syncs the others, creating
 *    them if it must. What the rebalancer waits for before a guest drops its copy. After a heal every guest
 *    copy is listed to each of its R homes and most are unchanged, so these pages are compact: 6 bytes a
 *    doc (a 32-bit name hash and 2 bytes of the digest) instead of ~30, and one SHA-256 proof in the reply
 *    confirms every doc the home found equal (`handleCompact`). What a compact page does not settle is
 *    listed in full to that home from then on.
 *
 *   initiator A                                       responder B
 *   Summary{root} →                                   (shared rounds only)
 *                                                   ← SummaryReply{equal | bucket hashes}
 *   Digests{scope, buckets, entries: doc+digest} →    (paged; a page holds whole buckets)
 *                                                   ← DigestsReply{hosted, equal, differing, hints}
 *                                                   ← step 1 {doc, B's vector}   (each doc that differs)
 *   step 2 {B's missing diff, A's vector} →
 *                                                   ← step 3 {A's missing diff, B's durable vector}
 *
 * Step 3 leaves only once step 2 is on B's disk, and carries the vector B held as that wait began: it
 * confirms that B holds everything A sent durably (or in memory only, `durable` false). The digests
 * cover the delete set, so a delete-only difference is found although the vectors are equal; the diffs
 * (`encodeStateAsUpdate(doc, vector)`) always carry the sender's whole delete set, so both sides end with
 * the union. Per-doc steps to one peer are batched into SyncBatch frames (step-batcher.ts).
 *
 * Each side claims a doc while its exchange is under way (B from step 1, A from taking step 1 up); another
 * peer's exchange of it meanwhile is refused, waits, or asks for nothing (see `claim`). A step 1 that A cannot take up (its copy is gone) is
 * declined with a step 2 that carries nothing and asks for nothing, so that B's claim ends (`decline`).
 *
 * The responder keeps no state; the initiator keeps one bounded Session per round to report completion.
 */
import { aliveSet, pushTargets } from './alive-set.js'
import type { Clock, Timer } from '../core/clock.js'
import type { Random } from '../core/random.js'
import type { PeerId } from '../core/transport.js'
import type { PeerDirectory } from '../core/directory.js'
import { createHash } from 'node:crypto'
import { COMPACT_MARK_BYTES, COMPACT_NAME_BYTES, PROOF_BYTES, SYNC_LIMITS, digestEntryBytes, fieldBytes, nameBytes } from './codec.js'
import type { CompactPage, DigestScopeName, DocDigest, HostHint, SyncDocMessage, SyncMessageOf } from './codec.js'
import { nameHash } from './catalog.js'
import { ListingBudget, listingBudgetSpec } from './listing-budget.js'
import type { DocCatalog } from './catalog.js'
import type { CoveredDigests } from './covered.js'
import type { ReplicationConfig } from './config.js'
import type { DocEntry } from './doc-entry.js'
import type { DocRegistry } from './doc-registry.js'
import type { HostDirectory } from './host-directory.js'
import type { Placement } from './placement.js'
import type { ReplicatorCounters } from './stats.js'
import type { StepBatcher } from './step-batcher.js'
import { BUCKETS, MIN_GROUPS, Summary, bucketOf, equalBytes, groupsFor } from './summary.js'
import type { SyncLink } from './sync-link.js'
import { WIRE_DIGEST_BYTES, dominates, merge } from './version-vector.js'
import type { VersionVector } from './version-vector.js'

export interface AntiEntropyOptions {
  localId: PeerId
  link: SyncLink
  steps: StepBatcher
  registry: DocRegistry
  catalog: DocCatalog
  /** States this peer holds durably beyond its current digest (covered.ts): a handoff listing one of them needs no exchange. */
  covered: CoveredDigests
  placement: Placement
  hosts: HostDirectory
  peers: PeerDirectory
  random: Random
  clock: Clock
  config: ReplicationConfig
  counters: ReplicatorCounters
  /** This peer's store survives a crash (step 3 says so to the initiator). */
  durable: boolean
  /** Byte budget of one Digests page (stays below the chunk size: listings are never chunked). */
  pageBytes: number
  /**
   * Runs `fn` once `name` is loaded (at once if it is; after loading it if this peer holds it or
   * `create`). False if neither. Errors `fn` throws are handled as those of a message `type` from `from`.
   */
  withDoc(name: string, create: boolean, fn: (entry: DocEntry) => void, from: PeerId, type: 'digests' | 'syncDoc'): boolean
  /** Applies a remote diff to `entry` (throws DecodeError on a malformed update). */
  /** `asked`: the update answers a round this peer started (a fetch, a read repair, its own listing), not one `from` started. */
  apply(entry: DocEntry, update: Uint8Array, from: PeerId, asked: boolean): void
  /** A peer told us its vector of `doc` (flush uses it to send smaller diffs). */
  noteVector(peer: PeerId, doc: string, vector: VersionVector): void
  /**
   * `peer` holds, durably if `durable`, everything this peer held durably of `doc` when its digest was
   * `digest` (the durable digest listed, or the one at step 2 of a handoff exchange).
   */
  confirmed(doc: string, peer: PeerId, digest: Uint8Array, durable: boolean): void
  /**
   * The member set has just settled after a change, before the owed shared rounds start: guests hand their
   * copies over first (the rebalancer), so that what a guest holds travels in its handoff — which the guest
   * needs anyway to learn that the homes hold its copy — and not also in shared rounds between the homes,
   * after which each handoff would be one more exchange to confirm what the home already holds.
   */
  settledAfterChange(): void
  onSynced(peer: PeerId, docs: readonly string[], durationMs: number): void
  /** `peer` answered a listing of `doc` (a fetch or an open-docs listing) saying it holds none of it. */
  onAbsent?(peer: PeerId, doc: string): void
  /** `peer` is exchanging `doc` with us (its step 1): it holds something of it, or holds it `empty`. */
  onHosted?(peer: PeerId, doc: string, empty: boolean): void
  /** Whether a connection to `peer` is open (a frame to it needs no dial). */
  connected(peer: PeerId): boolean
  /** A listing from `peer` asked for more work than its budget (listing-budget.ts): `dropped` docs left out. */
  onThrottled?(peer: PeerId, dropped: number): void
}

/** A doc as a listing names it: with the digest this peer has of it (in memory, else in the store). */
export interface Listed {
  readonly name: string
  readonly digest: Uint8Array
}

/** What the initiator remembers of a doc it sent step 2 for: to turn step 3 into a confirmation. */
interface Sent {
  readonly vector: VersionVector
  /** The vector step 2 carried (`vector`, or merged with the responder's when asking for nothing): what a `covers` step 3 holds. */
  asked?: VersionVector
  /** The durable digest at step 2, if memory and store agreed then (nothing in flight). */
  readonly durableDigest: Uint8Array | undefined
}

interface Session {
  readonly id: number
  readonly peer: PeerId
  readonly scope: DigestScopeName
  readonly startedAt: number
  /** Doc names listed, per page (the reply's bitmaps refer to them), with the digests listed. */
  pages: Listed[][]
  /** Pages sent compact (handoff: name hashes and digest marks, see `handleCompact`), and the docs they list. */
  readonly compact: Set<number>
  readonly compactDocs: Set<string>
  readonly replied: Set<number>
  /** Shared rounds: the summary exchange has not completed yet. */
  summaryPending: boolean
  /** Step-1 frames the replies announced, and how many arrived. */
  expected: number
  vectorsSeen: number
  /** Docs whose step 3 we still wait for, with what step 2 sent. */
  readonly awaiting: Map<string, Sent>
  readonly synced: string[]
  /**
   * A shared round that compares every doc both home (summary equal, or an untruncated listing no reply
   * said was `trimmed`), not one answered `later`.
   */
  whole: boolean
  /** Shared rounds: the responder said it is catching up itself (its copies may be as stale as ours). */
  partnerCatchingUp: boolean
  /** A fetch round: it asks for a doc new here (see FETCH_SHARE). */
  fetch: boolean
}

/** Hints per reply: enough to find a doc's hosts quickly, small enough to keep replies small. */
const MAX_HINTS_PER_REPLY = 64
/** Members remembered while the store's list is read; the rest are reached by periodic rounds. */
const MAX_DEFERRED_PEERS = 256
/** Per shared round due, partners with nothing to compare passed over at most (sharedRounds). */
const MAX_SKIPS_PER_ROUND = 4
/**
 * Members that came alive are synced with one at a time, this far apart (±50 %) (issue 14). After a heal,
 * dozens come alive at the same moment on every peer; a round with each at once had every peer dial every
 * member of the other side together — the dial storm that overran the handshake deadline on a loaded
 * machine. The first round already brings everything the other side wrote and gives it ours; the others
 * follow at this pace (periodic rounds continue meanwhile).
 *
 * Members we hold a connection to go first (a round with them costs no handshake), the first of them at
 * once. One that needs a dial waits a random moment below the spacing, and among those in line one is
 * drawn at random: gossip brings every peer of a side the same member of the other side first — the first
 * to refute — and "the first at once" had that side dial that one member together (heal-storm seed 14:
 * 8 dials to one peer within 400 ms, six in line for its two inbound handshake slots, two handshakes past
 * their deadline).
 */
export const ALIVE_SYNC_SPACING_MS = 500
/**
 * After a membership change, a peer handing guest copies over to their homes does not compare shared sets
 * yet (neither its own rounds nor, answering `later`, its partners'), for at most this many anti-entropy
 * intervals after the change. After a heal nearly every peer holds guest copies, and their handoffs bring
 * each home what it lacks; a shared round run meanwhile compares sets those handoffs are changing, and
 * each differing pair paid group hashes, a listing and offers of docs already on their way (placement
 * benchmark, 20 peers / 2,000 docs: 38 KB of differing summary replies, 25 KB of shared listings and ~450
 * per-doc steps that moved nothing: 0.14× of what the homes lacked; in the simulator's 14-peer heal the
 * sync bytes fell from 1.37–1.40× to 1.29× of what the homes lacked). Only the guests wait: a home taking
 * handoffs still compares (when it waited too, a 2 | 3 heal placed its docs 1.3 s later: a guest whose
 * handoff a busy home declined waits for the next tick, while a shared round between homes brings the same
 * updates at once). A loss leaves no guest copies: its shared rounds, which fetch the lost copies, do not wait.
 */
const SHARED_WAIT_INTERVALS = 4
/**
 * Share of the round table (maxSessions) that fetch rounds — asking peers for a doc new here — may hold; the
 * others wait in line (`fetchWaiting`) and start as rounds end. A write or read of a new doc asks its homes
 * and, while at most pushAllMaxHosts peers are alive, every live peer: one doc could take all 16 rounds. A
 * peer cut off alone asks peers that cannot answer, and those rounds hold their slots until sessionTimeoutMs;
 * after the heal its handoffs and read repairs — the only rounds that carry its own writes of the partition
 * to the doc's homes — found no room and waited them out (issue 14: the 20-peer soak's p00 | 19 heal, writes
 * everywhere after 3.5–5.9 s; test/replication/lone-heal.test.ts). The rest of the table is theirs.
 */
const FETCH_SHARE = 1 / 2
/** Per-doc exchanges tracked at once (see `exchanging`). */
const MAX_EXCHANGES = 65_536
/** A full `exchanging` table is swept for lapsed claims at most this often (see `claim`). */
const FULL_SWEEP_SPACING_MS = 100
/**
 * Shared sets this small skip the group hashes: their whole listing (a doc name and a 16-byte digest each)
 * costs about what the reply would, and saves a round trip. Larger ones get hashes folded into about one
 * group per doc (summary.ts groupsFor), so only the differing part of a small set is listed.
 */
const LIST_WHOLE_SET_BELOW = MIN_GROUPS * 2
const UINT32 = 0x1_0000_0000
/** A Yjs (v1) update with no structs and an empty delete set: what a declined step 2 carries. */
const NOTHING = new Uint8Array([0, 0])

/** The buckets a shared listing names: `named` buckets, or every bucket of the `named` groups of a fold into `groups`. */
function bucketsNamed (named: readonly number[], groups: number): Set<number> {
  if (groups >= BUCKETS) return new Set(named)
  const wanted = new Set(named)
  const out = new Set<number>()
  for (let b = 0; b < BUCKETS; b++) if (wanted.has(b % groups)) out.add(b)
  return out
}

function startsWith (digest: Uint8Array, mark: Uint8Array): boolean {
  for (let i = 0; i < mark.byteLength; i++) if (digest[i] !== mark[i]) return false
  return true
}

/** A compact page's proof: SHA-256 over each doc's name (length-prefixed) and 16-byte digest, in order. */
function proofOf (docs: readonly Listed[]): Uint8Array {
  const h = createHash('sha256')
  const len = new Uint8Array(4)
  const view = new DataView(len.buffer)
  for (const d of docs) {
    const name = Buffer.from(d.name, 'utf8')
    view.setUint32(0, name.byteLength)
    h.update(len).update(name).update(d.digest.subarray(0, WIRE_DIGEST_BYTES))
  }
  return new Uint8Array(h.digest().subarray(0, PROOF_BYTES))
}

export class AntiEntropy {
  private readonly sessions = new Map<number, Session>()
  /** Members that came alive before the store's list of docs was read. */
  private readonly deferred = new Set<PeerId>()
  /** Members that came alive, waiting for their paced rounds (ALIVE_SYNC_SPACING_MS), and the pacer. */
  private readonly aliveLine = new Set<PeerId>()
  private aliveTimer: Timer | undefined
  /** The store's list of docs has been read (until then a listing would be incomplete). */
  private listed = false
  /** Docs to ask for at the end of the turn, and whom: `all` (a fetch) or one of their homes (a read repair: its turn). */
  private readonly toFetch = new Map<DocEntry, 'all' | 'wide' | number>()
  private fetchTimer: Timer | undefined
  /**
   * Fetch rounds the round table (maxSessions), or its share for fetches (FETCH_SHARE), had no room for, by
   * peer (`fetch`: the round asks for a doc new here, not only for a read repair): they start first as rounds end.
   * An app waits on them (a read of a doc held elsewhere); skipping them, as a periodic round is skipped,
   * made such a read answer "no such doc" while the doc's homes held it.
   */
  private readonly fetchWaiting = new Map<PeerId, { docs: Map<string, DocEntry>, fetch: boolean }>()
  private boostTimer: Timer | undefined
  private nextSession: number
  /** Shared summaries by partner, valid while neither the catalog nor the placement changed. */
  private readonly summaries = new Map<PeerId, { catalog: number, placement: number, loaded: number, summary: Summary }>()
  /**
   * Members this peer has had an empty shared round with since they last came alive: both ends then know
   * each other's R (the summary and its reply say it), and another empty round would only hear "equal".
   */
  private readonly acquainted = new Set<PeerId>()
  /**
   * Members a shared round started here has compared every doc both home with (summary equal, or a whole
   * listing brought to its end, with no reply trimmed by the member's listing budget for us), while they
   * stayed alive: what a restarted peer waits for before it calls itself caught up (the replicator's
   * catchUp), which ends it (`stopComparing`). Pruned with the members that are gone.
   */
  private comparedWith: Set<PeerId> | undefined = new Set<PeerId>()
  /**
   * Members such a round compared with while they said they were catching up themselves (restarted, not yet
   * compared with their own co-homes): equally stale copies compare equal, so such a round counts only once
   * every other live home of a doc was compared with (catch-up.ts). Pruned and ended with `comparedWith`.
   */
  private comparedStale: Set<PeerId> | undefined = new Set<PeerId>()
  /** Partners of shared rounds, in a shuffled order walked round-robin (every pair is compared in bounded time). */
  private partners: PeerId[] = []
  /** Shared rounds still owed to every member after a membership change (faster fetching by new homes). */
  private boost = 0
  /** Members that came alive while the view was settling or our shared rounds waited, or that answered `later`: the first partners of the next shared rounds. */
  private readonly arrived = new Set<PeerId>()
  /**
   * Per-doc exchanges under way, with whom and until when: while this peer syncs a doc with one peer, a
   * second peer offering the same doc is not taken up (this round; a later one catches anything left). After
   * a membership change or a heal every co-home compares with everyone at once, and each would otherwise
   * send the same missing updates — or the whole doc to a new home.
   */
  private readonly exchanging = new Map<string, { peer: PeerId, session: number, until: number, role: 'initiator' | 'responder', listed?: Uint8Array }>()
  /**
   * Step-1 vectors that arrived for a doc while this peer, as initiator of another exchange of it, waits for
   * that exchange's step 3, by doc: answered once it is over (with what it brought, so only what is still
   * missing moves), or when its claim lapses. Step 3 depends on no claim, so these waits cannot form a
   * cycle. (Declining them, as before, left the responder's own claim on the doc standing until the session
   * timeout — it had sent its vector and waits for our step 2 — so it declined every other peer offering
   * the doc meanwhile: after a 5|5 heal some peers converged only 10–14 s later, at periodic rounds.)
   */
  private readonly waitingVectors = new Map<string, Array<{ from: PeerId, msg: SyncDocMessage, until: number }>>()
  private waitTimer: Timer | undefined
  /** When this peer last listed guest copies to their homes: see SHARED_WAIT_INTERVALS. */
  private handoffAt = Number.NEGATIVE_INFINITY
  /** Guest docs a compact handoff listing did not settle, with the homes to list them to in full (bounded: MAX_EXCHANGES docs). */
  private readonly inFull = new Map<string, Set<PeerId>>()
  /** Docs a sender's listings may make us work for (listing-budget.ts). */
  private readonly budget: ListingBudget
  /** When a full `exchanging` table was last swept for lapsed claims (see `claim`). */
  private sweptAt = Number.NEGATIVE_INFINITY

  constructor (private readonly o: AntiEntropyOptions) {
    // A random start, so that a restarted peer's new sessions are unlikely to match stale replies.
    this.nextSession = o.random.int(UINT32)
    this.budget = new ListingBudget(() => listingBudgetSpec(o.config.maxDocsPerRound, o.config.antiEntropyIntervalMs), () => o.clock.now())
  }

  /** `n` docs of a listing from a sender whose budget is spent, left to a later round: counted (reported once per listing). */
  private drop (throttled: { dropped: number }, n = 1): void {
    throttled.dropped += n
    this.o.counters.listingDocsDropped += n
  }

  private reportThrottled (from: PeerId, throttled: { dropped: number }): void {
    if (throttled.dropped > 0) this.o.onThrottled?.(from, throttled.dropped)
  }

  get outstanding (): number {
    return this.sessions.size
  }

  /** The periodic round: a shared round with the next partner, and a plain one for docs held open here without homing them. */
  tick (): void {
    this.expire()
    if (!this.listed) return
    if (!this.settled()) {
      this.interestRound()
      return
    }
    this.sharedRounds(this.boost > 0 ? Math.min(this.boost, this.o.config.sharedRoundsAfterChange) : 1)
    this.interestRound()
  }

  /**
   * Shared rounds with the next `rounds` partners (owed ones first); none while handoffs are under way here
   * (they stay owed). One pass over the members per call, however many partners are drawn: a tick draws up
   * to five (41 while rounds are owed), and pruning per draw made each of them O(N).
   */
  private sharedRounds (rounds: number): void {
    if (this.sharedRoundsWait()) return
    this.boost = Math.max(0, this.boost - rounds)
    const alive = aliveSet(this.o.peers)
    this.forgetGone(alive)
    // A partner with nothing to compare is passed over (startShared: no dial for it), a few at most.
    for (let i = 0, skips = 0; i < rounds && skips <= rounds * MAX_SKIPS_PER_ROUND;) {
      const next = this.nextPartner(alive)
      if (next === undefined) break
      const r = this.startShared(next)
      if (r === 'refused') break
      if (r === 'skipped') skips++
      else i++
    }
  }

  /**
   * Whether shared rounds wait (SHARED_WAIT_INTERVALS): this peer listed guest copies to their homes within
   * the last anti-entropy interval, or such a round is still under way, within that many intervals of the
   * last membership change.
   */
  private sharedRoundsWait (): boolean {
    const now = this.o.clock.now()
    const interval = this.o.config.antiEntropyIntervalMs
    if (now - this.o.placement.changedAt > SHARED_WAIT_INTERVALS * interval) return false
    if (now - this.handoffAt < interval) return true
    for (const s of this.sessions.values()) if (s.scope === 'handoff') return true
    return false
  }

  /** Whether a shared round started here compared every doc both home with `peer` (see `comparedWith`). */
  hasCompared (peer: PeerId): boolean {
    return this.comparedWith?.has(peer) === true
  }

  /** Whether such a round compared with `peer` while it was catching up itself (see `comparedStale`). */
  hasComparedStale (peer: PeerId): boolean {
    return this.comparedStale?.has(peer) === true
  }

  /** Still catching up: our summary replies say so (catch-up.ts). */
  get catchingUp (): boolean {
    return this.comparedWith !== undefined
  }

  /** Caught up: who rounds have compared with is no longer asked, nor kept. */
  stopComparing (): void {
    this.comparedWith = undefined
    this.comparedStale = undefined
  }

  /** The member set has not changed for `placementSettleMs`: docs may move. */
  settled (): boolean {
    return this.o.clock.now() - this.o.placement.changedAt >= this.o.config.placementSettleMs
  }

  /** The member set changed: compare with every member soon (a new home learns what to fetch). */
  placementChanged (): void {
    this.partners = []
    this.summaries.clear()
    this.boost = this.o.placement.size - 1
    // Once it has settled, start comparing at once rather than at the next tick (a repair's latency).
    this.boostTimer?.cancel()
    this.boostTimer = this.o.clock.setTimeout(() => {
      this.boostTimer = undefined
      if (!this.listed || !this.settled()) return
      this.o.settledAfterChange()
      if (this.boost > 0) this.sharedRounds(Math.min(this.boost, this.o.config.sharedRoundsAfterChange))
    }, this.o.config.placementSettleMs)
  }

  /** Drops what this peer keeps per member (known hosts, cached summaries, empty rounds had) for members no longer alive: O(N). */
  private forgetGone (alive: ReadonlySet<PeerId>): void {
    this.o.hosts.prune(alive)
    for (const id of this.summaries.keys()) if (!alive.has(id)) this.summaries.delete(id)
    for (const id of this.acquainted) if (!alive.has(id)) this.acquainted.delete(id)
    for (const set of [this.comparedWith, this.comparedStale]) if (set !== undefined) for (const id of set) if (!alive.has(id)) set.delete(id)
  }

  /** The next partner of a shared round among `alive` (O(1) but when the shuffled order is drawn anew, once per N draws). */
  private nextPartner (alive: ReadonlySet<PeerId>): PeerId | undefined {
    // Peers that came alive since (joined, or back from a partition) first: they have the most to exchange.
    for (const p of this.arrived) {
      this.arrived.delete(p)
      if (alive.has(p)) return p
    }
    while (this.partners.length > 0) {
      const p = this.partners.pop() as PeerId
      if (alive.has(p)) return p
    }
    this.partners = this.o.random.shuffle([...alive])
    return this.partners.pop()
  }

  /**
   * Docs the app holds open here without homing them: one of their homes gets a plain listing of those it
   * homes (keeps it knowing we want pushes, and repairs what pushes missed). A share `discoveryRatio` of
   * these rounds goes to a random live peer instead, with all of them: how peers holding the same docs open
   * find each other (the reply says which it holds too), so that writes reach them in one hop.
   */
  private interestRound (): void {
    const interest = this.o.registry.readyEntries().filter(e => e.pinned && !this.o.placement.isHome(e.name))
    if (interest.length === 0) return
    if (this.o.random.next() < this.o.config.discoveryRatio) {
      const alive = this.o.peers.alivePeers()
      const peer = alive[this.o.random.int(alive.length)]
      if (peer !== undefined) this.startRound(peer, interest.map(e => ({ name: e.name, digest: e.wireDigest() })), 'plain', false)
      return
    }
    const pick = interest[this.o.random.int(interest.length)] as DocEntry
    const homes = this.o.placement.homes(pick.name).filter(p => p !== this.o.localId)
    const home = homes[this.o.random.int(homes.length)]
    if (home === undefined) return
    const items = interest.filter(e => this.o.placement.isHome(e.name, home)).map(e => ({ name: e.name, digest: e.wireDigest() }))
    this.startRound(home, items, 'plain', false)
  }

  /** The digest this peer has of `name` for a listing: in memory if loaded, else the store's. */
  digestOf (name: string): Uint8Array | undefined {
    const entry = this.o.registry.ready(name)
    if (entry !== undefined) return entry.wireDigest()
    return this.o.catalog.get(name)?.meta?.digest.subarray(0, WIRE_DIGEST_BYTES)
  }

  /** Every doc this peer holds (loaded or only stored) whose digest is known, with that digest. */
  private held (): Listed[] {
    const out: Listed[] = []
    for (const e of this.o.catalog.values()) {
      const digest = this.digestOf(e.name)
      if (digest !== undefined) out.push({ name: e.name, digest })
    }
    for (const entry of this.o.registry.readyEntries()) {
      if (!this.o.catalog.has(entry.name) && entry.log.position > 0) out.push({ name: entry.name, digest: entry.wireDigest() })
    }
    return out
  }

  /** Docs this peer holds that, by its placement, both it and `peer` home (within `buckets`, if given). */
  private sharedWith (peer: PeerId, buckets?: ReadonlySet<number>): Listed[] {
    const out: Listed[] = []
    const take = (name: string): void => {
      if (buckets !== undefined && !buckets.has(bucketOf(name))) return
      if (!this.bothHome(name, peer)) return
      const digest = this.digestOf(name)
      if (digest !== undefined) out.push({ name, digest })
    }
    for (const e of this.o.catalog.values()) take(e.name)
    for (const entry of this.o.registry.readyEntries()) if (!this.o.catalog.has(entry.name) && entry.log.position > 0) take(entry.name)
    return out
  }

  private bothHome (doc: string, peer: PeerId): boolean {
    const homes = this.o.placement.homes(doc)
    return homes.includes(this.o.localId) && homes.includes(peer)
  }

  /** The shared summary with `peer`, recomputed only after the catalog, the placement or loaded docs changed. */
  private summaryWith (peer: PeerId): Summary {
    const cached = this.summaries.get(peer)
    const loaded = this.o.registry.changes
    if (cached !== undefined && cached.catalog === this.o.catalog.version && cached.placement === this.o.placement.version && cached.loaded === loaded) return cached.summary
    const summary = new Summary()
    for (const d of this.sharedWith(peer)) summary.add(d.name, d.digest)
    this.summaries.set(peer, { catalog: this.o.catalog.version, placement: this.o.placement.version, loaded, summary })
    return summary
  }

  /**
   * A member became alive (joined, refuted, partition healed): a shared round with it at once — or, before
   * the store's list of docs was read (a restart: membership rejoins faster than the store lists), once it is.
   */
  peerAlive (peer: PeerId): void {
    this.acquainted.delete(peer) // a restart forgets what we said
    if (!this.listed) {
      if (this.deferred.size < MAX_DEFERRED_PEERS) this.deferred.add(peer)
      return
    }
    if (this.aliveTimer === undefined && this.o.connected(peer)) {
      if (this.syncAlive(peer)) this.paceAlive(ALIVE_SYNC_SPACING_MS * (0.5 + this.o.random.next()))
      return
    }
    if (this.aliveLine.size < MAX_DEFERRED_PEERS) this.aliveLine.add(peer)
    if (this.aliveTimer === undefined) this.paceAlive(ALIVE_SYNC_SPACING_MS * this.o.random.next())
  }

  /** The rounds owed to a member that came alive; true if one started (it may dial). */
  private syncAlive (peer: PeerId): boolean {
    let started = false
    // A settled view compares at once; otherwise the rounds owed after the change start with it.
    if (this.settled() && !this.sharedRoundsWait()) started = this.startShared(peer) === 'started'
    else if (this.arrived.size < MAX_DEFERRED_PEERS) this.arrived.add(peer)
    // Tell it which docs the app holds open here — all of them (`full`: it forgets those no longer listed),
    // so that writes there are pushed to us directly — if that costs no dial, or if every write reaches
    // every known host (see `tellsOpenDocs`).
    if (!this.tellsOpenDocs(peer)) return started
    const open = this.o.registry.readyEntries().filter(e => e.pinned).map(e => ({ name: e.name, digest: e.wireDigest() }))
    if (open.length > 0) started = this.startRound(peer, open, 'plain', true) || started
    return started
  }

  /**
   * Whether a member that came alive is told at once which docs the app holds open here. Up to
   * `pushAllMaxHosts` live peers, a write goes straight to every host its writer knows of, so one that does not
   * know of us would leave us to anti-entropy: tell it, dialling if need be. In a larger mesh a write goes
   * to k random known hosts and spreads from there, so a member learns soon enough from our pushes, its
   * pushes to us and the interest rounds: tell it only over a connection we already hold. Dialling every
   * member that came back for it was most of a heal's dials (issue 14: 69 of 87 dials after a 6 | 24 heal of
   * test/sim/heal-storm.test.ts; after a 12 | 38 heal of the 50-peer soak, sync made 235 of 283 dials).
   */
  private tellsOpenDocs (peer: PeerId): boolean {
    return this.o.connected(peer) || this.o.peers.alivePeers().length <= this.o.config.pushAllMaxHosts
  }

  /**
   * The next alive-sync from the line in `delayMs` (see ALIVE_SYNC_SPACING_MS): a connected member if one
   * is in line, else one drawn at random; once one started a round, the next waits the spacing (±50 %).
   */
  private paceAlive (delayMs: number): void {
    this.aliveTimer = this.o.clock.setTimeout(() => {
      this.aliveTimer = undefined
      const alive = aliveSet(this.o.peers)
      const line = [...this.aliveLine]
      while (line.length > 0) {
        const connected = line.findIndex(p => this.o.connected(p))
        const [peer] = line.splice(connected >= 0 ? connected : this.o.random.int(line.length), 1) as [PeerId]
        this.aliveLine.delete(peer)
        if (alive.has(peer) && this.syncAlive(peer)) {
          this.paceAlive(ALIVE_SYNC_SPACING_MS * (0.5 + this.o.random.next()))
          return
        }
      }
    }, delayMs)
  }

  /** The store's list of docs is in the catalog: sync with the members that came alive meanwhile. */
  catalogListed (): void {
    this.listed = true
    const peers = [...this.deferred]
    this.deferred.clear()
    const alive = aliveSet(this.o.peers)
    for (const peer of peers) if (alive.has(peer)) this.peerAlive(peer)
  }

  /**
   * A doc new to this peer was just loaded: ask for it — its homes, and every live peer while there are at
   * most `pushAllMaxHosts` of them (else known hosts, or random live peers when none is known yet). A
   * round's Digests tell its receiver that we host the doc, so asking everyone in a small mesh also
   * announces us at once: the next write anywhere is pushed to us directly. Batched: one round per peer.
   */
  fetch (entry: DocEntry): void {
    this.toFetch.set(entry, 'all')
    this.fetchTimer ??= this.o.clock.setTimeout(() => { this.fetchBatch() }, 0)
  }

  /**
   * A copy of `entry` kept for its reads is repaired widely (read-repair.ts): its live homes, and the peers
   * known to hold it that we hold a connection to — every connected live peer while there are at most
   * `pushAllMaxHosts` — never dialled for it. After a heal every reader's repair dialled the writer on the
   * other side, a known host: in the 20-peer heal model (test/replication/declined-steps.test.ts) its
   * handshakes kept it from answering anyone, its own handoff to the homes included, for 2.4 s
   * (test/replication/read-copy.sim.test.ts checks that no such dial is made). The homes get such a write
   * from its writer's handoff, or one home's fetch, and pass it to each other (co-home-relay.ts).
   */
  repairWidely (entry: DocEntry): void {
    if (this.toFetch.get(entry) !== 'all') this.toFetch.set(entry, 'wide')
    this.fetchTimer ??= this.o.clock.setTimeout(() => { this.fetchBatch() }, 0)
  }

  /**
   * A read answered from a guest copy of `entry` (read-repair.ts): list it to one of its live homes in a
   * plain round, whose step 3 brings what that home holds beyond it. The `turn`-th repair of the doc asks
   * the turn-th home, those connected to first (after a heal, a home not yet redialled costs a handshake
   * first: 1.7–2.5 s in test/sim/heal-storm.test.ts). Batched with fetches.
   */
  repair (entry: DocEntry, turn: number): void {
    if (!this.toFetch.has(entry)) this.toFetch.set(entry, turn)
    this.fetchTimer ??= this.o.clock.setTimeout(() => { this.fetchBatch() }, 0)
  }

  /** The home a read repair's `turn` asks (see `repair`). */
  private repairHome (live: readonly PeerId[], turn: number): PeerId[] {
    const ordered = [...live.filter(p => this.o.connected(p)), ...live.filter(p => !this.o.connected(p))]
    const home = ordered[turn % Math.max(1, ordered.length)]
    return home === undefined ? [] : [home]
  }

  private fetchBatch (): void {
    this.fetchTimer = undefined
    const entries = [...this.toFetch].filter(([e]) => e.ready)
    this.toFetch.clear()
    const aliveList = this.o.peers.alivePeers()
    const alive = aliveSet(this.o.peers)
    // Homes are asked even while suspected: a read takes only their answer as proof that a doc is absent.
    const reach = pushTargets(this.o.peers)
    const perPeer = new Map<PeerId, DocEntry[]>()
    // Peers asked for a doc new here (not only read repairs): their rounds are fetch rounds (FETCH_SHARE).
    const fetching = new Set<PeerId>()
    const everyone = aliveList.length <= this.o.config.pushAllMaxHosts
    for (const [entry, whom] of entries) {
      const live = this.o.placement.homes(entry.name).filter(p => p !== this.o.localId && reach.has(p))
      const repair = typeof whom === 'number'
      const homes = repair ? this.repairHome(live, whom) : live
      if (repair && homes.length > 0) this.o.counters.readRepairs++
      const known = repair ? [] : this.o.hosts.hostsOf(entry.name, alive)
      // A wide repair asks only peers it holds a connection to (see repairWidely); a first read asks whoever may have the doc.
      const pool = whom === 'wide' ? (everyone ? aliveList : known).filter(p => this.o.connected(p)) : everyone || known.length === 0 ? aliveList : known
      const others = repair ? [] : everyone ? pool : this.o.random.sample(pool, this.o.config.fetchFanout)
      for (const peer of new Set([...homes, ...others])) {
        if (peer === this.o.localId) continue
        let list = perPeer.get(peer)
        if (list === undefined) perPeer.set(peer, list = [])
        list.push(entry)
        if (whom === 'all') fetching.add(peer)
      }
    }
    for (const [peer, list] of perPeer) {
      const fetch = fetching.has(peer)
      if (!this.startFetch(peer, list, fetch)) this.fetchLater(peer, list, fetch)
    }
  }

  /** A round asking `peer` for `list` (fetch: some doc of it is new here), unless the table, or its fetch share, is full. */
  private startFetch (peer: PeerId, list: readonly DocEntry[], fetch: boolean): boolean {
    if (fetch && this.fetchRounds() >= Math.max(1, Math.floor(this.o.config.maxSessions * FETCH_SHARE))) {
      this.o.counters.antiEntropySkipped++ // too many outstanding, as when the whole table is full
      return false
    }
    return this.startRound(peer, list.map(e => ({ name: e.name, digest: e.wireDigest() })), 'plain', false, fetch)
  }

  /** Fetch rounds outstanding (O(maxSessions)). */
  private fetchRounds (): number {
    let n = 0
    for (const s of this.sessions.values()) if (s.fetch) n++
    return n
  }

  /** Keeps a fetch round that found no room (bounded: the rest is left to periodic rounds). */
  private fetchLater (peer: PeerId, list: readonly DocEntry[], fetch: boolean): void {
    let waiting = this.fetchWaiting.get(peer)
    if (waiting === undefined) {
      if (this.fetchWaiting.size >= MAX_DEFERRED_PEERS) return
      this.fetchWaiting.set(peer, waiting = { docs: new Map(), fetch })
    }
    waiting.fetch ||= fetch
    for (const e of list) if (waiting.docs.size < this.o.config.maxDocsPerRound) waiting.docs.set(e.name, e)
  }

  /** Starts waiting fetch rounds while there is room for them (called whenever rounds end). */
  private drainFetches (): void {
    if (this.fetchWaiting.size === 0) return
    const alive = aliveSet(this.o.peers)
    for (const [peer, waiting] of this.fetchWaiting) {
      if (this.sessions.size >= this.o.config.maxSessions) return
      const docs = [...waiting.docs.values()].filter(e => e.ready)
      if (!alive.has(peer) || docs.length === 0) {
        this.fetchWaiting.delete(peer)
        continue
      }
      if (this.startFetch(peer, docs, waiting.fetch)) this.fetchWaiting.delete(peer)
    }
  }

  /**
   * A shared round with `peer`: summary first. `skipped`: nothing here that both home, and either no
   * connection to `peer` or an empty round with it already since it came alive. Such a round would hear
   * "equal", or else bring what `peer` holds that both home, which its own round with us brings (its
   * summary is not empty). So no dial is made for it: after a heal every member that came back used to be
   * dialled for this alone (in `npm run bench -- heal`, 30 peers and no docs, one summary and its reply for
   * every pair across the cut). And an idle mesh does not exchange empty summaries forever: one round per
   * pair says each end's R (replicas-agreement.ts). `refused`: no session free, or `peer` is no member.
   */
  startShared (peer: PeerId): 'started' | 'skipped' | 'refused' {
    if (peer === this.o.localId || !this.o.placement.isMember(peer)) return 'refused'
    const summary = this.summaryWith(peer)
    if (summary.count === 0 && (!this.o.connected(peer) || this.acquainted.has(peer))) {
      this.o.counters.sharedRoundsSkipped++
      return 'skipped'
    }
    const s = this.open(peer, 'shared')
    if (s === undefined) return 'refused'
    if (summary.count === 0) this.acquainted.add(peer)
    s.summaryPending = true
    this.o.link.send(peer, { type: 'summary', session: s.id, root: summary.root(), count: summary.count, replicas: this.o.placement.replicas })
    return 'started'
  }

  /**
   * A handoff round: `items` are docs this peer holds as a guest and `peer` homes. Listed compact (see
   * `handleCompact`), except the docs a compact listing to `peer` did not settle before: in full.
   */
  startHandoff (peer: PeerId, items: readonly Listed[]): boolean {
    if (items.length === 0 || peer === this.o.localId) return false
    const s = this.open(peer, 'handoff')
    if (s === undefined) return false
    this.handoffAt = this.o.clock.now()
    const full = items.filter(e => this.inFull.get(e.name)?.has(peer) === true)
    const compact = items.filter(e => this.inFull.get(e.name)?.has(peer) !== true)
    const { pages } = this.paginate(full, false)
    const listed = pages.filter(p => p.length > 0)
    for (let i = 0; i < compact.length && listed.length < SYNC_LIMITS.pages; i += SYNC_LIMITS.docsPerFrame) {
      s.compact.add(listed.length)
      const page = compact.slice(i, i + SYNC_LIMITS.docsPerFrame)
      for (const e of page) s.compactDocs.add(e.name)
      listed.push(page)
    }
    s.pages = listed
    listed.forEach((page, index) => {
      const base = { type: 'digests' as const, session: s.id, page: index, pages: listed.length, full: false, scope: 'handoff' as const, buckets: [] }
      if (!s.compact.has(index)) {
        this.o.link.send(peer, { ...base, entries: page.map(e => ({ doc: e.name, digest: e.digest })) })
        return
      }
      const names = new Uint8Array(page.length * COMPACT_NAME_BYTES)
      const marks = new Uint8Array(page.length * COMPACT_MARK_BYTES)
      const view = new DataView(names.buffer)
      page.forEach((e, i) => {
        view.setUint32(i * COMPACT_NAME_BYTES, nameHash(e.name))
        marks.set(e.digest.subarray(0, COMPACT_MARK_BYTES), i * COMPACT_MARK_BYTES)
      })
      this.o.link.send(peer, { ...base, entries: [], compact: { names, marks } })
    })
    return true
  }

  /**
   * Docs in a handoff round with `peer` still under way (listed, and not all answered and exchanged): the
   * rebalancer does not list them to it again meanwhile. Each tick used to list every unconfirmed doc to
   * every home again — on a loaded machine, while the earlier round about the same docs was still running.
   */
  handingOver (peer: PeerId): ReadonlySet<string> {
    this.expire()
    const out = new Set<string>()
    for (const s of this.sessions.values()) {
      if (s.scope !== 'handoff' || s.peer !== peer) continue
      for (const page of s.pages) for (const e of page) out.add(e.name)
    }
    return out
  }

  /** `doc` was dropped here: forget which homes it had to be listed to in full. */
  forgetHandoff (doc: string): void {
    this.inFull.delete(doc)
  }

  /** A compact listing of `doc` to `peer` did not settle it: list it in full to `peer` from now on. */
  private listInFull (doc: string, peer: PeerId): void {
    let peers = this.inFull.get(doc)
    if (peers === undefined) {
      if (this.inFull.size >= MAX_EXCHANGES) this.inFull.clear() // forgetting is safe: it is listed compact once more
      this.inFull.set(doc, peers = new Set())
    }
    peers.add(peer)
  }

  /** Starts a listing round with `peer` over `items` (`fetch`: it asks for a doc new here, see FETCH_SHARE). Returns false if skipped. */
  startRound (peer: PeerId, items: readonly Listed[], scope: DigestScopeName, full: boolean, fetch = false): boolean {
    if (peer === this.o.localId) return false
    const s = this.open(peer, scope)
    if (s === undefined) return false
    s.fetch = fetch
    this.sendListing(s, items, full, [])
    return true
  }

  private open (peer: PeerId, scope: DigestScopeName): Session | undefined {
    this.expire()
    if (this.sessions.size >= this.o.config.maxSessions) {
      this.o.counters.antiEntropySkipped++
      return undefined
    }
    const id = this.nextSession
    this.nextSession = (this.nextSession + 1) % UINT32
    const s: Session = {
      id, peer, scope, startedAt: this.o.clock.now(), pages: [], compact: new Set(), compactDocs: new Set(), replied: new Set(), summaryPending: false,
      expected: 0, vectorsSeen: 0, awaiting: new Map(), synced: [], whole: false, partnerCatchingUp: false, fetch: false
    }
    this.sessions.set(id, s)
    this.o.counters.antiEntropyRounds++
    return s
  }

  /**
   * Sends the Digests pages of session `s`. For a shared listing, pages hold whole buckets (`buckets` says
   * which, so the responder can tell what the initiator lacks); past SYNC_LIMITS.pages or
   * `maxDocsPerRound`, the rest waits for a later round (the start is rotated so everything gets its turn).
   */
  private sendListing (s: Session, items: readonly Listed[], full: boolean, buckets: readonly number[], groups: number = BUCKETS): void {
    const shared = s.scope === 'shared'
    const { pages, pageBuckets, truncated } = shared ? this.paginateBuckets(items, buckets) : this.paginate(items, s.scope === 'plain')
    s.pages = pages
    s.whole = shared && !truncated
    // A whole shared set in one page says so (`full`) instead of naming all 256 buckets.
    const whole = shared && full && !truncated && pages.length === 1
    // A listing of a few groups (a small set: a folded reply) in one page names the groups, not each bucket.
    if (shared && !whole && groups < BUCKETS && !truncated && pages.length === 1) {
      const named = [...new Set((pageBuckets[0] ?? []).map(b => b % groups))]
      this.o.link.send(s.peer, { type: 'digests', session: s.id, page: 0, pages: 1, full: false, entries: (pages[0] ?? []).map(e => ({ doc: e.name, digest: e.digest })), scope: s.scope, buckets: named, groups })
      return
    }
    pages.forEach((page, index) => {
      this.o.link.send(s.peer, {
        type: 'digests',
        session: s.id,
        page: index,
        pages: pages.length,
        full: full && !truncated,
        entries: page.map(e => ({ doc: e.name, digest: e.digest })),
        scope: s.scope,
        buckets: shared && !whole ? pageBuckets[index] ?? [] : [],
        // Which of them the app holds open here: the responder pushes writes to us only then (push.ts).
        ...(s.scope === 'plain' ? { open: bitmapOf(page.length, i => this.o.registry.get((page[i] as Listed).name)?.pinned === true) } : {})
      })
    })
  }

  // ── responder ──────────────────────────────────────────────────────────────────────────────────

  /** Responder of a shared round: equal roots end it, else our bucket hashes go back. */
  handleSummary (from: PeerId, msg: SyncMessageOf<'summary'>): void {
    if (!this.o.placement.isMember(from)) {
      this.o.counters.unexpectedFrames++
      return
    }
    // Both ends of a pair started a shared round with each other (both compare with every member after a
    // membership change): one round compares the pair both ways, so the peer with the smaller id answers
    // `later` and its own round does the work. Two would list the same docs twice and offer each doc twice.
    // Not "equal": the sender would count its round as a comparison (catch-up.ts) while what our round
    // brings it was still on its way — a restarted home called itself caught up with all 40 of its docs
    // stale, in 12 of 20 seeds (test/replication/catch-up.test.ts 'answered later'). With `later` it asks
    // again at its next shared round, first in line: by then our round is done, and a summary says equal.
    if (this.o.localId < from && this.sharedRoundWith(from)) {
      this.o.link.send(from, { type: 'summaryReply', session: msg.session, equal: true, buckets: new Uint8Array(0), later: true, replicas: this.o.placement.replicas })
      return
    }
    // Handing guest copies over after a change: compare once that is over (SHARED_WAIT_INTERVALS). A peer
    // that does not know `later` takes it for equal: its periodic rounds compare with us again.
    if (this.sharedRoundsWait()) {
      this.o.link.send(from, { type: 'summaryReply', session: msg.session, equal: true, buckets: new Uint8Array(0), later: true, replicas: this.o.placement.replicas })
      return
    }
    const summary = this.summaryWith(from)
    const equal = summary.count === msg.count && equalBytes(summary.root(), msg.root)
    // A very small set is listed whole (no hashes in the reply); a larger one gets about one group hash
    // per doc (up to the 256 bucket hashes, 2 KiB): what differs is then listed, not the whole set.
    const count = Math.max(summary.count, msg.count)
    const whole = equal || count < LIST_WHOLE_SET_BELOW
    this.o.link.send(from, { type: 'summaryReply', session: msg.session, equal, buckets: whole ? new Uint8Array(0) : summary.encodeGroups(groupsFor(count)), replicas: this.o.placement.replicas, ...(this.catchingUp ? { catchingUp: true } : {}) })
  }

  /** Whether a shared round this peer started with `peer` under the current member set is outstanding. */
  private sharedRoundWith (peer: PeerId): boolean {
    const since = this.o.placement.changedAt
    for (const s of this.sessions.values()) if (s.peer === peer && s.scope === 'shared' && s.startedAt >= since) return true
    return false
  }

  /** Initiator of a shared round: done if equal, else list the docs of the differing buckets. */
  handleSummaryReply (from: PeerId, msg: SyncMessageOf<'summaryReply'>): void {
    const s = this.sessions.get(msg.session)
    if (s === undefined || s.peer !== from || !s.summaryPending) {
      this.o.counters.unexpectedFrames++
      return
    }
    s.summaryPending = false
    s.partnerCatchingUp = msg.catchingUp === true
    if (msg.later === true) {
      // Not compared: first in line at our next shared round.
      if (this.arrived.size < MAX_DEFERRED_PEERS) this.arrived.add(from)
      this.checkComplete(s)
      return
    }
    if (msg.equal) {
      this.o.counters.summariesEqual++
      s.whole = true
      this.checkComplete(s)
      return
    }
    if (msg.buckets.byteLength === 0) {
      // A small set: list all of it (`full`: every bucket, complete).
      this.sendListing(s, this.sharedWith(from), true, [])
      return
    }
    const differing = this.summaryWith(from).differing(msg.buckets)
    if (differing.length === 0) {
      // Same buckets, different root: impossible unless the summary changed since; the next round redoes it.
      this.checkComplete(s)
      return
    }
    this.o.counters.bucketsDiffering += differing.length
    const buckets = new Set(differing)
    this.sendListing(s, this.sharedWith(from, buckets), false, differing, msg.buckets.byteLength / SYNC_LIMITS.summaryHashBytes)
  }

  /** Responder: compare, answer, and start step 1 for every doc that differs (or that one side lacks). */
  handleDigests (from: PeerId, msg: SyncMessageOf<'digests'>): void {
    if (msg.compact !== undefined) {
      this.handleCompact(from, msg, msg.compact)
      return
    }
    const listed = msg.entries.map(e => e.doc)
    if (msg.scope === 'plain') {
      // Open at the sender as its bitmap says; a peer that does not send one listed plainly only what it
      // held open, or what it wanted pushes of (as every host got them before the mark).
      const marks = msg.open
      const open = marks === undefined ? () => true : (i: number) => bitAt(marks, i)
      if (msg.full) this.o.hosts.notePage(from, msg.session, msg.page, msg.pages, listed, open)
      else listed.forEach((doc, i) => { this.o.hosts.add(from, doc, open(i)) })
    }
    if (msg.scope === 'shared' && !this.o.placement.isMember(from)) {
      this.o.counters.unexpectedFrames++
      return
    }
    const hosted = new Uint8Array(Math.ceil(msg.entries.length / 8))
    const equal = new Uint8Array(hosted.byteLength)
    // Which listed docs the app holds open here: a plain listing's sender pushes to us only then (push.ts).
    const open = msg.scope === 'plain' ? bitmapOf(msg.entries.length, i => this.o.registry.get((msg.entries[i] as DocDigest).doc)?.pinned === true) : undefined
    const hints: HostHint[] = []
    let alive: ReadonlySet<PeerId> | undefined
    let differing = 0
    // `claimed`: docs left out because another exchange of them is under way here (see `claim`).
    const throttled = { dropped: 0, scanSkipped: false, claimed: 0 }
    const stepOne = (doc: string, listed?: Uint8Array): void => {
      // A plain listing — a reader fetching the doc, a guest copy's read repair, a doc held open elsewhere —
      // is answered by a home at once, with no claim: it rarely brings anything, and after a heal every reader
      // of a doc asks its homes together. Left out while another exchange of the doc held the claim, readers
      // waited a second for their next round (217 such refusals at the homes of the heal doc in one heal of
      // test/sim/heal-storm.test.ts). Shared and handoff listings still take the claim: it keeps a second one
      // from bringing the same updates again (after a heal every co-home and guest offers them at once), and
      // one refused is offered again at the next tick (waiting for the claim instead loaded the soak's homes).
      const unclaimed = msg.scope === 'plain' && this.o.placement.isHome(doc)
      // Each doc worked for is charged to the sender's budget: past it, left to a later round (no claim taken).
      if (!this.budget.has(from)) {
        this.drop(throttled)
        return
      }
      if (!unclaimed && !this.claim(doc, from, msg.session, 'responder', listed)) {
        throttled.claimed++ // under way in another exchange: not compared with this sender (the reply says so)
        return
      }
      this.budget.take(from)
      differing++
      const held = this.o.withDoc(doc, false, (entry) => {
        this.o.steps.push(from, { type: 'syncDoc', session: msg.session, doc, step: 'vector', vector: entry.vector() })
      }, from, 'digests')
      // A doc we lack: our (empty) vector asks for all of it; step 2 then creates it here.
      if (!held) this.o.steps.push(from, { type: 'syncDoc', session: msg.session, doc, step: 'vector', vector: new Map() })
    }
    msg.entries.forEach((e, i) => {
      const held = this.o.registry.get(e.doc) !== undefined || this.o.catalog.has(e.doc)
      if (held) hosted[i >> 3] = (hosted[i >> 3] as number) | (1 << (i & 7))
      if (!this.lacks(e.doc)) {
        const durable = this.o.catalog.get(e.doc)?.meta?.digest
        const covered = this.o.covered.has(e.doc, e.digest)
        if (covered || (durable !== undefined && equalBytes(durable.subarray(0, WIRE_DIGEST_BYTES), e.digest))) equal[i >> 3] = (equal[i >> 3] as number) | (1 << (i & 7))
        const ours = this.digestOf(e.doc)
        // A guest handing over a state we hold durably is answered by the `equal` bit alone; a co-home may
        // still lack what we have beyond it.
        if ((ours === undefined || !equalBytes(ours, e.digest)) && !(covered && msg.scope === 'handoff')) stepOne(e.doc, e.digest)
      } else if (msg.scope === 'handoff' || (msg.scope === 'shared' && this.o.placement.isHome(e.doc) && this.settled())) {
        stepOne(e.doc, e.digest)
      } else if (!held && hints.length < MAX_HINTS_PER_REPLY) {
        // A hint names a doc back (with up to 4 peers): charged as a doc worked for.
        if (!this.budget.has(from)) {
          this.drop(throttled)
          return
        }
        alive ??= aliveSet(this.o.peers)
        const peers = this.o.random.sample(this.o.hosts.hostsOf(e.doc, alive, from), SYNC_LIMITS.hintPeers)
        if (peers.length > 0 && this.budget.take(from)) hints.push({ doc: e.doc, peers })
      }
    })
    if (msg.scope === 'shared') {
      // The listing is complete for its buckets: what we hold there and it did not list, it lacks.
      const listedSet = new Set(listed)
      const complete = msg.full && msg.buckets.length === 0 ? undefined : bucketsNamed(msg.buckets, msg.groups ?? BUCKETS) // full: every bucket
      // A sender whose budget is spent does not get the scan of our shared docs either (O(docs held)): what
      // it lacks there is not compared, so the reply says it was trimmed.
      if (!this.budget.has(from)) throttled.scanSkipped = true
      else for (const d of this.sharedWith(from, complete)) if (!listedSet.has(d.name)) stepOne(d.name)
    }
    // The docs we name back cost the sender's budget too (a listing of nothing got a page of names).
    let others = msg.scope === 'plain' && msg.full && msg.page === 0 && this.budget.has(from) ? this.othersThan(new Set(listed)) : []
    if (others.length > 0) {
      const granted = this.budget.available(from, others.length)
      if (granted < others.length) {
        this.drop(throttled, others.length - granted)
        others = others.slice(0, granted)
      }
      this.budget.take(from, granted)
    }
    this.reportThrottled(from, throttled)
    // A doc left out while another exchange of it holds the claim was not compared with this sender either:
    // that exchange is with another peer (or another round with this one) and need not bring the sender our
    // copy before its round ends, so the round must not count toward its catch-up (test/replication/catch-up.test.ts).
    const trimmed = throttled.dropped > 0 || throttled.scanSkipped || throttled.claimed > 0
    this.o.link.send(from, { type: 'digestsReply', session: msg.session, page: msg.page, hosted, differing, others, hints, equal, durable: this.o.durable, ...(trimmed ? { trimmed } : {}), ...(open === undefined ? {} : { open }) })
  }

  /**
   * Responder of a compact handoff page: each doc is named by a 32-bit hash of its name and the first two
   * bytes of the guest's digest (6 bytes instead of ~30: after a heal, every guest copy is listed to each
   * of its R homes, and most are unchanged). A doc whose hash names one doc held here, and whose mark matches
   * the stored digest or a covered one, is marked `equal`; `proof` is a SHA-256 over the (name, digest) of
   * every doc so marked, which the guest recomputes from its own: equal proofs confirm them all, exactly as
   * equal 16-byte digests would (a mark or a name hash that matched by chance makes the proofs differ, and
   * the guest lists those docs in full). The others are synced as in a full handoff listing, or, for a hash
   * that names no single doc here, left to the full listing that follows.
   */
  private handleCompact (from: PeerId, msg: SyncMessageOf<'digests'>, page: CompactPage): void {
    const count = page.names.byteLength / COMPACT_NAME_BYTES
    const view = new DataView(page.names.buffer, page.names.byteOffset, page.names.byteLength)
    const hosted = new Uint8Array(Math.ceil(count / 8))
    const equal = new Uint8Array(hosted.byteLength)
    const unresolved = new Uint8Array(hosted.byteLength)
    const proven: Listed[] = []
    let differing = 0
    const throttled = { dropped: 0 }
    for (let i = 0; i < count; i++) {
      const bit = 1 << (i & 7)
      const doc = this.o.catalog.byNameHash(view.getUint32(i * COMPACT_NAME_BYTES))
      if (doc === undefined) {
        unresolved[i >> 3] = (unresolved[i >> 3] as number) | bit
        continue
      }
      hosted[i >> 3] = (hosted[i >> 3] as number) | bit
      const mark = page.marks.subarray(i * COMPACT_MARK_BYTES, (i + 1) * COMPACT_MARK_BYTES)
      const durable = this.o.catalog.get(doc)?.meta?.digest.subarray(0, WIRE_DIGEST_BYTES)
      const match = [durable, ...this.o.covered.digestsOf(doc)].find(d => d !== undefined && startsWith(d, mark))
      if (match !== undefined) {
        equal[i >> 3] = (equal[i >> 3] as number) | bit
        proven.push({ name: doc, digest: match })
        continue
      }
      // In memory with appends in flight: no answer (the next round confirms the stored state).
      const ours = this.digestOf(doc)
      if (ours !== undefined && startsWith(ours, mark)) continue
      if (!this.budget.has(from)) {
        this.drop(throttled)
        continue
      }
      if (!this.claim(doc, from, msg.session, 'responder')) continue
      this.budget.take(from)
      differing++
      const held = this.o.withDoc(doc, false, (entry) => {
        this.o.steps.push(from, { type: 'syncDoc', session: msg.session, doc, step: 'vector', vector: entry.vector() })
      }, from, 'digests')
      if (!held) this.o.steps.push(from, { type: 'syncDoc', session: msg.session, doc, step: 'vector', vector: new Map() })
    }
    this.reportThrottled(from, throttled)
    const proof = proven.length > 0 ? proofOf(proven) : new Uint8Array(0)
    this.o.link.send(from, { type: 'digestsReply', session: msg.session, page: msg.page, hosted, differing, others: [], hints: [], equal, durable: this.o.durable, unresolved, proof, ...(throttled.dropped > 0 ? { trimmed: true } : {}) })
  }

  /**
   * Initiator, compact page: equal proofs confirm every doc the responder marked equal; every doc not
   * confirmed so is listed to it in full from now on (a step 3 may still confirm it meanwhile).
   */
  private compactReplied (s: Session, page: readonly Listed[], msg: SyncMessageOf<'digestsReply'>): void {
    const marked: Listed[] = []
    page.forEach((doc, i) => {
      if (((msg.equal[i >> 3] as number) & (1 << (i & 7))) !== 0) marked.push(doc)
    })
    // Only a proof says the responder's docs are ours (a name hash may name another doc there): the
    // others learn who hosts them from their exchange, if one follows.
    const proven = marked.length > 0 && msg.proof !== undefined && equalBytes(proofOf(marked), msg.proof)
    if (proven) {
      for (const doc of marked) {
        this.o.hosts.add(s.peer, doc.name)
        this.confirmListed(doc, s.peer, msg.durable)
      }
    } else if (marked.length > 0) {
      this.o.counters.handoffProofsFailed++
    }
    const confirmed = new Set(proven ? marked.map(d => d.name) : [])
    for (const doc of page) if (!confirmed.has(doc.name)) this.listInFull(doc.name, s.peer)
    // Docs it holds none of (a new home) are listed in full at once, not a tick later.
    const unresolved = msg.unresolved
    if (unresolved !== undefined) this.startHandoff(s.peer, page.filter((_, i) => ((unresolved[i >> 3] as number) & (1 << (i & 7))) !== 0))
  }

  /** Initiator: learn what the responder hosts and holds durably, follow hints, account for the round. */
  handleDigestsReply (from: PeerId, msg: SyncMessageOf<'digestsReply'>): void {
    const s = this.sessions.get(msg.session)
    const page = s?.pages[msg.page]
    if (s === undefined || s.peer !== from || page === undefined || s.replied.has(msg.page) || msg.hosted.byteLength !== Math.ceil(page.length / 8)) {
      this.o.counters.unexpectedFrames++
      return
    }
    // The responder's budget for us was spent and it left docs of this page out: the round still ends, but
    // it did not compare every doc both home, so it does not count toward catch-up (`comparedWith`).
    if (msg.trimmed === true) s.whole = false
    if (s.compact.has(msg.page)) {
      this.compactReplied(s, page, msg)
      s.replied.add(msg.page)
      s.expected += msg.differing
      this.checkComplete(s)
      return
    }
    const marks = msg.open
    page.forEach((doc, i) => {
      const bit = 1 << (i & 7)
      if (((msg.hosted[i >> 3] as number) & bit) !== 0) this.o.hosts.add(from, doc.name, marks === undefined ? undefined : bitAt(marks, i))
      else if (s.scope === 'plain') {
        this.o.hosts.remove(from, doc.name)
        this.o.onAbsent?.(from, doc.name)
      }
      // It holds exactly what we listed, durably if its store is: a confirmation (the rebalancer's evidence).
      if (msg.equal.byteLength > 0 && ((msg.equal[i >> 3] as number) & bit) !== 0) this.confirmListed(doc, from, msg.durable)
    })
    for (const doc of msg.others) this.o.hosts.add(from, doc)
    s.replied.add(msg.page)
    s.expected += msg.differing
    if (msg.hints.length > 0) {
      const alive = aliveSet(this.o.peers)
      for (const hint of msg.hints) this.followHint(hint, alive)
    }
    this.checkComplete(s)
  }

  /**
   * The responder's stored copy has the digest we listed. That confirms our stored state if what we listed
   * was our stored digest (a loaded doc with appends in flight lists its in-memory digest: no confirmation).
   */
  private confirmListed (doc: Listed, from: PeerId, durable: boolean): void {
    const stored = this.o.catalog.get(doc.name)?.meta?.digest
    if (stored !== undefined && equalBytes(stored.subarray(0, WIRE_DIGEST_BYTES), doc.digest)) this.o.confirmed(doc.name, from, stored, durable)
  }

  handleSyncDoc (from: PeerId, msg: SyncDocMessage): void {
    // Step 2 may create the doc here (we asked for it with an empty vector); step 1 for a doc we lack
    // (shared round) creates it if we home it; step 3 only concerns a doc we sent step 2 for.
    const lacking = msg.step === 'vector' && this.lacks(msg.doc)
    // A doc the shared round offers (we home it) waits for a settled view; one we asked for (a plain round:
    // the app wants it) does not.
    const shared = this.sessions.get(msg.session)?.scope === 'shared'
    if (msg.step === 'vector' && lacking && shared && this.o.placement.isHome(msg.doc) && !this.settled()) {
      // The view is still settling: do not take this one up (but say so: the responder's claim ends).
      this.decline(from, msg)
      const s = this.session(msg.session, from)
      if (s !== undefined) {
        s.vectorsSeen++
        this.checkComplete(s)
      }
      return
    }
    // Handing a guest copy over we ask for nothing back, so nothing can arrive twice: answer at once, with no
    // claim. Waiting for our other exchanges of the doc (one per home) held the home's claim meanwhile, and
    // delayed whole handoff rounds past the session timeout (placement benchmark, 20 peers: step 1 came
    // 6–14 s after the listing).
    if (msg.step === 'vector' && this.handsOver(msg.doc, this.session(msg.session, from))) {
      this.takeUp(from, msg, true)
      return
    }
    if (msg.step === 'vector' && !this.claim(msg.doc, from, msg.session, 'initiator')) {
      const current = this.exchanging.get(msg.doc)
      // Under way with another peer, whose step 3 we wait for: answer once that is over.
      if (current?.role === 'initiator' && this.waitFor(from, msg, current.until)) return
      // We responded to another exchange of it and wait for its step 2 — which may itself wait on a
      // vector like this one: waiting here could close a cycle. Send what the responder lacks now, but
      // ask for nothing back (that exchange brings it): its claim ends at once. Unless the responder is a
      // home answering our plain listing (a fetch, a read repair): what it holds beyond our copy is what we
      // asked it for, and the other exchange (a reader fetching from us) brings none of it.
      const s = this.session(msg.session, from)
      const askNothing = !(s?.scope === 'plain' && this.o.placement.isHome(msg.doc, from))
      // Our round then brings nothing of the responder's copy: it did not compare the doc, and does not
      // count toward catch-up (the restarted home of seed 7 in catch-up.test.ts 'answered later').
      if (askNothing && s?.scope === 'shared') s.whole = false
      this.takeUp(from, msg, askNothing)
      return
    }
    this.takeUp(from, msg, false)
  }

  /**
   * Whether an exchange of `doc` in round `s` (ours; undefined once it timed out) hands a guest copy over: a
   * handoff round, or a round that timed out over a copy stored here that this peer does not home — its
   * homes' updates would only be sent to a copy about to be dropped (after a heal on a loaded machine, 154
   * such step 3s carried 200 KB, a third of what the homes lacked). Not a doc the app holds open here.
   */
  private handsOver (doc: string, s: Session | undefined): boolean {
    if (this.o.registry.get(doc)?.pinned === true) return false
    if (s !== undefined) return s.scope === 'handoff'
    return this.o.catalog.has(doc) && !this.o.placement.isHome(doc)
  }

  /** Handles a syncDoc message; `askNothing`: step 2 asks for nothing back (see handleSyncDoc). */
  private takeUp (from: PeerId, msg: SyncDocMessage, askNothing: boolean): void {
    // A doc new here comes with a step 2 only if we home it or asked for it (our step 1 to a listing of it);
    // any member's step 2 nobody asked for used to create a doc of its choosing here (up to maxDocs).
    const create = msg.step === 'diffAndVector'
      ? this.o.placement.isHome(msg.doc) || this.askedFor(msg.doc, from, msg.session)
      : msg.step === 'vector' && this.o.placement.isHome(msg.doc)
    const held = this.o.withDoc(msg.doc, create, (entry) => { this.syncStep(from, msg, entry, askNothing) }, from, 'syncDoc')
    if (!held) {
      this.o.counters.unhostedFrames++
      // Nothing here to go on with: the exchange is over. An unanswered step 1 held the responder's claim on
      // the doc until it timed out, and with it every other exchange of the doc there — a reader's fetch
      // from its homes, a guest's handoff — for 5 s after a heal (test/replication/declined-steps.test.ts).
      if (msg.step === 'vector') this.decline(from, msg)
      else this.release(msg.doc, from, msg.session)
      const s = this.session(msg.session, from)
      if (s !== undefined && msg.step === 'vector') {
        s.vectorsSeen++ // not ours to take: count it, so the round still completes
        this.checkComplete(s)
      }
    }
  }

  private syncStep (from: PeerId, msg: SyncDocMessage, entry: DocEntry, askNothing = false): void {
    // The sender hosts the doc — recorded only once its message passed validation: for a diff, once the
    // update applied (a rejected one throws DecodeError before any state here is touched).
    switch (msg.step) {
      case 'vector': {
        // We initiated: send what the responder lacks, and our vector so it sends what we lack.
        this.o.hosts.add(from, msg.doc)
        this.o.noteVector(from, msg.doc, msg.vector)
        this.o.onHosted?.(from, msg.doc, msg.vector.size === 0)
        const vector = entry.vector()
        const s = this.session(msg.session, from)
        if (s !== undefined && !s.awaiting.has(msg.doc)) {
          s.vectorsSeen++
          const durable = this.o.catalog.get(msg.doc)?.meta?.digest
          s.awaiting.set(msg.doc, { vector, durableDigest: entry.log.idle && !entry.log.failed ? durable : undefined })
        }
        // Asking for nothing: our vector merged with the responder's, so its step 3 carries only its vector.
        // A guest handing a doc over asks for nothing either, unless the app holds it open here: its copy is
        // dropped once the homes hold it, and what the home has beyond it would be sent for nothing — and
        // would change its digest, so that every home's confirmation had to be asked for again.
        const handingOver = s?.scope === 'handoff' && !entry.pinned
        const asked = askNothing || handingOver ? merge(vector, msg.vector) : vector
        // A doc a compact page listed: the responder has no digest of ours to note as covered once this is
        // durable there (as it does for a full listing); send the stored one this diff is computed from.
        const sent = s?.awaiting.get(msg.doc)
        if (sent !== undefined) sent.asked = asked
        const digest = s !== undefined && s.compactDocs.has(msg.doc) ? sent?.durableDigest?.subarray(0, WIRE_DIGEST_BYTES) : undefined
        this.o.steps.push(from, { type: 'syncDoc', session: msg.session, doc: msg.doc, step: 'diffAndVector', vector: asked, update: entry.diffFor(msg.vector), ...(digest === undefined ? {} : { digest }) })
        return
      }
      case 'diffAndVector': {
        // We responded: apply first, so the diff we send back excludes nothing the initiator just gave us;
        // answer once that is durable, with the vector as the wait began (it includes all of step 2).
        this.o.apply(entry, msg.update, from, false)
        this.o.hosts.add(from, msg.doc)
        this.o.noteVector(from, msg.doc, msg.vector)
        const held = entry.vector()
        entry.log.whenDurable((err) => {
          const claim = this.exchanging.get(msg.doc)
          const listed = claim?.peer === from && claim.session === msg.session ? claim.listed ?? msg.digest : undefined
          this.release(msg.doc, from, msg.session)
          if (err !== null || !entry.ready) return // not durable: no confirmation; the initiator retries
          // What the initiator listed is in what we just made durable (its step 2 was computed from a state
          // that includes it).
          if (listed !== undefined) this.o.covered.add(msg.doc, listed)
          // Holding all that step 2's vector names (what a diff against our vector brings, and ours), the
          // vector itself tells the initiator nothing it does not know: `covers` in its place. After a heal
          // each guest copy is handed over in such an exchange, and most step 3s carried nothing else
          // (~30 of their ~56 bytes were the vector).
          const covers = dominates(held, msg.vector)
          this.o.steps.push(from, { type: 'syncDoc', session: msg.session, doc: msg.doc, step: 'diff', update: entry.diffFor(msg.vector), vector: covers ? new Map() : held, durable: this.o.durable, ...(covers ? { covers } : {}) })
        })
        return
      }
      case 'diff': {
        // Applied before the claim ends: a vector that waited for this exchange is answered with it.
        try {
          this.o.apply(entry, msg.update, from, true)
        } finally {
          this.release(msg.doc, from, msg.session)
        }
        this.o.hosts.add(from, msg.doc)
        const s = this.session(msg.session, from)
        const sent = s?.awaiting.get(msg.doc)
        // `covers`: it holds at least the vector step 2 sent (unknown once the session is gone).
        const held = msg.covers === true ? sent?.asked : msg.vector
        if (held !== undefined) this.o.noteVector(from, msg.doc, held)
        if (s === undefined || sent === undefined) return
        s.awaiting.delete(msg.doc)
        // It holds everything step 2 carried: our whole delete set, and every insert up to `sent.vector`.
        if (sent.durableDigest !== undefined && held !== undefined && dominates(held, sent.vector)) this.o.confirmed(msg.doc, from, sent.durableDigest, msg.durable)
        s.synced.push(msg.doc)
        this.checkComplete(s)
      }
    }
  }

  /**
   * Whether this peer has nothing of `doc`: not stored, and not in memory with content (a doc being created
   * by a fetch under way, still loading or empty, counts as lacking: a second fetch would bring it twice).
   */
  private lacks (doc: string): boolean {
    if (this.o.catalog.has(doc)) return false
    const entry = this.o.registry.get(doc)
    return entry === undefined || !entry.ready || entry.vector().size === 0
  }

  /** Keeps a step-1 vector until the exchange of its doc under way is over (at the latest `until`); false if too many wait. */
  private waitFor (from: PeerId, msg: SyncDocMessage, until: number): boolean {
    let waiting = this.waitingVectors.get(msg.doc)
    if (waiting === undefined) {
      if (this.waitingVectors.size >= MAX_DEFERRED_PEERS) return false
      this.waitingVectors.set(msg.doc, waiting = [])
    }
    if (waiting.length >= MAX_DEFERRED_PEERS) return false
    waiting.push({ from, msg, until })
    this.waitTimer ??= this.o.clock.setTimeout(() => { this.answerOverdue() }, Math.max(1, until - this.o.clock.now()))
    return true
  }

  /** The exchange of `doc` is over: answer the first vector that waited for it (it claims the doc in turn). */
  private resumeWaiting (doc: string): void {
    const waiting = this.waitingVectors.get(doc)
    const next = waiting?.shift()
    if (waiting === undefined || next === undefined) return
    if (waiting.length === 0) this.waitingVectors.delete(doc)
    this.handleSyncDoc(next.from, next.msg)
  }

  /** Answers the vectors whose wait lapsed (the claim they waited on lapsed without a release); re-arms while others wait. */
  private answerOverdue (): void {
    this.waitTimer = undefined
    const now = this.o.clock.now()
    let next = Infinity
    for (const [doc, waiting] of [...this.waitingVectors]) {
      const overdue = waiting.filter(w => w.until <= now)
      const rest = waiting.filter(w => w.until > now)
      if (rest.length === 0) this.waitingVectors.delete(doc)
      else this.waitingVectors.set(doc, rest)
      for (const w of rest) next = Math.min(next, w.until)
      for (const w of overdue) this.handleSyncDoc(w.from, w.msg)
    }
    if (next !== Infinity) this.waitTimer = this.o.clock.setTimeout(() => { this.answerOverdue() }, Math.max(1, next - now))
  }

  /**
   * Answers a step 1 this peer will not take up with a step 2 that carries nothing and asks for nothing
   * (the responder's own vector): the responder ends its claim on the doc on it, as on any step 2.
   */
  private decline (to: PeerId, msg: SyncDocMessage & { step: 'vector' }): void {
    this.o.counters.stepsDeclined++
    this.o.steps.push(to, { type: 'syncDoc', session: msg.session, doc: msg.doc, step: 'diffAndVector', vector: msg.vector, update: NOTHING })
  }

  /** Marks the exchange of `doc` in `session` with `peer` as under way; false if another exchange of it is. */
  private claim (doc: string, peer: PeerId, session: number, role: 'initiator' | 'responder', listed?: Uint8Array): boolean {
    const now = this.o.clock.now()
    const current = this.exchanging.get(doc)
    if (current !== undefined && current.until > now && (current.peer !== peer || current.session !== session)) return false
    if (current === undefined && this.exchanging.size >= MAX_EXCHANGES) {
      // Swept at most every FULL_SWEEP_SPACING_MS: made-up names filling the table made every further
      // claim a scan of all 65,536 (30 listings of 4,096 new names: 33.8 s of CPU, 0.45 s swept so).
      if (now - this.sweptAt >= FULL_SWEEP_SPACING_MS) {
        this.sweptAt = now
        for (const [d, x] of this.exchanging) if (x.until <= now) this.exchanging.delete(d)
      }
      if (this.exchanging.size >= MAX_EXCHANGES) return true // too many to track: exchange, at worst twice
    }
    this.exchanging.set(doc, { peer, session, until: now + this.o.config.sessionTimeoutMs, role, ...(listed === undefined ? {} : { listed }) })
    return true
  }

  /** Whether this peer answered a listing of `doc` by `peer` in `session` with step 1 (it holds the responder's claim). */
  private askedFor (doc: string, peer: PeerId, session: number): boolean {
    const current = this.exchanging.get(doc)
    return current?.peer === peer && current.session === session && current.role === 'responder'
  }

  private release (doc: string, peer: PeerId, session: number): void {
    const current = this.exchanging.get(doc)
    if (current?.peer !== peer || current.session !== session) return
    this.exchanging.delete(doc)
    this.resumeWaiting(doc)
  }

  /** Forgets rounds older than the session timeout. */
  expire (): void {
    const deadline = this.o.clock.now() - this.o.config.sessionTimeoutMs
    let expired = false
    for (const [id, s] of this.sessions) {
      if (s.startedAt < deadline) {
        this.sessions.delete(id)
        this.o.counters.antiEntropyTimedOut++
        expired = true
      }
    }
    if (expired) this.drainFetches()
  }

  clear (): void {
    this.listed = false
    this.sessions.clear()
    this.deferred.clear()
    this.toFetch.clear()
    this.fetchWaiting.clear()
    this.waitingVectors.clear()
    this.waitTimer?.cancel()
    this.waitTimer = undefined
    this.summaries.clear()
    this.exchanging.clear()
    this.inFull.clear()
    this.budget.clear()
    this.sweptAt = Number.NEGATIVE_INFINITY
    this.arrived.clear()
    this.handoffAt = Number.NEGATIVE_INFINITY
    this.fetchTimer?.cancel()
    this.fetchTimer = undefined
    this.boostTimer?.cancel()
    this.boostTimer = undefined
    this.aliveTimer?.cancel()
    this.aliveTimer = undefined
    this.aliveLine.clear()
  }

  private session (id: number, from: PeerId): Session | undefined {
    const s = this.sessions.get(id)
    return s?.peer === from ? s : undefined
  }

  private checkComplete (s: Session): void {
    if (s.summaryPending || s.replied.size < s.pages.length || s.vectorsSeen < s.expected || s.awaiting.size > 0) return
    this.sessions.delete(s.id)
    this.o.counters.antiEntropyCompleted++
    if (s.whole) (s.partnerCatchingUp ? this.comparedStale : this.comparedWith)?.add(s.peer)
    this.o.onSynced(s.peer, s.synced, this.o.clock.now() - s.startedAt)
    this.drainFetches()
  }

  /** A responder said `hint.peers` host a doc we host: if we know no live host of it, sync with them. */
  private followHint (hint: HostHint, alive: ReadonlySet<PeerId>): void {
    const digest = this.digestOf(hint.doc)
    if (digest === undefined) return
    if (this.o.hosts.hostsOf(hint.doc, alive).length > 0) return
    for (const peer of hint.peers) {
      if (peer === this.o.localId || !alive.has(peer)) continue
      this.o.hosts.add(peer, hint.doc)
      this.startRound(peer, [{ name: hint.doc, digest }], 'plain', false)
    }
  }

  /** Our docs not in `listed`, as many as fit one reply. */
  private othersThan (listed: ReadonlySet<string>): string[] {
    const out: string[] = []
    let bytes = 0
    for (const { name: doc } of this.held()) {
      if (listed.has(doc)) continue
      const size = nameBytes(doc)
      if (out.length >= SYNC_LIMITS.docsPerFrame || bytes + size > this.o.pageBytes) break
      out.push(doc)
      bytes += size
    }
    return out
  }

  /**
   * Splits `entries` into pages within the byte budget and SYNC_LIMITS, at most `maxDocsPerRound` docs.
   * Past that the rest is left out of this round (`truncated`); the start is rotated at random so every
   * doc gets its turn.
   */
  private paginate (entries: readonly Listed[], marked: boolean): { pages: Listed[][], pageBuckets: number[][], truncated: boolean } {
    let ordered = entries
    const cap = Math.min(this.o.config.maxDocsPerRound, SYNC_LIMITS.pages * SYNC_LIMITS.docsPerFrame)
    if (entries.length > cap) {
      const start = this.o.random.int(entries.length)
      ordered = [...entries.slice(start), ...entries.slice(0, start)].slice(0, cap)
    }
    const pages: Listed[][] = [[]]
    let bytes = 0
    for (const e of ordered) {
      const size = digestEntryBytes(e.name)
      let page = pages[pages.length - 1] as Listed[]
      // The `open` bitmap of a plain page takes one more byte every 8 docs (and its field header).
      const marks = marked ? fieldBytes(Math.ceil((page.length + 1) / 8)) : 0
      if (page.length > 0 && (bytes + size + marks > this.o.pageBytes || page.length >= SYNC_LIMITS.docsPerFrame)) {
        if (pages.length >= SYNC_LIMITS.pages) return { pages, pageBuckets: [], truncated: true }
        page = []
        pages.push(page)
        bytes = 0
      }
      page.push(e)
      bytes += size
    }
    return { pages, pageBuckets: [], truncated: ordered.length < entries.length }
  }

  /**
   * Pages of whole buckets (a page says which buckets it lists completely), from `buckets` (all when
   * empty), at most `maxDocsPerRound` docs: buckets that do not fit wait for a later round, starting from a
   * random one so every bucket gets its turn. A single bucket larger than a page is cut (not listed as complete).
   */
  private paginateBuckets (items: readonly Listed[], buckets: readonly number[]): { pages: Listed[][], pageBuckets: number[][], truncated: boolean } {
    const wanted = buckets.length > 0 ? buckets : Array.from({ length: BUCKETS }, (_, b) => b)
    const byBucket = new Map<number, Listed[]>()
    for (const item of items) {
      const b = bucketOf(item.name)
      let list = byBucket.get(b)
      if (list === undefined) {
        list = []
        byBucket.set(b, list)
      }
      list.push(item)
    }
    const start = this.o.random.int(wanted.length)
    const order = [...wanted.slice(start), ...wanted.slice(0, start)]
    const pages: Listed[][] = [[]]
    const pageBuckets: number[][] = [[]]
    let bytes = 0
    let docs = 0
    let truncated = false
    for (const b of order) {
      const list = byBucket.get(b) ?? []
      const size = list.reduce((n, e) => n + digestEntryBytes(e.name), 0)
      if (docs > 0 && docs + list.length > this.o.config.maxDocsPerRound) {
        truncated = true
        break
      }
      let page = pages[pages.length - 1] as Listed[]
      if (page.length > 0 && (bytes + size > this.o.pageBytes || page.length + list.length > SYNC_LIMITS.docsPerFrame)) {
        if (pages.length >= SYNC_LIMITS.pages) {
          truncated = true
          break
        }
        page = []
        pages.push(page)
        pageBuckets.push([])
        bytes = 0
      }
      if (list.length > SYNC_LIMITS.docsPerFrame || size > this.o.pageBytes) {
        // One oversized bucket: send what fits, and do not claim it complete.
        let fit = 0
        let fitBytes = 0
        for (const e of list) {
          const s = digestEntryBytes(e.name)
          if (page.length + fit >= SYNC_LIMITS.docsPerFrame || bytes + fitBytes + s > this.o.pageBytes) break
          fit++
          fitBytes += s
        }
        page.push(...list.slice(0, fit))
        bytes += fitBytes
        docs += fit
        truncated = true
        continue
      }
      page.push(...list)
      ;(pageBuckets[pageBuckets.length - 1] as number[]).push(b)
      bytes += size
      docs += list.length
    }
    return { pages, pageBuckets, truncated }
  }
}

/** A bitmap of `n` bits, bit i set ⇔ `set(i)` (bit i is bit i & 7 of byte i >> 3, as `hosted` is). */
function bitmapOf (n: number, set: (i: number) => boolean): Uint8Array {
  const out = new Uint8Array(Math.ceil(n / 8))
  for (let i = 0; i < n; i++) if (set(i)) out[i >> 3] = (out[i >> 3] as number) | (1 << (i & 7))
  return out
}

function bitAt (bitmap: Uint8Array, i: number): boolean {
  return ((bitmap[i >> 3] ?? 0) & (1 << (i & 7))) !== 0
}
