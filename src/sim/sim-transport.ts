/**
 * The simulator's Transport: frames go through SimNetwork's model of connections, queues and links, never
 * through real sockets. Inbound frames above the channel limit are rejected here, as the libp2p transport
 * does.
 */
import { perChannel } from '../core/transport.js'
import type { PeerSigner } from '../core/signer.js'
import type { Channel, Destination, DialStage, FrameHandler, PeerEvent, PeerId, SendOptions, Transport } from '../core/transport.js'
import type { SimNetwork } from './network.js'
import { simAddress } from './network.js'
import type { SimNode } from './node.js'

export class SimTransport implements Transport {
  readonly localId: PeerId
  readonly signer: PeerSigner | undefined
  /** Per channel, not a Map: looked up for every frame delivered (issue 11). */
  private readonly handlers: Record<Channel, FrameHandler | undefined> = perChannel(() => undefined)
  private readonly peerListeners = new Set<(e: PeerEvent) => void>()
  private readonly epoch: number
  /** Inbound frames rejected for size, per channel. */
  readonly rejected: Record<Channel, number> = perChannel(() => 0)

  constructor (private readonly network: SimNetwork, private readonly node: SimNode) {
    this.localId = node.id
    this.epoch = node.epoch
    this.signer = network.keys?.signer(node.id)
  }

  addresses (): string[] {
    return [simAddress(this.localId)]
  }

  maxFrameBytes (channel: Channel): number {
    return this.network.maxFrameBytes[channel]
  }

  send (channel: Channel, to: Destination, frame: Uint8Array, options?: SendOptions): void {
    if (!this.alive()) return
    this.network.send(this.node, this.network.resolve(to.id, to.addrs), channel, frame, to.addrs, options?.stream === true)
  }

  datagramPath (id: PeerId): boolean {
    return this.alive() && this.network.datagramPath(this.node, id)
  }

  onFrame (channel: Channel, handler: FrameHandler): () => void {
    this.handlers[channel] = handler
    return () => {
      if (this.handlers[channel] === handler) this.handlers[channel] = undefined
    }
  }

  onPeerEvent (handler: (event: PeerEvent) => void): () => void {
    this.peerListeners.add(handler)
    return () => { this.peerListeners.delete(handler) }
  }

  forget (id: PeerId): void {
    if (this.alive() && id !== this.localId) this.network.forget(this.node, id)
  }

  isConnected (id: PeerId): boolean {
    // The node's own table, not network.isConnected (a lookup of the node by id first): asked for every
    // gossip target of every round.
    return this.node.connections.get(id)?.state === 'open'
  }

  hasConnectionRoom (): boolean {
    return this.network.hasConnectionRoom(this.node)
  }

  connect (to: Destination): void {
    if (!this.alive() || to.id === this.localId) return
    this.network.connect(this.node, this.network.resolve(to.id, to.addrs), to.addrs)
  }

  dialStage (id: PeerId): DialStage {
    return this.node.connections.get(id)?.stage(this.network.now) ?? 'none'
  }

  setLocalHealth (multiplier: number): void {
    if (this.alive() && Number.isFinite(multiplier) && multiplier >= 1) this.node.healthMultiplier = multiplier
  }

  /**
   * A frame arrives from `from` (called by the network; tests call it to inject a frame as if it had
   * come off the wire, past the link model and the inbound rate limits).
   */
  receive (channel: Channel, from: PeerId, frame: Uint8Array, viaDatagram = false): void {
    if (!this.alive()) return
    if (frame.byteLength > this.maxFrameBytes(channel)) {
      this.rejected[channel]++
      return
    }
    this.handlers[channel]?.(from, frame, viaDatagram)
  }

  /** Called by the network: a dial to `id` (or to `addrs`) failed; `refused`: by a host where nothing listens. */
  unreachable (id: PeerId | undefined, addrs: readonly string[], refused = false): void {
    this.peerEvent({ type: 'unreachable', ...(id === undefined ? {} : { id }), addrs, ...(refused ? { refused } : {}) })
  }

  /** Called by the network on connection changes. */
  peerEvent (e: PeerEvent): void {
    if (!this.alive()) return
    for (const l of this.peerListeners) l(e)
  }

  private alive (): boolean {
    return this.node.epoch === this.epoch && !this.node.crashed
  }
}
