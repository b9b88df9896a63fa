/**
 * readSmallMessage (src/net/small-message.ts) on a real libp2p stream (@libp2p/utils streamPair): the message
 * is every byte the remote wrote before half-closing, whenever the reader attaches. A handler can be called
 * after the bytes and the half-close have arrived (a protocol negotiation that read ahead): the bytes wait in
 * the stream's buffer and come out in a microtask once a reader listens; the half-close had been signalled
 * before. Reading on `remoteCloseWrite` missed both: the message never arrived, and its stream timed out.
 */
import { streamPair } from '@libp2p/utils'
import { describe, expect, it } from 'vitest'
import { readSmallMessage } from '../../src/net/small-message.js'

const LIMITS = { maxBytes: 64, timeoutMs: 1_000 }

/** Resolves with what readSmallMessage delivered, or 'nothing' if it delivered nothing within the timeout. */
function read (stream: Parameters<typeof readSmallMessage>[0]): Promise<Uint8Array | 'nothing'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => { resolve('nothing') }, LIMITS.timeoutMs + 200)
    readSmallMessage(stream, LIMITS, (bytes) => { clearTimeout(timer); resolve(bytes) })
  })
}

describe('readSmallMessage', () => {
  it('reads a message whose bytes and half-close arrived before the reader attached', async () => {
    const [outbound, inbound] = await streamPair()
    outbound.send(Uint8Array.from([1, 2, 3]))
    await outbound.close()
    // Both the bytes and the half-close are in before anyone reads.
    await new Promise(resolve => setTimeout(resolve, 50))
    expect(inbound.readBufferLength).toBe(3)
    expect(await read(inbound)).toEqual(Uint8Array.from([1, 2, 3]))
  })

  it('reads a message whose half-close arrives after the reader attached, its bytes before', async () => {
    const [outbound, inbound] = await streamPair()
    outbound.send(Uint8Array.from([4, 5]))
    await new Promise(resolve => setTimeout(resolve, 50))
    const got = read(inbound)
    await outbound.close()
    expect(await got).toEqual(Uint8Array.from([4, 5]))
  })

  it('reads a message sent after the reader attached, and an empty one', async () => {
    const [outbound, inbound] = await streamPair()
    const got = read(inbound)
    outbound.send(Uint8Array.from([6]))
    await outbound.close()
    expect(await got).toEqual(Uint8Array.from([6]))
    const [emptyOut, emptyIn] = await streamPair()
    const empty = read(emptyIn)
    await emptyOut.close()
    expect(await empty).toEqual(new Uint8Array(0))
  })
  it('delivers nothing for a stream the remote reset halfway through its message', async () => {
    const [outbound, inbound] = await streamPair()
    const got = read(inbound)
    outbound.send(Uint8Array.from([7, 8]))
    await new Promise(resolve => setTimeout(resolve, 50))
    outbound.abort(new Error('gone'))
    expect(await got).toBe('nothing')
  })
})
