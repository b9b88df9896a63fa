/**
 * Fuzzing decodeSwim (issue: hostile input): > 100,000 random, protobuf-shaped and mutated frames.
 *
 * Properties, for every frame up to the swim frame limit:
 * - decodeSwim returns or throws DecodeError / FrameTooLargeError, nothing else;
 * - whatever decodes respects SWIM_LIMITS (counts, lengths, ranges) and is not much larger than the
 *   frame (no amplification: a frame of n bytes decodes into O(n));
 * - whatever decodes re-encodes to a frame that decodes to the same message (the validators accept
 *   exactly what the encoder can produce).
 * Replay a failure with the seed printed (MURMUR_SEED=<seed>); fast-check also prints the shrunk plan.
 */
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { DEFAULT_MAX_FRAME_BYTES } from '../../src/core/transport.js'
import { SWIM_LIMITS, decodeSwim, encodeSwim } from '../../src/membership/codec.js'
import type { SwimMessage } from '../../src/membership/codec.js'
import type { MemberUpdate } from '../../src/membership/member.js'
import { swimFramePool } from './frames.js'
import { applyPlan, decodedWeight, planArb, randomPbArb, someString } from './mutators.js'
import { useSeed } from '../helpers/replay.js'

const MAX = DEFAULT_MAX_FRAME_BYTES.swim
const FILE = 'test/fuzz/swim.test.ts'
/** Per-category run counts: 25k + 20k + 57k = 102,000 frames (mutation is the costly part). */
const RUNS = { random: 25_000, shaped: 20_000, mutated: 57_000 }
/** Decoded weight ≤ this × frame bytes + a constant (measured max is well below; see the log line). */
const MAX_AMPLIFICATION = 4

/** Throws (failing the run) unless `ok`; plain checks, because `expect` per field is too slow at 10⁵ runs. */
function check (ok: boolean, what: string): void {
  if (!ok) throw new Error(`decoded message breaks a limit: ${what}`)
}

function checkUpdate (u: MemberUpdate): void {
  check(u.id.length > 0 && u.id.length <= SWIM_LIMITS.idChars && u.from.length <= SWIM_LIMITS.idChars, 'id/from length')
  check(Number.isSafeInteger(u.incarnation) && u.incarnation >= 0 && u.incarnation <= SWIM_LIMITS.maxIncarnation, 'incarnation range')
  check(['alive', 'suspect', 'dead', 'left'].includes(u.state), 'state')
  check(u.state !== 'alive' || u.meta !== undefined, 'alive without meta')
  if (u.meta === undefined) return
  check(u.meta.name.length <= SWIM_LIMITS.nameChars, 'name length')
  check(u.meta.addrs.length <= SWIM_LIMITS.addrs && u.meta.addrs.every(a => a.length <= SWIM_LIMITS.addrChars), 'addrs')
  const tags = Object.entries(u.meta.tags)
  check(tags.length <= SWIM_LIMITS.tags, 'tag count')
  check(tags.every(([k, v]) => k.length <= SWIM_LIMITS.tagKeyChars && v.length <= SWIM_LIMITS.tagValueChars), 'tag length')
}

/** Every documented limit holds for a decoded message. */
function checkLimits (msg: SwimMessage): void {
  check(msg.gossip.length <= SWIM_LIMITS.gossipEntries, 'gossip entries')
  msg.gossip.forEach(checkUpdate)
  if (msg.type !== 'gossip') check(msg.seq >= 0 && msg.seq <= 0xffff_ffff, 'seq')
  if (msg.type === 'pingReq') check(msg.target.length <= SWIM_LIMITS.idChars && msg.targetAddrs.length <= SWIM_LIMITS.addrs, 'ping-req target')
  if (msg.type === 'pushPull' || msg.type === 'pushPullReply') {
    check(msg.page <= SWIM_LIMITS.pages && msg.members.length <= SWIM_LIMITS.membersPerPage, 'page / members')
    msg.members.forEach(checkUpdate)
  }
}

interface Tally { frames: number, accepted: number, rejected: number, tooLarge: number, nonCanonicalText: number, maxRatio: number }

// A lone surrogate: what protons' UTF-8 reader makes of invalid UTF-8 (see the test.fails below).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const hasLoneSurrogate = (msg: SwimMessage): boolean => someString(msg, s => LONE_SURROGATE.test(s))

/** The property, for one frame. Returns normally or fails the fast-check run. */
function fuzzOne (bytes: Uint8Array, tally: Tally): void {
  tally.frames++
  let msg: SwimMessage
  try {
    msg = decodeSwim(bytes, MAX)
  } catch (err) {
    const name = (err as Error).name
    if (name !== 'DecodeError' && name !== 'FrameTooLargeError') throw new Error(`decodeSwim threw ${name}: ${(err as Error).message}`)
    if (name === 'FrameTooLargeError') tally.tooLarge++
    tally.rejected++
    return
  }
  tally.accepted++
  checkLimits(msg)
  const ratio = (decodedWeight(msg) - 64) / bytes.byteLength
  tally.maxRatio = Math.max(tally.maxRatio, ratio)
  check(ratio <= MAX_AMPLIFICATION, `amplification ${ratio.toFixed(2)}`)
  if (hasLoneSurrogate(msg)) {
    // Known deviation (proposal P-utf8 in the report): counted, and pinned by the test.fails below.
    tally.nonCanonicalText++
    return
  }
  check(isDeepStrictEqual(decodeSwim(encodeSwim(msg), MAX), msg), 'round trip')
}

describe('fuzz: decodeSwim', () => {
  const tallies: Record<keyof typeof RUNS, Tally> = {
    random: { frames: 0, accepted: 0, rejected: 0, tooLarge: 0, nonCanonicalText: 0, maxRatio: 0 },
    shaped: { frames: 0, accepted: 0, rejected: 0, tooLarge: 0, nonCanonicalText: 0, maxRatio: 0 },
    mutated: { frames: 0, accepted: 0, rejected: 0, tooLarge: 0, nonCanonicalText: 0, maxRatio: 0 }
  }

  test(`random bytes (${RUNS.random})`, () => {
    const seed = useSeed(0x5717_0001, FILE, `random bytes (${RUNS.random})`)
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => { fuzzOne(bytes, tallies.random) }), { seed, numRuns: RUNS.random })
  })

  test(`protobuf-shaped random frames (${RUNS.shaped})`, () => {
    const seed = useSeed(0x5717_0002, FILE, `protobuf-shaped random frames (${RUNS.shaped})`)
    fc.assert(fc.property(randomPbArb, (bytes) => { fuzzOne(bytes, tallies.shaped) }), { seed, numRuns: RUNS.shaped })
  })

  test(`mutated valid frames: bit flips, truncation, splicing, length fields, repeated fields (${RUNS.mutated})`, () => {
    const seed = useSeed(0x5717_0003, FILE, `mutated valid frames: bit flips, truncation, splicing, length fields, repeated fields (${RUNS.mutated})`)
    const pool = swimFramePool(seed)
    fc.assert(fc.property(planArb, (plan) => { fuzzOne(applyPlan(pool, plan), tallies.mutated) }), { seed, numRuns: RUNS.mutated })
    const total = Object.values(tallies).reduce((n, t) => n + t.frames, 0)
    console.log(`decodeSwim fuzz: ${total} frames ${JSON.stringify(tallies)}`)
    expect(total).toBeGreaterThanOrEqual(100_000)
    // The mutators must reach both outcomes, or they are not exercising the validators.
    expect(tallies.mutated.accepted).toBeGreaterThan(1000)
    expect(tallies.mutated.rejected).toBeGreaterThan(10_000)
  })
})

/**
 * Gaps the fuzzer found. Each is `test.fails` (it passes while the bug is there) so that the fix turns it
 * red and whoever fixes it flips it to `test`. Proposals with the exact change are in the report.
 */
describe('decodeSwim: known gaps (test.fails until fixed)', () => {
  /** One gossip entry (alive, id "a") whose meta is `meta` (raw protobuf bytes of MemberMeta). */
  const frameWithMeta = (meta: Uint8Array): Uint8Array => {
    const update = Uint8Array.from([0x08, 1, 0x12, 1, 0x61, 0x2a, ...encodeLen(meta.length), ...meta])
    return Uint8Array.from([0x08, 7, 0x2a, ...encodeLen(update.length), ...update])
  }
  const encodeLen = (n: number): number[] => {
    const out: number[] = []
    while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 0x80) }
    out.push(n)
    return out
  }

  // P-utf8: protons decodes invalid UTF-8 into lone surrogates; names, addresses and tags then differ
  // between the peer that heard them first-hand and one that heard our re-encoding (U+FFFD). The sync
  // codec already refuses lone surrogates in doc names; the membership codec should refuse them too.
  test('a member name that is not valid UTF-8 is rejected', () => {
    const name = Uint8Array.from([0xff, 0xfe, 0xed, 0xa0, 0x80])
    expect(() => decodeSwim(frameWithMeta(Uint8Array.from([0x0a, name.length, ...name])), MAX)).toThrow(expect.objectContaining({ name: 'DecodeError' }))
  })

  // P-nested-limits: DECODE_LIMITS bounds gossip/members/targetAddrs while parsing, but not meta.addrs
  // or meta.tags, so a 400 KB frame of empty addresses is parsed into a 200,000-element array before
  // validation refuses it (~40 ms of CPU per frame against ~20 µs for a typical one; measured in the
  // report). With `gossip$`/`members$` limits protons stops at entry 17.
  test('meta.addrs is bounded while parsing, not after', () => {
    const addrs = new Uint8Array(2 * 200_000)
    for (let i = 0; i < addrs.length; i += 2) addrs[i] = 0x12 // field 2 (addrs), length 0
    expect(() => decodeSwim(frameWithMeta(addrs), MAX)).toThrow(/too many elements/)
  })
})
