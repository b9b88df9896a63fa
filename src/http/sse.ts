/**
 * Server-Sent Events fan-out with limits: at most `maxClients` streams, a heartbeat comment keeps proxies
 * from timing out idle streams, and a client that cannot keep up (its socket buffer above `maxBufferBytes`)
 * is disconnected rather than buffered without bound.
 *
 * "Cannot keep up" is judged on what is left from earlier turns of the event loop, when the client could
 * read: one turn may publish a burst (every doc changed in the last 100 ms: thousands after a catch-up), and
 * judged within it, a client reading as fast as it could was cut once a megabyte of it was queued, before
 * the socket could send any. A burst itself is bounded by BURST_FACTOR times the limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { errorBody } from './errors.js'

export interface SseOptions {
  maxClients: number
  maxBufferBytes: number
  heartbeatMs: number
}

export const DEFAULT_SSE: SseOptions = { maxClients: 64, maxBufferBytes: 1024 * 1024, heartbeatMs: 15_000 }

/** What one turn may queue for a client beyond maxBufferBytes, as a multiple of it. */
const BURST_FACTOR = 8

export class SseHub {
  private readonly clients = new Set<ServerResponse>()
  private readonly heartbeat: NodeJS.Timeout
  /** This turn's writes have checked every client's backlog (reset at the next turn). */
  private checkedThisTurn = false
  dropped = 0

  constructor (private readonly options: SseOptions = DEFAULT_SSE) {
    this.heartbeat = setInterval(() => { this.write(': heartbeat\n\n') }, options.heartbeatMs)
    this.heartbeat.unref()
  }

  get size (): number {
    return this.clients.size
  }

  /**
   * Takes over `res` as an event stream, first sending `hello` (events for this client only, e.g. a
   * snapshot). Returns false (and answers 503) when the hub is full.
   */
  attach (req: IncomingMessage, res: ServerResponse, hello: ReadonlyArray<{ event: string, data: unknown }> = []): boolean {
    if (this.clients.size >= this.options.maxClients) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' })
      // The limit named: a page told only "too many" cannot tell the peer's cap from an outage.
      res.end(JSON.stringify(errorBody('event_streams_full', `too many event streams (this peer serves at most ${this.options.maxClients} at once)`)))
      return false
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no'
    })
    res.write(`retry: 2000\n\n${hello.map(h => format(h.event, h.data)).join('')}`)
    this.clients.add(res)
    const remove = (): void => { this.clients.delete(res) }
    req.on('close', remove)
    res.on('close', remove)
    res.on('error', remove)
    return true
  }

  publish (event: string, data: unknown): void {
    if (this.clients.size > 0) this.write(format(event, data))
  }

  /** Ends every stream, after `last` (the agent's `closing`: a client can tell an orderly end from a cut stream). */
  close (last?: { event: string, data: unknown }): void {
    clearInterval(this.heartbeat)
    for (const res of this.clients) res.end(last === undefined ? undefined : format(last.event, last.data))
    this.clients.clear()
  }

  private write (chunk: string): void {
    const { maxBufferBytes } = this.options
    if (!this.checkedThisTurn) {
      this.checkedThisTurn = true
      setImmediate(() => { this.checkedThisTurn = false })
      for (const res of this.clients) if (res.writableLength > maxBufferBytes) this.drop(res)
    }
    for (const res of this.clients) {
      if (res.writableLength > BURST_FACTOR * maxBufferBytes) this.drop(res)
      else res.write(chunk)
    }
  }

  private drop (res: ServerResponse): void {
    this.dropped++
    this.clients.delete(res)
    res.destroy()
  }
}

/** One SSE event; `data` is JSON-encoded unless it is already a string. */
function format (event: string, data: unknown): string {
  return `event: ${event}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`
}
