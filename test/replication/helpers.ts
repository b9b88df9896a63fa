/**
 * Shared helpers for the replication tests: doc content snapshots, replay-friendly fast-check runs, and a
 * static cluster (replicators on a SimNetwork without membership) for exact frame accounting.
 */
import fc from 'fast-check'
import type * as Y from 'yjs'
import type { Channel, Destination, FrameHandler, PeerEvent, PeerId, Transport } from '../../src/core/transport.js'
import type { ReplicationInit } from '../../src/replication/config.js'
import { MemoryDocStore } from '../../src/replication/memory-store.js'
import { PNCounter } from '../../src/replication/pn-counter.js'
import { Replicator } from '../../src/replication/replicator.js'
import type { PeerDirectory } from '../../src/core/directory.js'
import { SimNetwork } from '../../src/sim/network.js'
import type { LinkSpec } from '../../src/sim/network.js'

/** What the tests compare across replicas: every shared type the scenarios touch, as plain JSON. */
export interface DocContent {
  kv: Record<string, unknown>
  text: string
  log: number[]
  counter: number
}

export function contentOf (doc: Y.Doc): DocContent {
  return {
    kv: doc.getMap('kv').toJSON(),
    text: doc.getText('text').toString(),
    log: (doc.getArray('log').toArray() as number[]).slice().sort((a, b) => a - b),
    counter: new PNCounter(doc, 'reader').value()
  }
}

/** Lets promise continuations (write/flush resolutions) run after a synchronous simulation step. */
export async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

export interface ReplayOptions {
  /** The test file, for the printed replay command. */
  file: string
  defaultSeed: number
  defaultRuns: number
}

/**
 * Runs an async property with a fixed seed (MURMUR_SEED overrides), MURMUR_RUNS runs and an optional
 * MURMUR_PATH to replay one shrunk counterexample; on failure prints the command that replays it.
 */
export async function checkProperty<T> (prop: fc.IAsyncProperty<T>, o: ReplayOptions): Promise<void> {
  const seed = process.env.MURMUR_SEED === undefined ? o.defaultSeed : Number(process.env.MURMUR_SEED)
  const numRuns = process.env.MURMUR_RUNS === undefined ? o.defaultRuns : Number(process.env.MURMUR_RUNS)
  const path = process.env.MURMUR_PATH
  const details = await fc.check(prop, { seed, numRuns, ...(path === undefined ? {} : { path }), endOnFailure: process.env.MURMUR_SHRINK === undefined })
  if (details.failed) {
    const replayPath = details.counterexamplePath ?? ''
    console.error(`replay: MURMUR_SEED=${details.seed} MURMUR_PATH=${replayPath} MURMUR_RUNS=1 npx vitest run ${o.file}\n(set MURMUR_SHRINK=1 to shrink the counterexample)`)
    const cause = details.errorInstance instanceof Error ? `${details.errorInstance.message}\n` : ''
    throw new Error(`${cause}${fc.defaultReportMessage(details) ?? 'property failed'}`)
  }
}

// ── a static cluster: SimNetwork + Replicator per node, everyone always "alive" ─────────────────────

export interface SentFrame { time: number, from: PeerId, to: PeerId | undefined, channel: Channel, frame: Uint8Array }

/** Wraps a transport to record every frame sent and received. */
export class RecordingTransport implements Transport {
  /** With `connections`, the inner transport's isConnected and hasConnectionRoom are passed through. */
  constructor (private readonly inner: Transport, private readonly now: () => number, readonly sent: SentFrame[], readonly received: SentFrame[], private readonly onSend?: (frame: SentFrame) => void, connections = false) {
    if (connections) {
      this.isConnected = (id) => inner.isConnected?.(id) ?? true
      this.hasConnectionRoom = () => inner.hasConnectionRoom?.() ?? true
    }
  }

  readonly isConnected?: (id: PeerId) => boolean
  readonly hasConnectionRoom?: () => boolean
  get localId (): PeerId { return this.inner.localId }
  addresses (): string[] { return this.inner.addresses() }
  maxFrameBytes (channel: Channel): number { return this.inner.maxFrameBytes(channel) }
  onPeerEvent (handler: (event: PeerEvent) => void): () => void { return this.inner.onPeerEvent(handler) }
  send (channel: Channel, to: Destination, frame: Uint8Array): void {
    const sent = { time: this.now(), from: this.localId, to: to.id, channel, frame }
    this.sent.push(sent)
    this.onSend?.(sent)
    this.inner.send(channel, to, frame)
  }

  onFrame (channel: Channel, handler: FrameHandler): () => void {
    return this.inner.onFrame(channel, (from, frame) => {
      this.received.push({ time: this.now(), from, to: this.localId, channel, frame })
      handler(from, frame)
    })
  }
}

export interface StaticClusterOptions {
  size: number
  seed: number
  link?: Partial<LinkSpec>
  replication?: ReplicationInit
  storeLatencyMs?: number
  /** Called synchronously as each frame is sent (to inspect a node's state at that very moment). */
  onSend?: (frame: SentFrame) => void
  /**
   * A connection budget per node (the network prunes above it), and replication told which peers it is
   * connected to and whether it has room for more. Without it, replication sees every peer as connected.
   */
  maxConnections?: number
}

/**
 * N replicators on a SimNetwork with a fixed directory (every other node is alive, always): no membership
 * traffic, so frame counts are replication's alone. Partitions still drop frames.
 */
export class StaticCluster {
  readonly network: SimNetwork
  readonly ids: PeerId[]
  readonly replicators = new Map<PeerId, Replicator>()
  readonly stores = new Map<PeerId, MemoryDocStore>()
  readonly sent: SentFrame[] = []
  readonly received: SentFrame[] = []
  private readonly aliveListeners = new Map<PeerId, Array<(id: PeerId) => void>>()
  /** Per observer, the members it suspects (not alive to it, not dead either). */
  private readonly suspects = new Map<PeerId, Set<PeerId>>()

  constructor (o: StaticClusterOptions) {
    this.network = new SimNetwork({ seed: o.seed, ...(o.link === undefined ? {} : { link: o.link }), ...(o.maxConnections === undefined ? {} : { maxConnections: o.maxConnections }) })
    this.ids = Array.from({ length: o.size }, (_, i) => `n${i}`)
    for (const id of this.ids) {
      const transport = this.network.addNode(id)
      const clock = this.network.clockFor(id)
      const store = new MemoryDocStore({ clock, latencyMs: o.storeLatencyMs ?? 1, durable: true })
      const peers: PeerDirectory = {
        alivePeers: () => this.ids.filter(p => p !== id && this.suspects.get(id)?.has(p) !== true),
        isSuspect: (p) => this.suspects.get(id)?.has(p) === true,
        addressesOf: () => [],
        onPeerAlive: (listener) => {
          const list = this.aliveListeners.get(id) ?? []
          list.push(listener)
          this.aliveListeners.set(id, list)
          return () => { list.splice(list.indexOf(listener), 1) }
        }
      }
      const r = new Replicator({
        transport: new RecordingTransport(transport, () => this.network.now, this.sent, this.received, o.onSend, o.maxConnections !== undefined),
        clock,
        random: this.network.node(id).random.fork(),
        store,
        peers
      }, { profile: 'sim', ...(o.replication === undefined ? {} : { config: o.replication }) })
      r.start()
      this.replicators.set(id, r)
      this.stores.set(id, store)
    }
  }

  r (id: PeerId): Replicator {
    return this.replicators.get(id) as Replicator
  }

  /** `observer` suspects `subject` (SWIM: a probe failed; it may well be alive). */
  suspect (observer: PeerId, subject: PeerId): void {
    let set = this.suspects.get(observer)
    if (set === undefined) this.suspects.set(observer, set = new Set())
    set.add(subject)
  }

  /** `observer`'s directory reports that `subject` came alive (joined, refuted a suspicion, healed). */
  cameAlive (observer: PeerId, subject: PeerId): void {
    for (const listener of [...(this.aliveListeners.get(observer) ?? [])]) listener(subject)
  }

  openAll (doc: string): void {
    for (const r of this.replicators.values()) r.open(doc).catch(() => {})
  }

  digests (doc: string): Array<string | undefined> {
    return this.ids.map(id => this.r(id).digest(doc))
  }

  converged (docs: readonly string[]): boolean {
    return docs.every(doc => {
      const d = this.digests(doc)
      return d.every(x => x !== undefined && x === d[0])
    })
  }

  stop (): void {
    for (const r of this.replicators.values()) r.stop()
  }
}
