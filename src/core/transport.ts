/**
 * The Transport interface: the only way membership and replication reach other peers.
 *
 * `send` is fire-and-forget, like the UDP that SWIM was designed on: a frame may be lost (an outbound
 * queue overflowing, a failed dial, a connection closing), and a frame that arrives is delivered whole and
 * attributed to the authenticated sender. Frames to one peer on one channel travel on one stream, so those
 * that arrive do so in the order they were sent — except small `swim` frames (≤ DATAGRAM_MAX_FRAME_BYTES),
 * which may travel as datagrams (UDP) between two peers that exchanged datagram keys over a connection (see
 * `datagramPath`): those are unordered, and one that is lost is not resent (SWIM was designed on UDP). Request/response, retries and acknowledgements are the
 * protocols' job, so the same protocol code runs over libp2p streams (`src/net/`) and over the
 * deterministic simulator (`src/sim/`), which models the same queues, limits and connections and can
 * also inject duplicates (replay) to test that protocols are idempotent. The shared acceptance suite in
 * `test/helpers/transport-acceptance.ts` holds both implementations to this contract.
 */

import type { PeerSigner } from './signer.js'

/** A peer's identity: the libp2p PeerId string in real peers, a short name in the simulator. */
export type PeerId = string

/**
 * The logical protocols multiplexed over one transport. Each has its own frame limit. `presence` carries
 * ephemeral state that is never persisted (Yjs awareness of connected clients, views for `/mesh`).
 */
export const Channel = { swim: 'swim', sync: 'sync', presence: 'presence' } as const
export type Channel = typeof Channel[keyof typeof Channel]
export const CHANNELS: readonly Channel[] = [Channel.swim, Channel.sync, Channel.presence]

/** One value per channel, made by `make` (per-channel counters, queues, buckets). */
export function perChannel<T> (make: (channel: Channel) => T): Record<Channel, T> {
  const out = {} as Record<Channel, T>
  for (const c of CHANNELS) out[c] = make(c)
  return out
}

/**
 * A connection's progress, as far as a sender waiting on it is concerned:
 * - `open`: frames leave at once;
 * - `queued`: a dial waits in line for a handshake slot (handshake-slots.ts): nothing tried yet;
 * - `handshaking`: TCP connected (the remote answered) and the security handshake is under way;
 * - `connecting`: a dial waits for TCP to connect (no answer yet: maybe a partition, maybe a host gone);
 * - `none`: no connection and no dial (the next frame starts one).
 */
export type DialStage = 'open' | 'queued' | 'handshaking' | 'connecting' | 'none'

/** Where to send. `id` may be unknown when joining through a bare bootstrap address. */
export interface Destination {
  readonly id?: PeerId
  readonly addrs: readonly string[]
}

/**
 * One inbound frame. `viaDatagram`: it came as a datagram (Transport.datagramPath), not on a connection's
 * stream; membership answers a ping on the path it came by (a stream ping is the fallback for a datagram
 * path that lost its frames: its ack should not take that path again).
 */
export type FrameHandler = (from: PeerId, frame: Uint8Array, viaDatagram?: boolean) => void

export interface SendOptions {
  /**
   * Never as a datagram: on the connection's stream, dialling if there is none. The prober's fallback ping
   * after a datagram ping went unanswered (memberlist's TCP fallback): a restarted process, or a path that
   * drops UDP, does not answer datagrams, and a dial to a process that is gone is refused at once.
   */
  readonly stream?: boolean
}

export type PeerEvent =
  /** A connection to `id` opened (either direction). */
  | { readonly type: 'connected', readonly id: PeerId }
  /** The last connection to `id` closed. Not a failure verdict: membership decides that by probing. */
  | { readonly type: 'disconnected', readonly id: PeerId }
  /**
   * A send to `id` (or to `addrs`, if the id was unknown) could not even start: the dial was refused or
   * timed out. Membership may use it to finish a probe early; it never marks a member dead on its own.
   * `refused`: the remote's host answered and nothing listens there (TCP RST, ECONNREFUSED, on every
   * address tried): the peer's process is gone or stopped listening, where a timeout says nothing about it.
   * `reason`: why, for a person (`murmur join` prints it per address); never a protocol input.
   */
  | { readonly type: 'unreachable', readonly id?: PeerId, readonly addrs: readonly string[], readonly refused?: boolean, readonly reason?: string }
  /**
   * `id` reset the datagram key we held for it (a new process of that identity cannot open what we sealed
   * with its previous life's key): the datagram we just sent it is lost, and frames to it go by stream now.
   */
  | { readonly type: 'datagramKeyReset', readonly id: PeerId }

export interface Transport {
  /** This peer's id. */
  readonly localId: PeerId
  /**
   * Signs with this peer's identity and verifies others' signatures by their ids. Optional: without one,
   * membership cannot tell a member's own record from a forgery relayed by another member (see
   * src/core/signer.ts); the libp2p transport and the simulator always have one.
   */
  readonly signer?: PeerSigner
  /** Addresses other peers can reach this one at (multiaddrs with `/p2p/<id>` on libp2p). */
  addresses(): string[]
  /**
   * Sends one frame on `channel`. Never blocks and never throws for network reasons: a frame that
   * cannot be delivered is dropped (and an `unreachable` event may follow).
   * @throws FrameTooLargeError if `frame` exceeds the channel's limit — a local bug, not a network fault.
   */
  send(channel: Channel, to: Destination, frame: Uint8Array, options?: SendOptions): void
  /**
   * Whether a `swim` frame of at most DATAGRAM_MAX_FRAME_BYTES sent to `id` now would travel as a datagram:
   * this peer holds a datagram key for `id` whose path was confirmed (a datagram answered), so it costs no
   * dial and no connection. Keys outlive a connection this peer closed (its connection budget), not one the
   * remote closed (the remote may have stopped: the next frame dials, and a refused dial is evidence).
   * Optional: without it no frame travels as a datagram.
   */
  datagramPath?(id: PeerId): boolean
  /** Registers the one handler for inbound frames on `channel`; returns an unsubscribe function. */
  onFrame(channel: Channel, handler: FrameHandler): () => void
  /** Subscribes to connection-level events; returns an unsubscribe function. */
  onPeerEvent(handler: (event: PeerEvent) => void): () => void
  /** The hard size limit for frames on `channel`, in bytes. */
  maxFrameBytes(channel: Channel): number
  /**
   * Membership declared `id` dead: drop what is queued for it, and close a connection to it that has
   * gone quiet, so the next send dials afresh. Over TCP, a connection through a partition that has since
   * healed may sit in exponential retransmission backoff for many seconds; a fresh dial goes through at
   * once. A connection that still delivers frames from `id` is kept (issue 14): the verdict may be false,
   * or already refuted, and redialling a working connection only costs both ends a handshake. Optional.
   */
  forget?(id: PeerId): void
  /**
   * Whether a connection to `id` is open now: sending to it costs no dial. Membership prefers such
   * members for gossip (issue 14). Optional; without it every member counts as connected.
   */
  isConnected?(id: PeerId): boolean
  /**
   * Whether this peer holds clearly fewer connections than its budget allows (below ROOM_FRACTION of it), so
   * that a dial now will not make the budget close another, least recently used, connection. Replication's
   * epidemic push dials only while it does (src/replication/push.ts). Optional; without it there is always room.
   */
  hasConnectionRoom?(): boolean
  /**
   * Where our way to `id` stands (see DialStage): whether a frame sent now waits for a dial, and whether that
   * dial is known to reach the remote. Membership leaves a probe undecided while its ping waits in line for a
   * handshake or inside one — not while TCP has not connected (a partition, a host gone). Optional.
   */
  dialStage?(id: PeerId): DialStage
  /**
   * Opens a connection to `to` ahead of any frame, so that a frame sent a little later finds it open: the
   * dial's round trips, its handshake and any lost SYN (resent after a second over TCP) are paid
   * meanwhile. Nothing if a connection is open or being dialled. A dial that fails reports the peer
   * `unreachable`, as a send would. Optional.
   */
  connect?(to: Destination): void
  /**
   * Our local health as Lifeguard measures it (score + 1; 1 = healthy): the transport stretches its
   * handshake deadlines by it, so that an overloaded peer waits for handshakes that are slow because of
   * its own load instead of abandoning and redoing them. Optional.
   */
  setLocalHealth?(multiplier: number): void
}

/**
 * `hasConnectionRoom`: below this fraction of the budget. Not the budget itself: every connection a peer's
 * budget closes makes room at the other end, whose next push dials someone full again. 24 peers allowed 8
 * connections each, 8 of them writing for 20 s (test/replication/push.test.ts): 1,778 dials for ~5,200 pushes and
 * forwards while they drew any host, 617 with room below 7/8 of the budget, 270 below 1/2.
 */
export const ROOM_FRACTION = 1 / 2

/**
 * How long after the last frame from a peer `forget` still trusts its connection: a couple of probe
 * periods. A connection that delivered something this recently works.
 */
export const FORGET_QUIET_MS = 2000

/**
 * The largest `swim` frame that may travel as a datagram (src/net/datagrams.ts): a datagram of at most
 * ~1,200 bytes with its header and authentication tag, below any path MTU a LAN or the Internet has. A larger
 * frame, or one to a peer we hold no confirmed datagram key for, goes on the connection's stream.
 */
export const DATAGRAM_MAX_FRAME_BYTES = 1150
/**
 * Datagram key resets a process sends per second at most (src/net/datagrams.ts; the simulator the same): a
 * restarted peer hears from each holder of its old keys about once a probe rotation, and a stranger sending
 * junk with key ids gets no more than this back.
 */
export const DATAGRAM_RESETS_PER_SECOND = 20

/**
 * Default hard frame limits. Larger payloads are chunked by the protocol that produces them
 * (push-pull pages, sync diff chunks), so these bound memory per frame, not what can be replicated.
 */
export const DEFAULT_MAX_FRAME_BYTES: Readonly<Record<Channel, number>> = {
  // A push-pull page of ~2,000 members with addresses and a few tags fits comfortably.
  swim: 512 * 1024,
  // Sync diffs are chunked to SYNC_CHUNK_BYTES (well below this); the rest is headroom for the envelope.
  sync: 1024 * 1024,
  // Awareness states are small (a cursor, a name: ≤ 16 KiB each by limit); larger sets are paged.
  presence: 256 * 1024
}
