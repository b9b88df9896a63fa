/**
 * The simulator's Transport: frames go through SimNetwork's link model, never through real sockets.
 * Inbound frames above the channel limit are rejected here, as the libp2p transport does.
 */
import { perChannel } from '../core/transport.js'
import type { Channel, Destination, FrameHandler, PeerEvent, PeerId, Transport } from '../core/transport.js'
import type { SimNetwork, SimNodeState } from './network.js'
import { simAddress } from './network.js'

export class SimTransport implements Transport {
  readonly localId: PeerId
  private readonly handlers = new Map<Channel, FrameHandler>()
  private readonly peerListeners = new Set<(e: PeerEvent) => void>()
  private readonly epoch: number
  /** Inbound frames rejected for size, per channel. */
  readonly rejected: Record<Channel, number> = perChannel(() => 0)

  constructor (private readonly network: SimNetwork, private readonly node: SimNodeState) {
    this.localId = node.id
    this.epoch = node.epoch
  }

  addresses (): string[] {
    return [simAddress(this.localId)]
  }

  maxFrameBytes (channel: Channel): number {
    return this.network.maxFrameBytes[channel]
  }

  send (channel: Channel, to: Destination, frame: Uint8Array): void {
    if (!this.alive()) return
    const target = this.network.resolve(to.id, to.addrs)
    this.network.deliver(this.node, target, channel, frame, () => {
      this.emit({ type: 'unreachable', ...(to.id === undefined ? {} : { id: to.id }), addrs: to.addrs })
    })
  }

  onFrame (channel: Channel, handler: FrameHandler): () => void {
    this.handlers.set(channel, handler)
    return () => {
      if (this.handlers.get(channel) === handler) this.handlers.delete(channel)
    }
  }

  onPeerEvent (handler: (event: PeerEvent) => void): () => void {
    this.peerListeners.add(handler)
    return () => { this.peerListeners.delete(handler) }
  }

  /** Called by the network when a frame arrives. */
  receive (channel: Channel, from: PeerId, frame: Uint8Array): void {
    if (!this.alive()) return
    if (frame.byteLength > this.maxFrameBytes(channel)) {
      this.rejected[channel]++
      return
    }
    this.handlers.get(channel)?.(from, frame)
  }

  private alive (): boolean {
    return this.node.epoch === this.epoch && !this.node.crashed
  }

  private emit (e: PeerEvent): void {
    for (const l of this.peerListeners) l(e)
  }
}
