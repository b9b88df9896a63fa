/**
 * The frame reader (src/net/frame-reader.ts) on libp2p's own in-memory stream pair: frames cut at any
 * chunk boundary arrive whole and in order; a bad prefix, an oversized or empty frame, a truncated frame and
 * a stalled one each end the read with their reason. (test/net/hostile.test.ts covers the same over TCP.)
 */
import type { Stream } from '@libp2p/interface'
import { streamPair } from '@libp2p/utils'
import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { decodePrefix, readFrames } from '../../src/net/frame-reader.js'
import type { ReadEnd } from '../../src/net/frame-reader.js'
import { varint } from './helpers.js'

const MAX = 1000

function encode (frames: Uint8Array[]): Uint8Array {
  return Uint8Array.from(frames.flatMap(f => [...varint(f.byteLength), ...f]))
}

async function read (chunks: Uint8Array[], opts: { close?: boolean, stopAfter?: number, readTimeoutMs?: number } = {}): Promise<{ frames: number[][], end: ReadEnd }> {
  const [out, inb]: [Stream, Stream] = await streamPair({ delay: 0 })
  const frames: number[][] = []
  const ended = readFrames(inb, {
    maxFrameBytes: MAX,
    readTimeoutMs: opts.readTimeoutMs ?? 5_000,
    onFrame: (f) => {
      frames.push([...f])
      return opts.stopAfter === undefined || frames.length < opts.stopAfter
    }
  })
  for (const c of chunks) {
    if (out.writeStatus !== 'writable') break
    if (!out.send(c)) await out.onDrain({ signal: AbortSignal.timeout(5_000) })
  }
  if (opts.close !== false && out.writeStatus === 'writable') await out.close()
  const end = await ended
  out.abort(new Error('test over'))
  return { frames, end }
}

/** `bytes` cut at the given offsets (any order, duplicates and out-of-range ones ignored). */
function cut (bytes: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map(a => a % (bytes.byteLength + 1)))].sort((x, y) => x - y)
  const out: Uint8Array[] = []
  let from = 0
  for (const p of [...points, bytes.byteLength]) {
    if (p > from) out.push(bytes.subarray(from, p))
    from = Math.max(from, p)
  }
  return out
}

describe('readFrames', () => {
  it('delivers frames cut at any chunk boundary whole and in order, then ends cleanly', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: MAX }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      async (frames, at) => {
        const { frames: got, end } = await read(cut(encode(frames), at))
        expect(got).toEqual(frames.map(f => [...f]))
        expect(end).toEqual({ reason: 'eof' })
      }
    ), { numRuns: 60 })
  })

  it('hands each frame as a plain Uint8Array that stays valid after later chunks', async () => {
    const [out, inb] = await streamPair({ delay: 0 })
    const kept: Uint8Array[] = []
    const ended = readFrames(inb, { maxFrameBytes: MAX, readTimeoutMs: 5_000, onFrame: (f) => { kept.push(f); return true } })
    out.send(encode([Uint8Array.of(1, 2, 3), Uint8Array.of(4)]))
    out.send(encode([Uint8Array.of(5, 6)]))
    await out.close()
    expect(await ended).toEqual({ reason: 'eof' })
    expect(kept.map(f => Buffer.isBuffer(f))).toEqual([false, false, false])
    expect(kept.map(f => [...f])).toEqual([[1, 2, 3], [4], [5, 6]])
  })

  it.each([
    ['oversized', 'a length above the limit', [...varint(MAX + 1), 1, 2, 3]],
    ['malformed', 'a prefix longer than the limit\'s varint', [0xff, 0xff, 0xff]],
    ['malformed', 'an empty frame', [0]],
    ['malformed', 'a frame cut short by the end of the stream', [...varint(10), 1, 2]]
  ] as const)('%s: %s, after the good frame before it', async (reason, _label, bad) => {
    const { frames, end } = await read([Uint8Array.from([...varint(2), 7, 8, ...bad])])
    expect(frames).toEqual([[7, 8]])
    expect(end.reason).toBe(reason)
  })

  it('a frame that starts and stalls times out; the handler asking to stop ends the read', async () => {
    const stalled = await read([Uint8Array.from([...varint(1), 9, ...varint(50), 1])], { close: false, readTimeoutMs: 100 })
    expect(stalled.frames).toEqual([[9]])
    expect(stalled.end.reason).toBe('timeout')
    const stopped = await read([encode([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)])], { stopAfter: 2 })
    expect(stopped.frames).toEqual([[1], [2]])
    expect(stopped.end).toEqual({ reason: 'stopped' })
  })

  it('a handler that aborts the stream gets no more frames, even from the chunk it is reading', async () => {
    const [out, inb] = await streamPair({ delay: 0 })
    const got: number[][] = []
    const ended = readFrames(inb, {
      maxFrameBytes: MAX,
      readTimeoutMs: 5_000,
      onFrame: (f) => { got.push([...f]); inb.abort(new Error('peer blocked')); return true }
    })
    out.send(encode([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]))
    const end = await ended
    expect(got).toEqual([[1]])
    expect(end.reason).toBe('closed')
    expect(end.error?.message).toBe('peer blocked')
    out.abort(new Error('test over'))
  })

  it('a handler that throws ends the read as closed, without an uncaught exception', async () => {
    const [out, inb] = await streamPair({ delay: 0 })
    const ended = readFrames(inb, { maxFrameBytes: MAX, readTimeoutMs: 5_000, onFrame: () => { throw new Error('handler bug') } })
    out.send(encode([Uint8Array.of(1)]))
    const end = await ended
    expect(end.reason).toBe('closed')
    expect(end.error?.message).toBe('handler bug')
    out.abort(new Error('test over'))
  })
})

describe('decodePrefix', () => {
  it('decodes complete prefixes, waits on incomplete ones, refuses over-long ones', () => {
    const at = (...b: number[]): ReturnType<typeof decodePrefix> => decodePrefix(new Uint8ArrayList(Uint8Array.from(b)), 3)
    expect(at(0x05, 0xaa)).toEqual({ value: 5, bytes: 1 })
    expect(at(0x80, 0x80, 0x20)).toEqual({ value: 0x20 << 14, bytes: 3 })
    expect(decodePrefix(new Uint8ArrayList(Uint8Array.of(0x80), Uint8Array.of(0x01)), 3)).toEqual({ value: 128, bytes: 2 })
    expect(at(0x80, 0x80)).toBeUndefined()
    expect(at()).toBeUndefined()
    expect(at(0xff, 0xff, 0xff)).toBe('length prefix longer than 3 bytes')
  })
})
