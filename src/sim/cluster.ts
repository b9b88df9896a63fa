/**
 * A simulated membership cluster: N Membership instances on one SimNetwork, with helpers to inject
 * faults and to inspect every member's view. Used by the simulation tests and the membership benchmark.
 */
import type { Logger } from '../core/logger.js'
import type { Destination, PeerId } from '../core/transport.js'
import { Membership } from '../membership/membership.js'
import type { MembershipInit, PresetName } from '../membership/config.js'
import type { MembershipOptions } from '../membership/membership.js'
import type { MembershipEventName } from '../membership/events.js'
import type { MemberInfo, MemberState } from '../membership/member.js'
import { SimNetwork, simAddress } from './network.js'
import type { LinkSpec, SimNetworkOptions } from './network.js'

export interface SimClusterOptions {
  size: number
  seed: number
  /** Default `sim` (LAN timing). */
  profile?: PresetName
  config?: MembershipInit
  link?: Partial<LinkSpec>
  /** Transport model options beyond the link (queues, connection budget, dials, replay). */
  network?: Omit<SimNetworkOptions, 'seed' | 'link'>
  /** Nodes start at random times within this window (default 0: all at once). */
  startWindowMs?: number
  /** How many of the first nodes serve as seeds for the others (default 3). */
  seeds?: number
  /** Event types to record in `events` (default: all but `joined`, which is N² at large N). */
  record?: readonly MembershipEventName[]
  /** Per-node logger factory (default: silent). */
  logger?: (id: PeerId) => Logger
  /** Per-node Membership options (name, tags, starting incarnation…) over the cluster's, at every boot. */
  memberOptions?: (id: PeerId) => Partial<MembershipOptions>
}

export interface RecordedEvent {
  time: number
  observer: PeerId
  type: MembershipEventName
  subject: PeerId
  incarnation: number
}

export function simNodeId (i: number, size: number): PeerId {
  return `n${String(i).padStart(Math.max(2, String(size - 1).length), '0')}`
}

export class SimCluster {
  readonly network: SimNetwork
  readonly ids: readonly PeerId[]
  readonly events: RecordedEvent[] = []
  private readonly peers = new Map<PeerId, Membership>()
  private readonly seedDests: Destination[]
  private readonly record: ReadonlySet<MembershipEventName>

  constructor (private readonly options: SimClusterOptions) {
    this.network = new SimNetwork({ ...options.network, seed: options.seed, ...(options.link === undefined ? {} : { link: options.link }) })
    this.ids = Array.from({ length: options.size }, (_, i) => simNodeId(i, options.size))
    this.seedDests = this.ids.slice(0, options.seeds ?? 3).map(id => ({ id, addrs: [simAddress(id)] }))
    this.record = new Set(options.record ?? ['suspect', 'alive', 'dead', 'left', 'updated'])
    for (const id of this.ids) this.network.addNode(id)
    const window = options.startWindowMs ?? 0
    for (const id of this.ids) {
      const at = window > 0 ? this.network.random.int(window) : 0
      this.network.at(at, () => { this.boot(id) })
    }
  }

  /** The running Membership of `id` (throws if it is crashed). */
  membership (id: PeerId): Membership {
    const m = this.peers.get(id)
    if (m === undefined) throw new Error(`${id} is not running`)
    return m
  }

  isRunning (id: PeerId): boolean {
    return this.peers.has(id)
  }

  runningIds (): PeerId[] {
    return this.ids.filter(id => this.peers.has(id))
  }

  /** What `observer` believes about `subject`. */
  stateOf (observer: PeerId, subject: PeerId): MemberState | undefined {
    return this.membership(observer).member(subject)?.state
  }

  /**
   * Runs until `predicate` holds for every running member, asked of its Membership; returns the virtual
   * ms taken. Cheaper than runUntilAll at large N: a check reads what it needs (aliveCount, member(id))
   * instead of building every member's whole list.
   */
  runUntilEvery (predicate: (membership: Membership, observer: PeerId) => boolean, maxMs: number, checkEveryMs = 100): number | undefined {
    return this.network.runUntil(() => {
      let any = false
      for (const [id, m] of this.peers) {
        if (!predicate(m, id)) return false
        any = true
      }
      return any
    }, maxMs, checkEveryMs)
  }

  /** Runs until every running member sees `predicate` hold for its view; returns the virtual ms taken. */
  runUntilAll (predicate: (observer: PeerId, members: MemberInfo[]) => boolean, maxMs: number, checkEveryMs = 100): number | undefined {
    return this.runUntilEvery((m, id) => predicate(id, m.members()), maxMs, checkEveryMs)
  }

  /** Whether every running member lists exactly `ids` as alive (itself included). */
  allSeeAlive (ids: readonly PeerId[]): boolean {
    return this.runningIds().every(observer => {
      const m = this.membership(observer)
      return ids.every(id => m.member(id)?.state === 'alive')
    })
  }

  crash (id: PeerId): void {
    this.membership(id).stop()
    this.peers.delete(id)
    this.network.crash(id)
  }

  /** Restarts a crashed node with empty state and the same id; it joins through the seeds. */
  restart (id: PeerId): Membership {
    this.network.restart(id)
    return this.boot(id)
  }

  stall (id: PeerId, durationMs: number): void {
    this.network.stall(id, durationMs)
  }

  /** `id` handles inbound frames `lagMs` late for `durationMs` (see SimNetwork.slow). */
  slowDown (id: PeerId, lagMs: number, durationMs: number): void {
    this.network.slow(id, lagMs)
    this.network.at(this.network.now + durationMs, () => { this.network.slow(id, 0) })
  }

  /**
   * Graceful leave, then the process exits `leaveTimeoutMs` later (virtual time: keep the network running).
   * The exit is scheduled on the clock rather than chained on leave()'s promise, whose continuation would
   * only run after the synchronous simulation loop returns.
   */
  leave (id: PeerId): void {
    const m = this.membership(id)
    void m.leave()
    this.network.at(this.network.now + m.config.leaveTimeoutMs, () => {
      if (this.peers.get(id) !== m) return
      m.stop()
      this.peers.delete(id)
      this.network.crash(id)
    })
  }

  /** Events of `type` about `subject` seen by anyone. */
  eventsAbout (subject: PeerId, type?: MembershipEventName): RecordedEvent[] {
    return this.events.filter(e => e.subject === subject && (type === undefined || e.type === type))
  }

  stopAll (): void {
    for (const m of this.peers.values()) m.stop()
    this.peers.clear()
  }

  private boot (id: PeerId): Membership {
    const network = this.network
    const transport = network.node(id).transport
    const membership = new Membership({
      transport,
      clock: network.clockFor(id),
      random: network.node(id).random.fork(),
      ...(this.options.logger === undefined ? {} : { log: this.options.logger(id) })
    }, {
      name: id,
      seeds: this.seedDests,
      profile: this.options.profile ?? 'sim',
      ...(this.options.config === undefined ? {} : { config: this.options.config }),
      ...this.options.memberOptions?.(id)
    })
    for (const type of this.record) {
      membership.on(type, (info) => {
        this.events.push({ time: network.now, observer: id, type, subject: info.id, incarnation: info.incarnation })
      })
    }
    this.peers.set(id, membership)
    membership.start()
    void membership.join()
    return membership
  }
}
