/**
 * A graceful stop of a node:http server, as an operator expects of an HTTP service (nginx's `quit`, Go's
 * `Server.Shutdown`): take no new work at once, let the requests in flight be answered, then cut what is
 * left. Cutting every connection at once (what `close()` did) reset a client whose write was about to get
 * its real answer — a write that applied, reported as a broken connection.
 *
 *  - stopAccepting(): the listening socket closes (a new connection is refused by the kernel: nothing was
 *    sent, a client may retry elsewhere), idle keep-alive connections close, and a response not yet begun
 *    gets `connection: close`. A request that still reaches the server (its connection was mid-request)
 *    is the server's to refuse: `stopping` says so.
 *  - drain(ms): waits for the requests in flight (event streams count: end them first).
 *  - close(graceMs): drain, then cut every connection still open.
 */
import type { Server, ServerResponse } from 'node:http'
import { MAX_TIMEOUT_MS } from '../core/clock.js'

export class GracefulStop {
  private readonly inFlight = new Set<ServerResponse>()
  private readonly idleWaiters = new Set<() => void>()
  private closed: Promise<void> | undefined

  constructor (private readonly server: Server) {}

  /** stopAccepting() was called: a request that arrives now is to be refused. */
  get stopping (): boolean {
    return this.closed !== undefined
  }

  /** Requests taken and not yet answered (or their connection closed). */
  get requestsInFlight (): number {
    return this.inFlight.size
  }

  /** A request the server took: in flight until its response closes. */
  track (res: ServerResponse): void {
    this.inFlight.add(res)
    res.once('close', () => {
      this.inFlight.delete(res)
      if (!this.stopping) return
      // Answered: its connection may be idle now (a response begun before the stop kept keep-alive).
      this.server.closeIdleConnections()
      if (this.inFlight.size === 0) for (const done of [...this.idleWaiters]) done()
    })
  }

  /** Takes no new work from now on. Idempotent. */
  stopAccepting (): void {
    if (this.closed !== undefined) return
    this.closed = new Promise((resolve) => { this.server.close(() => { resolve() }) })
    this.server.closeIdleConnections()
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('connection', 'close')
  }

  /**
   * stopAccepting(), then true once no request is in flight, or false after `timeoutMs` (≤ 0 or NaN: no
   * wait; Infinity: no limit).
   */
  drain (timeoutMs: number): Promise<boolean> {
    this.stopAccepting()
    if (this.inFlight.size === 0) return Promise.resolve(true)
    if (!(timeoutMs > 0)) return Promise.resolve(false)
    return new Promise((resolve) => {
      const end = (idle: boolean): void => {
        if (timer !== undefined) clearTimeout(timer)
        this.idleWaiters.delete(done)
        resolve(idle)
      }
      const done = (): void => { end(true) }
      // Past what Node's timers hold (a longer delay fires at once): no limit.
      const timer = timeoutMs <= MAX_TIMEOUT_MS ? setTimeout(() => { end(false) }, timeoutMs) : undefined
      this.idleWaiters.add(done)
    })
  }

  /** drain(graceMs), then cuts every HTTP connection still open; resolves once the server is closed. */
  async close (graceMs = 0): Promise<void> {
    await this.drain(graceMs)
    this.server.closeAllConnections()
    await this.closed
  }
}
