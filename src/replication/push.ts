/**
 * Push: a durable local update goes to the doc's homes (placement.ts) and to the live peers known to hold
 * it open (interest, from the host directory). While there are at most `pushAllMaxHosts` of them it goes
 * straight to each — N − 1 frames, fewer than the (N + 1)·k of an epidemic, and every host has it one hop
 * later; those copies are not forwarded. In a larger mesh it goes to the homes and k random other hosts
 * marked `spread`, and every host that learns something new from a spread copy forwards it, once (a second
 * copy is not new), to k others — never back to a sender — still marked: an infection-style epidemic.
 * Push gives latency, not completeness (an epidemic at k = 3 reaches ≈ 94 % of hosts; a host this peer does
 * not know of yet gets nothing): anti-entropy repairs the rest.
 *
 * Open hosts only, beyond pushAllMaxHosts members (issue 14): a host is any peer holding a copy, and in a
 * large mesh most hold one only because they wrote or read the doc over HTTP. Pushed to, each such copy cost
 * its peer a frame, a durable append and a Yjs apply per write — and a home, which every writer pushes to
 * and so knows as hosts, started an epidemic through all of them with each of its own writes. In the 50-peer
 * soak's write load (every peer writing one doc twice a second, none holding it open) that was 6.25 update
 * frames and 18–19 ms of the mesh's CPU per write against 2.99 and 13–16 ms to the homes only. Such a copy
 * is kept current by its reads' repairs (read-repair.ts) and anti-entropy; the peers that hold the doc open
 * — an editor waiting for every keystroke — say so in their pushes and plain listings (host-directory.ts)
 * and still get every write in one hop. Up to pushAllMaxHosts members every known host is pushed to.
 *
 * Batched per doc (issue 14): every frame costs its sender and its receiver far more than the few bytes
 * of a small update (a stream write, the muxer, the cipher, a durable append), so updates of one doc that
 * wait together leave as one merged update (Y.mergeUpdates) in one frame per target. Local writes wait for
 * the end of the turn (writes of one turn, a burst, share their frames); forwards wait `forwardBatchMs` (250 ms), so on
 * a mesh where every host writes, a host forwards a few writes per frame instead of one each. The
 * targets of a batch are chosen once for it; a forward skips every peer it got part of the batch from.
 *
 * Once this peer holds half the connections its budget allows (Transport.hasConnectionRoom), the k random
 * hosts of an epidemic are drawn among those it is connected to, and others only when fewer than k are
 * (`spreadTargets`). Drawn among all hosts, every push and forward dialled whoever it drew, and with more
 * hosts than the budget (64 connections) each such dial made the budget close another connection that a
 * later draw dialled again: a simulated 100-peer mesh, all hosting a doc that 30 of them write twice a
 * second, made 14,862 dials a minute where the same mesh idle makes 5,392 (now 5,671, seed 7). Well below the
 * budget a dial opens a connection that stays, so one of the k may be any host, once every 5 s
 * (SPREAD_DIAL_INTERVAL_MS): a host across a just-healed partition gets the news soon (a 30-peer heal waited
 * up to 1.5 s longer for it when only connected hosts were drawn), but a peer back from a partition, with
 * few connections, no longer dials a new host with every batch — four a second — into a heal that is
 * already short of CPU. In a mesh of more than `pushAllMaxHosts` members, the homes we hold a connection to
 * are sent to directly; one we do not is only one more host the epidemic may draw (or, while we push directly
 * to the few hosts we know of — a peer just back from a partition — one such home every 5 s). After a heal
 * every writer on the other side of a doc's homes lacked a connection to each of them, and each write's push
 * dialled all three: in the 30-peer soak most of the
 * messages sent with no connection after a heal were such pushes (update:direct, 72–168 a heal against
 * 15–42 listings), their dials converging on the busiest peers of the mesh — the homes of the doc every
 * peer writes — faster than those could take handshakes. Connections to the homes come from the interest
 * rounds (one home every anti-entropy interval) and fetches instead, spread out in time; meanwhile the
 * epidemic and the homes' own anti-entropy carry the write. Up to `pushAllMaxHosts` members every home and
 * host is sent to directly, connected or not (dial-backoff.ts holds back a peer whose dial just failed);
 * anti-entropy repairs what an epidemic misses.
 */
import * as Y from 'yjs'
import type { Clock, Timer } from '../core/clock.js'
import type { Random } from '../core/random.js'
import type { PeerId } from '../core/transport.js'
import type { DocEntry } from './doc-entry.js'
import type { HostDirectory } from './host-directory.js'
import type { Placement } from './placement.js'
import type { ReplicatorCounters } from './stats.js'
import type { PeerDirectory } from '../core/directory.js'
import type { SyncLink } from './sync-link.js'
import { pushTargets } from './alive-set.js'

/**
 * At most one epidemic target per interval is drawn regardless of connections (see Pusher.spread). Once a
 * second, the writers across a simulated heal (test/replication/push-homes.sim.test.ts, seeds 2, 3, 4) made
 * 23–33 sync dials within the first second; once every 5 s, 5–6, and the first write after the heal reached
 * every peer sooner (0.8–0.9 s against 1.1–1.3 s).
 */
export const SPREAD_DIAL_INTERVAL_MS = 5_000

export interface PusherOptions {
  localId: PeerId
  placement: Placement
  link: SyncLink
  hosts: HostDirectory
  peers: PeerDirectory
  random: Random
  clock: Clock
  counters: ReplicatorCounters
  fanout: () => number
  pushAllMaxHosts: () => number
  /** How long a forward waits for more of the same doc to share its frames (0 = the end of the turn). */
  forwardBatchMs: () => number
  /** Whether we hold an open connection to `peer` (the transport's view). */
  connected: (peer: PeerId) => boolean
  /** Whether a new connection fits the connection budget: if not, epidemic targets are drawn among the connected. */
  hasConnectionRoom: () => boolean
}

/** What waits to be sent for one doc. */
interface Batch {
  entry: DocEntry
  /** Durable local updates (pushed to the homes and the hosts). */
  readonly local: Uint8Array[]
  /** New remote updates of an epidemic push (forwarded to k hosts). */
  readonly spread: Uint8Array[]
  /** New remote updates pushed to us, a home, directly: relayed to the open hosts (`relay`). */
  readonly relay: Uint8Array[]
  /** Peers that sent us part of `spread`: they are not forwarded to. */
  readonly from: Set<PeerId>
}

export class Pusher {
  private readonly batches = new Map<string, Batch>()
  private timer: Timer | undefined
  private due = Infinity
  /** When an epidemic target was last drawn among all hosts and was not connected (see `spread`). */
  private anyAt = Number.NEGATIVE_INFINITY

  constructor (private readonly o: PusherOptions) {}

  /** Queues a durable local update of `entry` for every live host (alive or suspect), or k of them as an epidemic. */
  pushLocal (entry: DocEntry, update: Uint8Array): void {
    this.batch(entry).local.push(update)
    this.arm(0)
  }

  /** Queues a new remote update of an epidemic push for k live hosts other than `from`. */
  forward (entry: DocEntry, update: Uint8Array, from: PeerId): void {
    const b = this.batch(entry)
    b.spread.push(update)
    b.from.add(from)
    this.arm(this.o.forwardBatchMs())
  }

  /**
   * A home got a new update pushed directly by `from`: queued for the hosts that hold the doc open (not the
   * homes, not `from`), in a mesh beyond pushAllMaxHosts. There a writer pushes to the homes and the open hosts
   * it knows of, and a writer over HTTP rarely knows them (an open host tells the homes, in its interest
   * rounds, and some random peers): relayed, an editor sees every write two hops after it was made instead of
   * at its next interest round. Nothing is queued while no open host is known (the soak: none).
   */
  relay (entry: DocEntry, update: Uint8Array, from: PeerId): void {
    // Called for every remote push a home applies: the cheap test first (no open host at all: the usual case).
    if (!this.o.hosts.hasOpenHost(entry.name) || this.o.peers.alivePeers().length <= this.o.pushAllMaxHosts()) return
    const homes = this.o.placement.homes(entry.name)
    if (!this.o.hosts.openHostsOf(entry.name, pushTargets(this.o.peers), from).some(p => !homes.includes(p))) return
    const b = this.batch(entry)
    b.relay.push(update)
    b.from.add(from)
    this.arm(this.o.forwardBatchMs())
  }

  /** Sends everything waiting now. */
  flush (): void {
    this.timer?.cancel()
    this.timer = undefined
    this.due = Infinity
    const batches = [...this.batches.values()]
    this.batches.clear()
    for (const b of batches) this.send(b)
  }

  /** Drops everything waiting (stop): anti-entropy carries it later. */
  clear (): void {
    this.timer?.cancel()
    this.timer = undefined
    this.due = Infinity
    this.batches.clear()
  }

  private batch (entry: DocEntry): Batch {
    let b = this.batches.get(entry.name)
    if (b === undefined) {
      b = { entry, local: [], spread: [], relay: [], from: new Set() }
      this.batches.set(entry.name, b)
    }
    b.entry = entry
    return b
  }

  /** Flushes within `delayMs`: an earlier flush already due stays; a later one is brought forward. */
  private arm (delayMs: number): void {
    const due = this.o.clock.now() + delayMs
    if (this.timer !== undefined && this.due <= due) return
    this.timer?.cancel()
    this.due = due
    this.timer = this.o.clock.setTimeout(() => { this.flush() }, delayMs)
  }

  /**
   * k of `hosts` for an epidemic push, the connected first (spreadTargets). While a dial costs no other
   * connection, one of the k may be any host, once per SPREAD_DIAL_INTERVAL_MS: a host across a just-healed
   * partition gets the news without waiting for anti-entropy, and a peer that came back does not dial a new
   * host with every batch it sends (four a second) while its connections are few.
   */
  private spread (hosts: readonly PeerId[]): PeerId[] {
    const k = this.o.fanout()
    const now = this.o.clock.now()
    if (!this.o.hasConnectionRoom() || now - this.anyAt < SPREAD_DIAL_INTERVAL_MS) return spreadTargets(this.o.random, hosts, k, this.o.connected)
    const [any] = this.o.random.sample(hosts, 1)
    if (any === undefined) return []
    if (!this.o.connected(any)) this.anyAt = now
    return [any, ...spreadTargets(this.o.random, hosts.filter(h => h !== any), k - 1, this.o.connected)]
  }

  /** One of `hosts` none of which we are connected to, if no such draw was made within SPREAD_DIAL_INTERVAL_MS. */
  private paced (hosts: readonly PeerId[]): PeerId[] {
    const now = this.o.clock.now()
    if (hosts.length === 0 || now - this.anyAt < SPREAD_DIAL_INTERVAL_MS) return []
    this.anyAt = now
    return this.o.random.sample(hosts, 1)
  }

  private send (b: Batch): void {
    const parts = [...b.local, ...b.spread, ...b.relay]
    const update = parts.length === 1 ? parts[0] as Uint8Array : Y.mergeUpdates(parts)
    const name = b.entry.name
    const open = b.entry.pinned
    const reach = pushTargets(this.o.peers)
    // Beyond pushAllMaxHosts members, the hosts that hold the doc open (see the header).
    const large = this.o.peers.alivePeers().length > this.o.pushAllMaxHosts()
    const others = (large ? this.o.hosts.openHostsOf(name, reach) : this.o.hosts.hostsOf(name, reach)).filter(p => !b.from.has(p))
    const homes = this.o.placement.homes(name).filter(p => p !== this.o.localId && reach.has(p))
    if (b.local.length === 0) {
      // A relay goes straight to each open host that is not a home, as a writer's push does; beyond
      // pushAllMaxHosts of them (and for an epidemic's forwards) to k of them, marked spread.
      const relayTo = b.relay.length === 0 ? [] : others.filter(p => !homes.includes(p))
      const direct = relayTo.length > 0 && relayTo.length <= this.o.pushAllMaxHosts()
      const targets = direct ? relayTo : this.spread(others)
      for (const to of targets) this.o.link.send(to, { type: 'update', doc: name, update, ackId: 0, spread: !direct, open })
      this.o.counters.forwards += targets.length
      return
    }
    const rest = others.filter(p => !homes.includes(p))
    const direct = homes.length + rest.length <= this.o.pushAllMaxHosts()
    // In a mesh beyond pushAllMaxHosts, a home we hold no connection to is not dialled for every push (see
    // the header): one more host the epidemic may draw, connected first — or, pushing directly to the few
    // hosts we know of (just back from a partition), one of them at most once every 5 s.
    const far = large ? homes.filter(p => !this.o.connected(p)) : []
    const near = far.length === 0 ? homes : homes.filter(p => !far.includes(p))
    const targets = direct ? [...near, ...rest, ...this.paced(far)] : [...near, ...this.spread([...far, ...rest])]
    for (const to of targets) this.o.link.send(to, { type: 'update', doc: name, update, ackId: 0, spread: !direct, open })
    this.o.counters.pushes += targets.length
  }
}

/**
 * `k` of `hosts` at random, those `connected` first: the unconnected fill in only when fewer than `k` are
 * connected (a peer that just started, or one whose connections a heal has yet to rebuild).
 */
export function spreadTargets (random: Random, hosts: readonly PeerId[], k: number, connected: (peer: PeerId) => boolean): PeerId[] {
  const near: PeerId[] = []
  const far: PeerId[] = []
  for (const h of hosts) (connected(h) ? near : far).push(h)
  const picked = random.sample(near, k)
  return picked.length >= k ? picked : [...picked, ...random.sample(far, k - picked.length)]
}
