/**
 * Push-pull anti-entropy (SWIM's full-state exchange, memberlist's pushPullNode): send our whole member
 * table, in pages that fit the frame limit, and merge the other side's. Used on join, periodically, and to
 * re-try dead members and seeds (partition healing). Replies are matched to requests by sequence number;
 * an unsolicited reply is refused.
 */
import type { Clock } from '../core/clock.js'
import type { RateLimitedLog } from '../core/logger.js'
import type { Destination, PeerId } from '../core/transport.js'
import { SWIM_LIMITS, encodedUpdateSize } from './codec.js'
import type { SwimMessage } from './codec.js'
import type { MembershipConfig } from './config.js'
import type { MemberUpdate } from './member.js'
import type { MemberTable } from './member-table.js'

/** Outstanding push-pull requests; more are refused until replies arrive or time out. */
export const MAX_PENDING_PUSH_PULLS = 64
/** Room left in a page for the frame envelope. */
const PAGE_ENVELOPE_BYTES = 64

export interface PushPullCounters {
  pushPulls: number
  pushPullsRefused: number
  unexpectedFrames: number
}

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
  send: (to: Destination, msg: SwimMessage) => void
  destinationOf: (id: PeerId) => Destination
}

interface Pending {
  /** Who was asked; a reply counts only from it. Unknown for a join through a bare address: the first replier. */
  peer: PeerId | undefined
  expires: number
  replied: boolean
  onReply: () => void
}

export class PushPull {
  private readonly pending = new Map<number, Pending>()

  constructor (private readonly deps: PushPullDeps) {}

  /**
   * Sends our state to `to` and asks for theirs; `onReply` runs once, on the first page of the reply.
   * Returns false (and sends nothing) if MAX_PENDING_PUSH_PULLS are outstanding.
   */
  request (to: Destination, join: boolean, onReply?: () => void): boolean {
    const { clock, config, counters } = this.deps
    this.expire()
    if (this.pending.size >= MAX_PENDING_PUSH_PULLS) {
      counters.pushPullsRefused++
      return false
    }
    const seq = this.deps.nextSeq()
    this.pending.set(seq, { peer: to.id, expires: clock.now() + config.joinTimeoutMs, replied: false, onReply: () => { onReply?.() } })
    counters.pushPulls++
    this.sendState(to, seq, 'pushPull', join)
    return true
  }

  /** A peer sent us its state: merge it, and answer the first page with ours (after merging, so our answer carries any refutation). */
  onRequest (from: PeerId, seq: number, page: number, members: readonly MemberUpdate[]): void {
    for (const u of members) this.deps.table.applyRemoteState(u, from)
    if (page === 0) this.sendState(this.deps.destinationOf(from), seq, 'pushPullReply')
  }

  onReply (from: PeerId, seq: number, page: number, members: readonly MemberUpdate[]): void {
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
      pending.onReply()
    }
  }

  clear (): void {
    this.pending.clear()
  }

  private sendState (to: Destination, seq: number, type: 'pushPull' | 'pushPullReply', join = false): void {
    this.pages().forEach((members, page) => {
      const gossip = page === 0 ? this.deps.takeGossip() : []
      this.deps.send(to, type === 'pushPull' ? { type, seq, page, join, members, gossip } : { type, seq, page, members, gossip })
    })
  }

  /** Our state split into pages that fit the frame limit with room for piggybacked gossip. */
  private pages (): MemberUpdate[][] {
    const budget = this.deps.maxFrameBytes - this.deps.config.maxPiggybackBytes - PAGE_ENVELOPE_BYTES
    const pages: MemberUpdate[][] = [[]]
    let bytes = 0
    for (const u of this.deps.table.snapshot()) {
      const size = encodedUpdateSize(u)
      let page = pages[pages.length - 1] as MemberUpdate[]
      if (page.length > 0 && (bytes + size > budget || page.length >= SWIM_LIMITS.membersPerPage)) {
        if (pages.length > SWIM_LIMITS.pages) break // overflow: the rest waits for later exchanges
        page = []
        pages.push(page)
        bytes = 0
      }
      page.push(u)
      bytes += size
    }
    return pages
  }

  private expire (): void {
    const now = this.deps.clock.now()
    for (const [seq, p] of this.pending) if (p.expires <= now) this.pending.delete(seq)
  }
}
