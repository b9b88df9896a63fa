/**
 * Transport counters: a plain object that HTTP /metrics exports as-is. Counters only grow; gauges
 * (connections, queued frames, streams) are filled in when `stats()` is called.
 */
import { perChannel } from '../core/transport.js'
import type { Channel } from '../core/transport.js'

/**
 * What a dial was for: a frame of a channel (the first to need the connection; both channels then share
 * it), `ahead` (the prober dials a member seconds before probing it), `address` (a seed or join address
 * without a peer id), `discovery` (an mDNS peer).
 */
export type DialReason = Channel | 'ahead' | 'address' | 'discovery'

export interface ChannelTraffic {
  framesIn: number
  bytesIn: number
  framesOut: number
  bytesOut: number
}

/** Why an inbound frame (or the stream carrying it) was refused. */
export interface RejectedFrames {
  /** Length prefix above the channel limit: stream aborted. */
  oversized: number
  /** Bad varint, empty frame, truncated frame, or read buffer overflow: stream aborted. */
  malformed: number
  /** A frame started arriving and did not complete within the read timeout: stream aborted. */
  timeout: number
  /** Bytes on a stream that is ours to write only: stream aborted. */
  unexpected: number
  /** Over the peer's frame or byte token bucket: dropped (byte-bucket drops also in `rateLimitedBytes`). */
  rateLimited: number
  /** From a peer blocked by fault injection: dropped. */
  blocked: number
  /** From a peer outside `allowPeers`, or in flood cooldown: dropped. */
  unauthorized: number
  /** No handler registered on the channel: dropped. */
  noHandler: number
}

/** Why an outbound frame was dropped instead of written. */
export interface DroppedOutbound {
  /** The per-(peer, channel) queue was full (oldest dropped) or the global byte budget was exhausted. */
  queueOverflow: number
  /** The dial failed: everything queued for the peer was dropped. */
  dialFailed: number
  /** Could not open the stream or the write failed/timed out. */
  writeFailed: number
  /** The destination is blocked, not allowed, or unusable (bad id or no valid address). */
  refused: number
  /** The transport was closing or closed. */
  closed: number
}

/** Datagrams (datagrams.ts): swim frames over UDP. */
export interface DatagramCounters {
  sent: number
  received: number
  /** The socket refused or failed a send (no route, buffer full). */
  sendFailed: number
  /** Dropped: not murmur's (size, version), a key we never issued (e.g. of our previous life), failed authentication, a counter seen already. */
  rejected: { malformed: number, unknownKey: number, unauthenticated: number, replayed: number }
  /** Keys whose hellos went unanswered: UDP to that peer is dropped on the way; its frames go by stream. */
  pathsUnconfirmed: number
  /** Resets sent: datagrams sealed with a key this process never issued (of its previous life) answered. */
  resetsSent: number
  /** Keys we held dropped on a verified reset: the peer that issued them restarted. */
  keysReset: number
}

export interface RejectedConnections {
  handshakeFailed: number
  unauthorized: number
  blocked: number
  cooldown: number
  unprotected: number
  pendingFull: number
  inboundLimit: number
}

/**
 * Security handshakes (Noise + yamux negotiation) of one direction. `started` counts those that reached
 * the handshake (TCP connected); each ends once, as `completed`, `timedOut` (its deadline passed — on a
 * healthy network a sign of CPU starvation on one end) or `failed` (reset, refused by a gater, bad key…).
 */
export interface HandshakeCounts {
  started: number
  completed: number
  timedOut: number
  failed: number
  /**
   * Inbound: connections that waited in line for a slot and whose remote hung up before their turn (its
   * dialler gave up): they leave the line with no handshake work spent, and are not `started`. Outbound: 0.
   */
  abandonedInLine: number
}

export interface TransportStats {
  channels: Record<Channel, ChannelTraffic>
  dials: { ok: number, failed: number }
  /** Dials started, by what needed the connection (see DialReason): which protocol makes a heal's handshakes. */
  dialsBy: Record<DialReason, number>
  handshakes: { inbound: HandshakeCounts, outbound: HandshakeCounts }
  rejectedFrames: RejectedFrames
  droppedOutbound: DroppedOutbound
  /** Inbound streams refused (per-peer stream cap, blocked or unauthorized peer). */
  rejectedStreams: number
  /**
   * Connections refused by the gater, that failed their handshake (e.g. pre-shared key mismatch), or that
   * libp2p refused on arrival (before any key or allowlist check): `pendingFull` = too many connections
   * still in their upgrade (`maxIncomingPendingConnections`); `inboundLimit` = over the per-IP rate
   * (`inboundConnectionThreshold`) or libp2p's connection cap.
   */
  rejectedConnections: RejectedConnections
  flooders: { throttled: number, disconnected: number }
  /**
   * Inbound frames dropped because the (peer, channel) *byte* bucket was short (`inboundByteRate`), and
   * their bytes. The frames are also counted in `rejectedFrames.rateLimited`: this is the subset, not more.
   */
  rateLimitedBytes: { frames: number, bytes: number }
  /** Connections closed by our LRU budget, and presumed-dead connections closed. */
  prunedConnections: number
  /** Connections this end closed because a simultaneous dial left two to one peer (peer-link.ts). */
  duplicateConnectionsClosed: number
  silentConnectionsClosed: number
  /** Times frames of one peer kept arriving on two open connections at once: two processes with its identity (identity-clash.ts). */
  identityClashes: number
  streamsOpened: { inbound: number, outbound: number }
  /** Swim frames sent and received as datagrams (datagrams.ts), and datagrams dropped. */
  datagrams: DatagramCounters
  /** Gauges, sampled at `stats()` time. */
  openConnections: number
  connectedPeers: number
  queuedFrames: number
  queuedBytes: number
  openStreams: { inbound: number, outbound: number }
  /** Duration of the most recent successful dial (TCP + handshake), ms. */
  lastDialMs: number | undefined
  /** Handshakes running now, and waiting for one of the bounded slots (handshake-slots.ts). */
  handshakesInProgress: { inbound: number, outbound: number }
  handshakesQueued: { inbound: number, outbound: number }
}

export type TransportCounters = Omit<TransportStats, 'openConnections' | 'connectedPeers' | 'queuedFrames' | 'queuedBytes' | 'openStreams' | 'lastDialMs' | 'handshakesInProgress' | 'handshakesQueued'>

export function createCounters (): TransportCounters {
  const traffic = (): ChannelTraffic => ({ framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0 })
  const handshakes = (): HandshakeCounts => ({ started: 0, completed: 0, timedOut: 0, failed: 0, abandonedInLine: 0 })
  return {
    channels: perChannel(traffic),
    dials: { ok: 0, failed: 0 },
    dialsBy: { swim: 0, sync: 0, presence: 0, ahead: 0, address: 0, discovery: 0 },
    handshakes: { inbound: handshakes(), outbound: handshakes() },
    rejectedFrames: { oversized: 0, malformed: 0, timeout: 0, unexpected: 0, rateLimited: 0, blocked: 0, unauthorized: 0, noHandler: 0 },
    droppedOutbound: { queueOverflow: 0, dialFailed: 0, writeFailed: 0, refused: 0, closed: 0 },
    rejectedStreams: 0,
    rejectedConnections: { handshakeFailed: 0, unauthorized: 0, blocked: 0, cooldown: 0, unprotected: 0, pendingFull: 0, inboundLimit: 0 },
    flooders: { throttled: 0, disconnected: 0 },
    rateLimitedBytes: { frames: 0, bytes: 0 },
    prunedConnections: 0,
    duplicateConnectionsClosed: 0,
    silentConnectionsClosed: 0,
    identityClashes: 0,
    streamsOpened: { inbound: 0, outbound: 0 },
    datagrams: { sent: 0, received: 0, sendFailed: 0, rejected: { malformed: 0, unknownKey: 0, unauthenticated: 0, replayed: 0 }, pathsUnconfirmed: 0, resetsSent: 0, keysReset: 0 }
  }
}
