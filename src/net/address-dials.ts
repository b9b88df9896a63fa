/**
 * Sending to a bare address (a bootstrap multiaddr without /p2p/<id>): the frames wait while the address
 * is dialled, the handshake reveals the PeerId, and they are handed to that peer's link. The mapping
 * address → PeerId is remembered, because libp2p cannot match a bare address to an open connection:
 * without it, every send to a seed would dial a new connection.
 */
import type { Multiaddr } from '@multiformats/multiaddr'
import type { RateLimitedLog } from '../core/logger.js'
import type { Channel, PeerEvent, PeerId } from '../core/transport.js'
import { parseMultiaddr } from './addresses.js'
import type { Dialer } from './dialer.js'
import type { QueueBudget } from '../core/frame-queue.js'
import type { TransportCounters } from './stats.js'

/** Bare-address dials in flight at once; more are refused (each may hold queued frames). */
const MAX_PENDING_ADDRESS_DIALS = 64
/** Frames held per bare-address dial while the remote's id is unknown (oldest dropped beyond). */
const MAX_FRAMES_PER_ADDRESS_DIAL = 256
/** Remembered address → PeerId mappings (oldest forgotten beyond). */
const MAX_LEARNED_ADDRESSES = 1024

export interface AddressDialsDeps {
  localId: PeerId
  dialer: Dialer
  counters: TransportCounters
  budget: QueueBudget
  warnings: RateLimitedLog
  isOwnAddress: (addr: Multiaddr) => boolean
  hasOpenConnection: (id: PeerId) => boolean
  deliverLocal: (channel: Channel, frame: Uint8Array) => void
  /** Hands a frame to `id`'s link (addresses: used if the link has none yet). */
  deliverTo: (id: PeerId, addrs: readonly string[], channel: Channel, frame: Uint8Array) => void
  emit: (event: PeerEvent) => void
  /** The destination is unusable (no valid address): drop and report. */
  refuse: (addrs: readonly string[]) => void
}

interface PendingDial {
  readonly addrs: readonly string[]
  readonly frames: Array<{ channel: Channel, frame: Uint8Array }>
}

export class AddressDials {
  private readonly pending = new Map<string, PendingDial>()
  private readonly learned = new Map<string, PeerId>()
  private accepting = true

  constructor (private readonly deps: AddressDialsDeps) {}

  get queuedFrames (): number {
    let n = 0
    for (const d of this.pending.values()) n += d.frames.length
    return n
  }

  get inFlight (): number {
    return this.pending.size
  }

  send (channel: Channel, addrs: readonly string[], frame: Uint8Array): void {
    const { counters, budget } = this.deps
    const parsed = addrs.map(parseMultiaddr).filter((a): a is Multiaddr => a !== undefined)
    if (parsed.length === 0) {
      this.deps.refuse(addrs)
      return
    }
    if (parsed.some(a => this.deps.isOwnAddress(a))) {
      this.deps.deliverLocal(channel, frame)
      return
    }
    for (const a of addrs) {
      const id = this.learned.get(a)
      if (id === this.deps.localId) {
        this.deps.deliverLocal(channel, frame)
        return
      }
      if (id !== undefined && this.deps.hasOpenConnection(id)) {
        this.deps.deliverTo(id, addrs, channel, frame)
        return
      }
    }
    const key = addrs.join(' ')
    let dial = this.pending.get(key)
    if (dial === undefined) {
      if (this.pending.size >= MAX_PENDING_ADDRESS_DIALS) {
        counters.droppedOutbound.queueOverflow++
        return
      }
      dial = { addrs, frames: [] }
      this.pending.set(key, dial)
      void this.dial(key, dial, parsed)
    }
    if (!budget.reserve(frame.byteLength)) {
      counters.droppedOutbound.queueOverflow++
      return
    }
    dial.frames.push({ channel, frame })
    if (dial.frames.length > MAX_FRAMES_PER_ADDRESS_DIAL) {
      const oldest = dial.frames.shift()
      budget.release(oldest?.frame.byteLength ?? 0)
      counters.droppedOutbound.queueOverflow++
    }
  }

  /** Stops; drops what waits for a dial. */
  close (): void {
    this.accepting = false
    for (const d of this.pending.values()) this.drop(d, 'closed')
    this.pending.clear()
  }

  private async dial (key: string, dial: PendingDial, addrs: Multiaddr[]): Promise<void> {
    const result = await this.deps.dialer.dial(addrs, key, 'address')
    this.pending.delete(key)
    if (!this.accepting) return // close() already dropped these frames
    for (const f of dial.frames) this.deps.budget.release(f.frame.byteLength)
    if (result.ok) {
      const id = result.connection.remotePeer.toString()
      this.learn(dial.addrs, id)
      for (const { channel, frame } of dial.frames) this.deps.deliverTo(id, dial.addrs, channel, frame)
      return
    }
    if (result.diagnosis.kind === 'self') {
      this.learn(dial.addrs, this.deps.localId)
      for (const { channel, frame } of dial.frames) this.deps.deliverLocal(channel, frame)
      return
    }
    this.deps.counters.droppedOutbound.dialFailed += dial.frames.length
    if (result.diagnosis.kind !== 'denied') this.deps.emit({ type: 'unreachable', addrs: dial.addrs, reason: result.diagnosis.explanation, ...(result.diagnosis.kind === 'refused' ? { refused: true } : {}) })
  }

  private drop (dial: PendingDial, reason: 'closed'): void {
    for (const f of dial.frames) this.deps.budget.release(f.frame.byteLength)
    this.deps.counters.droppedOutbound[reason] += dial.frames.length
  }

  private learn (addrs: readonly string[], id: PeerId): void {
    for (const a of addrs) {
      this.learned.delete(a)
      this.learned.set(a, id)
    }
    while (this.learned.size > MAX_LEARNED_ADDRESSES) {
      const oldest = this.learned.keys().next().value
      if (oldest === undefined) break
      this.learned.delete(oldest)
    }
  }
}
