/**
 * The sync channel's framing: encodes messages (splitting those above `chunkBytes` into chunks), decodes
 * and validates inbound frames (reassembling chunked transfers), and counts frames and bytes by type.
 * Everything above this works with typed messages only.
 */
import { DecodeError } from '../core/errors.js'
import type { RateLimitedLog } from '../core/logger.js'
import type { Clock } from '../core/clock.js'
import type { Random } from '../core/random.js'
import { Channel } from '../core/transport.js'
import type { PeerId, Transport } from '../core/transport.js'
import { decodeSync, encodeSync } from './codec.js'
import type { SyncMessage } from './codec.js'
import { DialBackoff } from './dial-backoff.js'
import { Pacer } from './pacer.js'
import type { PaceLimits } from './pacer.js'
import { Reassembler } from './reassembler.js'
import type { ReassemblyLimits } from './reassembler.js'
import type { ReplicatorCounters } from './stats.js'
import type { PeerDirectory } from '../core/directory.js'

export interface SyncLinkOptions {
  transport: Transport
  peers: PeerDirectory
  counters: ReplicatorCounters
  warnings: RateLimitedLog
  now: () => number
  chunkBytes: number
  reassembly: ReassemblyLimits
  random: Random
  clock: Clock
  pace: PaceLimits
}

const UINT32 = 0x1_0000_0000

export class SyncLink {
  private readonly reassembler: Reassembler
  private readonly pacer: Pacer
  /** Peers whose last dial failed: frames to them that would dial again wait out the back-off (dropped). */
  readonly backoff: DialBackoff
  /**
   * Id of the next chunked transfer. The first is random: receivers key partial transfers by (sender, id),
   * and a restarted sender that began again at 0 would have its first transfers merged with the stale parts
   * of its previous run's unfinished ones (kept up to reassemblyTimeoutMs) — dropped, or reassembled from a
   * mix that may even decode. Drawn at the first chunked send, so a replicator that never chunks draws
   * nothing (simulations keep their random streams).
   */
  private nextTransfer: number | undefined

  constructor (private readonly o: SyncLinkOptions) {
    this.reassembler = new Reassembler(o.reassembly, o.now)
    this.backoff = new DialBackoff(o.now, o.random)
    this.pacer = new Pacer(o.pace, o.clock, (to, frame) => {
      this.o.transport.send(Channel.sync, { id: to, addrs: this.o.peers.addressesOf(to) }, frame)
    })
  }

  /** Bytes waiting for the per-peer pace. */
  get pacedBytes (): number {
    return this.pacer.queuedBytes
  }

  /** `peer` left the mesh: frames still waiting for it are dropped. */
  forget (peer: PeerId): void {
    this.pacer.forget(peer)
    this.backoff.reset(peer)
    this.syncPacerCounters()
  }

  private syncPacerCounters (): void {
    this.o.counters.framesPaced = this.pacer.delayed
    this.o.counters.framesPaceDropped = this.pacer.dropped
  }

  get transfers (): number {
    return this.reassembler.size
  }

  get reassemblyBytes (): number {
    return this.reassembler.bytes
  }

  /** Drops idle partial transfers (also done on every chunk). */
  expire (): void {
    this.reassembler.expire()
    this.o.counters.transfersDropped = this.reassembler.dropped
  }

  clear (): void {
    this.backoff.clear()
    this.reassembler.clear()
    this.pacer.clear()
  }

  /**
   * Sends `msg` to `to`, chunked if needed. Returns the bytes sent (0 if the message exceeds
   * maxTransferBytes: counted and logged, not sent — a local limit, not a network fault; 0 too, counted, if
   * it would dial a peer whose last dial failed moments ago: see dial-backoff.ts).
   */
  send (to: PeerId, msg: SyncMessage): number {
    const { counters } = this.o
    if (this.o.transport.isConnected?.(to) === false) {
      if (this.backoff.holds(to)) {
        counters.framesHeldBack++
        return 0
      }
      const kind = msg.type === 'update' ? (msg.spread ? 'update:spread' : 'update:direct') : msg.type === 'digests' ? `digests:${msg.scope}` : msg.type
      counters.unconnectedSends[kind] = (counters.unconnectedSends[kind] ?? 0) + 1
    }
    const bytes = encodeSync(msg)
    if (bytes.byteLength > this.o.reassembly.maxTransferBytes) {
      counters.oversizeDropped++
      this.o.warnings.warn('oversize-out', 'message exceeds maxTransferBytes; not sent', { type: msg.type, bytes: bytes.byteLength, to })
      return 0
    }
    counters.messagesOut[msg.type]++
    if (bytes.byteLength <= this.o.chunkBytes) {
      this.count('out', msg.type, bytes.byteLength)
      this.pacer.send(to, bytes)
      this.syncPacerCounters()
      return bytes.byteLength
    }
    const count = Math.ceil(bytes.byteLength / this.o.chunkBytes)
    const transfer = this.nextTransfer ?? this.o.random.int(UINT32)
    this.nextTransfer = (transfer + 1) % UINT32
    let sent = 0
    for (let index = 0; index < count; index++) {
      const data = bytes.subarray(index * this.o.chunkBytes, Math.min(bytes.byteLength, (index + 1) * this.o.chunkBytes))
      const frame = encodeSync({ type: 'chunk', transfer, index, count, data })
      this.count('out', 'chunk', frame.byteLength)
      counters.chunksSent++
      this.pacer.send(to, frame)
      sent += frame.byteLength
    }
    this.syncPacerCounters()
    return sent
  }

  /**
   * Decodes one inbound frame. Returns the message, or undefined when the frame was a chunk of an
   * unfinished transfer or was rejected (counted and logged, rate-limited). Never throws.
   */
  receive (from: PeerId, bytes: Uint8Array): SyncMessage | undefined {
    let msg: SyncMessage
    try {
      msg = decodeSync(bytes, this.o.transport.maxFrameBytes(Channel.sync))
    } catch (err) {
      this.rejected(from, err)
      return undefined
    }
    this.count('in', msg.type, bytes.byteLength)
    if (msg.type !== 'chunk') {
      this.o.counters.messagesIn[msg.type]++
      return msg
    }
    this.o.counters.chunksReceived++
    const r = this.reassembler.add(from, msg)
    this.o.counters.transfersDropped = this.reassembler.dropped
    if (r.status === 'partial') return undefined
    if (r.status === 'dropped') {
      this.o.warnings.warn(`transfer:${from}`, 'dropped chunked transfer', { from, reason: r.reason })
      return undefined
    }
    this.o.counters.transfersCompleted++
    try {
      const inner = decodeSync(r.bytes, this.o.reassembly.maxTransferBytes, { allowChunk: false })
      this.o.counters.messagesIn[inner.type]++
      return inner
    } catch (err) {
      this.rejected(from, err)
      return undefined
    }
  }

  private rejected (from: PeerId, err: unknown): void {
    this.o.counters.decodeErrors++
    const error = err instanceof DecodeError ? `${err.name}: ${err.message}` : String(err)
    this.o.warnings.warn(`decode:${from}`, 'rejected sync frame', { from, error })
  }

  private count (dir: 'in' | 'out', type: SyncMessage['type'], bytes: number): void {
    const c = this.o.counters
    if (dir === 'in') {
      c.framesIn[type]++
      c.bytesIn[type] += bytes
    } else {
      c.framesOut[type]++
      c.bytesOut[type] += bytes
    }
  }
}
