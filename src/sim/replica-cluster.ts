/**
 * A simulated mesh of full nodes: one `createMeshNode` per simulated peer (the same assembly `createPeer`
 * builds over libp2p), each on a SimNetwork transport, virtual clock and a MemoryDocStore that plays its
 * disk. A crash loses the node's RAM (membership, replicator, docs, in-flight store operations) but not
 * its store: a restart builds a new node on the same store, which re-opens what it persisted, exactly as
 * a real peer does with its data dir — plus the docs the app had opened (`open`), which survive as the
 * app's configuration.
 */
import type { Logger } from '../core/logger.js'
import type { Destination, PeerId } from '../core/transport.js'
import { createMeshNode } from '../mesh-node.js'
import type { MeshNode } from '../mesh-node.js'
import type { MembershipInit, PresetName } from '../membership/config.js'
import type { MembershipEventName } from '../membership/events.js'
import type { Membership } from '../membership/membership.js'
import { MemoryDocStore } from '../replication/memory-store.js'
import type { Replicator } from '../replication/replicator.js'
import type { ReplicationInit } from '../replication/config.js'
import { simNodeId } from './cluster.js'
import type { RecordedEvent } from './cluster.js'
import { SimNetwork, simAddress } from './network.js'
import type { LinkSpec, SimNetworkOptions } from './network.js'

export interface ReplicaClusterOptions {
  size: number
  seed: number
  link?: Partial<LinkSpec>
  /** Transport model options beyond the link (queues, connection budget, dials, CPU). */
  network?: Omit<SimNetworkOptions, 'seed' | 'link'>
  /** Timing preset of both membership and replication (default `sim`). */
  profile?: PresetName
  /** Membership events to record in `events` (default none). */
  record?: readonly MembershipEventName[]
  /** Nodes start at random times within this window (default 0: all at once). */
  startWindowMs?: number
  /** Membership overrides (of `profile`). */
  membership?: MembershipInit
  /** Replication overrides (of `profile`). */
  replication?: ReplicationInit
  /** Per-node replication overrides, over `replication` (a peer configured unlike the rest). */
  replicationOf?: Readonly<Record<PeerId, ReplicationInit>>
  /** Store latency per operation (default 1 ms: an fsync on an SSD). */
  storeLatencyMs?: number
  /** Nodes whose store does not count as durable (peers without a data dir): their copies never count for a write concern. */
  volatile?: readonly PeerId[]
  /** Nodes not started at t = 0 (they join later, with `restart`). */
  late?: readonly PeerId[]
  /** How many of the first nodes serve as seeds for the others (default 3). */
  seeds?: number
  /** Per-node logger factory (default: silent). */
  logger?: (id: PeerId) => Logger
}

const ignore = (): void => {}

export class ReplicaCluster {
  readonly network: SimNetwork
  readonly ids: readonly PeerId[]
  /** Membership events of the types in `options.record`, as every observer saw them. */
  readonly events: RecordedEvent[] = []
  private readonly stores = new Map<PeerId, MemoryDocStore>()
  private readonly nodes = new Map<PeerId, MeshNode>()
  private readonly seedDests: Destination[]
  /** Docs each node's app opened: re-opened after a restart (the app's configuration, which survives). */
  private readonly opened = new Map<PeerId, Set<string>>()

  constructor (private readonly options: ReplicaClusterOptions) {
    this.network = new SimNetwork({ ...options.network, seed: options.seed, ...(options.link === undefined ? {} : { link: options.link }) })
    this.ids = Array.from({ length: options.size }, (_, i) => simNodeId(i, options.size))
    this.seedDests = this.ids.slice(0, options.seeds ?? 3).map(id => ({ id, addrs: [simAddress(id)] }))
    for (const id of this.ids) {
      this.network.addNode(id)
      this.opened.set(id, new Set())
      this.stores.set(id, new MemoryDocStore({ clock: this.network.clockFor(id), latencyMs: options.storeLatencyMs ?? 1, durable: !(options.volatile ?? []).includes(id) }))
    }
    const late = new Set(options.late ?? [])
    for (const id of late) this.network.crash(id)
    const window = options.startWindowMs ?? 0
    if (window === 0) this.network.at(0, () => { for (const id of this.ids) if (!late.has(id)) this.boot(id) })
    else for (const id of this.ids) if (!late.has(id)) this.network.at(this.network.random.int(window), () => { this.boot(id) })
  }

  /** The running node `id` (throws if it is crashed or not booted yet). */
  node (id: PeerId): MeshNode {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`${id} is not running`)
    return n
  }

  replicator (id: PeerId): Replicator {
    return this.node(id).replicator
  }

  membership (id: PeerId): Membership {
    return this.node(id).membership
  }

  store (id: PeerId): MemoryDocStore {
    const s = this.stores.get(id)
    if (s === undefined) throw new Error(`no node ${id}`)
    return s
  }

  isRunning (id: PeerId): boolean {
    return this.nodes.has(id)
  }

  runningIds (): PeerId[] {
    return this.ids.filter(id => this.nodes.has(id))
  }

  /** `id`'s app opens `doc` now and after every restart. */
  open (id: PeerId, doc: string): void {
    this.opened.get(id)?.add(doc)
    this.nodes.get(id)?.replicator.open(doc).catch(ignore)
  }

  /** Docs `id`'s app opened. */
  docsOf (id: PeerId): string[] {
    return [...this.opened.get(id) ?? []]
  }

  /** The process dies: RAM and in-flight store operations are lost, the store's contents are not. */
  crash (id: PeerId): void {
    const node = this.nodes.get(id)
    if (node === undefined) return
    this.nodes.delete(id)
    // Fails pending promises (as a dying process would never settle them) and detaches from the transport.
    node.replicator.stop()
    node.membership.stop()
    this.network.crash(id)
  }

  /** Restarts a crashed node: a new node on the same store; it joins through the seeds. */
  restart (id: PeerId): MeshNode {
    if (this.nodes.has(id)) throw new Error(`${id} is running`)
    this.network.restart(id)
    return this.boot(id)
  }

  /** Graceful leave; the process exits `leaveTimeoutMs` later (keep the network running). */
  leave (id: PeerId): void {
    const node = this.node(id)
    void node.leave()
    this.network.at(this.network.now + node.membership.config.leaveTimeoutMs, () => {
      if (this.nodes.get(id) === node) this.crash(id)
    })
  }

  runFor (ms: number): void {
    this.network.runFor(ms)
  }

  runUntil (done: () => boolean, maxMs: number, checkEveryMs = 100): number | undefined {
    return this.network.runUntil(done, maxMs, checkEveryMs)
  }

  /** Digest of `doc` on every running node whose app opened it (undefined while still loading). */
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
    return running.length > 0 && running.every(observer => {
      const m = this.membership(observer)
      return running.every(id => id === observer || m.member(id)?.state === 'alive')
    })
  }

  stopAll (): void {
    for (const id of [...this.nodes.keys()]) this.crash(id)
  }

  private replicationFor (id: PeerId): { replication?: ReplicationInit } {
    const own = this.options.replicationOf?.[id]
    if (own === undefined) return this.options.replication === undefined ? {} : { replication: this.options.replication }
    return { replication: { ...this.options.replication, ...own } }
  }

  private boot (id: PeerId): MeshNode {
    const sim = this.network.node(id)
    const node = createMeshNode({
      transport: sim.transport,
      clock: this.network.clockFor(id),
      random: sim.random.fork(),
      store: this.store(id),
      ...(this.options.logger === undefined ? {} : { log: this.options.logger(id) })
    }, {
      name: id,
      seeds: this.seedDests.filter(s => s.id !== id),
      profile: this.options.profile ?? 'sim',
      ...(this.options.membership === undefined ? {} : { membership: this.options.membership }),
      ...(this.replicationFor(id))
    })
    for (const type of this.options.record ?? []) {
      node.membership.on(type, (info) => {
        this.events.push({ time: this.network.now, observer: id, type, subject: info.id, incarnation: info.incarnation })
      })
    }
    this.nodes.set(id, node)
    for (const doc of this.opened.get(id) ?? []) node.replicator.open(doc).catch(ignore)
    return node
  }
}
