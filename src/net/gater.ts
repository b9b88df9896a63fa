/**
 * The libp2p connection gater: where blocks, the allowlist, flood cooldowns and the private-mesh check
 * refuse connections, before any stream can open. Dials are refused by PeerId up front; inbound
 * connections (and outbound ones to bare addresses, whose PeerId is learned in the handshake) are refused
 * right after encryption, when the remote's identity is authenticated.
 */
import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Logger, RateLimitedLog } from '../core/logger.js'
import type { HandshakeWatch } from './handshake-watch.js'
import type { PeerPolicy, PeerVerdict } from './peer-policy.js'
import type { PrivateMeshGuard } from './private-mesh.js'
import type { TransportCounters } from './stats.js'

export interface GaterParts {
  policy: PeerPolicy
  watch: HandshakeWatch
  /** Present iff a pre-shared key is configured. */
  guard: PrivateMeshGuard | undefined
  counters: TransportCounters
  warnings: RateLimitedLog
  log: Logger
}

export function createGater (parts: GaterParts): ConnectionGater {
  const { policy, watch, guard, counters, warnings, log } = parts

  const refuse = (verdict: PeerVerdict, peer: PeerId, direction: 'inbound' | 'outbound'): boolean => {
    if (verdict === 'ok') return false
    const id = peer.toString()
    if (verdict === 'blocked') counters.rejectedConnections.blocked++
    else if (verdict === 'unauthorized') counters.rejectedConnections.unauthorized++
    else counters.rejectedConnections.cooldown++
    // Blocks are deliberate (fault injection): debug. The others say something about the remote: warn.
    if (verdict === 'blocked') log.debug(`refused ${direction} connection: peer is blocked`, { peer: id })
    else warnings.warn(`gater:${verdict}:${id}`, `refused ${direction} connection: ${verdict === 'unauthorized' ? 'peer is not in allowPeers' : 'peer is cooling down after flooding'}`, { peer: id })
    return true
  }

  const unprotected = (maConn: MultiaddrConnection, peer: PeerId): boolean => {
    if (guard === undefined || guard.isProtected(maConn)) return false
    counters.rejectedConnections.unprotected++
    log.error('refused a connection that bypassed the pre-shared key protector (private mesh enforced)', { peer: peer.toString() })
    return true
  }

  return {
    denyDialPeer: (peer) => refuse(policy.verdict(peer.toString()), peer, 'outbound'),
    denyInboundConnection: (maConn) => {
      watch.accepted(maConn)
      return false
    },
    denyInboundEncryptedConnection: (peer, maConn) => {
      watch.secured(maConn)
      return unprotected(maConn, peer) || refuse(policy.verdict(peer.toString()), peer, 'inbound')
    },
    denyOutboundEncryptedConnection: (peer, maConn) =>
      unprotected(maConn, peer) || refuse(policy.verdict(peer.toString()), peer, 'outbound')
  }
}
