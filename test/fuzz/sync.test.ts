/**
 * Fuzzing decodeSync (issue: hostile input): > 100,000 random, protobuf-shaped and mutated frames.
 *
 * Properties, for every frame up to the sync frame limit, decoded both as a top-level frame and as the
 * inside of a reassembled transfer (allowChunk: false):
 * - decodeSync returns or throws DecodeError / FrameTooLargeError, nothing else;
 * - whatever decodes respects SYNC_LIMITS and is not much larger than the frame;
 * - whatever decodes re-encodes to a frame that decodes to the same message.
 * Replay a failure with the seed printed (MURMUR_SEED=<seed>); fast-check also prints the shrunk plan.
 */
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DEFAULT_MAX_FRAME_BYTES } from '../../src/core/transport.js'
import { SYNC_LIMITS, checkDocName, decodeSync, encodeSync } from '../../src/replication/codec.js'
import type { SyncMessage } from '../../src/replication/codec.js'
import type { VersionVector } from '../../src/replication/version-vector.js'
import { syncFramePool } from './frames.js'
import { applyPlan, decodedWeight, planArb, randomPbArb } from './mutators.js'
import { useSeed } from '../helpers/replay.js'

const MAX = DEFAULT_MAX_FRAME_BYTES.sync
const FILE = 'test/fuzz/sync.test.ts'
/** Per-category run counts: 25k + 20k + 57k = 102,000 frames (mutation is the costly part). */
const RUNS = { random: 25_000, shaped: 20_000, mutated: 57_000 }
const MAX_AMPLIFICATION = 4

function check (ok: boolean, what: string): void {
  if (!ok) throw new Error(`decoded message breaks a limit: ${what}`)
}

function checkName (doc: string): void {
  let valid = true
  try { checkDocName(doc) } catch { valid = false }
  check(valid, `doc name ${JSON.stringify(doc.slice(0, 40))}`)
}

function checkVector (v: VersionVector): void {
  check(v.size <= SYNC_LIMITS.vectorEntries, 'vector entries')
  for (const [replica, clock] of v) check(Number.isSafeInteger(replica) && replica >= 0 && replica <= 0xffff_ffff && Number.isSafeInteger(clock) && clock >= 1, 'vector entry range')
}

function checkUpdateBytes (u: Uint8Array): void {
  check(u.byteLength >= 2 && u.byteLength <= SYNC_LIMITS.updateBytes, 'update bytes')
}

/** Every documented limit holds for a decoded message. */
function checkLimits (msg: SyncMessage): void {
  switch (msg.type) {
    case 'digests':
      check(msg.pages >= 1 && msg.pages <= SYNC_LIMITS.pages && msg.page < msg.pages, 'pages')
      check(msg.entries.length <= SYNC_LIMITS.docsPerFrame, 'entries')
      check(new Set(msg.entries.map(e => e.doc)).size === msg.entries.length, 'duplicate doc')
      for (const e of msg.entries) {
        checkName(e.doc)
        check(e.digest.byteLength === SYNC_LIMITS.digestBytes, 'digest length')
      }
      return
    case 'digestsReply':
      check(msg.page < SYNC_LIMITS.pages && msg.differing <= SYNC_LIMITS.docsPerFrame, 'page / differing')
      check(msg.hosted.byteLength <= SYNC_LIMITS.docsPerFrame / 8, 'hosted bitmap')
      check(msg.others.length <= SYNC_LIMITS.docsPerFrame && msg.hints.length <= SYNC_LIMITS.docsPerFrame, 'others / hints')
      msg.others.forEach(checkName)
      for (const h of msg.hints) {
        checkName(h.doc)
        check(h.peers.length <= SYNC_LIMITS.hintPeers && h.peers.every(p => p.length >= 1 && p.length <= SYNC_LIMITS.peerIdChars), 'hint peers')
      }
      return
    case 'syncDoc':
      checkName(msg.doc)
      if (msg.step !== 'diff') checkVector(msg.vector)
      if (msg.step !== 'vector') checkUpdateBytes(msg.update)
      return
    case 'update':
      checkName(msg.doc)
      checkUpdateBytes(msg.update)
      return
    case 'ack':
      checkName(msg.doc)
      check(msg.ackId >= 1, 'ack id')
      checkVector(msg.vector)
      return
    case 'chunk':
      check(msg.count >= 2 && msg.count <= SYNC_LIMITS.chunksPerTransfer && msg.index < msg.count, 'chunk count / index')
      check(msg.data.byteLength >= 1 && msg.data.byteLength <= SYNC_LIMITS.chunkBytes, 'chunk data')
  }
}

interface Tally { frames: number, accepted: number, rejected: number, tooLarge: number, maxRatio: number }

function decodeOrReject (bytes: Uint8Array, allowChunk: boolean, tally: Tally): SyncMessage | undefined {
  try {
    return decodeSync(bytes, MAX, { allowChunk })
  } catch (err) {
    const name = (err as Error).name
    if (name !== 'DecodeError' && name !== 'FrameTooLargeError') throw new Error(`decodeSync threw ${name}: ${(err as Error).message}`)
    if (name === 'FrameTooLargeError') tally.tooLarge++
    tally.rejected++
    return undefined
  }
}

function fuzzOne (bytes: Uint8Array, tally: Tally): void {
  tally.frames++
  // As the inside of a reassembled transfer: a chunk is refused there (no nesting), nothing else differs.
  const inner = decodeOrReject(bytes, false, { ...tally })
  const msg = decodeOrReject(bytes, true, tally)
  if (msg === undefined) {
    check(inner === undefined, 'inner decode accepted what the outer refused')
    return
  }
  check(msg.type === 'chunk' ? inner === undefined : isDeepStrictEqual(inner, msg), 'allowChunk changes only chunks')
  tally.accepted++
  checkLimits(msg)
  const ratio = (decodedWeight(msg) - 64) / bytes.byteLength
  tally.maxRatio = Math.max(tally.maxRatio, ratio)
  check(ratio <= MAX_AMPLIFICATION, `amplification ${ratio.toFixed(2)}`)
  check(isDeepStrictEqual(decodeSync(encodeSync(msg), MAX), msg), 'round trip')
}

describe('fuzz: decodeSync', () => {
  const tally = (): Tally => ({ frames: 0, accepted: 0, rejected: 0, tooLarge: 0, maxRatio: 0 })
  const tallies: Record<keyof typeof RUNS, Tally> = { random: tally(), shaped: tally(), mutated: tally() }

  test(`random bytes (${RUNS.random})`, () => {
    const seed = useSeed(0x5e4c_0001, FILE, `random bytes (${RUNS.random})`)
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => { fuzzOne(bytes, tallies.random) }), { seed, numRuns: RUNS.random })
  })

  test(`protobuf-shaped random frames (${RUNS.shaped})`, () => {
    const seed = useSeed(0x5e4c_0002, FILE, `protobuf-shaped random frames (${RUNS.shaped})`)
    fc.assert(fc.property(randomPbArb, (bytes) => { fuzzOne(bytes, tallies.shaped) }), { seed, numRuns: RUNS.shaped })
  })

  test(`mutated valid frames: bit flips, truncation, splicing, length fields, repeated fields (${RUNS.mutated})`, () => {
    const seed = useSeed(0x5e4c_0003, FILE, `mutated valid frames: bit flips, truncation, splicing, length fields, repeated fields (${RUNS.mutated})`)
    const pool = syncFramePool(seed)
    fc.assert(fc.property(planArb, (plan) => { fuzzOne(applyPlan(pool, plan), tallies.mutated) }), { seed, numRuns: RUNS.mutated })
    const total = Object.values(tallies).reduce((n, t) => n + t.frames, 0)
    console.log(`decodeSync fuzz: ${total} frames ${JSON.stringify(tallies)}`)
    expect(total).toBeGreaterThanOrEqual(100_000)
    expect(tallies.mutated.accepted).toBeGreaterThan(1000)
    expect(tallies.mutated.rejected).toBeGreaterThan(10_000)
  })
})
