/**
 * Hostile or broken input on a raw libp2p stream: every bad frame is counted, the stream aborted, nothing
 * delivered — and the transport keeps serving that peer and everyone else.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import type { Libp2p, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PROTOCOLS } from '../../src/net/index.js'
import type { Libp2pTransport } from '../../src/net/index.js'
import type { RejectedFrames } from '../../src/net/index.js'
import { sleep, startTransport, varint, waitFor } from './helpers.js'

const READ_TIMEOUT_MS = 300

describe('hostile inbound frames', () => {
  let a: Libp2pTransport
  let b: Libp2pTransport
  let raw: Libp2p
  let atA: Array<{ from: string, bytes: number[] }>

  beforeEach(async () => {
    a = await startTransport({ frameReadTimeoutMs: READ_TIMEOUT_MS }, 'a')
    b = await startTransport({}, 'b')
    raw = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    atA = []
    a.onFrame('swim', (from, f) => { atA.push({ from, bytes: [...f] }) })
  })
  afterEach(async () => {
    await Promise.all([a.close(500), b.close(500), raw.stop()])
  })

  async function rawStream (): Promise<Stream> {
    const addr = a.addresses()[0]
    if (addr === undefined) throw new Error('a has no address')
    return await raw.dialProtocol(multiaddr(addr), PROTOCOLS.swim, { signal: AbortSignal.timeout(2000) })
  }

  /** After the bad input: the same peer on a new stream, and another peer, are still served. */
  async function stillServing (): Promise<void> {
    const before = atA.length
    const s = await rawStream()
    s.send(Uint8Array.from([...varint(3), 1, 2, 3]))
    b.send('swim', { id: a.localId, addrs: a.addresses() }, Uint8Array.of(9))
    await waitFor(() => atA.length === before + 2, 15_000, 'a still serves the raw peer and b')
    expect(atA.slice(before)).toEqual(expect.arrayContaining([
      { from: raw.peerId.toString(), bytes: [1, 2, 3] },
      { from: b.localId, bytes: [9] }
    ]))
  }

  async function expectAborted (s: Stream, reason: keyof RejectedFrames): Promise<void> {
    await waitFor(() => a.stats().rejectedFrames[reason] === 1, 15_000, `a counts one ${reason} frame`)
    await waitFor(() => s.status === 'reset' || s.status === 'aborted' || s.status === 'closed', 15_000, 'the stream is aborted')
    expect(s.status).not.toBe('closed') // reset by the remote, not closed gracefully
    expect(atA).toHaveLength(0)
  }

  it.each([
    ['oversized', 'length prefix above the limit', () => [...varint(512 * 1024 + 1), 1, 2, 3]],
    ['malformed', 'an endless varint', () => new Array<number>(12).fill(0xff)],
    ['malformed', 'an empty frame', () => [0]]
  ] as const)('%s: %s → stream aborted, counted, nothing delivered', async (reason, _label, bytes) => {
    const s = await rawStream()
    s.send(Uint8Array.from(bytes()))
    await expectAborted(s, reason)
    await stillServing()
  })

  it('malformed: a frame cut short by the end of the stream', async () => {
    const s = await rawStream()
    s.send(Uint8Array.from([...varint(100), ...new Array<number>(10).fill(7)]))
    await s.close()
    await waitFor(() => a.stats().rejectedFrames.malformed === 1, 15_000, 'a counts the truncated frame')
    expect(atA).toHaveLength(0)
    await stillServing()
  })

  it('timeout: a frame that starts and stalls is cut off; an idle stream between frames is not', async () => {
    const idle = await rawStream()
    idle.send(Uint8Array.from([...varint(1), 5]))
    const stalled = await rawStream()
    stalled.send(Uint8Array.from([...varint(100), ...new Array<number>(10).fill(7)]))
    await expectAbortedAfterDelivery(stalled)
    // The idle stream survived twice the read timeout and still carries frames.
    await sleep(READ_TIMEOUT_MS)
    idle.send(Uint8Array.from([...varint(1), 6]))
    await waitFor(() => atA.length === 2, 15_000, 'the idle stream still delivers')
    expect(atA.map(f => f.bytes)).toEqual([[5], [6]])
    expect(idle.status).toBe('open')
    expect(a.stats().rejectedFrames.timeout).toBe(1)

    async function expectAbortedAfterDelivery (s: Stream): Promise<void> {
      await waitFor(() => a.stats().rejectedFrames.timeout === 1, READ_TIMEOUT_MS * 5, 'a times the stalled frame out')
      await waitFor(() => s.status === 'reset' || s.status === 'aborted', 15_000, 'the stalled stream is aborted')
    }
  })

  it('unexpected: bytes written back on our write-only stream abort it', async () => {
    await raw.handle(PROTOCOLS.swim, (stream) => { stream.send(Uint8Array.of(0xde, 0xad)) }, { maxInboundStreams: 4 })
    a.send('swim', { id: raw.peerId.toString(), addrs: raw.getMultiaddrs().map(String) }, Uint8Array.of(1))
    await waitFor(() => a.stats().rejectedFrames.unexpected === 1, 15_000, 'a counts the unexpected bytes')
    expect(a.stats().openStreams.outbound).toBe(0)
    await stillServing()
  })

  it('refuses inbound streams beyond the per-peer limit on one protocol', async () => {
    const streams = await Promise.all(Array.from({ length: 4 }, async () => await rawStream()))
    streams.forEach((st, i) => st.send(Uint8Array.from([...varint(1), i])))
    await waitFor(() => atA.length === 4, 15_000, 'four streams deliver')
    const fifth = await rawStream()
    try {
      fifth.send(Uint8Array.from([...varint(1), 9]))
    } catch (err) {
      expect((err as Error).name).toBe('StreamStateError') // already reset: refused on arrival
    }
    await waitFor(() => fifth.status === 'reset' || fifth.status === 'aborted', 15_000, 'the fifth stream is refused')
    await sleep(50)
    expect(atA.map(f => f.bytes[0]).sort()).toEqual([0, 1, 2, 3])
    expect(streams.every(st => st.status === 'open')).toBe(true)
  })
})
