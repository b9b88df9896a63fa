/**
 * Membership as replication sees it: who is alive, how to reach them, and a signal when someone becomes
 * alive (joined, refuted a suspicion, or came back after a partition) so anti-entropy can start at once.
 * Structurally a replication `PeerDirectory`; membership does not import replication.
 */
import type { PeerId } from '../core/transport.js'
import type { Membership } from './membership.js'

export interface AliveDirectory {
  alivePeers(): readonly PeerId[]
  addressesOf(id: PeerId): readonly string[]
  onPeerAlive(listener: (id: PeerId) => void): () => void
}

export function membershipDirectory (m: Membership): AliveDirectory {
  return {
    alivePeers: () => m.aliveIds(),
    addressesOf: (id) => m.member(id)?.addrs ?? [],
    onPeerAlive: (listener) => {
      const offAlive = m.on('alive', (info) => { listener(info.id) })
      const offJoined = m.on('joined', (info) => { listener(info.id) })
      return () => { offAlive(); offJoined() }
    }
  }
}
