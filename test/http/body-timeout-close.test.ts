/**
 * A body that does not arrive within BODY_TIMEOUT_MS (10 s) is answered 408 `body_timeout`, and the
 * connection closes with that answer. It was kept alive, draining what the client still trickled in, until
 * Node's own request timeout (30 s) answered the same request a second time, with another 408: a slow client
 * held a connection three times the documented bound and read two answers to one request.
 */
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { httpPeer } from '../helpers/http-peer.js'
import type { HttpPeer } from '../helpers/http-peer.js'
import { BODY_TIMEOUT_MS } from '../../src/http/body.js'

let p: HttpPeer

beforeAll(async () => { p = await httpPeer() })
afterAll(async () => { await p.stop() })

/** A PUT whose body comes a byte every 500 ms; what came back, and when the connection closed (or `capMs`). */
function slowBody (capMs: number): Promise<{ answer: string, closedAfterMs: number | undefined }> {
  return new Promise((resolve) => {
    const started = performance.now()
    const socket = net.connect(p.port, '127.0.0.1')
    let answer = ''
    const drip = setInterval(() => { if (socket.writable) socket.write(' ') }, 500)
    const done = (closed: boolean): void => {
      clearInterval(drip)
      clearTimeout(cap)
      socket.destroy()
      resolve({ answer, closedAfterMs: closed ? performance.now() - started : undefined })
    }
    const cap = setTimeout(() => { done(false) }, capMs)
    socket.on('data', (d: Buffer) => { answer += d.toString() })
    socket.on('close', () => { done(true) })
    socket.on('error', () => { done(true) })
    socket.write(`PUT /docs/slow/kv/k HTTP/1.1\r\nHost: 127.0.0.1:${p.port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"v":`)
  })
}

describe('a request body that trickles in', () => {
  test('is answered 408 body_timeout once, and the connection closes with it', async () => {
    const { answer, closedAfterMs } = await slowBody(BODY_TIMEOUT_MS + 5_000)
    expect(answer).toMatch(/^HTTP\/1\.1 408 /)
    expect(answer).toContain('"code":"body_timeout"')
    expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1)
    expect(answer.toLowerCase()).toContain('connection: close')
    expect(closedAfterMs, 'the connection stayed open').toBeDefined()
    expect(closedAfterMs).toBeLessThan(BODY_TIMEOUT_MS + 2_000)
    // Nothing of the refused write was applied.
    const r = await fetch(`${p.base}/docs/slow/kv/k`)
    expect(r.status).toBe(404)
  }, BODY_TIMEOUT_MS + 10_000)
})
