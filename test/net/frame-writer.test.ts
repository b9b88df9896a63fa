/**
 * FrameWriter's write deadline (src/net/frame-writer.ts), over real libp2p on 127.0.0.1: writes the muxer
 * takes at once succeed however long ago the deadline was set; a write that the remote's backpressure
 * blocks (it stopped reading) ends as 'timeout' about `timeoutMs` after it began to wait, and aborts the
 * stream. The deadline is made only when a write has to wait, so this is what guards it.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { FrameWriter } from '../../src/net/frame-writer.js'
import type { WriteResult } from '../../src/net/frame-writer.js'

const PROTOCOL = '/murmur-test/frame-writer/1'
const nodes: Libp2p[] = []

async function node (): Promise<Libp2p> {
  const n = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
  nodes.push(n)
  return n
}

afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
})

describe('FrameWriter over real libp2p', () => {
  it('writes taken at once succeed; a write blocked by a remote that stopped reading times out and aborts the stream', async () => {
    const a = await node()
    const b = await node()
    // B accepts the stream and never reads it: its yamux receive window fills, then A's send buffer.
    await b.handle(PROTOCOL, () => {}, { maxInboundStreams: 4 })
    const connection = await a.dial(b.getMultiaddrs()[0] as never)
    const stream = await connection.newStream(PROTOCOL)
    const writer = new FrameWriter(stream, connection, 1 << 20, () => {})
    const frame = new Uint8Array(64 * 1024).fill(7)

    // A small write with a short deadline, then a pause longer than it: nothing fires later.
    expect(await writer.write([Uint8Array.of(1)], 200)).toEqual({ ok: true })
    await new Promise(resolve => setTimeout(resolve, 400))
    expect(writer.writable).toBe(true)

    // Keep writing until one has to wait; it must end as a timeout, ~timeoutMs after it started waiting.
    let result: WriteResult = { ok: true }
    let waitedMs = 0
    for (let i = 0; i < 1000 && result.ok; i++) {
      const t0 = performance.now()
      result = await writer.write([frame], 300)
      waitedMs = performance.now() - t0
    }
    expect(result.ok).toBe(false)
    expect(result.ok ? undefined : result.reason).toBe('timeout')
    expect(waitedMs).toBeGreaterThanOrEqual(250)
    expect(waitedMs).toBeLessThan(5_000)
    expect(writer.writable).toBe(false)
    expect(stream.status).not.toBe('open')
  })
})
