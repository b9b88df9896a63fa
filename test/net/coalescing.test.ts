/**
 * The pass-through protector (src/net/coalescing.ts) on a connection shaped like libp2p's TCP one: it
 * works on the connection itself, with no message stream of its own between TCP and Noise (issue 11: a
 * layer cost every frame another pass through libp2p's stream machinery), writes each message to the
 * socket as one buffer, and reports an inbound connection's first bytes, including those that arrived
 * before the handshake began, until they are classified.
 */
import type { Logger } from '@libp2p/interface'
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { coalescingProtector } from '../../src/net/coalescing.js'
import { FirstBytesLog, MULTISTREAM_HEADER, OutboundFirstBytes } from '../../src/net/first-bytes.js'

const quiet = (): Logger => Object.assign(() => {}, { enabled: false, error: () => {}, trace: () => {}, newScope: () => quiet() }) as unknown as Logger

/** What @libp2p/tcp's connection is to the protector: it writes every chunk it is given to its socket. */
class FakeTcp extends AbstractMultiaddrConnection {
  readonly writes: number[][] = []
  constructor (direction: 'inbound' | 'outbound') {
    super({ remoteAddr: multiaddr('/ip4/127.0.0.1/tcp/4001'), direction, log: quiet() })
  }

  sendData (data: Uint8ArrayList): { sentBytes: number, canSendMore: boolean } {
    for (const buf of data) this.writes.push([...buf])
    return { sentBytes: data.byteLength, canSendMore: true }
  }

  async sendClose (): Promise<void> {}
  sendReset (): void {}
  sendPause (): void {}
  sendResume (): void {}
}

describe('coalescing protector', () => {
  it('is no layer of its own: the connection itself writes each message as one buffer', async () => {
    const tcp = new FakeTcp('outbound')
    const out = new OutboundFirstBytes()
    const conn = await coalescingProtector({ outbound: out })().protect(tcp)
    expect(conn).toBe(tcp)
    // Noise's message: a 2-byte length, then the ciphertext: one socket write, not two.
    conn.send(new Uint8ArrayList(Uint8Array.of(0, 3), Uint8Array.of(7, 8, 9)))
    expect(tcp.writes).toEqual([[0, 3, 7, 8, 9]])
  })

  it('reports an inbound connection\'s first bytes, those buffered before the handshake too, then stops looking', async () => {
    const tcp = new FakeTcp('inbound')
    // The admission waits for the first bytes before the protector runs: they sit unread in the buffer.
    tcp.onData(MULTISTREAM_HEADER.subarray(0, 5))
    const log = new FirstBytesLog()
    const conn = await coalescingProtector({ inbound: log })().protect(tcp)
    expect(conn).toBe(tcp)
    expect(log.get(tcp)).toBe('libp2p') // a matching prefix, if nothing more came
    const received: number[] = []
    conn.addEventListener('message', (evt) => { received.push(...evt.data.subarray()) })
    await Promise.resolve()
    tcp.onData(MULTISTREAM_HEADER.subarray(5))
    expect(Object.hasOwn(tcp, 'onData')).toBe(false) // classified: the connection's own onData again
    tcp.onData(Uint8Array.of(1))
    expect(received).toEqual([...MULTISTREAM_HEADER, 1])
    expect(log.get(tcp)).toBe('libp2p')

    const other = new FakeTcp('inbound')
    const otherLog = new FirstBytesLog()
    await coalescingProtector({ inbound: otherLog })().protect(other)
    other.onData(Uint8Array.of(0xde, 0xad))
    expect(otherLog.get(other)).toBe('other')
  })
})
