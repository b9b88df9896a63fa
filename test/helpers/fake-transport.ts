import { Channel, DEFAULT_MAX_FRAME_BYTES } from '../../src/core/transport.js'
import type { Destination, FrameHandler, PeerEvent, Transport } from '../../src/core/transport.js'
import { decodeSync } from '../../src/replication/codec.js'
import type { SyncMessage } from '../../src/replication/codec.js'

/** A transport whose inbound side the test drives directly; it records what is sent. */
export class FakeTransport implements Transport {
  readonly sent: Array<{ to: Destination, frame: Uint8Array }> = []
  handler: FrameHandler | undefined
  constructor (readonly localId = 'victim') {}
  addresses (): string[] { return [] }
  maxFrameBytes (channel: Channel): number { return DEFAULT_MAX_FRAME_BYTES[channel] }
  send (_channel: Channel, to: Destination, frame: Uint8Array): void { this.sent.push({ to, frame }) }
  onFrame (channel: Channel, handler: FrameHandler): () => void {
    if (channel === Channel.sync) this.handler = handler
    return () => {}
  }

  onPeerEvent (_handler: (event: PeerEvent) => void): () => void { return () => {} }
  inject (from: string, frame: Uint8Array): void { this.handler?.(from, frame) }
  /** Sent messages (chunks as they are), decoded. */
  messages (): SyncMessage[] { return this.sent.map(s => decodeSync(s.frame, DEFAULT_MAX_FRAME_BYTES.sync)) }
}
