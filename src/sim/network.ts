/**
 * The deterministic network simulator: one virtual clock, an event queue, and links with delay, loss and
 * (asymmetric) partitions between nodes that can crash, restart and stall.
 *
 * Same seed ⇒ same run: every random draw comes from one seeded generator (forked per node), events at
 * equal times run in scheduling order, and nothing reads real time. Nodes get a Clock and a Transport
 * from here, so protocol code cannot tell it is simulated, except that it runs ~100× faster than real time.
 */
import type { Clock, Timer } from '../core/clock.js'
import { FrameTooLargeError } from '../core/errors.js'
import { SeededRandom } from '../core/random.js'
import type { Random } from '../core/random.js'
import { DEFAULT_MAX_FRAME_BYTES, perChannel } from '../core/transport.js'
import type { Channel, PeerId } from '../core/transport.js'
import { EventQueue } from './event-queue.js'
import { SimTransport } from './sim-transport.js'

export interface LinkSpec {
  /** Fixed one-way latency. */
  baseDelayMs: number
  /** Mean of an exponential extra delay (a long tail, as on real links); capped at 10× the mean. */
  jitterMs: number
  /** Probability that a frame is lost. */
  loss: number
}

export interface SimNetworkOptions {
  seed: number
  /** Default link model for every pair (override per link with setLink). Default 0.3 ms + exp(0.5 ms), no loss. */
  link?: Partial<LinkSpec>
  /** A frame to a crashed node makes the sender's transport report `unreachable` after a round trip (like a TCP RST). Default true. */
  refuseWhenCrashed?: boolean
  maxFrameBytes?: Partial<Record<Channel, number>>
}

export interface TrafficStats {
  frames: number
  bytes: number
  dropped: number
}

/** Per-node internal state. `epoch` increases at every crash and restart; events of old epochs are void. */
export interface SimNodeState {
  readonly id: PeerId
  readonly random: Random
  epoch: number
  crashed: boolean
  stalledUntil: number
  /** Extra delay before each inbound frame is handled: a CPU-starved process working through a backlog. */
  inboundLagMs: number
  transport: SimTransport
  sent: TrafficStats
}

const ADDRESS_PREFIX = 'sim://'
/** After a stall, inbound frames are handled this long after the timers that expired during it. */
const STALL_IO_LAG_MS = 1

export function simAddress (id: PeerId): string {
  return `${ADDRESS_PREFIX}${id}`
}

export class SimNetwork {
  readonly random: Random
  private readonly queue = new EventQueue()
  private readonly nodes = new Map<PeerId, SimNodeState>()
  private readonly links = new Map<string, LinkSpec>()
  private readonly blocked = new Set<string>()
  private readonly defaultLink: LinkSpec
  private readonly refuseWhenCrashed: boolean
  readonly maxFrameBytes: Readonly<Record<Channel, number>>
  private time = 0
  readonly traffic: Record<Channel, TrafficStats> = perChannel(() => ({ frames: 0, bytes: 0, dropped: 0 }))

  eventsRun = 0

  constructor (readonly options: SimNetworkOptions) {
    this.random = new SeededRandom(options.seed)
    this.defaultLink = { baseDelayMs: 0.3, jitterMs: 0.5, loss: 0, ...options.link }
    this.refuseWhenCrashed = options.refuseWhenCrashed ?? true
    this.maxFrameBytes = { ...DEFAULT_MAX_FRAME_BYTES, ...options.maxFrameBytes }
  }

  /** Current virtual time in ms. */
  get now (): number {
    return this.time
  }

  // ── nodes ──────────────────────────────────────────────────────────────────────────────────────

  /** Adds a node (or returns the existing one's fresh transport after a restart). */
  addNode (id: PeerId): SimTransport {
    if (this.nodes.has(id)) throw new Error(`node ${id} already exists`)
    const node: SimNodeState = {
      id,
      random: this.random.fork(),
      epoch: 0,
      crashed: false,
      stalledUntil: 0,
      inboundLagMs: 0,
      transport: undefined as unknown as SimTransport,
      sent: { frames: 0, bytes: 0, dropped: 0 }
    }
    node.transport = new SimTransport(this, node)
    this.nodes.set(id, node)
    return node.transport
  }

  node (id: PeerId): SimNodeState {
    const n = this.nodes.get(id)
    if (n === undefined) throw new Error(`no node ${id}`)
    return n
  }

  nodeIds (): PeerId[] {
    return [...this.nodes.keys()]
  }

  /** A Clock bound to `id`: its timers die with a crash and wait out a stall. */
  clockFor (id: PeerId): Clock {
    const node = this.node(id)
    return {
      now: () => this.time,
      setTimeout: (fn, delayMs) => this.scheduleOn(node, Math.max(0, delayMs), fn)
    }
  }

  /** The process dies: timers and in-flight frames to it are void; it sends nothing more. */
  crash (id: PeerId): void {
    const node = this.node(id)
    node.crashed = true
    node.epoch++
  }

  /** The process starts again with empty state: returns a fresh transport with the same id and address. */
  restart (id: PeerId): SimTransport {
    const node = this.node(id)
    node.crashed = false
    node.epoch++
    node.stalledUntil = 0
    node.inboundLagMs = 0
    node.transport = new SimTransport(this, node)
    return node.transport
  }

  /** The node processes nothing for `durationMs` (a long GC pause): its timers and inbound frames wait. */
  stall (id: PeerId, durationMs: number): void {
    const node = this.node(id)
    node.stalledUntil = Math.max(node.stalledUntil, this.time + durationMs)
  }

  /**
   * The node handles every inbound frame `lagMs` late (0 = normal), while its timers stay on time: a
   * member too slow to keep up, whose probes time out with the acks already waiting. This is the failure
   * mode Lifeguard's local health awareness targets.
   */
  slow (id: PeerId, lagMs: number): void {
    this.node(id).inboundLagMs = Math.max(0, lagMs)
  }

  isCrashed (id: PeerId): boolean {
    return this.node(id).crashed
  }

  // ── links ──────────────────────────────────────────────────────────────────────────────────────

  setLink (from: PeerId, to: PeerId, spec: Partial<LinkSpec>): void {
    this.links.set(linkKey(from, to), { ...this.linkOf(from, to), ...spec })
  }

  /** Changes the default link model (e.g. uniform loss) for all links without an override. */
  setDefaultLink (spec: Partial<LinkSpec>): void {
    Object.assign(this.defaultLink, spec)
  }

  /** Drops everything sent from `from` to `to` (one direction only). */
  block (from: PeerId, to: PeerId): void {
    this.blocked.add(linkKey(from, to))
  }

  unblock (from: PeerId, to: PeerId): void {
    this.blocked.delete(linkKey(from, to))
  }

  /** Symmetric partition between groups `a` and `b`. */
  partition (a: readonly PeerId[], b: readonly PeerId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.block(x, y)
        this.block(y, x)
      }
    }
  }

  /** Removes every block. */
  heal (): void {
    this.blocked.clear()
  }

  isBlocked (from: PeerId, to: PeerId): boolean {
    return this.blocked.has(linkKey(from, to))
  }

  // ── running ────────────────────────────────────────────────────────────────────────────────────

  /** Schedules a global (not node-bound) event, e.g. a test's fault injection. */
  at (time: number, fn: () => void): Timer {
    const ev = this.queue.push(Math.max(time, this.time), fn)
    return { cancel: () => { ev.cancelled = true } }
  }

  /** Runs events until virtual time reaches `now + durationMs`. */
  runFor (durationMs: number): void {
    this.runUntilTime(this.time + durationMs)
  }

  runUntilTime (end: number): void {
    for (;;) {
      const t = this.queue.peekTime()
      if (t === undefined || t > end) break
      const ev = this.queue.pop()
      if (ev === undefined) break
      this.time = ev.time
      if (ev.cancelled) continue
      this.eventsRun++
      ev.run()
    }
    this.time = Math.max(this.time, end)
  }

  /**
   * Runs until `done()` holds (checked every `checkEveryMs` of virtual time) or `maxMs` passes.
   * Returns the virtual time it took, or undefined on timeout.
   */
  runUntil (done: () => boolean, maxMs: number, checkEveryMs = 50): number | undefined {
    const start = this.time
    const end = start + maxMs
    while (this.time < end) {
      if (done()) return this.time - start
      this.runUntilTime(Math.min(end, this.time + checkEveryMs))
    }
    return done() ? this.time - start : undefined
  }

  // ── used by SimTransport ───────────────────────────────────────────────────────────────────────

  /** Resolves a destination to a node: by id, else by a `sim://id` address. */
  resolve (id: PeerId | undefined, addrs: readonly string[]): SimNodeState | undefined {
    if (id !== undefined) return this.nodes.get(id)
    for (const a of addrs) {
      if (a.startsWith(ADDRESS_PREFIX)) {
        const n = this.nodes.get(a.slice(ADDRESS_PREFIX.length))
        if (n !== undefined) return n
      }
    }
    return undefined
  }

  /** Carries one frame from `from` to `to`, applying the link model. */
  deliver (from: SimNodeState, to: SimNodeState | undefined, channel: Channel, frame: Uint8Array, onUnreachable: () => void): void {
    if (frame.byteLength > this.maxFrameBytes[channel]) {
      throw new FrameTooLargeError(`${channel} frame of ${frame.byteLength} bytes exceeds ${this.maxFrameBytes[channel]}`)
    }
    const stats = this.traffic[channel]
    stats.frames++
    stats.bytes += frame.byteLength
    from.sent.frames++
    from.sent.bytes += frame.byteLength
    if (to === undefined) {
      stats.dropped++
      this.scheduleOn(from, 2 * this.defaultLink.baseDelayMs, onUnreachable)
      return
    }
    const link = this.linkOf(from.id, to.id)
    if (this.isBlocked(from.id, to.id) || (link.loss > 0 && from.random.next() < link.loss)) {
      stats.dropped++
      return
    }
    if (to.crashed) {
      stats.dropped++
      if (this.refuseWhenCrashed && !this.isBlocked(to.id, from.id)) this.scheduleOn(from, 2 * link.baseDelayMs, onUnreachable)
      return
    }
    const delay = link.baseDelayMs + Math.min(10 * link.jitterMs, -link.jitterMs * Math.log(1 - from.random.next())) + to.inboundLagMs
    const epoch = to.epoch
    this.queue.push(this.time + delay, () => {
      // A partition that began while the frame was in flight, or a crash/restart of the receiver, loses it.
      if (to.epoch !== epoch || this.isBlocked(from.id, to.id)) {
        stats.dropped++
        return
      }
      this.runOn(to, epoch, () => { to.transport.receive(channel, from.id, frame) }, STALL_IO_LAG_MS)
    })
  }

  private scheduleOn (node: SimNodeState, delayMs: number, fn: () => void): Timer {
    const epoch = node.epoch
    const ev = this.queue.push(this.time + delayMs, () => { this.runOn(node, epoch, fn) })
    return { cancel: () => { ev.cancelled = true } }
  }

  /**
   * Runs `fn` as `node` unless it crashed since. During a stall it is deferred to the stall's end, in
   * order; inbound frames (`lagMs` > 0) a little after timers, as in Node's event loop, which runs expired
   * timers before it polls sockets. That ordering is what makes a paused process time out probes whose
   * acks are already waiting in its socket buffer: the false suspicions Lifeguard is designed to curb.
   */
  private runOn (node: SimNodeState, epoch: number, fn: () => void, lagMs = 0): void {
    if (node.epoch !== epoch || node.crashed) return
    if (node.stalledUntil > this.time) {
      this.queue.push(node.stalledUntil + lagMs, () => { this.runOn(node, epoch, fn, lagMs) })
      return
    }
    fn()
  }

  private linkOf (from: PeerId, to: PeerId): LinkSpec {
    return this.links.get(linkKey(from, to)) ?? this.defaultLink
  }
}

function linkKey (from: PeerId, to: PeerId): string {
  return `${from}\u0000${to}`
}
