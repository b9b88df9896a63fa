/**
 * The libp2p node factory: TCP, Noise and yamux — nothing else. Every default that would
 * add background traffic or stream churn is switched off, because idle bytes per member are a measured
 * goal (≤ ~630 B/s at N = 10, Serf does 420 B/s):
 *
 * - connectionMonitor: off. It opens a fresh /ipfs/ping stream on every connection every 10 s (a new
 *   yamux stream + multistream-select each time: an estimated ~50 B/s per connection). SWIM already
 *   probes liveness, and the transport closes connections that stop answering (silentConnectionTimeoutMs).
 * - yamux keep-alive: off. Its pings never close a dead connection (libp2p ignores ping failures).
 * - no socket inactivity timeout (@libp2p/tcp's is 2 minutes): pings and acks go as datagrams, so a
 *   connection carries nothing for minutes, and its close took the datagram keys with it and cost a new
 *   handshake at the next probe (DEFAULT_SOCKET_INACTIVITY_TIMEOUT_MS). The budget prunes idle connections
 *   above it; SWIM finds dead members, whose connections are then closed.
 * - no ping, kad-dht, autonat, relay, bootstrap services: membership does discovery and re-dialling.
 * - no identify (issue 14). It ran on every new connection, a stream and a signed peer record each way,
 *   to tell libp2p the remote's listen addresses and protocols; murmur uses neither: member records carry
 *   every member's addresses (the transport dials those), and our streams name their protocol. It was
 *   ~35 % of a connection's CPU on loopback (scripts/bench/connection-cost.ts), paid ~150 times by the
 *   peers of a 30-peer mesh healing from a 6 | 24 partition on machines already near saturation.
 * - socket writes coalesced (coalescing.ts): measured at N = 10 idle on 127.0.0.1, 788 → 539 B/s per
 *   member on the wire (IPv4 + TCP headers included); 508 B/s with a pre-shared key.
 * - yamux window updates only once half the window is used (yamux-window.ts), as the yamux spec allows,
 *   instead of one per received frame.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { mdns } from '@libp2p/mdns'
import { tcp } from '@libp2p/tcp'
import type { ConnectionGater, ConnectionProtector, Libp2p, PeerDiscovery, PrivateKey } from '@libp2p/interface'
import { createLibp2p } from 'libp2p'
import { coalescingProtector } from './coalescing.js'
import { installLazyWindowUpdates } from './yamux-window.js'
import { installQuietDispatch } from './quiet-dispatch.js'
import { installQuietLengthDecoding } from './length-prefix-patch.js'
import type { FirstBytesSinks } from './coalescing.js'
import type { InboundAdmission } from './inbound-admission.js'
import { LIBP2P_CONNECTION_HEADROOM, MAX_HANDSHAKE_TIMEOUT_SCALE } from './config.js'
import { DEFAULT_SOCKET_INACTIVITY_TIMEOUT_MS } from '../core/link-defaults.js'
import type { MdnsInit } from './config.js'

export interface MurmurServices extends Record<string, unknown> {
  /**
   * mDNS as a service rather than a `peerDiscovery` module, so the transport can hear every response:
   * libp2p's own `peer:discovery` event fires only for peers new to its peer store (and for any peer
   * learned by dialling), which would hide a known peer reappearing after a partition.
   */
  mdns?: PeerDiscovery
}

export type MurmurNode = Libp2p<MurmurServices>

export interface NodeInit {
  privateKey: PrivateKey
  listen: string[]
  /** Addresses announced instead of the listen ones (empty: the listen ones). */
  announce: string[]
  gater: ConnectionGater
  /** The pnet protector (required for a private mesh; see private-mesh.ts). */
  protector?: () => ConnectionProtector
  mdns?: Required<MdnsInit>
  dialTimeoutMs: number
  inboundUpgradeTimeoutMs: number
  /** Our connection budget; libp2p's own cap is set a little above it. */
  maxConnections: number
  inboundConnectionThreshold: number
  /** libp2p's cap on inbound connections still in their upgrade (config.ts explains the default). */
  maxIncomingPendingConnections: number
  /** Counts the inbound connections libp2p refuses before the gater sees them (inbound-admission.ts). */
  admission?: InboundAdmission
  /** Without a protector: where the pass-through one reports what remotes send first (diagnosis). */
  firstBytes?: FirstBytesSinks
}

/** A connection's graceful close waits at most this long for its streams (libp2p's default is 1 s). */
const CONNECTION_CLOSE_TIMEOUT_MS = 500

/** Creates and starts a libp2p node. */
export async function createMurmurNode (init: NodeInit): Promise<MurmurNode> {
  installLazyWindowUpdates()
  installQuietLengthDecoding()
  installQuietDispatch()
  const transport = tcp({ inboundSocketInactivityTimeout: DEFAULT_SOCKET_INACTIVITY_TIMEOUT_MS, outboundSocketInactivityTimeout: DEFAULT_SOCKET_INACTIVITY_TIMEOUT_MS })
  return await createLibp2p<MurmurServices>({
    privateKey: init.privateKey,
    addresses: { listen: init.listen, ...(init.announce.length === 0 ? {} : { announce: init.announce }) },
    transports: [init.admission === undefined ? transport : init.admission.wrapTransport(transport)],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ enableKeepAlive: false })],
    // pnet for a private mesh; otherwise a pass-through that writes one buffer per message (coalescing.ts).
    connectionProtector: ((protector) => init.admission === undefined ? protector : init.admission.wrapProtector(protector))(init.protector ?? coalescingProtector(init.firstBytes)),
    connectionGater: init.gater,
    connectionManager: {
      maxConnections: init.maxConnections + LIBP2P_CONNECTION_HEADROOM,
      // Our own deadlines (dialer.ts, inbound-admission.ts) stretch with local health; libp2p's sit at
      // their maximum so they never cut a stretched handshake short.
      dialTimeout: init.dialTimeoutMs * MAX_HANDSHAKE_TIMEOUT_SCALE,
      addressDialTimeout: init.dialTimeoutMs * MAX_HANDSHAKE_TIMEOUT_SCALE,
      inboundUpgradeTimeout: init.inboundUpgradeTimeoutMs * MAX_HANDSHAKE_TIMEOUT_SCALE,
      outboundStreamProtocolNegotiationTimeout: init.dialTimeoutMs,
      inboundStreamProtocolNegotiationTimeout: init.dialTimeoutMs,
      connectionCloseTimeout: CONNECTION_CLOSE_TIMEOUT_MS,
      inboundConnectionThreshold: init.inboundConnectionThreshold,
      // A silent connection holds one of these until inboundUpgradeTimeout closes it.
      maxIncomingPendingConnections: init.maxIncomingPendingConnections,
      // Nothing is tagged KEEP_ALIVE, but make "no automatic redial" explicit: membership owns re-dialling.
      reconnectRetries: 0
    },
    connectionMonitor: { enabled: false },
    services: {
      ...(init.mdns === undefined ? {} : { mdns: mdns({ interval: init.mdns.intervalMs, serviceTag: init.mdns.serviceTag }) })
    }
  })
}
