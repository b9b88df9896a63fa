/**
 * Pull anti-entropy (Demers et al., "Epidemic algorithms for replicated database maintenance", push-pull
 * variant), made cheap when idle by comparing digests first:
 *
 *   initiator A                                   responder B
 *   Digests{session, page, entries: doc+digest} →            (all docs A hosts, paged)
 *                                               ← DigestsReply{hosted bitmap, differing, others, hints}
 *                                               ← SyncDoc step 1 {doc, B's vector}    (each doc that differs)
 *   SyncDoc step 2 {B's missing diff, A's vector} →
 *                                               ← SyncDoc step 3 {A's missing diff}
 *
 * An idle round is two small frames. The digest covers the delete set, so a delete-only difference is
 * found even though the vectors are equal; the diffs (`encodeStateAsUpdate(doc, vector)`) always carry
 * the sender's whole delete set, so both sides end with the union. The handshake doubles as hosting
 * discovery: each side learns which docs the other hosts (host-directory.ts), and a responder that does
 * not host a listed doc hints at peers that do.
 *
 * The responder keeps no state; the initiator keeps one bounded Session per round to report completion.
 */
import type { Clock, Timer } from '../core/clock.js'
import type { Random } from '../core/random.js'
import type { PeerId } from '../core/transport.js'
import { SYNC_LIMITS, digestEntryBytes, nameBytes } from './codec.js'
import type { HostHint, SyncDocMessage, SyncMessageOf } from './codec.js'
import type { DocCatalog } from './catalog.js'
import type { ReplicationConfig } from './config.js'
import type { DocEntry } from './doc-entry.js'
import type { DocRegistry } from './doc-registry.js'
import type { HostDirectory } from './host-directory.js'
import type { ReplicatorCounters } from './stats.js'
import type { PeerDirectory } from '../core/directory.js'
import type { SyncLink } from './sync-link.js'
import { WIRE_DIGEST_BYTES } from './version-vector.js'
import type { VersionVector } from './version-vector.js'

export interface AntiEntropyOptions {
  localId: PeerId
  link: SyncLink
  registry: DocRegistry
  catalog: DocCatalog
  hosts: HostDirectory
  peers: PeerDirectory
  random: Random
  clock: Clock
  config: ReplicationConfig
  counters: ReplicatorCounters
  /** Byte budget of one Digests page (stays below the chunk size: listings are never chunked). */
  pageBytes: number
  /**
   * Runs `fn` once `name` is loaded (at once if it is; after loading it if this peer holds it). False if
   * this peer does not hold it. Errors `fn` throws are handled as those of a message `type` from `from`.
   */
  withDoc(name: string, fn: (entry: DocEntry) => void, from: PeerId, type: 'digests' | 'syncDoc'): boolean
  /** Applies a remote diff to `entry` (throws DecodeError on a malformed update). */
  apply(entry: DocEntry, update: Uint8Array, from: PeerId): void
  /** A peer told us its vector of `doc` (flush uses it to send smaller diffs). */
  noteVector(peer: PeerId, doc: string, vector: VersionVector): void
  onSynced(peer: PeerId, docs: readonly string[], durationMs: number): void
}

/** A doc as a listing names it: with the digest this peer has of it (in memory, else in the store). */
export interface Listed {
  readonly name: string
  readonly digest: Uint8Array
}

interface Session {
  readonly id: number
  readonly peer: PeerId
  readonly startedAt: number
  /** Doc names listed, per page (the reply's bitmap refers to them). */
  readonly pages: readonly string[][]
  readonly replied: Set<number>
  /** Step-1 frames the replies announced, and how many arrived. */
  expected: number
  vectorsSeen: number
  /** Docs whose step 3 (our missing diff) we still wait for. */
  readonly awaiting: Set<string>
  readonly synced: string[]
}

/** Hints per reply: enough to find a doc's hosts quickly, small enough to keep replies small. */
const MAX_HINTS_PER_REPLY = 64
/** Members remembered while docs load; the rest are reached by periodic rounds. */
const MAX_DEFERRED_PEERS = 256
const UINT32 = 0x1_0000_0000

export class AntiEntropy {
  private readonly sessions = new Map<number, Session>()
  /** Members that came alive before the store's list of docs was read. */
  private readonly deferred = new Set<PeerId>()
  /** The store's list of docs has been read (until then a full listing would be incomplete). */
  private listed = false
  /** Docs opened since the last fetch batch. */
  private readonly toFetch = new Set<DocEntry>()
  private fetchTimer: Timer | undefined
  private nextSession: number

  constructor (private readonly o: AntiEntropyOptions) {
    // A random start, so that a restarted peer's new sessions are unlikely to match stale replies.
    this.nextSession = o.random.int(UINT32)
  }

  get outstanding (): number {
    return this.sessions.size
  }

  /** The periodic round: one random live partner, preferring known co-hosts of our docs. */
  tick (): void {
    this.expire()
    if (!this.listed) return
    const aliveList = this.o.peers.alivePeers()
    const alive = new Set(aliveList)
    this.o.hosts.prune(alive)
    const items = this.held()
    if (items.length === 0 || aliveList.length === 0) return
    let candidates = aliveList
    if (this.o.random.next() >= this.o.config.discoveryRatio) {
      const coHosts = this.o.hosts.coHosts(items.map(e => e.name), alive)
      if (coHosts.length > 0) candidates = coHosts
    }
    const partner = candidates[this.o.random.int(candidates.length)]
    if (partner !== undefined) this.startRound(partner, items, true)
  }

  /**
   * Every doc this peer holds — loaded or only in the store — with its digest: in memory if loaded, else
   * the store's. Docs whose digest is not known yet (being read for the first time) are left out.
   */
  held (): Listed[] {
    const out: Listed[] = []
    for (const e of this.o.catalog.values()) {
      const entry = this.o.registry.ready(e.name)
      if (entry !== undefined) out.push({ name: e.name, digest: entry.wireDigest() })
      else if (e.digest !== undefined) out.push({ name: e.name, digest: e.digest.subarray(0, WIRE_DIGEST_BYTES) })
    }
    for (const entry of this.o.registry.readyEntries()) {
      if (!this.o.catalog.has(entry.name)) out.push({ name: entry.name, digest: entry.wireDigest() })
    }
    return out
  }

  /** The digest this peer has of `name` for a listing, or undefined if it does not hold it (or does not know it yet). */
  private digestOf (name: string): Uint8Array | undefined {
    const entry = this.o.registry.ready(name)
    if (entry !== undefined) return entry.wireDigest()
    return this.o.catalog.get(name)?.digest?.subarray(0, WIRE_DIGEST_BYTES)
  }

  /** A round over every doc held, with `peer` now. */
  startFullRound (peer: PeerId): boolean {
    const items = this.held()
    return items.length > 0 && this.startRound(peer, items, true)
  }

  /**
   * A member became alive (joined, refuted, partition healed): sync with it at once — or, before the
   * store's list of docs was read (a restart: membership rejoins faster than the store lists), once it is.
   */
  peerAlive (peer: PeerId): void {
    if (this.listed) this.startFullRound(peer)
    else if (this.deferred.size < MAX_DEFERRED_PEERS) this.deferred.add(peer)
  }

  /** The store's list of docs is in the catalog: sync with the members that came alive meanwhile. */
  catalogListed (): void {
    this.listed = true
    const peers = [...this.deferred]
    this.deferred.clear()
    const alive = new Set(this.o.peers.alivePeers())
    for (const peer of peers) if (alive.has(peer)) this.peerAlive(peer)
  }

  /**
   * A doc was just opened: ask for it — every live peer while there are at most `pushAllMaxHosts` of them,
   * else known hosts, or random live peers when none is known yet. A round's Digests tell its receiver that
   * we host the doc, so asking everyone in a small mesh also announces us at once: the next write anywhere
   * is pushed to us directly, instead of reaching us only by anti-entropy until our partners found out.
   * Docs opened together are batched: one round per peer, not one per doc.
   */
  fetch (entry: DocEntry): void {
    this.toFetch.add(entry)
    this.fetchTimer ??= this.o.clock.setTimeout(() => { this.fetchBatch() }, 0)
  }

  private fetchBatch (): void {
    this.fetchTimer = undefined
    const entries = [...this.toFetch].filter(e => e.ready)
    this.toFetch.clear()
    const aliveList = this.o.peers.alivePeers()
    const alive = new Set(aliveList)
    const perPeer = new Map<PeerId, Listed[]>()
    const everyone = aliveList.length <= this.o.config.pushAllMaxHosts
    for (const entry of entries) {
      const known = this.o.hosts.hostsOf(entry.name, alive)
      const targets = everyone ? aliveList : this.o.random.sample(known.length > 0 ? known : aliveList, this.o.config.fetchFanout)
      for (const peer of targets) {
        perPeer.set(peer, [...perPeer.get(peer) ?? [], { name: entry.name, digest: entry.wireDigest() }])
      }
    }
    for (const [peer, docs] of perPeer) this.startRound(peer, docs, false)
  }

  /** Starts a round with `peer` over `items` (`full`: they are all our docs). Returns false if skipped. */
  startRound (peer: PeerId, items: readonly Listed[], full: boolean): boolean {
    if (peer === this.o.localId) return false
    this.expire()
    if (this.sessions.size >= this.o.config.maxSessions) {
      this.o.counters.antiEntropySkipped++
      return false
    }
    const { pages, truncated } = this.paginate(items)
    const id = this.nextSession
    this.nextSession = (this.nextSession + 1) % UINT32
    this.sessions.set(id, {
      id,
      peer,
      startedAt: this.o.clock.now(),
      pages: pages.map(p => p.map(e => e.name)),
      replied: new Set(),
      expected: 0,
      vectorsSeen: 0,
      awaiting: new Set(),
      synced: []
    })
    this.o.counters.antiEntropyRounds++
    pages.forEach((page, index) => {
      this.o.link.send(peer, {
        type: 'digests',
        session: id,
        page: index,
        pages: pages.length,
        full: full && !truncated,
        entries: page.map(e => ({ doc: e.name, digest: e.digest }))
      })
    })
    return true
  }

  /** Responder: compare, answer, and start step 1 for every doc that differs. */
  handleDigests (from: PeerId, msg: SyncMessageOf<'digests'>): void {
    const listed = msg.entries.map(e => e.doc)
    if (msg.full) this.o.hosts.notePage(from, msg.session, msg.page, msg.pages, listed)
    else for (const doc of listed) this.o.hosts.add(from, doc)
    const hosted = new Uint8Array(Math.ceil(msg.entries.length / 8))
    const hints: HostHint[] = []
    let alive: Set<PeerId> | undefined
    let differing = 0
    msg.entries.forEach((e, i) => {
      if (this.o.registry.get(e.doc) !== undefined || this.o.catalog.has(e.doc)) {
        hosted[i >> 3] = (hosted[i >> 3] as number) | (1 << (i & 7))
        const ours = this.digestOf(e.doc)
        if (ours !== undefined && !equalBytes(ours, e.digest)) {
          // Step 1 once the doc is in memory (at once if it is): the initiator waits for `differing` of them.
          differing++
          this.o.withDoc(e.doc, (entry) => {
            this.sendSync(from, { type: 'syncDoc', session: msg.session, doc: e.doc, step: 'vector', vector: entry.vector() })
          }, from, 'digests')
        }
      } else if (hints.length < MAX_HINTS_PER_REPLY) {
        alive ??= new Set(this.o.peers.alivePeers())
        const peers = this.o.random.sample(this.o.hosts.hostsOf(e.doc, alive, from), SYNC_LIMITS.hintPeers)
        if (peers.length > 0) hints.push({ doc: e.doc, peers })
      }
    })
    const others = msg.full && msg.page === 0 ? this.othersThan(new Set(listed)) : []
    this.o.link.send(from, { type: 'digestsReply', session: msg.session, page: msg.page, hosted, differing, others, hints })
  }

  /** Initiator: learn what the responder hosts, follow hints, account for the round. */
  handleDigestsReply (from: PeerId, msg: SyncMessageOf<'digestsReply'>): void {
    const s = this.sessions.get(msg.session)
    const page = s?.pages[msg.page]
    if (s === undefined || s.peer !== from || page === undefined || s.replied.has(msg.page) || msg.hosted.byteLength !== Math.ceil(page.length / 8)) {
      this.o.counters.unexpectedFrames++
      return
    }
    page.forEach((doc, i) => {
      if (((msg.hosted[i >> 3] as number) & (1 << (i & 7))) !== 0) this.o.hosts.add(from, doc)
      else this.o.hosts.remove(from, doc)
    })
    for (const doc of msg.others) this.o.hosts.add(from, doc)
    s.replied.add(msg.page)
    s.expected += msg.differing
    for (const hint of msg.hints) this.followHint(hint)
    this.checkComplete(s)
  }

  handleSyncDoc (from: PeerId, msg: SyncDocMessage): void {
    const held = this.o.withDoc(msg.doc, (entry) => { this.syncStep(from, msg, entry) }, from, 'syncDoc')
    if (!held) this.o.counters.unhostedFrames++
  }

  private syncStep (from: PeerId, msg: SyncDocMessage, entry: DocEntry): void {
    // The sender hosts the doc — recorded only once its message passed validation: for a diff, once the
    // update applied (a rejected one throws DecodeError before any state here is touched).
    switch (msg.step) {
      case 'vector': {
        // We initiated: send what the responder lacks, and our vector so it sends what we lack.
        this.o.hosts.add(from, msg.doc)
        this.o.noteVector(from, msg.doc, msg.vector)
        const s = this.session(msg.session, from)
        if (s !== undefined && !s.awaiting.has(msg.doc)) {
          s.vectorsSeen++
          s.awaiting.add(msg.doc)
        }
        this.sendSync(from, { type: 'syncDoc', session: msg.session, doc: msg.doc, step: 'diffAndVector', vector: entry.vector(), update: entry.diffFor(msg.vector) })
        return
      }
      case 'diffAndVector':
        // We responded: apply first, so the diff we send back excludes nothing the initiator just gave us.
        this.o.apply(entry, msg.update, from)
        this.o.hosts.add(from, msg.doc)
        this.o.noteVector(from, msg.doc, msg.vector)
        this.sendSync(from, { type: 'syncDoc', session: msg.session, doc: msg.doc, step: 'diff', update: entry.diffFor(msg.vector) })
        return
      case 'diff': {
        this.o.apply(entry, msg.update, from)
        this.o.hosts.add(from, msg.doc)
        const s = this.session(msg.session, from)
        if (s !== undefined && s.awaiting.delete(msg.doc)) {
          s.synced.push(msg.doc)
          this.checkComplete(s)
        }
      }
    }
  }

  /** Forgets rounds older than the session timeout. */
  expire (): void {
    const deadline = this.o.clock.now() - this.o.config.sessionTimeoutMs
    for (const [id, s] of this.sessions) {
      if (s.startedAt < deadline) {
        this.sessions.delete(id)
        this.o.counters.antiEntropyTimedOut++
      }
    }
  }

  clear (): void {
    this.listed = false
    this.sessions.clear()
    this.deferred.clear()
    this.toFetch.clear()
    this.fetchTimer?.cancel()
    this.fetchTimer = undefined
  }

  private session (id: number, from: PeerId): Session | undefined {
    const s = this.sessions.get(id)
    return s?.peer === from ? s : undefined
  }

  private sendSync (to: PeerId, msg: SyncDocMessage): void {
    const bytes = this.o.link.send(to, msg)
    if (msg.step !== 'vector' && bytes > 0) {
      this.o.counters.diffsSent++
      this.o.counters.diffBytesSent += msg.update.byteLength
    }
  }

  private checkComplete (s: Session): void {
    if (s.replied.size < s.pages.length || s.vectorsSeen < s.expected || s.awaiting.size > 0) return
    this.sessions.delete(s.id)
    this.o.counters.antiEntropyCompleted++
    this.o.onSynced(s.peer, s.synced, this.o.clock.now() - s.startedAt)
  }

  /** A responder said `hint.peers` host a doc we host: if we know no live host of it, sync with them. */
  private followHint (hint: HostHint): void {
    const digest = this.digestOf(hint.doc)
    if (digest === undefined) return
    const alive = new Set(this.o.peers.alivePeers())
    if (this.o.hosts.hostsOf(hint.doc, alive).length > 0) return
    for (const peer of hint.peers) {
      if (peer === this.o.localId || !alive.has(peer)) continue
      this.o.hosts.add(peer, hint.doc)
      this.startRound(peer, [{ name: hint.doc, digest }], false)
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
   * Splits `entries` into pages within the byte budget and SYNC_LIMITS. Past SYNC_LIMITS.pages the rest is
   * left out of this round (`truncated`); the start is rotated at random so every doc gets its turn.
   */
  private paginate (entries: readonly Listed[]): { pages: Listed[][], truncated: boolean } {
    let ordered = entries
    if (entries.length > SYNC_LIMITS.docsPerFrame) {
      const start = this.o.random.int(entries.length)
      ordered = [...entries.slice(start), ...entries.slice(0, start)]
    }
    const pages: Listed[][] = [[]]
    let bytes = 0
    for (const e of ordered) {
      const size = digestEntryBytes(e.name)
      let page = pages[pages.length - 1] as Listed[]
      if (page.length > 0 && (bytes + size > this.o.pageBytes || page.length >= SYNC_LIMITS.docsPerFrame)) {
        if (pages.length >= SYNC_LIMITS.pages) return { pages, truncated: true }
        page = []
        pages.push(page)
        bytes = 0
      }
      page.push(e)
      bytes += size
    }
    return { pages, truncated: false }
  }
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
