/**
 * One y-websocket client: its inbound queue, paced by a message and a byte token bucket and by the number
 * of its edits still waiting to be durable (over either, the socket is paused: TCP backpressure slows the
 * client down, nothing is dropped), its outbound guard (a client that stops reading is closed rather than
 * buffered without bound), and the awareness client ids it speaks for.
 */
import type { WebSocket } from 'ws'
import { TokenBucket } from '../net/rate-limit.js'
import type { YjsConfig } from './config.js'
import { CloseCode } from './close-codes.js'
import type { OutKind, YjsCounters } from './stats.js'

/** How long a rate-limited connection stays paused before it looks at its buckets again. */
const THROTTLE_RETRY_MS = 25

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

  /** Handles queued messages while the limits allow; pauses the socket when they do not. */
  drain (): void {
    if (this.retry !== undefined) return
    const handler = this.handler
    while (handler !== undefined && this.queue.length > 0 && this.isOpen) {
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

  /** Sends one message; a client whose unread backlog exceeds maxBufferedBytes is closed instead. */
  send (bytes: Uint8Array, kind: OutKind): void {
    if (!this.isOpen) return
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
    if (this.retry !== undefined) clearTimeout(this.retry)
    this.retry = undefined
    this.deps.counters.closed[code] = (this.deps.counters.closed[code] ?? 0) + 1
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason)
  }

  /** The socket closed (either side): stop everything. Idempotent. */
  closedByPeer (code: number): void {
    if (this.closed) return
    this.close(code, '')
  }

  private pause (): void {
    if (!this.ws.isPaused) this.ws.pause()
  }
}
