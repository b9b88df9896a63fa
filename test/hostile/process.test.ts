/**
 * Garbage over real libp2p streams against a running `dist/peer.js` (issue: hostile input, process level).
 *
 * A raw libp2p node (TCP + Noise + yamux, no murmur code) opens `/murmur/swim/1.0.0` and
 * `/murmur/sync/2.0.0` streams to a spawned peer and writes length-prefixed frames the decoders refuse —
 * mutated valid frames (seeded, replayable) — plus framing-level garbage that aborts its stream. A control
 * peer joined the normal way. Checks: the process never exits, /health keeps answering, /members and
 * docs are unchanged, the control peer stays alive and in sync, every rejection is in /metrics, and the
 * peer's log about them is rate-limited (a handful of lines for > 1,000 frames).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import type { Libp2p, Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DEFAULT_MAX_FRAME_BYTES } from '../../src/core/transport.js'
import { PROTOCOLS } from '../../src/net/index.js'
import { refusedFrames, swimFramePool, swimRefuses, syncFramePool, syncRefuses } from '../fuzz/frames.js'
import { encodeVarint } from '../fuzz/protobuf.js'
import { cleanup, http, members, spawnPeer, waitFor, waitForStates } from '../helpers/procs.js'
import type { MemberJson, PeerProcess } from '../helpers/procs.js'
import { useSeed } from '../helpers/replay.js'

const FILE = 'test/hostile/process.test.ts'
const LOCAL = ['--profile', 'local']
/** Refused frames per protocol (≥ 1,000 in all, as the issue asks). */
const FRAMES_PER_PROTOCOL = 600
/** Frames per write and the pause between writes: ~170 frames/s, under the 200/s swim rate limit. */
const BATCH = 50
const BATCH_GAP_MS = 300
/** Log lines allowed per rate-limited key: burst 5 per 10 s window (RateLimitedLog), a few windows. */
const MAX_LOG_LINES = 40

interface DocJson { digest: string, version: Record<string, number>, content: { kv?: Record<string, unknown> } }

/** `name{labels} value` samples of one metric, as `labels → value`. */
async function metric (p: PeerProcess, name: string): Promise<Map<string, number>> {
  const text = (await http<string>(p.http, 'GET', '/metrics')).body
  const out = new Map<string, number>()
  for (const m of String(text).matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) out.set(m[1] ?? '', Number(m[2]))
  return out
}
const sample = (m: Map<string, number>, labels: string): number => m.get(labels) ?? 0

function lengthPrefixed (frames: readonly Uint8Array[]): Uint8Array {
  const parts = frames.map(f => [Uint8Array.from(encodeVarint(BigInt(f.byteLength))), f]).flat()
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.byteLength }
  return out
}

async function write (stream: Stream, bytes: Uint8Array): Promise<void> {
  if (!stream.send(bytes)) await stream.onDrain({ signal: AbortSignal.timeout(5_000) })
}

describe('garbage frames over real libp2p streams against a peer process', () => {
  let target: PeerProcess
  let control: PeerProcess
  let raw: Libp2p
  const addr = (): string => target.addrs[0] as string

  beforeAll(async () => {
    target = await spawnPeer({ args: LOCAL })
    control = await spawnPeer({ args: LOCAL, bootstrap: [addr()] })
    await waitForStates([target, control], [target.id, control.id], 'alive', 20_000)
    await http(target.http, 'GET', '/docs/shared')
    expect((await http(control.http, 'PUT', '/docs/shared/kv/before', { at: 'start' })).status).toBe(200)
    await waitFor('the first write on the target', async () => (await http<DocJson>(target.http, 'GET', '/docs/shared')).body.content.kv?.before !== undefined, 10_000)
    raw = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
  }, 60_000)
  afterAll(async () => {
    await raw?.stop()
    await cleanup()
  })

  test(`${2 * FRAMES_PER_PROTOCOL} refused frames and 8 broken streams: the peer serves on, unchanged, counting and rate-limiting its log`, async () => {
    const seed = useSeed(0x9a7_0001, FILE, `${2 * FRAMES_PER_PROTOCOL} refused frames and 8 broken streams: the peer serves on, unchanged, counting and rate-limiting its log`)
    // Keep frames well under the limits so that every one is delivered to the decoder (none oversized).
    const swim = refusedFrames(swimFramePool(seed), FRAMES_PER_PROTOCOL, seed, swimRefuses(DEFAULT_MAX_FRAME_BYTES.swim), 16 * 1024)
    const sync = refusedFrames(syncFramePool(seed), FRAMES_PER_PROTOCOL, seed + 1, syncRefuses(DEFAULT_MAX_FRAME_BYTES.sync), 16 * 1024)
    const membersBefore = normalize(await members(target))
    const docsBefore = (await http(target.http, 'GET', '/docs')).body

    // /health is polled throughout: it must answer every time, and quickly.
    let healthMaxMs = 0
    let healthFailures = 0
    let polling = true
    const poller = (async () => {
      while (polling) {
        const t0 = Date.now()
        try {
          if ((await http(target.http, 'GET', '/health')).status !== 200) healthFailures++
        } catch {
          healthFailures++
        }
        healthMaxMs = Math.max(healthMaxMs, Date.now() - t0)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    })()

    const open = async (protocol: string): Promise<Stream> => await raw.dialProtocol(multiaddr(addr()), protocol, { signal: AbortSignal.timeout(5_000) })
    const started = Date.now()
    for (const [protocol, frames] of [[PROTOCOLS.swim, swim], [PROTOCOLS.sync, sync]] as const) {
      const stream = await open(protocol)
      for (let i = 0; i < frames.length; i += BATCH) {
        await write(stream, lengthPrefixed(frames.slice(i, i + BATCH)))
        await new Promise(resolve => setTimeout(resolve, BATCH_GAP_MS))
      }
      await stream.close()
    }
    // Framing-level garbage: each breaks (and gets aborted) its own stream.
    const broken = (limit: number): Uint8Array[] => [
      Uint8Array.from([...encodeVarint(BigInt(limit + 1)), 1, 2, 3]), // oversized length prefix
      new Uint8Array(12).fill(0xff), // malformed: an endless varint
      Uint8Array.of(0), // malformed: an empty frame
      Uint8Array.from([...encodeVarint(100n), 1, 2, 3]) // malformed: cut short by the end of the stream
    ]
    for (const [protocol, limit] of [[PROTOCOLS.swim, DEFAULT_MAX_FRAME_BYTES.swim], [PROTOCOLS.sync, DEFAULT_MAX_FRAME_BYTES.sync]] as const) {
      for (const bytes of broken(limit)) {
        const s = await open(protocol)
        s.send(bytes)
        await s.close().catch(() => {})
      }
    }
    const sendMs = Date.now() - started

    // Every frame is counted where it was refused.
    await waitFor('every rejection counted', async () => {
      const r = await metric(target, 'murmur_rejected_frames_total')
      return sample(r, '{layer="membership",reason="decode"}') === swim.length && sample(r, '{layer="replication",reason="decode"}') === sync.length &&
        sample(r, '{layer="transport",reason="malformed"}') === 6 && sample(r, '{layer="transport",reason="oversized"}') === 2
    }, 10_000)
    polling = false
    await poller
    const rejected = await metric(target, 'murmur_rejected_frames_total')
    expect(sample(rejected, '{layer="transport",reason="rateLimited"}')).toBe(0)
    expect(sample(await metric(target, 'murmur_flooders_total'), '{action="disconnected"}')).toBe(0)

    // The process is up, answered every health check, and nothing it holds changed.
    expect(target.proc.exitCode).toBeNull()
    expect(healthFailures).toBe(0)
    expect(normalize(await members(target))).toEqual(membersBefore)
    expect((await http(target.http, 'GET', '/docs')).body).toEqual(docsBefore)

    // The control peer is still alive on both sides, and a new write still replicates.
    await waitForStates([target, control], [target.id, control.id], 'alive', 15_000)
    const t0 = Date.now()
    expect((await http(control.http, 'PUT', '/docs/shared/kv/after', { at: 'end' })).status).toBe(200)
    await waitFor('the write after the garbage on the target', async () => (await http<DocJson>(target.http, 'GET', '/docs/shared')).body.content.kv?.after !== undefined, 10_000, 20)
    const replicateMs = Date.now() - t0

    // The log: a handful of rate-limited lines, not one per frame.
    const lines = target.log().split('\n').filter(l => /rejected (swim|sync) frame|aborted inbound stream/.test(l))
    const suppressed = lines.reduce((n, l) => n + Number(/suppressed=(\d+)/.exec(l)?.[1] ?? 0), 0)
    console.log(`${swim.length} swim + ${sync.length} sync refused frames and 8 broken streams in ${sendMs} ms: ` +
      `${lines.length} log lines (${suppressed} suppressed so far), /health max ${healthMaxMs} ms, a new write replicated in ${replicateMs} ms`)
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.length).toBeLessThanOrEqual(MAX_LOG_LINES)
  }, 90_000)
})

/** Members without what may legitimately change between two reads. */
function normalize (ms: MemberJson[]): MemberJson[] {
  return [...ms].sort((a, b) => a.peerId < b.peerId ? -1 : 1)
}
