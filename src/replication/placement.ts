/**
 * Placement: which R peers are a document's homes. Rendezvous hashing (highest random weight; Thaler &
 * Ravishankar, "Using name-based mappings to increase hit rates", IEEE/ACM ToN 1998): every member gets a
 * pseudo-random score for the doc, the R highest scores are its homes, and the whole ranking is its
 * preference list (Dynamo §4.3: where writes go when a home is unreachable, and who covers for it).
 *
 * Why rendezvous rather than a consistent-hash ring with virtual nodes (Dynamo, Cassandra):
 *  - Minimal movement is exact, not approximate: when a peer joins, a doc moves only if the newcomer
 *    scores in its top R — R·D/(N+1) docs in expectation, the ideal; when a peer leaves, only its own docs
 *    move, each to the next peer of its ranking. A ring moves the same amount only on average over its
 *    vnodes, and its hand-offs go to ring neighbours, not spread over everyone.
 *  - Balance needs no tuning: each peer's share is binomial around R·D/N (max/mean ≈ 1.06 at N = 20,
 *    D = 10,000, R = 3). A ring needs ~100+ vnodes per peer to get close (arc-length deviation ~1/√V),
 *    plus state to keep consistent.
 *  - The membership view is the only input: two peers with the same view agree on every doc, with no ring
 *    to gossip or version.
 * The price is O(N) per lookup (a score per member) instead of O(log(N·V)): a few µs at N = 50, ~50 µs at
 * N = 1,000, paid once per doc per membership change (results are cached until the member set changes).
 *
 * Members are the peers membership considers active (alive or suspect, this one included): a suspicion
 * that is refuted moves nothing; a peer declared dead or left hands its docs to the next of each ranking.
 */
import { FNV_OFFSET, FNV_PRIME, fmix32 } from '../core/hash.js'
import type { PeerId } from '../core/transport.js'

/** Default number of homes of a document. */
export const DEFAULT_REPLICAS = 3
/** Bits per member index in the packed homes cache: up to 1,023 members, R ≤ 5 (52 bits). */
const PACK_BITS = 10

/** Two independent 32-bit hashes of a string's UTF-16 code units (a 64-bit name hash). */
export function hashName (s: string): readonly [number, number] {
  let a = FNV_OFFSET ^ s.length
  let b = 0x9747b28c ^ Math.imul(s.length, 0x27d4eb2f)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    a = Math.imul(a ^ c, FNV_PRIME)
    b = Math.imul((b ^ c) + 0x6b43a9b5, 0x5bd1e995)
    b ^= b >>> 15
  }
  return [fmix32(a), fmix32(b ^ Math.imul(a, 0x9e3779b1))]
}

/**
 * The score of (doc, peer): 53 pseudo-random bits from both names' hashes. Independent across peers for
 * one doc (that is what spreads docs evenly) and across docs for one peer.
 */
export function score (doc: readonly [number, number], peer: readonly [number, number]): number {
  const hi = fmix32((doc[0] ^ peer[0]) + Math.imul(doc[1], 0x9e3779b1))
  const lo = fmix32((doc[1] ^ peer[1]) + Math.imul(hi ^ doc[0], 0x85ebca6b))
  return hi * 0x200000 + (lo >>> 11)
}

interface Member {
  readonly id: PeerId
  readonly hash: readonly [number, number]
}

/** Members of a placement, ranked for one doc: highest score first, ties (practically never) by id. */
export function rank (docHash: readonly [number, number], members: readonly Member[], count = members.length): PeerId[] {
  const scored = members.map(m => ({ id: m.id, s: score(docHash, m.hash) }))
  if (count < scored.length) {
    // Partial selection: only the top `count` need ordering (count is R, usually 3).
    const top: Array<{ id: PeerId, s: number }> = []
    for (const x of scored) {
      if (top.length < count) {
        top.push(x)
        top.sort(byScore)
      } else if (byScore(x, top[count - 1] as { id: PeerId, s: number }) < 0) {
        top[count - 1] = x
        top.sort(byScore)
      }
    }
    return top.map(x => x.id)
  }
  return scored.sort(byScore).map(x => x.id)
}

function byScore (a: { id: PeerId, s: number }, b: { id: PeerId, s: number }): number {
  return b.s - a.s || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** What `Placement.describe` reports (GET /placement). */
export interface PlacementInfo {
  scheme: 'rendezvous'
  replicas: number
  /** The members placement ranks over (this peer included), sorted. */
  members: PeerId[]
  /** Bumped whenever the member set changes. */
  version: number
}

/**
 * The placement as this peer sees it: its member set (kept in step with membership by the replicator),
 * and R. Lookups are cached per doc until the member set changes.
 */
export class Placement {
  private members: Member[]
  private readonly ids = new Set<PeerId>()
  private readonly hashes = new Map<PeerId, readonly [number, number]>()
  /**
   * Homes per doc, packed: member indexes, PACK_BITS each, in one number (cleared on every member change).
   * A number per doc instead of an array keeps a peer holding 100,000 docs ~10 MB lighter.
   */
  private readonly cache = new Map<string, number>()
  private readonly index = new Map<PeerId, number>()
  /** Bumped whenever the member set changes. */
  version = 0
  /** When the member set last changed (clock time of the caller's choosing). */
  changedAt = Number.NEGATIVE_INFINITY

  constructor (readonly localId: PeerId, readonly replicas: number, private readonly maxCached = 200_000) {
    this.members = [this.member(localId)]
    this.ids.add(localId)
    this.index.set(localId, 0)
  }

  get size (): number {
    return this.members.length
  }

  /**
   * Replaces the member set (this peer is always a member) at time `now`. Returns the members that left it,
   * or undefined if nothing changed.
   */
  setMembers (others: Iterable<PeerId>, now = 0): PeerId[] | undefined {
    const next = new Set<PeerId>([this.localId, ...others])
    let same = next.size === this.ids.size
    if (same) for (const id of next) if (!this.ids.has(id)) { same = false; break }
    if (same) return undefined
    const gone = [...this.ids].filter(id => !next.has(id))
    this.ids.clear()
    for (const id of next) this.ids.add(id)
    this.members = [...next].map(id => this.member(id))
    this.index.clear()
    this.members.forEach((m, i) => { this.index.set(m.id, i) })
    this.version++
    this.changedAt = now
    this.cache.clear()
    return gone
  }

  isMember (id: PeerId): boolean {
    return this.ids.has(id)
  }

  /** The doc's homes: the top R of its ranking (every member when there are at most R). */
  homes (doc: string): PeerId[] {
    const r = Math.min(this.replicas, this.members.length)
    const packable = r * PACK_BITS <= 52 && this.members.length < 2 ** PACK_BITS
    const cached = packable ? this.cache.get(doc) : undefined
    if (cached !== undefined) return this.unpack(cached, r)
    const homes = rank(hashName(doc), this.members, r)
    if (packable) {
      if (this.cache.size >= this.maxCached) this.cache.clear()
      let packed = 0
      for (const h of homes) packed = packed * 2 ** PACK_BITS + (this.index.get(h) as number)
      this.cache.set(doc, packed)
    }
    return homes
  }

  private unpack (packed: number, r: number): PeerId[] {
    const out = new Array<PeerId>(r)
    for (let i = r - 1; i >= 0; i--) {
      out[i] = (this.members[packed % 2 ** PACK_BITS] as Member).id
      packed = Math.floor(packed / 2 ** PACK_BITS)
    }
    return out
  }

  isHome (doc: string, peer: PeerId = this.localId): boolean {
    return this.homes(doc).includes(peer)
  }

  /** Every member, ranked for `doc`: the homes first, then who covers for them (Dynamo's preference list). */
  preferenceList (doc: string): PeerId[] {
    return rank(hashName(doc), this.members)
  }

  describe (): PlacementInfo {
    return { scheme: 'rendezvous', replicas: this.replicas, members: [...this.ids].sort(), version: this.version }
  }

  private member (id: PeerId): Member {
    let hash = this.hashes.get(id)
    if (hash === undefined) {
      hash = hashName(id)
      this.hashes.set(id, hash)
    }
    return { id, hash }
  }
}
