/**
 * Push-pull anti-entropy (SWIM's full-state exchange, memberlist's pushPullNode): send our whole member
 * table, in pages that fit the frame limit, and merge the other side's. Used on join, periodically, and to
 * re-try dead members and seeds (partition healing). Replies are matched to requests by sequence number
 * and sender; an unsolicited reply is refused.
 *
 * A large state is paced (issue 10, defect 3). Queued all at once, the pages of a state above the
 * transport's 2 MiB drop-oldest queue lost their first pages — page 0 first, which asks for the reply
 * (and which a join waits for) — and above 4 MiB the receiver's inbound byte rate would drop the rest. So
 * page 0 goes first, at most PUSH_PULL_BURST_BYTES leave at once, and the rest follows at
 * PUSH_PULL_PACE_BYTES_PER_SEC, within both limits.
 *
 * Digest first (issue 11). A periodic exchange, a retry of a dead member or a seed, and a pull of an
 * unknown sender start with a digest of our table (state-digest.ts) and no members. A peer whose table
 * has the same digest answers with its digest alone: in an idle cluster that is the whole exchange, a
 * few dozen bytes each way whatever N. Otherwise it answers with its full state, as before, and we then
 * send ours, marked `noReply`. A join still sends its state at once (the joiner knows nobody).
 */
import type { Clock, Timer } from '../core/clock.js'
import { DEFAULT_INBOUND_BYTE_RATE, DEFAULT_QUEUE_LIMITS } from '../core/link-defaults.js'
import type { RateLimitedLog } from '../core/logger.js'
import { TokenBucket } from '../core/rate-limit.js'
import type { ByteRateSpec, RateSpec } from '../core/rate-limit.js'
import type { Destination, PeerId, SendOptions } from '../core/transport.js'
import { SWIM_LIMITS, encodedUpdateSize } from './codec.js'
import type { SwimMessage } from './codec.js'
import type { MembershipConfig } from './config.js'
import type { MemberUpdate } from './member.js'
import type { MemberTable } from './member-table.js'
import { sameDigest } from './state-digest.js'

/** Outstanding push-pull requests; more are refused until replies arrive or time out. */
export const MAX_PENDING_PUSH_PULLS = 64
/** Room left in a page for the frame envelope. */
const PAGE_ENVELOPE_BYTES = 64
/** Bytes of pages sent back to back: half the transport's per-peer swim queue, the other half for probes and gossip. */
export const PUSH_PULL_BURST_BYTES = DEFAULT_QUEUE_LIMITS.swim.maxBytes / 2
/** Then at most this rate: half the receiver's inbound swim byte rate, the other half for everything else. */
export const PUSH_PULL_PACE_BYTES_PER_SEC = DEFAULT_INBOUND_BYTE_RATE.swim.bytesPerSec / 2
/** States being sent in paced bursts at once (memberlist caps concurrent push-pulls at 128); past it, no new exchange starts. */
export const MAX_PUSH_PULL_TRANSFERS = 128
/**
 * Push-pulls served per requester (issue 10, defect 4): a burst of 3 (a join, a pull of an unknown sender
 * and a reconnect can coincide), then one a second. A peer asks a given member every push-pull interval
 * (30 s and more) or reconnect interval (2 s) at most; a flooder asking 200 times a second gets one.
 */
export const SERVE_PER_PEER: Readonly<RateSpec> = { ratePerSec: 1, burst: 3 }
/**
 * Bytes of state served per second, all requesters together: 8 MiB/s, 16 MiB at once — a join storm of
 * a hundred members at N = 1,000 (150 KB states), while 32 peer ids asking at once can no longer fill
 * the 64 MiB outbound budget and starve our own probes and acks.
 */
export const SERVE_BYTES: Readonly<ByteRateSpec> = { bytesPerSec: 8 * 1024 * 1024, burstBytes: 16 * 1024 * 1024 }
/** What a digest-only answer costs, for the overall serving budget: a frame with 8 bytes of digest. */
const SUMMARY_BYTES = 64
/** Requesters whose serving rate we track; past it the map starts over (each then gets a fresh burst). */
const MAX_SERVE_TRACKED = 4096

/** Our state on its way to one peer, page by page. */
interface Transfer {
  readonly to: Destination
  readonly seq: number
  readonly type: 'pushPull' | 'pushPullReply'
  readonly join: boolean
  /** Our table's digest, on page 0; `noReply`: our state after a differing digest (not answered). */
  readonly digest: Uint8Array | undefined
  readonly noReply: boolean
  readonly pages: MemberUpdate[][]
  readonly sizes: number[]
  /** The transport's, for every page (a reconnect on the stream: see Membership.reconnect). */
  readonly options: SendOptions | undefined
  next: number
  timer?: Timer
}

export interface PushPullCounters {
  pushPulls: number
  pushPullsRefused: number
  /** Requests we did not answer: the requester's rate, the overall byte rate, or too many states in flight. */
  pushPullsServedRefused: number
  /** Push-pull requests answered by our digest alone: the requester's table was the same as ours. */
  pushPullsSame: number
  unexpectedFrames: number
}

/** Why a push-pull request went unanswered. */
export type ServeRefusal = 'requester-rate' | 'requester-in-flight' | 'overall-bytes' | 'transfers'

export interface PushPullDeps {
  clock: Clock
  config: MembershipConfig
  table: MemberTable
  maxFrameBytes: number
  counters: PushPullCounters
  warnings: RateLimitedLog
  nextSeq: () => number
  /** Piggybacked gossip for the first page. */
  takeGossip: () => MemberUpdate[]
  send: (to: Destination, msg: SwimMessage, options?: SendOptions) => void
  destinationOf: (id: PeerId) => Destination
}

interface Pending {
  /** Who was asked; a reply counts only from it. Unknown for a join through a bare address: the first replier. */
  peer: PeerId | undefined
  expires: number
  replied: boolean
  /** The digest we sent without our state: the peer's reply tells whether it needs the state. */
  digest: Uint8Array | undefined
  onReply: () => void
}

export class PushPull {
  private readonly pending = new Map<number, Pending>()
  private readonly transfers = new Set<Transfer>()
  private readonly servePerPeer = new Map<PeerId, TokenBucket>()
  private readonly serveBytes: TokenBucket
  /** Size of the last state we sent: what the next one will cost, before it is paged. */
  private lastStateBytes = 0

  constructor (private readonly deps: PushPullDeps) {
    this.serveBytes = TokenBucket.ofBytes(SERVE_BYTES, deps.clock.now())
  }

  /**
   * Sends our state to `to` and asks for theirs; `onReply` runs once, on the first page of the reply.
   * Returns false (and sends nothing) if MAX_PENDING_PUSH_PULLS are outstanding. `options`: the transport's.
   */
  request (to: Destination, join: boolean, onReply?: () => void, options?: SendOptions): boolean {
    const { clock, config, counters } = this.deps
    this.expire()
    if (this.pending.size >= MAX_PENDING_PUSH_PULLS || this.transfers.size >= MAX_PUSH_PULL_TRANSFERS) {
      counters.pushPullsRefused++
      return false
    }
    const seq = this.deps.nextSeq()
    const digest = join ? undefined : this.deps.table.digest()
    this.pending.set(seq, { peer: to.id, expires: clock.now() + config.joinTimeoutMs, replied: false, digest, onReply: () => { onReply?.() } })
    counters.pushPulls++
    if (digest === undefined) {
      this.sendState(to, seq, 'pushPull', { join, options })
    } else {
      this.deps.send(to, { type: 'pushPull', seq, page: 0, join: false, members: [], gossip: this.deps.takeGossip(), digest }, options)
    }
    return true
  }

  /**
   * A peer sent us its state, or its digest: merge what it sent, and answer the first page (after merging,
   * so our answer carries any refutation) — with our digest alone if it sent an equal one and no state,
   * else with our state and digest. A `noReply` state answers our reply and is not answered.
   */
  onRequest (from: PeerId, seq: number, page: number, members: readonly MemberUpdate[], digest?: Uint8Array, noReply = false): void {
    for (const u of members) this.deps.table.applyRemoteState(u, from)
    if (page !== 0 || noReply) return
    const ours = this.deps.table.digest()
    const same = members.length === 0 && sameDigest(digest, ours)
    const refusal = this.admitServe(from, same ? SUMMARY_BYTES : this.lastStateBytes)
    if (refusal !== undefined) {
      this.deps.counters.pushPullsServedRefused++
      this.deps.warnings.warn('serve', 'did not answer a push-pull request', { from, reason: refusal })
      return
    }
    if (same) {
      this.deps.counters.pushPullsSame++
      this.deps.send(this.deps.destinationOf(from), { type: 'pushPullReply', seq, page: 0, members: [], gossip: this.deps.takeGossip(), digest: ours })
      return
    }
    this.sendState(this.deps.destinationOf(from), seq, 'pushPullReply', { digest: ours })
  }

  onReply (from: PeerId, seq: number, page: number, members: readonly MemberUpdate[], digest?: Uint8Array): void {
    const pending = this.pending.get(seq)
    if (pending === undefined || (pending.peer !== undefined && pending.peer !== from)) {
      this.deps.counters.unexpectedFrames++
      this.deps.warnings.warn(`unexpected:${from}`, 'ignored unsolicited push-pull reply', { from })
      return
    }
    pending.peer = from
    for (const u of members) this.deps.table.applyRemoteState(u, from)
    // The entry stays until it expires: the reply's later pages carry the same seq.
    if (page === 0 && !pending.replied) {
      pending.replied = true
      // We sent only our digest and the peer's table differs: now it gets our state (it sent its own).
      if (pending.digest !== undefined && !(members.length === 0 && sameDigest(digest, pending.digest))) {
        this.sendState(this.deps.destinationOf(from), seq, 'pushPull', { noReply: true })
      }
      pending.onReply()
    }
  }

  /** States still being sent (paced). */
  get transfersInFlight (): number {
    return this.transfers.size
  }

  clear (): void {
    this.pending.clear()
    for (const t of this.transfers) t.timer?.cancel()
    this.transfers.clear()
  }

  /** Whether to answer a request from `from` now (charging its share), or why not. */
  private admitServe (from: PeerId, bytes: number): ServeRefusal | undefined {
    if (this.transfers.size >= MAX_PUSH_PULL_TRANSFERS) return 'transfers'
    for (const t of this.transfers) if (t.to.id === from && t.type === 'pushPullReply') return 'requester-in-flight'
    const now = this.deps.clock.now()
    let bucket = this.servePerPeer.get(from)
    if (bucket === undefined) {
      if (this.servePerPeer.size >= MAX_SERVE_TRACKED) this.servePerPeer.clear()
      bucket = new TokenBucket(SERVE_PER_PEER, now)
      this.servePerPeer.set(from, bucket)
    }
    if (!this.serveBytes.has(now, bytes)) return 'overall-bytes'
    if (!bucket.take(now)) return 'requester-rate'
    return undefined
  }

  private sendState (to: Destination, seq: number, type: 'pushPull' | 'pushPullReply', opts: { join?: boolean, digest?: Uint8Array, noReply?: boolean, options?: SendOptions } = {}): void {
    const { pages, sizes } = this.pages()
    this.lastStateBytes = sizes.reduce((a, b) => a + b, 0)
    if (type === 'pushPullReply') this.serveBytes.spend(this.lastStateBytes)
    const transfer: Transfer = { to, seq, type, join: opts.join === true, digest: opts.digest, noReply: opts.noReply === true, pages, sizes, options: opts.options, next: 0 }
    this.transfers.add(transfer)
    this.sendBurst(transfer)
  }

  /** Sends the next pages, up to PUSH_PULL_BURST_BYTES (at least one), and schedules the rest at the pace rate. */
  private sendBurst (t: Transfer): void {
    delete t.timer
    let burst = 0
    while (t.next < t.pages.length) {
      const size = t.sizes[t.next] as number
      if (burst > 0 && burst + size > PUSH_PULL_BURST_BYTES) break
      const page = t.next++
      const members = t.pages[page] as MemberUpdate[]
      const gossip = page === 0 ? this.deps.takeGossip() : []
      const { seq, type } = t
      const extras = { ...(page === 0 && t.digest !== undefined ? { digest: t.digest } : {}), ...(t.noReply && type === 'pushPull' ? { noReply: true as const } : {}) }
      this.deps.send(t.to, type === 'pushPull' ? { type, seq, page, join: t.join, members, gossip, ...extras } : { type, seq, page, members, gossip, ...extras }, t.options)
      burst += size
    }
    if (t.next >= t.pages.length) {
      this.transfers.delete(t)
      return
    }
    t.timer = this.deps.clock.setTimeout(() => { this.sendBurst(t) }, (1000 * burst) / PUSH_PULL_PACE_BYTES_PER_SEC)
  }

  /** Our state split into pages that fit the frame limit with room for piggybacked gossip; and their sizes. */
  private pages (): { pages: MemberUpdate[][], sizes: number[] } {
    const budget = this.deps.maxFrameBytes - this.deps.config.maxPiggybackBytes - PAGE_ENVELOPE_BYTES
    const pages: MemberUpdate[][] = [[]]
    const sizes = [0]
    for (const u of this.deps.table.snapshot()) {
      const size = encodedUpdateSize(u)
      let page = pages[pages.length - 1] as MemberUpdate[]
      if (page.length > 0 && ((sizes[sizes.length - 1] as number) + size > budget || page.length >= SWIM_LIMITS.membersPerPage)) {
        if (pages.length > SWIM_LIMITS.pages) break // overflow: the rest waits for later exchanges
        page = []
        pages.push(page)
        sizes.push(0)
      }
      page.push(u)
      sizes[sizes.length - 1] = (sizes[sizes.length - 1] as number) + size
    }
    return { pages, sizes }
  }

  private expire (): void {
    const now = this.deps.clock.now()
    for (const [seq, p] of this.pending) if (p.expires <= now) this.pending.delete(seq)
  }
}
