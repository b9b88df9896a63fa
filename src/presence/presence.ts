/**
 * Presence: the presence channel's protocols wired together — awareness across the mesh (doc-presence.ts)
 * and views for `/mesh` (views.ts) — on an injected transport, clock, random source and membership view.
 * Owns the timers and the channel subscription; `stop` says bye to the peers our clients' states went to.
 *
 * Runs unchanged in the simulator: no libp2p, no ambient time or randomness.
 */
import { every } from '../core/clock.js'
import type { Clock, Timer } from '../core/clock.js'
import { RateLimitedLog, silentLogger } from '../core/logger.js'
import type { Logger } from '../core/logger.js'
import type { Random } from '../core/random.js'
import type { PeerId, Transport } from '../core/transport.js'
import type { MeshView } from './codec.js'
import { resolvePresenceConfig } from './config.js'
import type { PresenceConfig, PresenceInit } from './config.js'
import { DocPresence } from './doc-presence.js'
import type { PresenceDirectory } from './doc-presence.js'
import { PresenceLink } from './link.js'
import { createCounters } from './stats.js'
import type { PresenceCounters, PresenceStats } from './stats.js'
import { MeshViews } from './views.js'

export interface PresenceComponents {
  transport: Transport
  clock: Clock
  random: Random
  log?: Logger
  peers: PresenceDirectory
  /** This peer's view of the mesh, for view requests. */
  view: () => MeshView
}

export class Presence {
  readonly config: PresenceConfig
  readonly docs: DocPresence
  readonly views: MeshViews
  private readonly counters: PresenceCounters = createCounters()
  private readonly link: PresenceLink
  private readonly log: Logger
  private readonly timers: Timer[] = []
  private readonly unsubscribe: Array<() => void> = []
  private running = false

  constructor (private readonly components: PresenceComponents, init?: PresenceInit) {
    this.config = resolvePresenceConfig(init)
    const { transport, clock, random, peers } = components
    this.log = components.log ?? silentLogger
    const warnings = new RateLimitedLog(this.log, () => clock.now())
    this.link = new PresenceLink({ transport, addressesOf: id => peers.addressesOf(id), counters: this.counters, warnings })
    this.docs = new DocPresence({ localId: transport.localId, link: this.link, peers, clock, random: random.fork(), config: this.config, counters: this.counters, warnings })
    this.views = new MeshViews({ link: this.link, clock, random: random.fork(), config: this.config, counters: this.counters, warnings, snapshot: components.view })
  }

  start (): void {
    if (this.running) return
    this.running = true
    const { clock, peers, random } = this.components
    this.unsubscribe.push(
      this.link.listen({
        states: (from, msg) => { this.guard(() => { this.docs.onStates(from, msg) }) },
        viewRequest: (from, msg) => { this.guard(() => { this.views.onRequest(from, msg) }) },
        viewReply: (from, msg) => { this.guard(() => { this.views.onReply(from, msg) }) }
      }),
      peers.onPeerAlive((id: PeerId) => { this.guard(() => { this.docs.peerAlive(id) }) }),
      peers.onPeerGone((id: PeerId) => { this.guard(() => { this.docs.peerGone(id) }) })
    )
    // Random phase: peers started together should not all refresh in the same instant.
    const { refreshIntervalMs, expireCheckIntervalMs } = this.config
    this.timers.push(
      every(clock, () => expireCheckIntervalMs, () => { this.guard(() => { this.docs.expire() }) }),
      clock.setTimeout(() => {
        const refresh = (): void => { this.guard(() => { this.docs.refresh() }) }
        refresh()
        this.timers.push(every(clock, () => refreshIntervalMs, refresh))
      }, random.int(refreshIntervalMs))
    )
  }

  /** Says bye to the peers our clients' states went to, then detaches. Idempotent. */
  stop (): void {
    if (!this.running) return
    this.running = false
    this.guard(() => { this.docs.sayGoodbye() })
    for (const t of this.timers) t.cancel()
    this.timers.length = 0
    for (const u of this.unsubscribe) u()
    this.unsubscribe.length = 0
    this.views.clear()
  }

  stats (): PresenceStats {
    return { ...structuredClone(this.counters), ...this.docs.stats() }
  }

  /** A handler bug is logged and dropped; it never escapes into the transport's or the clock's loop. */
  private guard (fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.log.error('presence handler failed', { error: err instanceof Error ? err.stack ?? err.message : String(err) })
    }
  }
}
