/**
 * FrameWriter's write deadline (src/net/frame-writer.ts), over real libp2p on 127.0.0.1: writes the muxer
 * takes at once succeed however long ago the deadline was set; a write blocked by backpressure — the remote
 * process stopped (SIGSTOP), so TCP and then the muxer push back — ends as 'timeout' about `timeoutMs`
 * after it began to wait, and aborts the stream. The deadline is made only when a write has to wait, so
 * this is what guards it. (A remote whose app merely stops reading does not do: yamux keeps granting window
 * and the remote resets the stream once its read buffer is full, which FrameWriter reports as 'gone'.)
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { FrameWriter } from '../../src/net/frame-writer.js'
import type { WriteResult } from '../../src/net/frame-writer.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const PROTOCOL = '/murmur-test/frame-writer/1'
const nodes: Libp2p[] = []
const children: ChildProcess[] = []

/** A libp2p node in its own process that accepts PROTOCOL streams; prints its address, then idles. */
const REMOTE = `
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
const n = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
await n.handle('${PROTOCOL}', (stream) => { stream.addEventListener('message', () => {}) }, { maxInboundStreams: 4 })
process.stdout.write(n.getMultiaddrs()[0].toString() + '\\n')
setInterval(() => {}, 1000)
`

async function remote (): Promise<{ proc: ChildProcess, addr: string }> {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', REMOTE], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(proc)
  const addr = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => { reject(new Error('the remote node did not print its address within 20 s')) }, 20_000)
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n')[0]
      if (out.includes('\n') && line !== undefined) { clearTimeout(timer); resolve(line.trim()) }
    })
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the remote node exited (${String(code)})`)) })
  })
  return { proc, addr }
}

afterEach(async () => {
  for (const c of children.splice(0)) { c.kill('SIGCONT'); c.kill('SIGKILL') }
  await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
})

describe('FrameWriter over real libp2p', () => {
  it('writes taken at once succeed; a write blocked because the remote process stopped times out and aborts the stream', async () => {
    const a = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    nodes.push(a)
    const b = await remote()
    const connection = await a.dial(multiaddr(b.addr))
    const stream = await connection.newStream(PROTOCOL)
    const writer = new FrameWriter(stream, connection, 1 << 20, () => {})
    const frame = new Uint8Array(64 * 1024).fill(7)

    // A small write with a short deadline, then a pause longer than it: nothing fires later.
    expect(await writer.write([Uint8Array.of(1)], 200)).toEqual({ ok: true })
    await new Promise(resolve => setTimeout(resolve, 400))
    expect(writer.writable).toBe(true)

    // The remote stops: keep writing until one has to wait; it must end as a timeout.
    b.proc.kill('SIGSTOP')
    let result: WriteResult = { ok: true }
    let waitedMs = 0
    for (let i = 0; i < 2000 && result.ok; i++) {
      const t0 = performance.now()
      result = await writer.write([frame], 300)
      waitedMs = performance.now() - t0
    }
    expect(result.ok ? undefined : `${result.reason}: ${String(result.error)}`).toMatch(/^timeout/)
    expect(waitedMs).toBeGreaterThanOrEqual(250)
    expect(waitedMs).toBeLessThan(5_000)
    expect(writer.writable).toBe(false)
    expect(stream.status).not.toBe('open')
  })
})

describe('FrameWriter.send (issue 11: what a batch costs)', () => {
  it('hands a batch to the stream in one synchronous send, with lpStream\'s bytes, and adds one listener to the stream', async () => {
    const libp2p = async (): Promise<Libp2p> => {
      const n = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
      nodes.push(n)
      return n
    }
    const [a, b] = await Promise.all([libp2p(), libp2p()])
    const received: number[] = []
    let ended!: () => void
    const done = new Promise<void>(resolve => { ended = resolve })
    await b.handle(PROTOCOL, (stream) => {
      stream.addEventListener('message', (evt) => { received.push(...evt.data.subarray()) })
      stream.addEventListener('remoteCloseWrite', () => { ended() })
    })
    const connection = await a.dial(b.getMultiaddrs()[0] as ReturnType<typeof multiaddr>)
    const stream = await connection.newStream(PROTOCOL)
    const sends: number[] = []
    const send = stream.send.bind(stream)
    stream.send = (data) => { sends.push(data.byteLength); return send(data) }
    const writer = new FrameWriter(stream, connection, 1 << 20, () => {})
    // Ours is the only listener: the byte stream lpStream wrapped every stream in buffered what arrived.
    expect(stream.listenerCount('message')).toBe(1)

    const big = new Uint8Array(300).fill(9)
    expect(writer.send([Uint8Array.of(1, 2, 3), big])).toEqual({ ok: true })
    expect(sends).toEqual([1 + 3 + 2 + 300])
    expect(await writer.write([Uint8Array.of(4)], 1000)).toEqual({ ok: true })
    expect(sends).toEqual([306, 2])
    await writer.close(1000)
    await done
    // varint(3) 1 2 3, varint(300) = 0xac 0x02, 300 × 9, varint(1) 4: what lpStream's writeV wrote.
    expect(received).toEqual([3, 1, 2, 3, 0xac, 0x02, ...big, 1, 4])
  })
})
