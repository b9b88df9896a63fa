/**
 * A simulated mesh with presence: SimCluster's SWIM members, plus one Presence per node on the same
 * simulated transport and virtual clock, and simulated Yjs clients (a client id, a clock, a state) that
 * set and renew their awareness the way y-protocols clients do.
 */
import type { PeerId } from '../../src/core/transport.js'
import { Presence, presenceDirectory } from '../../src/presence/index.js'
import type { MeshView, PresenceInit } from '../../src/presence/index.js'
import { SimCluster } from '../../src/sim/cluster.js'
import type { LinkSpec } from '../../src/sim/network.js'

/** The libp2p transport's default `closeFlushMs`. */
const CLOSE_FLUSH_MS = 500

export interface PresenceSimOptions {
  size: number
  seed: number
  link?: Partial<LinkSpec>
  presence?: PresenceInit
}

export interface SimClient {
  readonly node: PeerId
  readonly doc: string
  readonly clientId: number
  clock: number
  state: Record<string, unknown> | null
  release: () => void
}

/** y-protocols clients renew their state every outdatedTimeout / 2. */
export const CLIENT_RENEW_MS = 15_000

export class PresenceSim {
  readonly cluster: SimCluster
  private readonly nodes = new Map<PeerId, Presence>()
  readonly clients: SimClient[] = []
  private nextClientId = 1000

  constructor (readonly options: PresenceSimOptions) {
    this.cluster = new SimCluster({ size: options.size, seed: options.seed, ...(options.link === undefined ? {} : { link: options.link }) })
    // Membership boots at t = 0 (scheduled); attach presence right after, on the same node.
    this.cluster.network.at(0, () => { for (const id of this.cluster.ids) this.attach(id) })
    this.cluster.network.runFor(1)
  }

  get ids (): readonly PeerId[] {
    return this.cluster.ids
  }

  get network (): SimCluster['network'] {
    return this.cluster.network
  }

  presence (id: PeerId): Presence {
    const p = this.nodes.get(id)
    if (p === undefined) throw new Error(`${id} is not running`)
    return p
  }

  /** Runs until every running member sees all running members alive. */
  form (maxMs = 30_000): void {
    const took = this.cluster.runUntilAll(() => this.cluster.allSeeAlive(this.cluster.runningIds()), maxMs)
    if (took === undefined) throw new Error('the simulated mesh did not form')
  }

  /** A client connects to `node` and sets its first state (clock 1, as after y-protocols' initial {} at 0). */
  connect (node: PeerId, doc: string, state: Record<string, unknown>): SimClient {
    const release = this.presence(node).docs.join(doc)
    const client: SimClient = { node, doc, clientId: this.nextClientId++, clock: 1, state, release }
    this.clients.push(client)
    this.presence(node).docs.setLocal(doc, [{ clientId: client.clientId, clock: client.clock, state: JSON.stringify(state) }])
    return client
  }

  /** The client changes (or renews) its state: clock + 1. */
  set (client: SimClient, state: Record<string, unknown> | null): void {
    client.clock++
    client.state = state
    this.presence(client.node).docs.setLocal(client.doc, [{ clientId: client.clientId, clock: client.clock, state: state === null ? null : JSON.stringify(state) }])
  }

  /** The client's connection closes: its peer removes its state and drops its interest. */
  disconnect (client: SimClient): void {
    this.presence(client.node).docs.removeLocal(client.doc, [client.clientId])
    client.release()
    this.clients.splice(this.clients.indexOf(client), 1)
  }

  /** Every connected client renews its state every CLIENT_RENEW_MS, as y-protocols clients do. */
  renewClients (): void {
    const tick = (): void => {
      for (const c of this.clients) if (c.state !== null && this.nodes.has(c.node)) this.set(c, c.state)
      this.network.at(this.network.now + CLIENT_RENEW_MS, tick)
    }
    this.network.at(this.network.now + CLIENT_RENEW_MS, tick)
  }

  /** Present states of `doc` as `observer` holds them: client id → state JSON. */
  seen (observer: PeerId, doc: string): Record<number, string> {
    const out: Record<number, string> = {}
    for (const s of this.presence(observer).docs.states(doc)) out[s.clientId] = s.state
    return out
  }

  /** What every client of `doc` currently shows, as the peers that have clients on it should all see. */
  expected (doc: string): Record<number, string> {
    const out: Record<number, string> = {}
    for (const c of this.clients) if (c.doc === doc && c.state !== null && this.nodes.has(c.node)) out[c.clientId] = JSON.stringify(c.state)
    return out
  }

  /** Crash: no goodbye, timers void. */
  crash (id: PeerId): void {
    this.nodes.delete(id)
    for (const c of this.clients.filter(c => c.node === id)) this.clients.splice(this.clients.indexOf(c), 1)
    this.cluster.crash(id)
  }

  /**
   * Graceful stop of presence (bye to the interested peers), then the process stops once its transport has
   * flushed what was queued: the libp2p transport's close() drains the outbound queues for up to
   * `closeFlushMs` (500 ms) first. Crashing in the same instant would void the bye in the simulator's
   * queues (it dials on first use), which a real stop does not.
   */
  stop (id: PeerId): void {
    this.presence(id).stop()
    const node = this.nodes.get(id)
    this.network.at(this.network.now + CLOSE_FLUSH_MS, () => {
      if (this.nodes.get(id) === node) this.crash(id)
    })
  }

  restart (id: PeerId): void {
    this.cluster.restart(id)
    this.attach(id)
  }

  runUntil (done: () => boolean, maxMs: number): number | undefined {
    return this.network.runUntil(done, maxMs, 20)
  }

  private attach (id: PeerId): void {
    const network = this.cluster.network
    const membership = this.cluster.membership(id)
    const view = (): MeshView => ({
      name: id,
      http: undefined,
      members: membership.members().map(m => ({ id: m.id, name: m.name, state: m.state, incarnation: m.incarnation })),
      docs: [],
      blocked: [],
      truncated: false
    })
    const presence = new Presence({
      transport: network.node(id).transport,
      clock: network.clockFor(id),
      random: network.node(id).random.fork(),
      peers: presenceDirectory(membership),
      view
    }, this.options.presence)
    presence.start()
    this.nodes.set(id, presence)
  }
}
