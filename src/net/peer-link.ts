/**
 * Outbound state for one peer: a bounded queue and one long-lived stream per channel, the dial in
 * progress (shared by all channels), and the bookkeeping for dead-connection detection.
 */
import type { Connection, PeerId as Libp2pPeerId } from '@libp2p/interface'
import { CHANNELS, perChannel } from '../core/transport.js'
import type { Channel, PeerId } from '../core/transport.js'
import { FrameQueue, queuedBytes, queuedFrames } from '../core/frame-queue.js'
import type { QueueLimits } from '../core/frame-queue.js'
import type { FrameWriter } from './frame-writer.js'

export class PeerLink {
  readonly queues: Record<Channel, FrameQueue>
  readonly writers: Partial<Record<Channel, FrameWriter>> = {}
  readonly pumping: Record<Channel, boolean> = perChannel(() => false)
  /** Latest addresses a Destination gave for this peer (strings: they come from gossip). */
  addrs: readonly string[] = []
  dialing: Promise<Connection | undefined> | undefined
  /**
   * Dead-connection evidence: since when we have been writing to this peer without a single frame back,
   * and how many writes that covers. A live peer answers (SWIM acks every ping), so steady writes met by
   * a long silence mean the connection died without a RST (host gone, cable pulled).
   */
  unansweredSince: number | undefined
  unansweredWrites = 0
  private lastWriteAt = -Infinity

  constructor (readonly id: PeerId, readonly peerId: Libp2pPeerId, limits: Readonly<Record<Channel, QueueLimits>>) {
    this.queues = perChannel(c => new FrameQueue(limits[c]))
  }

  get queuedFrames (): number {
    return queuedFrames(this.queues)
  }

  get queuedBytes (): number {
    return queuedBytes(this.queues)
  }

  /** Something is queued, being written or dialled: not idle, must not be pruned. */
  get busy (): boolean {
    return this.queuedFrames > 0 || this.dialing !== undefined || CHANNELS.some(c => this.pumping[c])
  }

  /**
   * Records a write. Silence only counts while we keep writing: after a gap longer than `windowMs` the
   * count restarts, so sparse one-way traffic (gossip that needs no answer) is never taken for a dead peer.
   */
  noteSent (now: number, windowMs: number): void {
    if (this.unansweredSince === undefined || now - this.lastWriteAt > windowMs) {
      this.unansweredSince = now
      this.unansweredWrites = 0
    }
    this.unansweredWrites++
    this.lastWriteAt = now
  }

  noteReceived (): void {
    this.unansweredSince = undefined
    this.unansweredWrites = 0
  }

  /** At least `minWrites` writes over at least `windowMs`, none answered. */
  presumedDead (now: number, windowMs: number, minWrites: number): boolean {
    return this.unansweredSince !== undefined && this.unansweredWrites >= minWrites &&
      now - this.unansweredSince >= windowMs && now - this.lastWriteAt <= windowMs
  }
}

/** Whether `c` was dialled by the lower of the two PeerIds (the tie-break both ends compute alike). */
export function dialledByLower (c: Connection, localId: string): boolean {
  const remote = c.remotePeer.toString()
  const dialler = c.direction === 'outbound' ? localId : remote
  return dialler === (localId < remote ? localId : remote)
}

/**
 * The connection to send on. Keeps using the current one while it is open. Otherwise prefers the
 * connection dialled by the lower PeerId, so after a simultaneous dial both ends settle on the same
 * connection (and the higher side retires the other: redundantConnections); then the newest.
 */
export function pickConnection (connections: readonly Connection[], localId: string, current?: Connection): Connection | undefined {
  const open = connections.filter(c => c.status === 'open')
  if (current !== undefined && open.includes(current)) return current
  return open.sort((a, b) => {
    const pref = Number(dialledByLower(b, localId)) - Number(dialledByLower(a, localId))
    return pref !== 0 ? pref : b.timeline.open - a.timeline.open
  })[0]
}

/**
 * After a simultaneous dial two connections link the same pair. Both ends prefer the one the lower PeerId
 * dialled, so the higher end closes the ones it dialled itself: it owns them, so it can first finish
 * (half-close) its own streams on them, and no frame is cut off mid-way. Returns those connections
 * (empty on the lower end, or when there is no duplicate).
 */
export function redundantConnections (connections: readonly Connection[], localId: string): Connection[] {
  const open = connections.filter(c => c.status === 'open')
  if (open.length < 2) return []
  const remote = open[0]?.remotePeer.toString() ?? ''
  if (localId < remote) return []
  if (!open.some(c => dialledByLower(c, localId))) return []
  return open.filter(c => c.direction === 'outbound')
}
