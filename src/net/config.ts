/**
 * Configuration of the libp2p transport: an all-optional init, named defaults with their reasons, and one
 * resolve step that validates everything and throws ConfigError at start-up.
 */
import type { PrivateKey } from '@libp2p/interface'
import { ConfigError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { CHANNELS, DEFAULT_MAX_FRAME_BYTES } from '../core/transport.js'
import type { Channel } from '../core/transport.js'
import type { QueueLimits } from '../core/frame-queue.js'
import { varintLength } from '../core/codec.js'
import { DEFAULT_MAX_CONCURRENT_HANDSHAKES, DEFAULT_MAX_CONCURRENT_INBOUND_HANDSHAKES, DEFAULT_MAX_QUEUED_HANDSHAKES } from '../core/handshake-slots.js'
import type { ByteRateSpec, FloodSpec, RateSpec } from '../core/rate-limit.js'
import {
  DEFAULT_DIAL_TIMEOUT_MS, DEFAULT_FLOOD, DEFAULT_FLOOD_COOLDOWN_MS, DEFAULT_INBOUND_BYTE_RATE, DEFAULT_INBOUND_RATE,
  DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_TOTAL_QUEUED_BYTES, DEFAULT_PRUNE_GRACE_MS, DEFAULT_QUEUE_LIMITS
} from '../core/link-defaults.js'

// Shared with the simulator, which models the same limits (src/core/link-defaults.ts).
export {
  DEFAULT_DIAL_TIMEOUT_MS, DEFAULT_FLOOD, DEFAULT_FLOOD_COOLDOWN_MS, DEFAULT_INBOUND_BYTE_RATE, DEFAULT_INBOUND_RATE,
  DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_TOTAL_QUEUED_BYTES, DEFAULT_PRUNE_GRACE_MS, DEFAULT_QUEUE_LIMITS, MAX_HANDSHAKE_TIMEOUT_SCALE, WRITE_BATCH_BYTES
} from '../core/link-defaults.js'

/**
 * libp2p protocol ids of murmur's channels. Versioned: a wire change gets a new id, not a silent break
 * (sync 2.0.0: placement — summaries, batched steps, durable confirmations in step 3 and acks).
 */
export const PROTOCOLS: Readonly<Record<Channel, string>> = {
  swim: '/murmur/swim/1.0.0',
  sync: '/murmur/sync/2.0.0',
  presence: '/murmur/presence/1.0.0'
}

/**
 * All interfaces, ephemeral port: reachable from the LAN (a mesh that only listens on loopback surprises
 * people), and several peers on one machine just work. The printed multiaddrs say where to bootstrap;
 * pass `--listen` for a stable port.
 */
export const DEFAULT_LISTEN: readonly string[] = ['/ip4/0.0.0.0/tcp/0']

/** A frame that has started arriving must complete within this (slow-loris bound). Idle streams are fine. */
export const DEFAULT_FRAME_READ_TIMEOUT_MS = 10_000
/** A write stuck behind backpressure this long means the remote stopped reading: drop the stream. */
export const DEFAULT_WRITE_TIMEOUT_MS = 5000
/** libp2p's own cap sits this far above ours, so our LRU pruning (not libp2p's pruner) is what acts. */
export const LIBP2P_CONNECTION_HEADROOM = 16
/**
 * New inbound connections per second from one IP before libp2p refuses them. libp2p's default (5) is too
 * low for several peers on one host re-merging after a partition; this still stops a connection flood.
 */
export const DEFAULT_INBOUND_CONNECTION_THRESHOLD = 50
/**
 * Inbound connections that may be in their upgrade (pnet + Noise + yamux) at once; libp2p refuses every
 * further one. Its default (10) let ten silent TCP sockets — from anyone, before any key or allowlist
 * check — lock legitimate peers out for seconds at a time (LIMITS row 20). A pending upgrade costs a
 * socket and a few KiB, and is closed after `inboundUpgradeTimeoutMs`, so 256 is cheap. It is also
 * above what one IP can hold: `inboundConnectionThreshold` × `inboundUpgradeTimeoutMs` = 50/s × 3 s =
 * 150, so filling it takes at least two source addresses.
 */
export const DEFAULT_MAX_INCOMING_PENDING_CONNECTIONS = 256
/** Our outbound stream per (peer, channel) is 1; 4 leaves room for a replaced stream that is still closing. */
export const DEFAULT_MAX_STREAMS_PER_PEER = 4
/**
 * Frames written steadily to a peer (at least 3, no gap longer than this) with no frame back for this
 * long ⇒ the connection is presumed dead (host gone without a RST) and is closed so the next send
 * re-dials. SWIM acks every ping within a second, so a live peer answers long before this. libp2p's
 * own detector (connection monitor pings) is off: it costs a stream and ~50 B/s per connection.
 */
export const DEFAULT_SILENT_CONNECTION_TIMEOUT_MS = 30_000
/** close(): how long queued frames may take to flush before they are dropped. */
export const DEFAULT_CLOSE_FLUSH_MS = 500

export interface MdnsInit {
  /** Query interval. @default 10_000 (libp2p's default) */
  intervalMs?: number
  /**
   * DNS-SD service name. @default '_murmur._udp.local' — not libp2p's `_p2p._udp.local`, so a murmur
   * peer does not try to join every IPFS node on the LAN.
   */
  serviceTag?: string
}

/** The DNS-SD service of a murmur cluster: `_murmur._udp.local`, or `_murmur-<cluster>._udp.local`. */
export function mdnsServiceTag (cluster?: string): string {
  return cluster === undefined ? '_murmur._udp.local' : `_murmur-${cluster}._udp.local`
}

/** A DNS label is at most 63 bytes (RFC 1035 §2.3.4). */
const MAX_DNS_LABEL_BYTES = 63
/** A cluster name at most this long keeps `_murmur-<cluster>` one DNS label. */
export const MAX_MDNS_CLUSTER_CHARS = MAX_DNS_LABEL_BYTES - '_murmur-'.length
/**
 * A cluster name (`--mdns <cluster>`, `mdns: { cluster }`): lowercase letters, digits and inner dashes, so
 * `_murmur-<cluster>` is one DNS label that mDNS, case-insensitive, never confuses with another cluster's.
 */
export const MDNS_CLUSTER_NAME = new RegExp(`^[a-z0-9]([a-z0-9-]{0,${MAX_MDNS_CLUSTER_CHARS - 2}}[a-z0-9])?$`)

/**
 * A service name with a label over 63 bytes cannot be carried by DNS: mDNS packets naming it were sent
 * and then refused by every receiver ("bad label"), so peers of such a cluster never found each other,
 * and nothing said why.
 */
function checkServiceTag (tag: string): string {
  const long = tag.split('.').find(label => Buffer.byteLength(label) > MAX_DNS_LABEL_BYTES)
  if (long !== undefined) throw new ConfigError(`mdns.serviceTag ${tag}: the label ${long} is longer than ${MAX_DNS_LABEL_BYTES} bytes, the most a DNS label holds (a cluster name is at most ${MAX_MDNS_CLUSTER_CHARS} characters)`)
  return tag
}

export interface Libp2pTransportInit {
  /** Multiaddrs to listen on. @default DEFAULT_LISTEN */
  listen?: string[]
  /**
   * Multiaddrs to advertise instead of the listen ones (`--advertise`): what others should dial when the
   * listen address is not reachable as such (NAT, a container, a Kubernetes pod). libp2p announces them
   * in identify, and `addresses()` (hence the member record) returns them. @default the listen addresses
   */
  announce?: string[]
  /** Identity key. Takes precedence over `dataDir`. */
  privateKey?: PrivateKey
  /** Where `peer.key` lives (created if missing). Without it or `privateKey`: a fresh identity per run. */
  dataDir?: string
  /** Contents of a swarm.key file: join only peers holding the same key. */
  psk?: string | Uint8Array
  /** If set, only these PeerIds may connect or be dialled. */
  allowPeers?: string[]
  /** Discover peers on the LAN with mDNS (discoveries are dialled and reported by `onDiscovered`). */
  mdns?: boolean | MdnsInit
  logger?: Logger
  /** @default DEFAULT_DIAL_TIMEOUT_MS */
  dialTimeoutMs?: number
  /** Inbound connection upgrade (pnet + Noise + yamux) bound. @default dialTimeoutMs */
  inboundUpgradeTimeoutMs?: number
  /** @default DEFAULT_FRAME_READ_TIMEOUT_MS */
  frameReadTimeoutMs?: number
  /** @default DEFAULT_WRITE_TIMEOUT_MS */
  writeTimeoutMs?: number
  /** Per-channel frame limit. @default DEFAULT_MAX_FRAME_BYTES (src/core/transport.ts) */
  maxFrameBytes?: Partial<Record<Channel, number>>
  /** @default DEFAULT_MAX_CONNECTIONS */
  maxConnections?: number
  /** @default DEFAULT_INBOUND_CONNECTION_THRESHOLD */
  inboundConnectionThreshold?: number
  /**
   * Inbound connections in their upgrade at once (libp2p `maxIncomingPendingConnections`); further ones
   * are refused and counted in `rejectedConnections.pendingFull`. @default DEFAULT_MAX_INCOMING_PENDING_CONNECTIONS
   */
  maxIncomingPendingConnections?: number
  /** @default DEFAULT_PRUNE_GRACE_MS */
  pruneGraceMs?: number
  /** @default DEFAULT_MAX_STREAMS_PER_PEER */
  maxStreamsPerPeer?: number
  /**
   * Security handshakes of our dials in progress at once; further dials wait in line
   * (src/core/handshake-slots.ts). @default DEFAULT_MAX_CONCURRENT_HANDSHAKES
   */
  maxConcurrentHandshakes?: number
  /** The same for connections accepted. @default DEFAULT_MAX_CONCURRENT_INBOUND_HANDSHAKES (why so high: see there) */
  maxConcurrentInboundHandshakes?: number
  /** Handshakes waiting for a slot, per direction; past it a dial fails and a connection is refused. @default DEFAULT_MAX_QUEUED_HANDSHAKES */
  maxQueuedHandshakes?: number
  /** @default DEFAULT_QUEUE_LIMITS */
  queueLimits?: Partial<Record<Channel, QueueLimits>>
  /** @default DEFAULT_MAX_TOTAL_QUEUED_BYTES */
  maxTotalQueuedBytes?: number
  /** @default DEFAULT_INBOUND_RATE */
  inboundRate?: Partial<Record<Channel, RateSpec>>
  /** `burstBytes` must hold one maximal frame of the channel. @default DEFAULT_INBOUND_BYTE_RATE */
  inboundByteRate?: Partial<Record<Channel, Partial<ByteRateSpec>>>
  /** @default DEFAULT_FLOOD */
  flood?: Partial<FloodSpec>
  /** @default DEFAULT_FLOOD_COOLDOWN_MS */
  floodCooldownMs?: number
  /** @default DEFAULT_SILENT_CONNECTION_TIMEOUT_MS */
  silentConnectionTimeoutMs?: number
  /** @default DEFAULT_CLOSE_FLUSH_MS */
  closeFlushMs?: number
  /**
   * Small swim frames over UDP (src/net/datagrams.ts), on the TCP listen port where it is free. Off: every
   * frame goes over the connections (a network that drops UDP is detected and needs no setting). @default true
   */
  datagrams?: boolean
  /** Monotonic ms clock for rate limits and LRU. @default performance.now */
  now?: () => number
}

export interface Libp2pTransportConfig {
  listen: string[]
  dialTimeoutMs: number
  inboundUpgradeTimeoutMs: number
  frameReadTimeoutMs: number
  writeTimeoutMs: number
  maxFrameBytes: Record<Channel, number>
  maxConnections: number
  pruneGraceMs: number
  inboundConnectionThreshold: number
  maxIncomingPendingConnections: number
  maxStreamsPerPeer: number
  maxConcurrentHandshakes: number
  maxConcurrentInboundHandshakes: number
  maxQueuedHandshakes: number
  queueLimits: Record<Channel, QueueLimits>
  maxTotalQueuedBytes: number
  inboundRate: Record<Channel, RateSpec>
  inboundByteRate: Record<Channel, ByteRateSpec>
  flood: FloodSpec
  floodCooldownMs: number
  silentConnectionTimeoutMs: number
  closeFlushMs: number
  allowPeers: ReadonlySet<string> | undefined
  mdns: Required<MdnsInit> | undefined
  announce: string[]
  datagrams: boolean
}

/** Resolves defaults and validates. @throws ConfigError */
export function resolveTransportConfig (init: Libp2pTransportInit): Libp2pTransportConfig {
  const dialTimeoutMs = positive(init.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS, 'dialTimeoutMs')
  const maxFrameBytes = perChannel(DEFAULT_MAX_FRAME_BYTES, init.maxFrameBytes, (v, c) => positiveInt(v, `maxFrameBytes.${c}`))
  const queueLimits = perChannel(DEFAULT_QUEUE_LIMITS, init.queueLimits, (v, c) => ({
    maxFrames: positiveInt(v.maxFrames, `queueLimits.${c}.maxFrames`),
    maxBytes: positiveInt(v.maxBytes, `queueLimits.${c}.maxBytes`)
  }))
  for (const c of CHANNELS) {
    if (queueLimits[c].maxBytes < maxFrameBytes[c]) {
      throw new ConfigError(`queueLimits.${c}.maxBytes (${queueLimits[c].maxBytes}) must hold one maximal frame (${maxFrameBytes[c]})`)
    }
  }
  const inboundRate = perChannel(DEFAULT_INBOUND_RATE, init.inboundRate, (v, c) => ({
    ratePerSec: positive(v.ratePerSec, `inboundRate.${c}.ratePerSec`),
    burst: positiveInt(v.burst, `inboundRate.${c}.burst`)
  }))
  const inboundByteRate = perChannel(DEFAULT_INBOUND_BYTE_RATE, init.inboundByteRate as Partial<Record<Channel, ByteRateSpec>> | undefined, (v, c) => ({
    bytesPerSec: positive(v.bytesPerSec, `inboundByteRate.${c}.bytesPerSec`),
    burstBytes: positiveInt(v.burstBytes, `inboundByteRate.${c}.burstBytes`)
  }))
  for (const c of CHANNELS) {
    if (inboundByteRate[c].burstBytes < maxFrameBytes[c] + varintLength(maxFrameBytes[c])) {
      throw new ConfigError(`inboundByteRate.${c}.burstBytes (${inboundByteRate[c].burstBytes}) must hold one maximal frame and its prefix (${maxFrameBytes[c] + varintLength(maxFrameBytes[c])})`)
    }
  }
  const flood = { ...DEFAULT_FLOOD, ...init.flood }
  const mdns = init.mdns === undefined || init.mdns === false
    ? undefined
    : {
        intervalMs: positive((init.mdns === true ? undefined : init.mdns.intervalMs) ?? 10_000, 'mdns.intervalMs'),
        serviceTag: checkServiceTag((init.mdns === true ? undefined : init.mdns.serviceTag) ?? mdnsServiceTag())
      }
  const listen = init.listen ?? [...DEFAULT_LISTEN]
  if (listen.length === 0) throw new ConfigError('listen: at least one multiaddr is required')
  return {
    listen,
    dialTimeoutMs,
    inboundUpgradeTimeoutMs: positive(init.inboundUpgradeTimeoutMs ?? dialTimeoutMs, 'inboundUpgradeTimeoutMs'),
    frameReadTimeoutMs: positive(init.frameReadTimeoutMs ?? DEFAULT_FRAME_READ_TIMEOUT_MS, 'frameReadTimeoutMs'),
    writeTimeoutMs: positive(init.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS, 'writeTimeoutMs'),
    maxFrameBytes,
    maxConnections: positiveInt(init.maxConnections ?? DEFAULT_MAX_CONNECTIONS, 'maxConnections'),
    pruneGraceMs: nonNegative(init.pruneGraceMs ?? DEFAULT_PRUNE_GRACE_MS, 'pruneGraceMs'),
    inboundConnectionThreshold: positiveInt(init.inboundConnectionThreshold ?? DEFAULT_INBOUND_CONNECTION_THRESHOLD, 'inboundConnectionThreshold'),
    maxIncomingPendingConnections: positiveInt(init.maxIncomingPendingConnections ?? DEFAULT_MAX_INCOMING_PENDING_CONNECTIONS, 'maxIncomingPendingConnections'),
    maxStreamsPerPeer: positiveInt(init.maxStreamsPerPeer ?? DEFAULT_MAX_STREAMS_PER_PEER, 'maxStreamsPerPeer'),
    maxConcurrentHandshakes: positiveInt(init.maxConcurrentHandshakes ?? DEFAULT_MAX_CONCURRENT_HANDSHAKES, 'maxConcurrentHandshakes'),
    maxConcurrentInboundHandshakes: positiveInt(init.maxConcurrentInboundHandshakes ?? DEFAULT_MAX_CONCURRENT_INBOUND_HANDSHAKES, 'maxConcurrentInboundHandshakes'),
    maxQueuedHandshakes: positiveInt(init.maxQueuedHandshakes ?? DEFAULT_MAX_QUEUED_HANDSHAKES, 'maxQueuedHandshakes'),
    queueLimits,
    maxTotalQueuedBytes: positiveInt(init.maxTotalQueuedBytes ?? DEFAULT_MAX_TOTAL_QUEUED_BYTES, 'maxTotalQueuedBytes'),
    inboundRate,
    inboundByteRate,
    flood: { windowMs: positive(flood.windowMs, 'flood.windowMs'), dropThreshold: positiveInt(flood.dropThreshold, 'flood.dropThreshold') },
    floodCooldownMs: positive(init.floodCooldownMs ?? DEFAULT_FLOOD_COOLDOWN_MS, 'floodCooldownMs'),
    silentConnectionTimeoutMs: positive(init.silentConnectionTimeoutMs ?? DEFAULT_SILENT_CONNECTION_TIMEOUT_MS, 'silentConnectionTimeoutMs'),
    closeFlushMs: nonNegative(init.closeFlushMs ?? DEFAULT_CLOSE_FLUSH_MS, 'closeFlushMs'),
    allowPeers: init.allowPeers === undefined ? undefined : new Set(init.allowPeers),
    mdns,
    announce: [...init.announce ?? []],
    datagrams: init.datagrams ?? true
  }
}

function perChannel<T> (defaults: Readonly<Record<Channel, T>>, overrides: Partial<Record<Channel, T>> | undefined, check: (v: T, c: Channel) => T): Record<Channel, T> {
  const out = {} as Record<Channel, T>
  for (const c of CHANNELS) {
    const override = overrides?.[c]
    const base = defaults[c]
    const merged = typeof base === 'object' && base !== null && typeof override === 'object' && override !== null
      ? { ...base, ...override }
      : override ?? base
    out[c] = check(merged, c)
  }
  return out
}

function positive (v: number, field: string): number {
  if (!Number.isFinite(v) || v <= 0) throw new ConfigError(`${field} must be a positive number, got ${v}`)
  return v
}

function nonNegative (v: number, field: string): number {
  if (!Number.isFinite(v) || v < 0) throw new ConfigError(`${field} must be ≥ 0, got ${v}`)
  return v
}

function positiveInt (v: number, field: string): number {
  if (!Number.isSafeInteger(v) || v <= 0) throw new ConfigError(`${field} must be a positive integer, got ${v}`)
  return v
}
