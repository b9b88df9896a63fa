/**
 * One y-websocket client: its inbound queue, paced by a message and a byte token bucket and by the number
 * of its edits still waiting to be durable (over either, the socket is paused: TCP backpressure slows the
 * client down, nothing is dropped), its outbound guard (a client that stops reading is closed rather than
 * buffered without bound), and the awareness client ids it speaks for.
 *
 * Outbound doc updates and awareness changes are coalesced per event-loop turn: what arrives for a client
 * in one turn leaves as one update message (Y.mergeUpdates) and one awareness message (the newest entry
 * per client id). Idle, that is one message each, sent before the next turn; under load — when a peer
 * handles many frames per turn — it saves a WebSocket frame and a write per change.
 */
import type { WebSocket } from 'ws'
import * as Y from 'yjs'
import type { AwarenessEntry } from '../presence/index.js'
import { TokenBucket } from '../core/rate-limit.js'
import type { YjsConfig } from './config.js'
import { CloseCode, closeReason, countedCloseCode } from './close-codes.js'
import { awarenessMessage, updateMessage } from './messages.js'
import type { OutKind, YjsCounters } from './stats.js'

/** How long a rate-limited connection stays paused before it looks at its buckets again. */
const THROTTLE_RETRY_MS = 25

/** A change to send, with its message already encoded (used as is when it is alone in its turn). */
export interface Outgoing<T> {
  readonly value: T
  readonly message: Uint8Array
}

export interface ConnectionDeps {
  config: YjsConfig
  counters: YjsCounters
  now: () => number
}

export class ClientConnection {
  /** Awareness client ids this connection speaks for (their states go when it closes). */
  readonly controlled = new Set<number>()
  /** Edits applied but not yet durable. */
  pendingWrites = 0
  /** Answered the last ping. */
  alive = true
  private readonly queue: Uint8Array[] = []
  private readonly messages: TokenBucket
  private readonly bytes: TokenBucket
  private handler: ((bytes: Uint8Array) => void) | undefined
  private retry: NodeJS.Timeout | undefined
  private closed = false
  private readonly outUpdates: Array<Outgoing<Uint8Array>> = []
  private readonly outAwareness: Array<Outgoing<readonly AwarenessEntry[]>> = []
  private flushScheduled = false

  constructor (readonly ws: WebSocket, readonly doc: string, readonly remote: string, private readonly deps: ConnectionDeps) {
    const now = deps.now()
    this.messages = new TokenBucket({ ratePerSec: deps.config.messagesPerSec, burst: deps.config.messageBurst }, now)
    this.bytes = TokenBucket.ofBytes({ bytesPerSec: deps.config.bytesPerSec, burstBytes: deps.config.maxMessageBytes }, now)
  }

  get isOpen (): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN
  }

  /** A message arrived: queue it, and handle what the limits allow. */
  receive (bytes: Uint8Array): void {
    if (this.closed) return
    this.deps.counters.bytesIn += bytes.byteLength
    this.queue.push(bytes)
    this.drain()
  }

  /** Starts handling queued (and further) messages with `handler` (the doc is ready). */
  start (handler: (bytes: Uint8Array) => void): void {
    this.handler = handler
    this.drain()
  }

  /**
   * Handles queued messages while the limits allow; pauses the socket when they do not, and while the doc
   * is not ready (no handler yet: the limits only apply to handling, so the queue would grow unchecked).
   */
  drain (): void {
    if (this.retry !== undefined) return
    const handler = this.handler
    if (handler === undefined) {
      if (this.queue.length > 0 && this.isOpen) this.pause() // resumed by start
      return
    }
    while (this.queue.length > 0 && this.isOpen) {
      if (this.pendingWrites >= this.deps.config.maxPendingWrites) {
        this.pause() // resumed by the write that completes (Room calls drain)
        return
      }
      const next = this.queue[0] as Uint8Array
      const now = this.deps.now()
      if (!this.messages.has(now) || !this.bytes.has(now, next.byteLength)) {
        this.deps.counters.throttled++
        this.pause()
        this.retry = setTimeout(() => {
          this.retry = undefined
          this.drain()
        }, THROTTLE_RETRY_MS)
        return
      }
      this.messages.take(now)
      this.bytes.take(now, next.byteLength)
      this.queue.shift()
      handler(next)
    }
    if (this.ws.isPaused && this.isOpen) this.ws.resume()
  }

  /** Queues a doc update for this turn's update message. */
  sendUpdate (update: Outgoing<Uint8Array>): void {
    if (!this.isOpen) return
    this.outUpdates.push(update)
    this.scheduleFlush()
  }

  /** Queues awareness entries for this turn's awareness message. */
  sendAwareness (entries: Outgoing<readonly AwarenessEntry[]>): void {
    if (!this.isOpen) return
    this.outAwareness.push(entries)
    this.scheduleFlush()
  }

  /** Sends what this turn queued: one update message, one awareness message. */
  flush (): void {
    this.flushScheduled = false
    const updates = this.outUpdates.splice(0)
    const awareness = this.outAwareness.splice(0)
    if (updates.length === 1) this.send((updates[0] as Outgoing<Uint8Array>).message, 'update')
    else if (updates.length > 1) this.send(updateMessage(Y.mergeUpdates(updates.map(u => u.value))), 'update')
    if (awareness.length === 1) {
      this.send((awareness[0] as Outgoing<readonly AwarenessEntry[]>).message, 'awareness')
    } else if (awareness.length > 1) {
      const latest = new Map<number, AwarenessEntry>()
      for (const batch of awareness) for (const e of batch.value) if ((latest.get(e.clientId)?.clock ?? -1) <= e.clock) latest.set(e.clientId, e)
      this.send(awarenessMessage([...latest.values()]), 'awareness')
    }
  }

  /** Sends one message now (after anything queued, to keep the order); a client whose unread backlog exceeds maxBufferedBytes is closed instead. */
  send (bytes: Uint8Array, kind: OutKind): void {
    if (!this.isOpen) return
    if (this.flushScheduled && (kind === 'syncStep1' || kind === 'syncStep2' || kind === 'auth')) this.flush()
    if (this.ws.bufferedAmount + bytes.byteLength > this.deps.config.maxBufferedBytes) {
      this.close(CloseCode.tryAgainLater, 'too slow: reconnect and resync')
      return
    }
    this.deps.counters.messagesOut[kind]++
    this.deps.counters.bytesOut += bytes.byteLength
    this.ws.send(bytes)
  }

  close (code: number, reason: string): void {
    if (this.closed) return
    this.closed = true
    this.queue.length = 0
    this.outUpdates.length = 0
    this.outAwareness.length = 0
    if (this.retry !== undefined) clearTimeout(this.retry)
    this.retry = undefined
    const counted = countedCloseCode(code)
    this.deps.counters.closed[counted] = (this.deps.counters.closed[counted] ?? 0) + 1
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, closeReason(reason))
    // A paused socket (rate limits, a doc still opening) would never read the client's close frame, and ws
    // would hold it for its 30 s close timeout: read on (receive ignores what arrives now).
    if (this.ws.isPaused) this.ws.resume()
  }

  /** The socket closed (either side): stop everything. Idempotent. */
  closedByPeer (code: number): void {
    if (this.closed) return
    this.close(code, '')
  }

  private scheduleFlush (): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    setImmediate(() => { this.flush() })
  }

  private pause (): void {
    if (!this.ws.isPaused) this.ws.pause()
  }
}
