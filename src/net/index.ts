/**
 * src/net — the only code in murmur that imports libp2p. The contract: a factory for a started
 * Libp2pTransport (murmur's Transport over libp2p streams), its init and defaults, identity and
 * pre-shared-key helpers, and the named errors.
 */
export { createLibp2pTransport } from './factory.js'
export { Libp2pTransport, DEFAULT_CLOSE_TIMEOUT_MS } from './libp2p-transport.js'
export {
  PROTOCOLS, DEFAULT_LISTEN, DEFAULT_DIAL_TIMEOUT_MS, DEFAULT_FRAME_READ_TIMEOUT_MS, DEFAULT_WRITE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS, DEFAULT_PRUNE_GRACE_MS, DEFAULT_INBOUND_CONNECTION_THRESHOLD, DEFAULT_MAX_STREAMS_PER_PEER,
  DEFAULT_SILENT_CONNECTION_TIMEOUT_MS, DEFAULT_CLOSE_FLUSH_MS, DEFAULT_QUEUE_LIMITS, DEFAULT_MAX_TOTAL_QUEUED_BYTES,
  DEFAULT_INBOUND_RATE, DEFAULT_INBOUND_BYTE_RATE, DEFAULT_MAX_INCOMING_PENDING_CONNECTIONS, DEFAULT_FLOOD,
  DEFAULT_FLOOD_COOLDOWN_MS, resolveTransportConfig
} from './config.js'
export type { Libp2pTransportInit, Libp2pTransportConfig, MdnsInit } from './config.js'
export type { TransportStats, ChannelTraffic, RejectedFrames, RejectedConnections, DroppedOutbound } from './stats.js'
export { loadOrCreateIdentity, IDENTITY_FILE, IDENTITY_FILE_MODE } from './identity.js'
export type { Identity } from './identity.js'
export { parsePsk, generatePsk, PSK_HEADER, PSK_ENCODING, MAX_PSK_FILE_BYTES } from './psk.js'
export type { ParsedPsk } from './psk.js'
export { IdentityError, PskError } from './errors.js'
export type { QueueLimits } from '../core/frame-queue.js'
export type { RateSpec, ByteRateSpec, FloodSpec } from '../core/rate-limit.js'
export { DnsSeeds, dnsSeed, resolveSeeds, systemResolver, DNS_REFRESH_MS, DNS_REFRESH_ALONE_MS, MAX_DNS_SEEDS, MAX_RECORDS_PER_NAME, SELF_ONLY_ANSWERS } from './dns-seeds.js'
export type { HostResolver, DnsSeedsInit } from './dns-seeds.js'
export { MAX_MDNS_CLUSTER_CHARS, mdnsServiceTag } from './config.js'
