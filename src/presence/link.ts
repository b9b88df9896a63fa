/**
 * The presence channel's framing: encode and send with counters, decode and validate inbound frames, and
 * count, log (rate-limited) and drop whatever fails. Transport-free: it talks to the injected Transport.
 */
import type { RateLimitedLog } from '../core/logger.js'
import { Channel } from '../core/transport.js'
import type { PeerId, Transport } from '../core/transport.js'
import { decodePresence, encodePresence } from './codec.js'
import type { PresenceMessage, PresenceMessageOf, PresenceTypeName } from './codec.js'
import type { PresenceCounters } from './stats.js'

export interface PresenceLinkDeps {
  transport: Transport
  /** Where a peer can be reached (its gossiped addresses). */
  addressesOf: (id: PeerId) => readonly string[]
  counters: PresenceCounters
  warnings: RateLimitedLog
}

export type PresenceHandlers = { [K in PresenceTypeName]: (from: PeerId, msg: PresenceMessageOf<K>) => void }

export class PresenceLink {
  constructor (private readonly deps: PresenceLinkDeps) {}

  get maxFrameBytes (): number {
    return this.deps.transport.maxFrameBytes(Channel.presence)
  }

  /** Sends one message; returns false (counted) if it does not fit a frame — a local bug, never thrown at callers. */
  send (to: PeerId, msg: PresenceMessage): boolean {
    const bytes = encodePresence(msg)
    const { counters } = this.deps
    if (bytes.byteLength > this.maxFrameBytes) {
      counters.oversizeDropped++
      this.deps.warnings.warn(`oversize:${msg.type}`, 'presence frame too large to send: dropped', { type: msg.type, bytes: bytes.byteLength })
      return false
    }
    counters.messagesOut[msg.type]++
    counters.bytesOut[msg.type] += bytes.byteLength
    this.deps.transport.send(Channel.presence, { id: to, addrs: this.deps.addressesOf(to) }, bytes)
    return true
  }

  /** Subscribes `handlers` to inbound frames; returns the unsubscribe function. */
  listen (handlers: PresenceHandlers): () => void {
    return this.deps.transport.onFrame(Channel.presence, (from, bytes) => { this.receive(from, bytes, handlers) })
  }

  private receive (from: PeerId, bytes: Uint8Array, handlers: PresenceHandlers): void {
    const { counters } = this.deps
    let msg: PresenceMessage
    try {
      msg = decodePresence(bytes, this.maxFrameBytes)
    } catch (err) {
      counters.decodeErrors++
      this.deps.warnings.warn(`decode:${from}`, 'malformed presence frame dropped', { from, bytes: bytes.byteLength, error: err instanceof Error ? err.message : String(err) })
      return
    }
    counters.messagesIn[msg.type]++
    counters.bytesIn[msg.type] += bytes.byteLength
    switch (msg.type) {
      case 'states': handlers.states(from, msg); break
      case 'viewRequest': handlers.viewRequest(from, msg); break
      case 'viewReply': handlers.viewReply(from, msg); break
    }
  }
}
