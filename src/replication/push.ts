/**
 * Push: a durable local update goes to the doc's homes (placement.ts) and to the live peers known to hold
 * it open (interest, from the host directory). While there are at most `pushAllMaxHosts` of them it goes
 * straight to each — N − 1 frames, fewer than the (N + 1)·k of an epidemic, and every host has it one hop
 * later; those copies are not forwarded. In a larger mesh it goes to the homes and k random other hosts
 * marked `spread`, and every host that learns something new from a spread copy forwards it, once (a second
 * copy is not new), to k others — never back to its sender — still marked: an infection-style epidemic.
 * Push gives latency, not completeness (an epidemic at k = 3 reaches ≈ 94 %; a host this peer does not
 * know of yet gets nothing): anti-entropy repairs the rest.
 */
import type { Random } from '../core/random.js'
import type { PeerId } from '../core/transport.js'
import type { DocEntry } from './doc-entry.js'
import type { HostDirectory } from './host-directory.js'
import type { Placement } from './placement.js'
import type { ReplicatorCounters } from './stats.js'
import type { PeerDirectory } from '../core/directory.js'
import type { SyncLink } from './sync-link.js'
import { pushTargets } from './alive-set.js'

export interface PusherOptions {
  localId: PeerId
  placement: Placement
  link: SyncLink
  hosts: HostDirectory
  peers: PeerDirectory
  random: Random
  counters: ReplicatorCounters
  fanout: () => number
  pushAllMaxHosts: () => number
}

export class Pusher {
  constructor (private readonly o: PusherOptions) {}

  /** Sends a durable local update of `entry` to every live host (alive or suspect), or to k of them as an epidemic. */
  pushLocal (entry: DocEntry, update: Uint8Array): void {
    const reach = pushTargets(this.o.peers)
    const homes = this.o.placement.homes(entry.name).filter(p => p !== this.o.localId && reach.has(p))
    const others = this.o.hosts.hostsOf(entry.name, reach).filter(p => !homes.includes(p))
    const direct = homes.length + others.length <= this.o.pushAllMaxHosts()
    const targets = direct ? [...homes, ...others] : [...homes, ...this.o.random.sample(others, this.o.fanout())]
    for (const to of targets) this.o.link.send(to, { type: 'update', doc: entry.name, update, ackId: 0, spread: !direct })
    this.o.counters.pushes += targets.length
  }

  /** Forwards a new remote update of an epidemic push to k live hosts other than `from`. */
  forward (entry: DocEntry, update: Uint8Array, from: PeerId): void {
    const targets = this.o.random.sample(this.liveHosts(entry, from), this.o.fanout())
    for (const to of targets) this.o.link.send(to, { type: 'update', doc: entry.name, update, ackId: 0, spread: true })
    this.o.counters.forwards += targets.length
  }

  private liveHosts (entry: DocEntry, exclude?: PeerId): PeerId[] {
    return this.o.hosts.hostsOf(entry.name, pushTargets(this.o.peers), exclude)
  }
}
