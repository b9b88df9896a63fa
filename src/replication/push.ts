/**
 * Push: a durable local update goes to k random live hosts of its doc; a remote push that brought
 * something NEW is forwarded, once, to k other live hosts (never back to its sender). A peer forwards an
 * update at most once because a second copy is not new, so a write costs at most (N + 1)·k frames.
 * Push gives latency, not completeness (≈ 94 % reach at k = 3): anti-entropy repairs the rest.
 */
import type { Random } from '../core/random.js'
import type { PeerId } from '../core/transport.js'
import type { DocEntry } from './doc-entry.js'
import type { HostDirectory } from './host-directory.js'
import type { ReplicatorCounters } from './stats.js'
import type { PeerDirectory } from './storage.js'
import type { SyncLink } from './sync-link.js'

export interface PusherOptions {
  link: SyncLink
  hosts: HostDirectory
  peers: PeerDirectory
  random: Random
  counters: ReplicatorCounters
  fanout: () => number
}

export class Pusher {
  constructor (private readonly o: PusherOptions) {}

  /** Sends a durable local update of `entry` to k live hosts. */
  pushLocal (entry: DocEntry, update: Uint8Array): void {
    this.o.counters.pushes += this.send(entry, update)
  }

  /** Forwards a new remote update to k live hosts other than `from`. */
  forward (entry: DocEntry, update: Uint8Array, from: PeerId): void {
    this.o.counters.forwards += this.send(entry, update, from)
  }

  private send (entry: DocEntry, update: Uint8Array, exclude?: PeerId): number {
    const alive = new Set(this.o.peers.alivePeers())
    const targets = this.o.random.sample(this.o.hosts.hostsOf(entry.name, alive, exclude), this.o.fanout())
    for (const to of targets) this.o.link.send(to, { type: 'update', doc: entry.name, update, ackId: 0 })
    return targets.length
  }
}
