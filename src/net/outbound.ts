/**
 * The sending half of the transport. `send` only enqueues; one async pump per (peer, channel) dials on
 * demand, opens the channel's long-lived stream once and writes queued frames in batches. Failures never
 * reach the caller: frames are dropped, counted, and a failed dial is reported as `unreachable`.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Logger, RateLimitedLog } from '../core/logger.js'
import { CHANNELS } from '../core/transport.js'
import type { Channel, PeerEvent, PeerId } from '../core/transport.js'
import { AddressDials } from './address-dials.js'
import { parseMultiaddr, peerIdOf, withPeerId } from './addresses.js'
import { PROTOCOLS, WRITE_BATCH_BYTES } from './config.js'
import type { Libp2pTransportConfig } from './config.js'
import { describeError, isPeerGone } from './describe-error.js'
import type { Dialer } from './dialer.js'
import { QueueBudget } from '../core/frame-queue.js'
import { FrameWriter } from './frame-writer.js'
import type { MurmurNode } from './node.js'
import { PeerLink, pickConnection } from './peer-link.js'
import type { PeerPolicy } from './peer-policy.js'
import type { DialReason, TransportCounters } from './stats.js'

/** Unanswered writes (over silentConnectionTimeoutMs) before a connection is presumed dead. */
const MIN_UNANSWERED_WRITES = 3
/** Peers with outbound state; idle links beyond this are evicted. */
const MAX_LINKS = 4096
/**
 * A connection that closes this soon after opening, as we open a stream on it, was most likely refused
 * by the remote's gater (allowPeers, cooldown, partition): worth a warning. An older one closing under
 * us means the peer stopped or went away: routine, debug.
 */
const FRESH_CONNECTION_MS = 1000

export interface OutboundDeps {
  node: MurmurNode
  localId: PeerId
  config: Libp2pTransportConfig
  counters: TransportCounters
  policy: PeerPolicy
  dialer: Dialer
  log: Logger
  warnings: RateLimitedLog
  now: () => number
  emit: (event: PeerEvent) => void
  deliverLocal: (channel: Channel, frame: Uint8Array) => void
  isOwnAddress: (addr: Multiaddr) => boolean
  /** Marks `id` as recently used (connection LRU). */
  touch: (id: PeerId) => void
  /** True once the transport's close() has begun: failures are then our own doing (logged at debug). */
  isClosing?: () => boolean
}

type DropReason = 'refused' | 'closed' | 'dialFailed' | 'writeFailed'

export class Outbound {
  private readonly links = new Map<PeerId, PeerLink>()
  private readonly budget: QueueBudget
  private readonly addressDials: AddressDials
  private accepting = true

  constructor (private readonly deps: OutboundDeps) {
    this.budget = new QueueBudget(deps.config.maxTotalQueuedBytes)
    this.addressDials = new AddressDials({
      localId: deps.localId,
      dialer: deps.dialer,
      counters: deps.counters,
      budget: this.budget,
      warnings: deps.warnings,
      isOwnAddress: deps.isOwnAddress,
      hasOpenConnection: (id) => this.hasOpenConnection(id),
      deliverLocal: deps.deliverLocal,
      deliverTo: (id, addrs, channel, frame) => { this.sendTo(id, addrs, channel, frame, false) },
      emit: deps.emit,
      refuse: (addrs) => { this.refuse(undefined, addrs) }
    })
  }

  send (channel: Channel, id: PeerId | undefined, addrs: readonly string[], frame: Uint8Array): void {
    if (!this.accepting) {
      this.deps.counters.droppedOutbound.closed++
      return
    }
    // A multiaddr with /p2p/<id> names its peer: no need to learn it from a handshake.
    const target = id ?? idFromAddrs(addrs)
    if (target === undefined) this.addressDials.send(channel, addrs, frame)
    else this.sendTo(target, addrs, channel, frame, true)
  }

  /**
   * Dials `id` ahead of any frame (Transport.connect): nothing if a connection is open or a dial is under
   * way. A dial that fails reports the peer unreachable, as for a frame.
   */
  connect (id: PeerId, addrs: readonly string[]): void {
    if (!this.accepting || id === this.deps.localId) return
    const link = this.link(id)
    if (link === undefined || link.dialing !== undefined || this.hasOpenConnection(id)) return
    if (addrs.length > 0) link.addrs = addrs
    this.connectionFor(link, 'ahead').catch((err: unknown) => {
      this.deps.log.debug('dial ahead of a probe failed', { peer: id, error: err instanceof Error ? err.message : String(err) })
    })
  }

  /** Frames and bytes queued across all peers (including bare-address dials). */
  queued (): { frames: number, bytes: number } {
    let frames = this.addressDials.queuedFrames
    for (const link of this.links.values()) frames += link.queuedFrames
    return { frames, bytes: this.budget.bytes }
  }

  isBusy (id: PeerId): boolean {
    return this.links.get(id)?.busy ?? false
  }

  /** A frame arrived from `id`: the connection is alive. */
  noteReceived (id: PeerId): void {
    this.links.get(id)?.noteReceived()
  }

  /** Drops everything queued for `id` and aborts its streams (block, prune, flooder). */
  dropPeer (id: PeerId, reason: 'refused' | 'closed'): void {
    const link = this.links.get(id)
    if (link === undefined) return
    this.clearLink(link, reason)
    for (const c of CHANNELS) {
      link.writers[c]?.abort(new Error(`link to ${id} dropped (${reason})`))
      delete link.writers[c]
    }
  }

  /** The last connection to `id` closed: forget its streams; forget the link if idle. */
  onDisconnected (id: PeerId): void {
    const link = this.links.get(id)
    if (link === undefined) return
    for (const c of CHANNELS) delete link.writers[c]
    link.noteReceived()
    if (!link.busy) this.links.delete(id)
  }

  /** Half-closes our streams on `connection` (they reopen on the preferred one at the next frame). */
  async retireStreamsOn (id: PeerId, connection: Connection, ms: number): Promise<void> {
    const link = this.links.get(id)
    if (link === undefined) return
    const closing: Array<Promise<void>> = []
    for (const c of CHANNELS) {
      const writer = link.writers[c]
      if (writer?.connection !== connection) continue
      delete link.writers[c]
      closing.push(writer.close(ms))
    }
    await Promise.all(closing)
  }

  /** Waits until every queue is empty and no write or dial is in flight, or `ms` passes. */
  async flush (ms: number): Promise<void> {
    const deadline = performance.now() + ms
    while (performance.now() < deadline) {
      if (![...this.links.values()].some(l => l.busy) && this.addressDials.inFlight === 0) return
      await new Promise(resolve => setTimeout(resolve, 10))
    }
  }

  /** Stops accepting frames; drops what is still queued; half-closes every stream (bounded). */
  async close (ms: number): Promise<void> {
    this.accepting = false
    this.addressDials.close()
    const closing: Array<Promise<void>> = []
    for (const link of this.links.values()) {
      this.clearLink(link, 'closed')
      for (const c of CHANNELS) {
        const writer = link.writers[c]
        if (writer !== undefined) closing.push(writer.close(ms))
        delete link.writers[c]
      }
    }
    await Promise.all(closing)
  }

  openStreams (): number {
    let n = 0
    for (const link of this.links.values()) {
      for (const c of CHANNELS) if (link.writers[c]?.writable === true) n++
    }
    return n
  }

  // ── queueing ───────────────────────────────────────────────────────────────────────────────────

  private sendTo (id: PeerId, addrs: readonly string[], channel: Channel, frame: Uint8Array, preferAddrs: boolean): void {
    if (id === this.deps.localId) {
      this.deps.deliverLocal(channel, frame)
      return
    }
    const link = this.link(id)
    if (link === undefined) {
      this.refuse(id, addrs)
      return
    }
    if (addrs.length > 0 && (preferAddrs || link.addrs.length === 0)) link.addrs = addrs
    this.enqueue(link, channel, frame)
  }

  private link (id: PeerId): PeerLink | undefined {
    const existing = this.links.get(id)
    if (existing !== undefined) return existing
    let peerId
    try {
      peerId = peerIdFromString(id)
    } catch {
      return undefined
    }
    if (this.links.size >= MAX_LINKS) this.evictIdleLinks()
    const link = new PeerLink(id, peerId, this.deps.config.queueLimits)
    this.links.set(id, link)
    return link
  }

  private enqueue (link: PeerLink, channel: Channel, frame: Uint8Array): void {
    const { counters } = this.deps
    if (this.deps.policy.verdict(link.id) !== 'ok') {
      counters.droppedOutbound.refused++
      return
    }
    if (!this.budget.reserve(frame.byteLength)) {
      counters.droppedOutbound.queueOverflow++
      this.deps.warnings.warn('queue:total', 'outbound queue budget exhausted: dropping frames', { limitBytes: this.budget.limitBytes })
      return
    }
    const queue = link.queues[channel]
    const before = queue.bytes
    const dropped = queue.push(frame)
    // The reservation covered the new frame; the queue may have dropped older ones to make room.
    this.budget.release(before + frame.byteLength - queue.bytes)
    if (dropped > 0) {
      counters.droppedOutbound.queueOverflow += dropped
      this.deps.warnings.warn(`queue:${link.id}`, 'outbound queue full: dropped oldest frames', { peer: link.id, channel, dropped })
    }
    this.deps.touch(link.id)
    void this.pump(link, channel)
  }

  private async pump (link: PeerLink, channel: Channel): Promise<void> {
    if (link.pumping[channel]) return
    link.pumping[channel] = true
    const queue = link.queues[channel]
    try {
      // Frames queued in the same turn go out as one batch (one yamux frame, one Noise message, one TCP
      // write): the write waits one microtask, as it did when finding the stream was always asynchronous.
      await Promise.resolve()
      while (queue.length > 0 && this.accepting) {
        if (this.deps.policy.verdict(link.id) !== 'ok') {
          this.clearChannel(link, channel, 'refused')
          break
        }
        this.closeIfSilent(link)
        const writer = this.openWriter(link, channel) ?? await this.newWriter(link, channel)
        if (writer === undefined) break // the dial or stream open failed: counted and reported there
        // close() may have cleared the queue while the stream was opening.
        if (!this.accepting || queue.length === 0) break
        const batch = queue.takeBatch(WRITE_BATCH_BYTES)
        const bytes = batch.reduce((n, f) => n + f.byteLength, 0)
        this.budget.release(bytes)
        // Handed to the muxer synchronously; only a batch it pushes back on waits.
        const sent = writer.send(batch)
        const result = sent === 'blocked' ? await writer.drained(this.deps.config.writeTimeoutMs) : sent
        if (result.ok) {
          const traffic = this.deps.counters.channels[channel]
          traffic.framesOut += batch.length
          traffic.bytesOut += bytes
          link.noteSent(this.deps.now(), this.deps.config.silentConnectionTimeoutMs)
          this.deps.touch(link.id)
        } else {
          this.deps.counters.droppedOutbound.writeFailed += batch.length
          if (link.writers[channel] === writer) delete link.writers[channel]
          const fields = { peer: link.id, channel, frames: batch.length, reason: result.reason, error: result.error === undefined ? undefined : describeError(result.error) }
          // A stream closed under us (the peer stopped) or our own shutdown is routine; a write stuck
          // behind backpressure (the remote stopped reading) or an unexplained failure is not.
          if (result.reason === 'gone' || this.closing()) this.deps.log.debug('write failed: the stream or connection closed; dropped frames', fields)
          else this.deps.warnings.warn(`write:${link.id}`, result.reason === 'timeout' ? 'write timed out (the peer stopped reading): dropped frames, reopening the stream' : 'write failed: dropped frames, reopening the stream', fields)
        }
      }
    } finally {
      link.pumping[channel] = false
    }
    // Frames that arrived while the last write was in flight, after the loop's final check.
    if (queue.length > 0 && this.accepting) void this.pump(link, channel)
    else if (!link.busy && !this.hasOpenConnection(link.id)) this.links.delete(link.id)
  }

  /** The channel's stream, if it is still usable. */
  private openWriter (link: PeerLink, channel: Channel): FrameWriter | undefined {
    const current = link.writers[channel]
    return current?.writable === true ? current : undefined
  }

  /** Opens the channel's stream (dialling first if there is no connection); forgets the unusable one. */
  private async newWriter (link: PeerLink, channel: Channel): Promise<FrameWriter | undefined> {
    const current = link.writers[channel]
    delete link.writers[channel]
    const connection = await this.connectionFor(link, channel, current?.connection)
    if (connection === undefined) return undefined
    const { config, counters } = this.deps
    try {
      const stream = await connection.newStream(PROTOCOLS[channel], { signal: AbortSignal.timeout(config.dialTimeoutMs) })
      counters.streamsOpened.outbound++
      const writer = new FrameWriter(stream, connection, config.maxFrameBytes[channel], () => {
        counters.rejectedFrames.unexpected++
        this.deps.warnings.warn(`unexpected:${link.id}`, 'peer wrote on our write-only stream: aborted it', { peer: link.id, channel })
      })
      link.writers[channel] = writer
      stream.addEventListener('close', () => {
        if (link.writers[channel] === writer) delete link.writers[channel]
      })
      return writer
    } catch (err) {
      this.clearChannel(link, channel, 'writeFailed')
      const fields = { peer: link.id, channel, error: describeError(err) }
      const closed = connection.status !== 'open'
      if (this.closing()) {
        this.deps.log.debug('could not open stream: transport closing; dropped queued frames', fields)
        return undefined
      }
      if (closed && Date.now() - connection.timeline.open < FRESH_CONNECTION_MS) {
        // The connection came up and went straight down: the peer accepted TCP and the handshake, then
        // refused us (allowPeers, flood cooldown, partition).
        this.deps.warnings.warn(`stream:${link.id}`, 'peer closed the connection right after the handshake (it may not accept us: allowPeers, flood cooldown or a partition): dropped queued frames', fields)
      } else if (closed || isPeerGone(err)) {
        // An established connection closed under us: the peer stopped or went away. Routine.
        this.deps.log.debug('could not open stream: the connection closed (peer stopped or went away); dropped queued frames', fields)
      } else {
        this.deps.warnings.warn(`stream:${link.id}`, 'could not open stream: dropped queued frames', fields)
      }
      // To the caller, all of these are an unreachable peer.
      this.deps.emit({ type: 'unreachable', id: link.id, addrs: link.addrs })
      return undefined
    }
  }

  /** An open connection to the link's peer, dialling (once, shared by both channels) if there is none. */
  private async connectionFor (link: PeerLink, reason: DialReason, current?: Connection): Promise<Connection | undefined> {
    const open = pickConnection(this.deps.node.getConnections(link.peerId), this.deps.localId, current)
    if (open !== undefined) return open
    link.dialing ??= this.dialLink(link, reason).finally(() => { link.dialing = undefined })
    const dialled = await link.dialing
    if (dialled === undefined) return undefined
    // The peer may have dialled us meanwhile (simultaneous dial): use the connection both ends prefer.
    return pickConnection(this.deps.node.getConnections(link.peerId), this.deps.localId) ?? dialled
  }

  private async dialLink (link: PeerLink, reason: DialReason): Promise<Connection | undefined> {
    const addrs = link.addrs.map(parseMultiaddr).filter((a): a is Multiaddr => a !== undefined).map(a => withPeerId(a, link.id))
    const result = await this.deps.dialer.dial(addrs.length > 0 ? addrs : link.peerId, link.id, reason)
    if (result.ok) return result.connection
    this.clearLink(link, 'dialFailed')
    // A dial our own gater denied (blocked, not allowed) is policy, not news about the peer: silent,
    // like a partition in the simulator.
    // `refused`: every address tried answered ECONNREFUSED (diagnose.ts), the peer's host saying nothing
    // listens there — membership's evidence of a crash.
    if (result.diagnosis.kind !== 'denied') this.deps.emit({ type: 'unreachable', id: link.id, addrs: link.addrs, reason: result.diagnosis.explanation, ...(result.diagnosis.kind === 'refused' ? { refused: true } : {}) })
    return undefined
  }

  /** Writing steadily with nothing back: presume the connection dead and abort it; the next write re-dials. */
  private closeIfSilent (link: PeerLink): void {
    const now = this.deps.now()
    const since = link.unansweredSince ?? now
    if (!link.presumedDead(now, this.deps.config.silentConnectionTimeoutMs, MIN_UNANSWERED_WRITES)) return
    link.noteReceived()
    const connections = this.deps.node.getConnections(link.peerId)
    if (connections.length === 0) return
    this.deps.counters.silentConnectionsClosed++
    this.deps.log.info('closing silent connection: frames sent, nothing received (the peer is gone or overloaded; or another process runs with this peer\'s identity, a copied data dir, and gets the answers)', { peer: link.id, silentMs: Math.round(now - since) })
    for (const c of CHANNELS) delete link.writers[c]
    for (const conn of connections) conn.abort(new Error('peer silent: connection presumed dead'))
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────────

  private closing (): boolean {
    return !this.accepting || (this.deps.isClosing?.() ?? false)
  }

  private hasOpenConnection (id: PeerId): boolean {
    const link = this.links.get(id)
    try {
      return this.deps.node.getConnections(link?.peerId ?? peerIdFromString(id)).some(c => c.status === 'open')
    } catch {
      return false
    }
  }

  /** An unusable destination (bad id or no valid address): drop, and say so like a failed dial would. */
  private refuse (id: PeerId | undefined, addrs: readonly string[]): void {
    this.deps.counters.droppedOutbound.refused++
    this.deps.warnings.warn('destination', 'dropped frame for an unusable destination', { id: id ?? '', addrs: addrs.join(' ') })
    queueMicrotask(() => { this.deps.emit({ type: 'unreachable', ...(id === undefined ? {} : { id }), addrs }) })
  }

  private clearLink (link: PeerLink, reason: DropReason): void {
    for (const c of CHANNELS) this.clearChannel(link, c, reason)
  }

  private clearChannel (link: PeerLink, channel: Channel, reason: DropReason): void {
    const queue = link.queues[channel]
    this.budget.release(queue.bytes)
    this.deps.counters.droppedOutbound[reason] += queue.clear()
  }

  private evictIdleLinks (): void {
    for (const [id, link] of this.links) {
      if (!link.busy && !this.hasOpenConnection(id)) this.links.delete(id)
    }
  }
}

/** A multiaddr with /p2p/<id> names its peer. */
function idFromAddrs (addrs: readonly string[]): PeerId | undefined {
  for (const a of addrs) {
    const ma = parseMultiaddr(a)
    const id = ma === undefined ? undefined : peerIdOf(ma)
    if (id !== undefined) return id
  }
  return undefined
}
