/**
 * mDNS discoveries → dialled → reported. libp2p's mDNS only emits `peer:discovery` (it never dials), and
 * re-emits every known peer at each query interval, so each peer is reported at most once per
 * DISCOVERY_REPORT_INTERVAL_MS: often enough to re-merge after a partition, rarely enough not to make
 * membership re-join in a loop.
 */
import type { PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '../core/logger.js'
import type { Destination, PeerId } from '../core/transport.js'
import { isWildcard, withPeerId } from './addresses.js'
import { describeError } from './describe-error.js'
import type { Dialer } from './dialer.js'
import type { PeerPolicy } from './peer-policy.js'

export const DISCOVERY_REPORT_INTERVAL_MS = 30_000
/** Remembered report times (one per discovered peer); the oldest is forgotten beyond it. */
const MAX_REMEMBERED = 1024

export class Discovery {
  private readonly lastReported = new Map<PeerId, number>()
  private readonly listeners = new Set<(dest: Destination) => void>()

  constructor (
    private readonly localId: PeerId,
    private readonly dialer: Dialer,
    private readonly policy: PeerPolicy,
    private readonly log: Logger,
    private readonly now: () => number
  ) {}

  on (listener: (dest: Destination) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Handles one mDNS `peer` event (every response, not only the first). */
  async discovered (info: PeerInfo): Promise<void> {
    const id = info.id.toString()
    if (id === this.localId || this.policy.verdict(id) !== 'ok') return
    const last = this.lastReported.get(id)
    const t = this.now()
    if (last !== undefined && t - last < DISCOVERY_REPORT_INTERVAL_MS) return
    this.remember(id, t)
    const addrs = info.multiaddrs.filter((a: Multiaddr) => !isWildcard(a)).map(a => withPeerId(a, id))
    const result = await this.dialer.dial(addrs.length > 0 ? addrs : info.id, id, 'discovery')
    if (!result.ok) return
    this.log.info('discovered peer on the local network', { peer: id })
    const dest: Destination = { id, addrs: addrs.map(a => a.toString()) }
    for (const l of [...this.listeners]) {
      try {
        l(dest)
      } catch (err) {
        this.log.error('discovery listener threw', { error: describeError(err) })
      }
    }
  }

  private remember (id: PeerId, t: number): void {
    this.lastReported.delete(id)
    this.lastReported.set(id, t)
    if (this.lastReported.size > MAX_REMEMBERED) {
      const oldest = this.lastReported.keys().next().value
      if (oldest !== undefined) this.lastReported.delete(oldest)
    }
  }
}
