/**
 * A home tells its co-homes what it went and found outside them (issue 14). When a round this home started
 * (a fetch, a read repair) brings it something new of a doc it homes from a peer that is not one of the
 * doc's homes — most often the writer on the other side of a healed partition — the home lists that doc to
 * its other live homes in a handoff round (a home that lacks the doc altogether takes it, as from a guest),
 * whose steps bring each exactly what it lacks, and ask nothing back.
 *
 * Before, the other homes got such a write only from its writer's handoff, one at a time as the writer got
 * to them (after a heal the writer is the peer everyone dials), or from the homes' shared rounds, which
 * wait while handoffs are under way after a member change. In the 20-peer heal model
 * (test/replication/declined-steps.test.ts, seed 1) the minority's write reached one home 0.8 s after the
 * heal, by that home's fetch, and the two others 3.3 s after it; a reader whose repair asked one of those
 * two read the write only then.
 *
 * Not relayed: what a home learns from a co-home (the homes compare among themselves in their shared rounds,
 * and a home filled by a co-home — a join — would list every doc it took back to the others), and what a
 * round another peer started brings it (a guest hands its copy to every home itself: relaying those too
 * cost a 6 | 6 heal of 600 docs 10 % more bytes, test/replication/heal-bytes.test.ts). Docs learned within
 * RELAY_BATCH_MS share one round per co-home.
 */
import type { Clock, Timer } from '../core/clock.js'
import type { PeerDirectory } from '../core/directory.js'
import type { PeerId } from '../core/transport.js'
import { pushTargets } from './alive-set.js'
import type { Listed } from './anti-entropy.js'
import type { Placement } from './placement.js'

/** Docs learned within this long share one round per co-home. */
export const RELAY_BATCH_MS = 50
/** Docs waiting at most: past it they are listed at once (a burst of handoffs into a fresh home). */
const MAX_WAITING = 4_096

export interface CoHomeRelayOptions {
  localId: PeerId
  placement: Pick<Placement, 'homes' | 'isHome'>
  peers: Pick<PeerDirectory, 'alivePeers' | 'isSuspect'>
  clock: Clock
  /** The doc's digest as listed (undefined: no longer held here). */
  digestOf: (doc: string) => Uint8Array | undefined
  /** Starts a handoff round listing `items` to `peer`; false if it could not start (too many rounds). */
  startRound: (peer: PeerId, items: Listed[]) => boolean
  /** A round started with a co-home. */
  onRelay: () => void
}

export class CoHomeRelay {
  private readonly waiting = new Set<string>()
  private timer: Timer | undefined

  constructor (private readonly o: CoHomeRelayOptions) {}

  /** A round this peer started brought something new of `doc` from `from`, and it is durable here. */
  learned (doc: string, from: PeerId): void {
    if (!this.o.placement.isHome(doc)) return
    const homes = this.o.placement.homes(doc)
    if (homes.includes(from) || homes.length < 2) return
    this.waiting.add(doc)
    if (this.waiting.size >= MAX_WAITING) this.flush()
    else this.timer ??= this.o.clock.setTimeout(() => { this.flush() }, RELAY_BATCH_MS)
  }

  /** Lists every waiting doc to its other live homes, one round per home. */
  flush (): void {
    this.timer?.cancel()
    this.timer = undefined
    const reach = pushTargets(this.o.peers)
    const perHome = new Map<PeerId, Listed[]>()
    for (const doc of this.waiting) {
      const digest = this.o.digestOf(doc)
      if (digest === undefined || !this.o.placement.isHome(doc)) continue
      for (const home of this.o.placement.homes(doc)) {
        if (home === this.o.localId || !reach.has(home)) continue
        let items = perHome.get(home)
        if (items === undefined) perHome.set(home, items = [])
        items.push({ name: doc, digest })
      }
    }
    this.waiting.clear()
    for (const [home, items] of perHome) if (this.o.startRound(home, items)) this.o.onRelay()
  }

  clear (): void {
    this.timer?.cancel()
    this.timer = undefined
    this.waiting.clear()
  }
}
