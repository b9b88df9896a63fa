/**
 * Limits of the links between peers that both transports share: the libp2p transport enforces them
 * (src/net), and the simulator models them with the same values (src/sim), so that what overflows in
 * production overflows in simulation too. No libp2p here: src/sim must not import it.
 */
import type { Channel } from './transport.js'
import type { QueueLimits } from './frame-queue.js'
import type { ByteRateSpec, FloodSpec, RateSpec } from './rate-limit.js'

/** TCP + Noise XX + yamux takes ~25 ms on a LAN; 3 s is generous and still shorter than a SWIM suspicion. */
export const DEFAULT_DIAL_TIMEOUT_MS = 3000

/**
 * Handshake deadlines (dial, inbound upgrade) stretch with our local health (Lifeguard score + 1) up to
 * this factor: 3 s → 12 s on a badly overloaded peer, where abandoning a slow handshake only means doing
 * it again. A dial's TCP connect is not stretched: no SYN-ACK (a partition, a host gone) is no sign of our
 * load, and a minority's health score is high for as long as it is cut off — stretched, a dial begun
 * before a heal held that member's frames for up to 12 s after it. Over libp2p, its own deadlines are set
 * at the stretched maximum; ours are the ones that act.
 */
export const MAX_HANDSHAKE_TIMEOUT_SCALE = 4

/** The factor handshake deadlines are stretched by, for a local health multiplier (score + 1). */
export function handshakeTimeoutScale (healthMultiplier: number): number {
  return Number.isFinite(healthMultiplier) ? Math.min(MAX_HANDSHAKE_TIMEOUT_SCALE, Math.max(1, healthMultiplier)) : 1
}

/**
 * Connections we keep. N = 1,000 must work without a full mesh; SWIM talks to a few members per period,
 * so 64 warm connections cover the probe targets, gossip fan-out and sync partners with room to spare.
 */
export const DEFAULT_MAX_CONNECTIONS = 64

/** A connection this young is never pruned by the budget: it was just dialled or accepted for a reason. */
export const DEFAULT_PRUNE_GRACE_MS = 2000

/**
 * How long a connection's TCP socket may carry nothing before it is closed: 0, never. @libp2p/tcp closes a
 * socket after 2 minutes without a byte, and with pings, acks and gossip on UDP datagrams most connections
 * of a large mesh carry nothing for minutes (a pair push-pulls about once in N minutes). Each such close
 * took the datagram keys with it, and the next probe dialled again: at N = 50 every connection was re-made
 * every ~2–3 minutes, 3.4–5.7 packets a second per idle member where 2.2 are the pings and acks. A dead
 * connection is SWIM's to find (a member that stops answering is declared dead, and its connections closed);
 * idle ones above the budget are pruned, least recently used first.
 */
export const DEFAULT_SOCKET_INACTIVITY_TIMEOUT_MS = 0

/** Frames per write: one yamux/noise message can carry several queued frames (fewer packets). */
export const WRITE_BATCH_BYTES = 64 * 1024

/** Per (peer, channel) outbound queue bounds; overflow drops the oldest frame (frame-queue.ts). */
export const DEFAULT_QUEUE_LIMITS: Readonly<Record<Channel, QueueLimits>> = {
  // A SWIM member sends a handful of frames per second per peer; 1,024 covers a dial's worth and more.
  swim: { maxFrames: 1024, maxBytes: 2 * 1024 * 1024 },
  // Sync chunks can be large; 8 MiB is a few diff chunks in flight per peer.
  sync: { maxFrames: 1024, maxBytes: 8 * 1024 * 1024 },
  // Awareness changes (cursor moves) of the clients connected here, to each peer with clients on the doc.
  presence: { maxFrames: 1024, maxBytes: 2 * 1024 * 1024 }
}

/** Total outbound bytes queued across all peers; beyond it new frames are dropped (memory bound). */
export const DEFAULT_MAX_TOTAL_QUEUED_BYTES = 64 * 1024 * 1024

/**
 * Inbound frame rate per (peer, channel). A SWIM peer sends us a few frames per second (probe, acks,
 * gossip, push-pull pages); replication bursts after a partition heals. Both are far below these, so
 * only a misbehaving peer is ever limited. Overflow: the frame is dropped and counted.
 */
export const DEFAULT_INBOUND_RATE: Readonly<Record<Channel, RateSpec>> = {
  swim: { ratePerSec: 200, burst: 500 },
  sync: { ratePerSec: 1000, burst: 2000 },
  // One frame per awareness change of a remote peer's clients (cursor moves, ~tens/s while typing) plus
  // refreshes every 15 s per doc: 500/s is far above a busy editing session, and bounds a hostile peer.
  presence: { ratePerSec: 500, burst: 2000 }
}

/**
 * Inbound bytes per (peer, channel), checked with the frame rate (LIMITS row 13): without it, 200 maximal
 * swim frames a second (100 MiB/s) fit the frame budget. Overflow: the frame is dropped, counted as
 * rateLimited (and in `rateLimitedBytes`), and feeds the flood detector like a frame-rate drop.
 *
 * - swim: one peer sends us probes, acks and gossip (≤ 4 KiB piggybacked per frame, a few frames/s:
 *   tens of KB/s) and push-pull pages — a whole state at N = 1,000 is ~250 KB, at most 512 KiB per page,
 *   every push-pull interval (30 s). 1 MiB/s is 4× a full state every second; the 4 MiB burst takes 8
 *   maximal pages back to back (a join's state exchange at N ≈ 16,000) without a drop.
 * - sync: anti-entropy diffs after a heal can be MBs, up to `maxTransferBytes` (32 MiB) in 256 KiB
 *   chunks. The 64 MiB burst takes two maximal transfers at wire speed; 32 MiB/s (≈ 270 Mbit/s) sustained
 *   from one peer is more than replication sends (one round per partner, chunks paced by the outbound
 *   queue) and bounds what a hostile peer makes us decode and merge.
 */
export const DEFAULT_INBOUND_BYTE_RATE: Readonly<Record<Channel, ByteRateSpec>> = {
  swim: { bytesPerSec: 1024 * 1024, burstBytes: 4 * 1024 * 1024 },
  sync: { bytesPerSec: 32 * 1024 * 1024, burstBytes: 64 * 1024 * 1024 },
  // Awareness states are ≤ 16 KiB each; a full refresh of a doc's states is paged into ≤ 256 KiB frames.
  // 1 MiB/s with a 4 MiB burst takes a refresh of hundreds of clients at once and bounds a hostile peer.
  presence: { bytesPerSec: 1024 * 1024, burstBytes: 4 * 1024 * 1024 }
}

/** Sustained flooding: this many rate-limited drops within the window ⇒ disconnect + cooldown. */
export const DEFAULT_FLOOD: Readonly<FloodSpec> = { windowMs: 10_000, dropThreshold: 1000 }
/** How long a disconnected flooder is refused (dials and inbound connections). */
export const DEFAULT_FLOOD_COOLDOWN_MS = 60_000
