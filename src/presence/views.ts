/**
 * MeshViews: one peer asks others for their view of the mesh — every member as that peer sees it, every
 * doc it holds with its digest — so that one page (`/mesh`) can show the whole mesh live.
 *
 * Why a request over the mesh (and not each peer's HTTP API): it works wherever the mesh works — HTTP
 * APIs listen on loopback by default and may each have their own token, while peers already reach each
 * other over authenticated libp2p connections (Noise, and the pre-shared key of a private mesh). It costs
 * nothing while nobody watches: views are asked for only while a /mesh page is open, unlike gossiping
 * them. Its limit is that a peer unreachable over the mesh cannot answer; the reply carries the peer's
 * advertised HTTP address, which the /mesh page uses to ask such a peer directly (see http/mesh.ts).
 *
 * Replies are rate-limited (globally and per asker): a reply is up to a frame (hundreds of KiB at
 * N = 1,000), so a cheap request must not buy much traffic.
 */
import type { Clock, Timer } from '../core/clock.js'
import type { RateLimitedLog } from '../core/logger.js'
import type { Random } from '../core/random.js'
import type { PeerId } from '../core/transport.js'
import { PRESENCE_LIMITS, encodePresence } from './codec.js'
import type { MeshView, PresenceMessageOf } from './codec.js'
import type { PresenceConfig } from './config.js'
import type { PresenceLink } from './link.js'
import type { PresenceCounters } from './stats.js'

export interface MeshViewsDeps {
  link: PresenceLink
  clock: Clock
  random: Random
  config: PresenceConfig
  counters: PresenceCounters
  warnings: RateLimitedLog
  /** This peer's view, as it would answer a request now. */
  snapshot: () => MeshView
}

interface Pending {
  readonly targets: ReadonlySet<PeerId>
  readonly results: Map<PeerId, MeshView>
  readonly timer: Timer
  readonly done: (views: Map<PeerId, MeshView>) => void
}

/**
 * The member tag with which a peer advertises its HTTP API (`Peer.advertiseHttp`): gossiped with
 * membership, so /mesh can reach a peer over HTTP when the mesh cannot.
 */
export const HTTP_TAG = 'murmur.http'

/** Requests in flight at once; a further request is answered at once with nothing. */
const MAX_PENDING = 16
/** Peers remembered for the per-asker reply interval. */
const MAX_ASKERS = 4096

export class MeshViews {
  private readonly pending = new Map<number, Pending>()
  private readonly lastReplyTo = new Map<PeerId, number>()
  private tokens: number
  private tokensAt: number

  constructor (private readonly deps: MeshViewsDeps) {
    this.tokens = deps.config.viewRepliesPerSec
    this.tokensAt = deps.clock.now()
  }

  /**
   * Asks `targets` for their views; calls `done` with the replies once all answered or `timeoutMs` passed
   * (peers that did not answer are absent from the map).
   */
  request (targets: readonly PeerId[], timeoutMs: number, done: (views: Map<PeerId, MeshView>) => void): void {
    const set = new Set(targets)
    if (set.size === 0 || this.pending.size >= MAX_PENDING) {
      done(new Map())
      return
    }
    let nonce = this.deps.random.int(0x1_0000_0000)
    while (this.pending.has(nonce)) nonce = (nonce + 1) >>> 0
    const timer = this.deps.clock.setTimeout(() => { this.finish(nonce) }, timeoutMs)
    this.pending.set(nonce, { targets: set, results: new Map(), timer, done })
    for (const peer of set) this.deps.link.send(peer, { type: 'viewRequest', nonce })
  }

  onRequest (from: PeerId, msg: PresenceMessageOf<'viewRequest'>): void {
    const now = this.deps.clock.now()
    const last = this.lastReplyTo.get(from)
    if ((last !== undefined && now - last < this.deps.config.viewReplyMinIntervalMs) || !this.takeToken(now)) {
      this.deps.counters.viewRequestsRefused++
      this.deps.warnings.warn(`views:${from}`, 'view request refused: rate limit', { from })
      return
    }
    if (this.lastReplyTo.size >= MAX_ASKERS) this.lastReplyTo.clear()
    this.lastReplyTo.set(from, now)
    this.deps.link.send(from, { type: 'viewReply', nonce: msg.nonce, view: fitView(this.deps.snapshot(), msg.nonce, this.deps.link.maxFrameBytes) })
  }

  onReply (from: PeerId, msg: PresenceMessageOf<'viewReply'>): void {
    const p = this.pending.get(msg.nonce)
    if (p === undefined || !p.targets.has(from) || p.results.has(from)) {
      this.deps.counters.unexpectedFrames++
      return
    }
    p.results.set(from, msg.view)
    if (p.results.size === p.targets.size) this.finish(msg.nonce)
  }

  /** Ends every request (with what arrived so far). */
  clear (): void {
    for (const nonce of [...this.pending.keys()]) this.finish(nonce)
  }

  private finish (nonce: number): void {
    const p = this.pending.get(nonce)
    if (p === undefined) return
    this.pending.delete(nonce)
    p.timer.cancel()
    p.done(p.results)
  }

  /** Global token bucket: viewRepliesPerSec, burst of one second's worth. */
  private takeToken (now: number): boolean {
    const rate = this.deps.config.viewRepliesPerSec
    this.tokens = Math.min(rate, this.tokens + (now - this.tokensAt) * rate / 1000)
    this.tokensAt = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

/** Cuts docs, then members, until the reply fits a frame (`truncated` says so). */
export function fitView (view: MeshView, nonce: number, maxFrameBytes: number): MeshView {
  const { membersPerView, docsPerView, blockedPerView } = PRESENCE_LIMITS
  let v = view
  if (v.members.length > membersPerView || v.docs.length > docsPerView || v.blocked.length > blockedPerView) {
    v = { ...v, members: v.members.slice(0, membersPerView), docs: v.docs.slice(0, docsPerView), blocked: v.blocked.slice(0, blockedPerView), truncated: true }
  }
  while (encodePresence({ type: 'viewReply', nonce, view: v }).byteLength > maxFrameBytes) {
    if (v.docs.length > 0) v = { ...v, docs: v.docs.slice(0, Math.floor(v.docs.length / 2)), truncated: true }
    else if (v.members.length > 0) v = { ...v, members: v.members.slice(0, Math.floor(v.members.length / 2)), truncated: true }
    else break
  }
  return v
}
