/**
 * A simulated replication cluster: SimCluster's memberships on one SimNetwork, plus a Replicator and a
 * MemoryDocStore per node. A crash loses the node's RAM (membership, replicator, docs, in-flight store
 * operations) but not its store, which plays the disk: a restart builds a new Replicator on the same store
 * and re-opens the docs the node replicated, so it recovers exactly what its store acknowledged.
 */
import type { Logger } from '../core/logger.js'
import type { PeerId } from '../core/transport.js'
import { membershipDirectory } from '../membership/directory.js'
import type { MembershipInit } from '../membership/config.js'
import { MemoryDocStore } from '../replication/memory-store.js'
import { Replicator } from '../replication/replicator.js'
import type { ReplicationInit } from '../replication/config.js'
import { SimCluster } from './cluster.js'
import type { LinkSpec, SimNetwork } from './network.js'

export interface ReplicaClusterOptions {
  size: number
  seed: number
  link?: Partial<LinkSpec>
  /** Membership overrides (profile `sim`). */
  membership?: MembershipInit
  /** Replication overrides (profile `sim`). */
  replication?: ReplicationInit
  /** Store latency per operation (default 1 ms: an fsync on an SSD). */
  storeLatencyMs?: number
  /** Per-node logger factory (default: silent). */
  logger?: (id: PeerId) => Logger
}

const ignore = (): void => {}

export class ReplicaCluster {
  readonly sim: SimCluster
  readonly network: SimNetwork
  readonly ids: readonly PeerId[]
  private readonly stores = new Map<PeerId, MemoryDocStore>()
  private readonly replicators = new Map<PeerId, Replicator>()
  /** Docs each node replicates: re-opened after a restart (the app's configuration, which survives). */
  private readonly opened = new Map<PeerId, Set<string>>()

  constructor (private readonly options: ReplicaClusterOptions) {
    this.sim = new SimCluster({
      size: options.size,
      seed: options.seed,
      record: [],
      ...(options.link === undefined ? {} : { link: options.link }),
      ...(options.membership === undefined ? {} : { config: options.membership }),
      ...(options.logger === undefined ? {} : { logger: options.logger })
    })
    this.network = this.sim.network
    this.ids = this.sim.ids
    for (const id of this.ids) {
      this.opened.set(id, new Set())
      this.stores.set(id, new MemoryDocStore({ clock: this.network.clockFor(id), latencyMs: options.storeLatencyMs ?? 1 }))
    }
    // SimCluster boots every membership at t = 0; this runs right after them (same time, later in the queue).
    this.network.at(0, () => { for (const id of this.ids) this.attach(id) })
  }

  /** The running Replicator of `id` (throws if it is crashed or not booted yet). */
  replicator (id: PeerId): Replicator {
    const r = this.replicators.get(id)
    if (r === undefined) throw new Error(`${id} is not running`)
    return r
  }

  store (id: PeerId): MemoryDocStore {
    const s = this.stores.get(id)
    if (s === undefined) throw new Error(`no node ${id}`)
    return s
  }

  isRunning (id: PeerId): boolean {
    return this.replicators.has(id)
  }

  runningIds (): PeerId[] {
    return this.ids.filter(id => this.replicators.has(id))
  }

  /** `id` replicates `doc` from now on (also after restarts). */
  open (id: PeerId, doc: string): void {
    this.opened.get(id)?.add(doc)
    this.replicators.get(id)?.open(doc).catch(ignore)
  }

  /** Docs `id` replicates. */
  docsOf (id: PeerId): string[] {
    return [...this.opened.get(id) ?? []]
  }

  crash (id: PeerId): void {
    this.replicators.get(id)?.stop()
    this.replicators.delete(id)
    this.sim.crash(id)
  }

  /** Restarts a crashed node: new membership and replicator, same store, same docs. */
  restart (id: PeerId): Replicator {
    this.sim.restart(id)
    return this.attach(id)
  }

  runFor (ms: number): void {
    this.network.runFor(ms)
  }

  runUntil (done: () => boolean, maxMs: number, checkEveryMs = 100): number | undefined {
    return this.network.runUntil(done, maxMs, checkEveryMs)
  }

  /** Digest of `doc` on every running node that replicates it (undefined while still loading). */
  digests (doc: string): Map<PeerId, string | undefined> {
    const out = new Map<PeerId, string | undefined>()
    for (const id of this.runningIds()) if (this.opened.get(id)?.has(doc) === true) out.set(id, this.replicator(id).digest(doc))
    return out
  }

  /** Whether every running replica of each of `docs` is loaded and has the same digest. */
  converged (docs: readonly string[]): boolean {
    return docs.every(doc => {
      const values = [...this.digests(doc).values()]
      return values.every(d => d !== undefined && d === values[0])
    })
  }

  /** Whether every running node sees every other running node alive. */
  membershipSettled (): boolean {
    const running = this.runningIds()
    return running.every(observer => {
      const m = this.sim.membership(observer)
      return running.every(id => id === observer || m.member(id)?.state === 'alive')
    })
  }

  stopAll (): void {
    for (const r of this.replicators.values()) r.stop()
    this.replicators.clear()
    this.sim.stopAll()
  }

  private attach (id: PeerId): Replicator {
    const membership = this.sim.membership(id)
    const node = this.network.node(id)
    const replicator = new Replicator({
      transport: node.transport,
      clock: this.network.clockFor(id),
      random: node.random.fork(),
      store: this.store(id),
      peers: membershipDirectory(membership),
      ...(this.options.logger === undefined ? {} : { log: this.options.logger(id).child('replication') })
    }, {
      profile: 'sim',
      ...(this.options.replication === undefined ? {} : { config: this.options.replication })
    })
    replicator.start()
    this.replicators.set(id, replicator)
    for (const doc of this.opened.get(id) ?? []) replicator.open(doc).catch(ignore)
    return replicator
  }
}
