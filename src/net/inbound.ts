/**
 * The receiving half of the transport: one read loop per inbound stream, every frame attributed to the
 * connection's authenticated PeerId. Checks, in order, for each stream and then each frame:
 *
 * 1. the peer's verdict (blocked / not allowed / cooling down) → stream refused, or frame dropped and
 *    stream aborted;
 * 2. at most `maxStreamsPerPeer` inbound streams per (peer, channel), across all its connections (libp2p's
 *    `maxInboundStreams` is per connection) → extra streams aborted;
 * 3. size, framing and read timeout (frame-reader.ts) → counted, warned (rate-limited), stream aborted;
 * 4. the (peer, channel) token buckets, one of frames and one of bytes → excess dropped and counted;
 *    sustained excess → `onFlooder`.
 *
 * The byte bucket is charged when a frame is complete, not at its length prefix. Its bytes are in memory
 * by then anyway (bounded by the reader's buffer: two maximal frames), and arrived through TCP, pnet and
 * Noise regardless; what the limit protects is the work after reading — decode, merge, store, forward —
 * which a dropped frame never gets. Refusing at the prefix would save one copy and would have to abort
 * the stream (lpStream cannot skip a body), turning a legitimate peer's burst into a reset stream.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger, RateLimitedLog } from '../core/logger.js'
import { CHANNELS, perChannel } from '../core/transport.js'
import type { Channel, PeerId } from '../core/transport.js'
import type { Libp2pTransportConfig } from './config.js'
import { toError } from './describe-error.js'
import { varintLength } from '../core/codec.js'
import { readFrames } from './frame-reader.js'
import type { ReadEnd } from './frame-reader.js'
import type { PeerPolicy } from './peer-policy.js'
import { FloodDetector, InboundLimit } from '../core/rate-limit.js'
import { ChannelClash, DEFAULT_CLASH_LIMITS } from './identity-clash.js'
import type { TransportCounters } from './stats.js'

export interface InboundDeps {
  config: Libp2pTransportConfig
  counters: TransportCounters
  policy: PeerPolicy
  log: Logger
  warnings: RateLimitedLog
  now: () => number
  deliver: (channel: Channel, from: PeerId, frame: Uint8Array, viaDatagram?: boolean) => void
  onFlooder: (id: PeerId) => void
  /** `from`'s frames arrived on both connections: tell each process (clash-notice.ts). At most once per CLASH_LOG_INTERVAL_MS. */
  onClash?: (from: PeerId, conns: readonly [Connection, Connection]) => void
}

interface PeerInbound {
  readonly streams: Record<Channel, Set<Stream>>
  readonly limits: Record<Channel, InboundLimit>
  readonly flood: FloodDetector
  lastDropAt: number | undefined
  readonly clash: Record<Channel, ChannelClash>
  lastClashAt: number | undefined
}

/** No open stream on any channel. */
function idle (peer: PeerInbound): boolean {
  return CHANNELS.every(c => peer.streams[c].size === 0)
}

/** Peers with inbound rate state; beyond it, state of peers without open streams is forgotten. */
const MAX_TRACKED_PEERS = 4096
/** An identity clash is logged at most once per peer per this long (it is counted every time). */
const CLASH_LOG_INTERVAL_MS = 60_000

export class Inbound {
  private readonly peers = new Map<PeerId, PeerInbound>()
  private accepting = true

  constructor (private readonly deps: InboundDeps) {}

  /** The libp2p stream handler for `channel`. */
  handle (channel: Channel, stream: Stream, connection: Connection): void {
    const { counters, policy } = this.deps
    const from = connection.remotePeer.toString()
    const verdict = policy.verdict(from)
    if (!this.accepting || verdict !== 'ok') {
      counters.rejectedStreams++
      stream.abort(new Error(this.accepting ? `peer ${verdict}` : 'transport closing'))
      return
    }
    const peer = this.peer(from)
    const streams = peer.streams[channel]
    if (streams.size >= this.deps.config.maxStreamsPerPeer) {
      counters.rejectedStreams++
      this.deps.warnings.warn(`streams:${from}`, 'too many inbound streams from peer: refused one', { peer: from, channel, limit: this.deps.config.maxStreamsPerPeer })
      stream.abort(new Error('too many streams'))
      return
    }
    streams.add(stream)
    counters.streamsOpened.inbound++
    void readFrames(stream, {
      maxFrameBytes: this.deps.config.maxFrameBytes[channel],
      readTimeoutMs: this.deps.config.frameReadTimeoutMs,
      onFrame: (frame) => this.onFrame(channel, from, frame, connection)
    }).then(
      (end) => { this.finish(channel, from, stream, end) },
      (err: unknown) => { this.finish(channel, from, stream, { reason: 'closed', error: toError(err) }) }
    )
  }

  /** Aborts every inbound stream of `id` (block, flooder). */
  abortPeer (id: PeerId, reason: string): void {
    const peer = this.peers.get(id)
    if (peer === undefined) return
    for (const c of CHANNELS) {
      for (const s of peer.streams[c]) s.abort(new Error(reason))
      peer.streams[c].clear()
    }
  }

  /** The peer disconnected: its rate state goes with it (a returning flooder is in cooldown anyway). */
  forget (id: PeerId): void {
    const peer = this.peers.get(id)
    if (peer !== undefined && idle(peer)) this.peers.delete(id)
  }

  /** Refuses new streams and aborts the open ones (shutdown). */
  close (): void {
    this.accepting = false
    for (const id of this.peers.keys()) this.abortPeer(id, 'transport closing')
    this.peers.clear()
  }

  openStreams (): number {
    let n = 0
    for (const p of this.peers.values()) for (const c of CHANNELS) n += p.streams[c].size
    return n
  }

  private peer (id: PeerId): PeerInbound {
    let peer = this.peers.get(id)
    if (peer === undefined) {
      if (this.peers.size >= MAX_TRACKED_PEERS) {
        for (const [pid, p] of this.peers) if (idle(p)) this.peers.delete(pid)
      }
      const now = this.deps.now()
      const rate = this.deps.config.inboundRate
      const byteRate = this.deps.config.inboundByteRate
      peer = {
        streams: perChannel(() => new Set<Stream>()),
        limits: perChannel(c => new InboundLimit(rate[c], byteRate[c], now)),
        flood: new FloodDetector(this.deps.config.flood, now),
        lastDropAt: undefined,
        clash: perChannel(() => new ChannelClash(DEFAULT_CLASH_LIMITS)),
        lastClashAt: undefined
      }
      this.peers.set(id, peer)
    }
    return peer
  }

  /**
   * A swim frame that came as a datagram (datagrams.ts), already authenticated: the same policy, the same
   * (peer, swim) buckets and flood detection as a frame on a stream, then delivery.
   */
  datagram (from: PeerId, frame: Uint8Array, via: Connection | undefined): void {
    const peer = this.admit('swim', from, frame)
    if (typeof peer === 'boolean') return
    if (via !== undefined) this.noteClash(peer, 'swim', from, via)
    this.deps.deliver('swim', from, frame, true)
  }

  /** One frame; returns false to stop reading (the stream is then aborted). */
  private onFrame (channel: Channel, from: PeerId, frame: Uint8Array, connection: Connection): boolean {
    const peer = this.admit(channel, from, frame)
    if (typeof peer === 'boolean') return peer
    this.noteClash(peer, channel, from, connection)
    this.deps.deliver(channel, from, frame)
    return true
  }

  /** A frame of `from` came on (or, as a datagram, by a key issued over) `connection`. */
  private noteClash (peer: PeerInbound, channel: Channel, from: PeerId, connection: Connection): void {
    const t = this.deps.now()
    const clash = peer.clash[channel].note(connection, t)
    if (clash !== undefined) this.clashed(peer, from, clash, t)
  }

  /**
   * Policy and rate limits for one frame, counted: the peer's state if it passes; if not, whether its
   * stream may go on (a frame over the rate is dropped; a blocked peer or a flooder is cut off).
   */
  private admit (channel: Channel, from: PeerId, frame: Uint8Array): PeerInbound | boolean {
    const { counters, now } = this.deps
    const verdict = this.deps.policy.verdict(from)
    if (verdict !== 'ok') {
      // Blocked after the stream opened (e.g. a partition began): drop on our side whatever the remote does.
      if (verdict === 'blocked') counters.rejectedFrames.blocked++
      else counters.rejectedFrames.unauthorized++
      return false
    }
    const peer = this.peer(from)
    const t = now()
    // Both buckets are checked before either is charged: a frame dropped by one costs the other nothing.
    const cost = frame.byteLength + varintLength(frame.byteLength)
    const admission = peer.limits[channel].admit(t, cost)
    if (admission !== 'ok') return this.rateLimited(peer, channel, from, t, admission === 'bytes' ? cost : undefined)
    const traffic = counters.channels[channel]
    traffic.framesIn++
    traffic.bytesIn += frame.byteLength
    return peer
  }

  /** Frames of `from` kept arriving on two open connections: two processes hold its key. */
  private clashed (peer: PeerInbound, from: PeerId, conns: readonly [Connection, Connection], t: number): void {
    this.deps.counters.identityClashes++
    if (peer.lastClashAt !== undefined && t - peer.lastClashAt < CLASH_LOG_INTERVAL_MS) return
    peer.lastClashAt = t
    this.deps.log.warn('two processes run with one peer identity: their frames keep arriving on two connections at once. Another process runs with a copy of this member\'s identity (a copied data dir, or one peer.key given to two peers; every peer needs its own peer.key): members cannot tell the two apart, and one of them gets no answers', {
      peer: from, connections: conns.map(c => c.remoteAddr.toString()).join(' ')
    })
    this.deps.onClash?.(from, conns)
  }

  /**
   * Drops a frame over the peer's frame or byte budget (`bytes` set when only the byte bucket was short).
   * Counts it, warns once per flood window, and feeds the flood detector. Returns false to stop reading.
   */
  private rateLimited (peer: PeerInbound, channel: Channel, from: PeerId, t: number, bytes: number | undefined): boolean {
    const { counters, config } = this.deps
    counters.rejectedFrames.rateLimited++
    if (bytes !== undefined) {
      counters.rateLimitedBytes.frames++
      counters.rateLimitedBytes.bytes += bytes
    }
    if (peer.lastDropAt === undefined || t - peer.lastDropAt > config.flood.windowMs) {
      counters.flooders.throttled++
      this.deps.warnings.warn(`throttle:${from}`, bytes === undefined
        ? 'peer exceeds its inbound frame rate: dropping excess frames'
        : 'peer exceeds its inbound byte rate: dropping excess frames', {
        peer: from,
        channel,
        ...(bytes === undefined ? { ratePerSec: config.inboundRate[channel].ratePerSec } : { bytesPerSec: config.inboundByteRate[channel].bytesPerSec })
      })
    }
    peer.lastDropAt = t
    if (peer.flood.noteDrop(t)) {
      this.deps.onFlooder(from)
      return false
    }
    return true
  }

  private finish (channel: Channel, from: PeerId, stream: Stream, end: ReadEnd): void {
    this.peers.get(from)?.streams[channel].delete(stream)
    const { counters } = this.deps
    switch (end.reason) {
      case 'eof':
        // The remote closed its (write) side: close ours so the stream is fully closed, not half-open.
        stream.close().catch((err: unknown) => { stream.abort(toError(err)) })
        return
      case 'closed':
        return
      case 'stopped':
        stream.abort(new Error('stopped reading'))
        return
      case 'oversized':
      case 'malformed':
      case 'timeout':
        counters.rejectedFrames[end.reason]++
        this.deps.warnings.warn(`bad-frame:${from}`, `aborted inbound stream: ${end.reason} frame`, {
          peer: from, channel, error: end.error?.message
        })
        stream.abort(end.error ?? new Error(end.reason))
    }
  }
}
