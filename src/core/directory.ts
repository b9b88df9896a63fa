/**
 * Who is alive, as far as replication needs to know: supplied by membership (the mesh node adapts a
 * Membership to it; tests use a fixed list). Replication never imports membership.
 */
import type { PeerId } from './transport.js'

export interface PeerDirectory {
  /** Ids of other peers currently alive. */
  alivePeers(): readonly PeerId[]
  /** Addresses to reach `id` (empty if unknown). */
  addressesOf(id: PeerId): readonly string[]
  /** Called when a peer becomes alive (joined, refuted, or back after a partition). Returns unsubscribe. */
  onPeerAlive(listener: (id: PeerId) => void): () => void
  /**
   * Other peers that count as members for placement: alive or suspect (a suspicion may be refuted; only
   * dead or left moves documents). Default: `alivePeers()`.
   */
  activePeers?(): PeerId[]
  /**
   * Whether `id` is suspected and not yet declared dead (O(1)). Pushes still go to a suspect: a suspicion is
   * mostly a slow member, and one skipped leaves it a gap that parks every later update until anti-entropy
   * fills it. Default: nobody is.
   */
  isSuspect?(id: PeerId): boolean
  /** Called whenever a peer's state changes (joined, suspect, alive, dead, left). Returns unsubscribe. */
  onMemberChange?(listener: (id: PeerId) => void): () => void
}
