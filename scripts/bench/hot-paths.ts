/**
 * `npm run bench -- hot-paths`: the per-update and per-chunk costs cut for issue 14, each beside what it
 * replaced, in this one process (CPU-bound loops; ratios are what to read).
 *
 * - Digest: applying a remote update to a doc of N items, then its digest — by a full walk of the doc
 *   (version-vector.ts digestBytes, what every append did before) and from the delete set kept per
 *   transaction (deleted-ranges.ts, what DocEntry does now). 30 replicas wrote the doc; half their entries
 *   were overwritten, so the delete set is not empty.
 * - Length prefixes: one 100-byte Noise-framed message per chunk through @libp2p/utils'
 *   LengthPrefixedDecoder, before and after src/net/length-prefix-patch.ts (the patch is process-wide, so
 *   the unpatched loop runs first).
 * - Frame reading: one 150-byte frame per chunk, a chunk per turn of the event loop, pushed into a libp2p
 *   stream as yamux does (`onData`), read by lpStream with a deadline per frame (what src/net/frame-reader.ts
 *   did before) and by readFrames now. The event-loop turn is in both; the difference is the reader's.
 */
import * as Y from 'yjs'
import { AbstractStream, LengthPrefixedDecoder, lpStream } from '@libp2p/utils'
import type { Logger } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { DeletedRanges, digestOf } from '../../dist/replication/deleted-ranges.js'
import { digestBytes } from '../../dist/replication/version-vector.js'
import { installQuietLengthDecoding } from '../../dist/net/length-prefix-patch.js'
import { readFrames } from '../../dist/net/frame-reader.js'
import { readFlags } from './lib/flags.ts'
import { UsageError, progress, round, table, writeSection } from './lib/report.ts'

export const USAGE = 'options: --sizes 18000,180000 (doc items)  --updates 300 (per size and method)  --chunks 100000  --frames 50000'

interface Options { sizes: number[], updates: number, chunks: number, frames: number }

function parse (args: string[]): Options {
  const o: Options = { sizes: [18_000, 180_000], updates: 300, chunks: 100_000, frames: 50_000 }
  readFlags(args, USAGE, {
    values: { '--sizes': v => { o.sizes = v.split(',').map(Number) } },
    numbers: { '--updates': n => { o.updates = n }, '--chunks': n => { o.chunks = n }, '--frames': n => { o.frames = n } }
  })
  if (o.sizes.length === 0 || o.sizes.some(n => !Number.isInteger(n) || n < 60 || n > 2_000_000)) throw new UsageError('--sizes must be integers in [60, 2000000]')
  if (!Number.isInteger(o.updates) || o.updates < 10 || o.updates > 100_000) throw new UsageError('--updates must be an integer in [10, 100000]')
  if (!Number.isInteger(o.chunks) || o.chunks < 1_000 || o.chunks > 10_000_000) throw new UsageError('--chunks must be an integer in [1000, 10000000]')
  if (!Number.isInteger(o.frames) || o.frames < 1_000 || o.frames > 10_000_000) throw new UsageError('--frames must be an integer in [1000, 10000000]')
  return o
}

/** ms per (apply one remote update + digest), for both digest methods, on a doc of `items` items. */
function digestCost (items: number, updates: number): { walk: number, kept: number, same: boolean } {
  const doc = new Y.Doc({ gc: true })
  const perReplica = Math.floor(items / 30)
  for (let c = 0; c < 30; c++) {
    const d = new Y.Doc()
    d.clientID = 1000 + c
    const m = d.getMap('kv')
    for (let i = 0; i < perReplica; i++) m.set(`p${c}-${i % Math.max(1, Math.floor(perReplica / 2))}`, { slot: `p${c}`, n: i })
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(d))
  }
  const ranges = DeletedRanges.of(doc)
  doc.on('update', (_u: Uint8Array, _o: unknown, _d: Y.Doc, tr: Y.Transaction) => { ranges.noteTransaction(tr) })
  const writer = new Y.Doc()
  writer.clientID = 5
  const wm = writer.getMap('kv')
  const run = (digest: () => Uint8Array): number => {
    const t0 = performance.now()
    for (let i = 0; i < updates; i++) {
      wm.set(`x${i % 50}`, { n: i })
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(writer, Y.encodeStateVector(doc)))
      digest()
    }
    return (performance.now() - t0) / updates
  }
  const walk = run(() => digestBytes(doc))
  const kept = run(() => digestOf(doc, ranges))
  return { walk, kept, same: Buffer.from(digestBytes(doc)).equals(Buffer.from(digestOf(doc, ranges))) }
}

/** µs per chunk carrying one 100-byte message with a 2-byte big-endian length (Noise's framing). */
function decodeCost (chunks: number): number {
  const decoder = new LengthPrefixedDecoder({
    lengthDecoder: (data) => { if (data.byteLength < 2) throw new RangeError('Could not decode int16BE'); const b = data.subarray(0, 2); return ((b[0] ?? 0) << 8) | (b[1] ?? 0) },
    encodingLength: () => 2
  })
  const chunk = new Uint8Array(102)
  chunk[1] = 100
  let bytes = 0
  const t0 = performance.now()
  for (let i = 0; i < chunks; i++) for (const m of decoder.decode(chunk)) bytes += m.byteLength
  if (bytes !== 100 * chunks) throw new Error('decoder lost messages')
  return (performance.now() - t0) * 1000 / chunks
}

const quiet: Logger = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false, newScope: () => quiet })

/** A libp2p stream with nothing beneath it: the bench pushes inbound data into it as a muxer would. */
class BenchStream extends AbstractStream {
  constructor () { super({ id: 'bench', log: quiet, direction: 'inbound' }) }
  sendData (data: Uint8ArrayList): { sentBytes: number, canSendMore: boolean } { return { sentBytes: data.byteLength, canSendMore: true } }
  sendReset (): void {}
  sendPause (): void {}
  sendResume (): void {}
  async sendCloseWrite (): Promise<void> {}
  async sendCloseRead (): Promise<void> {}
}

/** The reader before: lpStream, with an AbortController and a read deadline per frame. */
async function lpStreamReader (stream: BenchStream, onFrame: () => void): Promise<void> {
  const lp = lpStream(stream, { maxDataLength: 512 * 1024 })
  for (;;) {
    const controller = new AbortController()
    const timer = setTimeout(() => { controller.abort() }, 10_000)
    try {
      await lp.read({ signal: controller.signal })
    } catch {
      return
    } finally {
      clearTimeout(timer)
    }
    onFrame()
  }
}

/** µs per turn of the event loop as frameCost takes them, with no stream: the floor of both readers. */
async function turnCost (frames: number): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < frames; i++) await new Promise(resolve => setImmediate(resolve))
  return (performance.now() - t0) * 1000 / frames
}

/** µs per 150-byte frame, one per chunk and per event-loop turn, through `reader`. */
async function frameCost (frames: number, reader: 'lpStream' | 'readFrames'): Promise<number> {
  const stream = new BenchStream()
  let got = 0
  const ended = reader === 'lpStream'
    ? lpStreamReader(stream, () => { got++ })
    : readFrames(stream, { maxFrameBytes: 512 * 1024, readTimeoutMs: 10_000, onFrame: () => { got++; return true } })
  const chunk = new Uint8Array(152)
  chunk.set([150 | 0x80, 1])
  const t0 = performance.now()
  for (let i = 0; i < frames; i++) {
    stream.onData(chunk)
    await new Promise(resolve => setImmediate(resolve))
  }
  const us = (performance.now() - t0) * 1000 / frames
  stream.abort(new Error('bench over'))
  await ended
  if (got !== frames) throw new Error(`${reader} delivered ${got} of ${frames} frames`)
  return us
}

export async function main (args: string[]): Promise<void> {
  const o = parse(args)
  const digestRows: Array<Array<string | number>> = []
  for (const items of o.sizes) {
    progress(`digest: doc of ${items} items, ${o.updates} updates per method`)
    const r = digestCost(items, o.updates)
    if (!r.same) throw new Error('the two digests differ')
    digestRows.push([items, round(r.walk, 3), round(r.kept, 3), round(r.walk / r.kept, 1)])
  }
  progress(`length prefixes: ${o.chunks} chunks, unpatched then patched`)
  decodeCost(Math.min(o.chunks, 10_000)) // warm-up
  const before = decodeCost(o.chunks)
  if (!installQuietLengthDecoding()) throw new Error('the length-prefix patch did not apply')
  decodeCost(Math.min(o.chunks, 10_000))
  const after = decodeCost(o.chunks)
  progress(`frame reading: ${o.frames} frames, lpStream then readFrames, twice`)
  const reads: { lpStream: number[], readFrames: number[], turn: number[] } = { lpStream: [], readFrames: [], turn: [] }
  for (let round = 0; round < 2; round++) {
    reads.turn.push(await turnCost(o.frames))
    for (const reader of ['lpStream', 'readFrames'] as const) reads[reader].push(await frameCost(o.frames, reader))
  }
  const turnUs = Math.min(...reads.turn)
  const lpUs = Math.min(...reads.lpStream)
  const rfUs = Math.min(...reads.readFrames)
  const body = [
    'Apply one remote update to a doc (30 replicas wrote it; half their entries overwritten), then take its digest: by a full walk of the doc (`digestBytes`, what every append did before 14dde52) or from the delete set kept per transaction (`DeletedRanges`, now). ms per update, both included.',
    '',
    table(['doc items', 'full walk, ms', 'kept delete set, ms', 'ratio'], digestRows),
    '',
    `Noise's length-prefix decoding, one 100-byte message per chunk: **${round(before, 2)} µs** a chunk unpatched, **${round(after, 2)} µs** with src/net/length-prefix-patch.ts (${round(before / after, 1)}×).`,
    '',
    `Inbound frame reading, one 150-byte frame per chunk and per turn of the event loop, best of two runs: **${round(lpUs, 2)} µs** a frame by lpStream with a deadline per frame (src/net/frame-reader.ts before), **${round(rfUs, 2)} µs** by readFrames cutting frames out of the stream's messages. The turn alone costs ${round(turnUs, 2)} µs; without it, ${round(lpUs - turnUs, 2)} against ${round(rfUs - turnUs, 2)} µs (${round((lpUs - turnUs) / Math.max(0.01, rfUs - turnUs), 1)}×).`
  ].join('\n')
  process.stdout.write(`${body}\n`)
  writeSection('hot-paths', 'Hot paths cut for issue 14 (one process)', `npm run bench -- hot-paths${args.length > 0 ? ' ' + args.join(' ') : ''}`, body)
  process.stdout.write(`${JSON.stringify({ digest: digestRows.map(([items, walk, kept]) => ({ items, walkMs: walk, keptMs: kept })), lengthPrefix: { beforeUs: round(before, 3), afterUs: round(after, 3) }, frameReading: { lpStreamUs: round(lpUs, 3), readFramesUs: round(rfUs, 3), turnUs: round(turnUs, 3) } })}\n`)
}
