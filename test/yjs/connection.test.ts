/**
 * ClientConnection before its doc is ready: the first client opens the doc through `peer.doc` (up to
 * ~1 s fetching from live peers, ~10 s when its homes do not answer), and its messages wait in the
 * connection's queue meanwhile. Nothing paused the socket then: the rate limits apply only once handling
 * starts, so a client could pour messages of up to 16 MiB into that queue for as long as the doc took to
 * open (72 MiB in the first second from one Node client over loopback).
 */
import { describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { MAX_CLOSE_REASON_BYTES, closeReason } from '../../src/yjs/close-codes.js'
import { resolveYjsConfig } from '../../src/yjs/config.js'
import { ClientConnection } from '../../src/yjs/connection.js'
import { createYjsCounters } from '../../src/yjs/stats.js'

/** The parts of a ws socket a connection uses before sending anything. */
class PausableSocket {
  readonly OPEN = 1
  readonly CONNECTING = 0
  readyState = 1
  isPaused = false
  bufferedAmount = 0
  pause (): void { this.isPaused = true }
  resume (): void { this.isPaused = false }
  send (): void {}
  close (): void { this.readyState = 3 }
}

describe('ClientConnection: messages before the doc is ready', () => {
  it('the socket is paused as soon as a message waits for the doc, and resumed once handling starts; nothing is lost or reordered', () => {
    const socket = new PausableSocket()
    const conn = new ClientConnection(socket as unknown as WebSocket, 'd', 'test', { config: resolveYjsConfig(undefined), counters: createYjsCounters(), now: () => performance.now() })
    expect(socket.isPaused).toBe(false)
    conn.receive(new Uint8Array([1]))
    expect(socket.isPaused, 'paused while the doc opens').toBe(true)
    // What the WebSocket layer had already read still arrives, and is kept.
    conn.receive(new Uint8Array([2]))
    conn.receive(new Uint8Array([3]))
    expect(socket.isPaused).toBe(true)
    const handled: number[] = []
    conn.start((bytes) => { handled.push(bytes[0] ?? -1) })
    expect(handled).toEqual([1, 2, 3])
    expect(socket.isPaused, 'resumed once handled').toBe(false)
  })

  it('a paused connection that is closed reads on, so that the client\'s close frame is seen (ws would hold the socket 30 s)', () => {
    const socket = new PausableSocket()
    const conn = new ClientConnection(socket as unknown as WebSocket, 'd', 'test', { config: resolveYjsConfig(undefined), counters: createYjsCounters(), now: () => performance.now() })
    conn.receive(new Uint8Array([1]))
    expect(socket.isPaused).toBe(true)
    conn.close(4400, 'malformed')
    expect(socket.isPaused).toBe(false)
    conn.receive(new Uint8Array([2])) // ignored: nothing handles it, nothing pauses again
    expect(socket.isPaused).toBe(false)
  })
})

describe('closeReason: what a close frame carries', () => {
  it('keeps a reason of up to 123 bytes; cuts a longer one at a character boundary, never inside a UTF-8 sequence or a surrogate pair', () => {
    expect(MAX_CLOSE_REASON_BYTES).toBe(123)
    expect(closeReason('x'.repeat(123))).toBe('x'.repeat(123))
    expect(closeReason('x'.repeat(124))).toBe('x'.repeat(123))
    expect(closeReason('é'.repeat(100))).toBe('é'.repeat(61)) // 122 bytes: a 62nd would make 124
    expect(closeReason('😀'.repeat(60))).toBe('😀'.repeat(30)) // 120 bytes, whole pairs only
    expect(closeReason('')).toBe('')
  })
})
