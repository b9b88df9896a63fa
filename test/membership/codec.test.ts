/** The membership wire codec: round trips, and rejection of truncated, oversized, garbage and out-of-range frames. */
import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { SWIM_LIMITS, decodeSwim, encodeSwim } from '../../src/membership/codec.js'
import type { SwimMessage } from '../../src/membership/codec.js'
import type { MemberUpdate } from '../../src/membership/member.js'
import { SwimFrame } from '../../src/membership/wire.js'
import { toWireUpdate } from '../../src/membership/codec.js'

const MAX = 512 * 1024
const alive = (id: string, inc = 0): MemberUpdate => ({ state: 'alive', id, incarnation: inc, from: '', meta: { name: `name-${id}`, addrs: [`/ip4/127.0.0.1/tcp/4001/p2p/${id}`], tags: { role: 'db', zone: 'a' } } })
const samples: SwimMessage[] = [
  { type: 'ping', seq: 1, gossip: [] },
  { type: 'ack', seq: 4294967295, gossip: [alive('QmA', 3)] },
  { type: 'nack', seq: 7, gossip: [{ state: 'suspect', id: 'QmB', incarnation: 2, from: 'QmC' }] },
  { type: 'pingReq', seq: 9, target: 'QmT', targetAddrs: ['/ip4/10.0.0.1/tcp/1'], gossip: [{ state: 'dead', id: 'QmD', incarnation: 1, from: 'QmE' }] },
  { type: 'pushPull', seq: 10, page: 0, join: true, members: [alive('QmA'), { state: 'left', id: 'QmL', incarnation: 4, from: 'QmL', meta: { name: 'l', addrs: [], tags: {} } }], gossip: [] },
  { type: 'pushPullReply', seq: 10, page: 2, members: [alive('QmZ', 9)], gossip: [alive('QmY')] },
  { type: 'gossip', gossip: [alive('QmA'), alive('QmB', 1)] }
]

describe('membership codec', () => {
  test.each(samples.map(m => [m.type, m] as const))('%s round-trips', (_, msg) => {
    expect(decodeSwim(encodeSwim(msg), MAX)).toEqual(msg)
  })

  test('every truncation of a valid frame is rejected with a DecodeError or decodes to a valid message', () => {
    for (const msg of samples) {
      const bytes = encodeSwim(msg)
      for (let cut = 0; cut < bytes.length; cut++) {
        try {
          const decoded = decodeSwim(bytes.subarray(0, cut), MAX)
          // A prefix may itself be a valid (shorter) frame; it must then still be well-formed.
          expect(typeof decoded.type).toBe('string')
        } catch (err) {
          expect((err as Error).name).toMatch(/DecodeError/)
        }
      }
    }
  })

  test('an oversized frame is refused before parsing', () => {
    const big = new Uint8Array(MAX + 1)
    expect(() => decodeSwim(big, MAX)).toThrow(expect.objectContaining({ name: 'FrameTooLargeError' }))
    const frame = encodeSwim(samples[4] as SwimMessage)
    expect(() => decodeSwim(frame, frame.length - 1)).toThrow(expect.objectContaining({ name: 'FrameTooLargeError' }))
  })

  test('empty and unknown-type frames are rejected', () => {
    expect(() => decodeSwim(new Uint8Array(0), MAX)).toThrow(expect.objectContaining({ name: 'DecodeError' }))
    expect(() => decodeSwim(SwimFrame.encode({ type: 99, seq: 1 }), MAX)).toThrow(/unknown message type/)
    expect(() => decodeSwim(SwimFrame.encode({ type: 0, seq: 3 }), MAX)).toThrow(/unknown message type/)
  })

  test('validation: out-of-range state, missing meta, overlong fields, too many entries, members on a ping', () => {
    const bad: Array<[string, Partial<SwimFrame>]> = [
      ['state 9', { type: 7, gossip: [{ state: 9, id: 'a', incarnation: 0, from: '' }] }],
      ['alive without meta', { type: 7, gossip: [{ state: 1, id: 'a', incarnation: 0, from: '' }] }],
      ['empty id', { type: 7, gossip: [{ state: 2, id: '', incarnation: 0, from: '' }] }],
      ['id with spaces', { type: 7, gossip: [{ state: 2, id: 'a b', incarnation: 0, from: '' }] }],
      ['overlong id', { type: 7, gossip: [{ state: 2, id: 'x'.repeat(SWIM_LIMITS.idChars + 1), incarnation: 0, from: '' }] }],
      ['overlong name', { type: 7, gossip: [{ state: 1, id: 'a', incarnation: 0, from: '', meta: { name: 'n'.repeat(SWIM_LIMITS.nameChars + 1), addrs: [], tags: new Map() } }] }],
      ['too many addrs', { type: 7, gossip: [{ state: 1, id: 'a', incarnation: 0, from: '', meta: { name: 'n', addrs: Array(SWIM_LIMITS.addrs + 1).fill('/a'), tags: new Map() } }] }],
      ['too many tags', { type: 7, gossip: [{ state: 1, id: 'a', incarnation: 0, from: '', meta: { name: 'n', addrs: [], tags: new Map(Array.from({ length: SWIM_LIMITS.tags + 1 }, (_, i) => [`k${i}`, 'v'])) } }] }],
      ['overlong tag value', { type: 7, gossip: [{ state: 1, id: 'a', incarnation: 0, from: '', meta: { name: 'n', addrs: [], tags: new Map([['k', 'v'.repeat(SWIM_LIMITS.tagValueChars + 1)]]) } }] }],
      ['too many gossip entries', { type: 7, gossip: Array.from({ length: SWIM_LIMITS.gossipEntries + 1 }, () => ({ state: 2, id: 'a', incarnation: 0, from: 'b' })) }],
      ['members on a ping', { type: 1, seq: 1, members: [{ state: 2, id: 'a', incarnation: 0, from: 'b' }] }],
      ['ping-req without target', { type: 4, seq: 1 }],
      ['page out of range', { type: 5, seq: 1, page: SWIM_LIMITS.pages + 1 }]
    ]
    for (const [what, frame] of bad) {
      expect(() => decodeSwim(SwimFrame.encode(frame), MAX), what).toThrow(expect.objectContaining({ name: 'DecodeError' }))
    }
  })

  test('random bytes and mutated valid frames never throw anything but DecodeError (10,000 cases)', () => {
    const valid = samples.map(encodeSwim)
    const mutated = fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }))
      .map(([bytes, edits]) => {
        const copy = bytes.slice()
        for (const [pos, value] of edits) if (copy.length > 0) copy[pos % copy.length] = value
        return copy
      })
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), mutated), (bytes) => {
      try {
        decodeSwim(bytes, MAX)
      } catch (err) {
        return (err as Error).name === 'DecodeError' || (err as Error).name === 'FrameTooLargeError'
      }
      return true
    }), { numRuns: 10_000, seed: 42 })
  })
  // issue 11: frames are assembled from cached update encodings; they must stay byte for byte what the
  // generated protobuf encoder writes, and decode to what it decoded.
  test('frames are byte-identical to the generated encoder, and decoding a cached update gives an equal, frozen object', () => {
    const text = fc.string({ maxLength: 12 })
    const id = fc.stringMatching(/^[\x21-\x7e]{1,20}$/)
    const update = fc.record({
      state: fc.constantFrom('alive', 'suspect', 'dead', 'left'),
      id,
      incarnation: fc.integer({ min: 0, max: 0xffff_ffff }),
      from: fc.oneof(fc.constant(''), id),
      meta: fc.record({ name: text, addrs: fc.array(text, { maxLength: 3 }), tags: fc.dictionary(fc.string({ maxLength: 5 }), text, { maxKeys: 3 }) }),
      signature: fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 }), { nil: undefined })
    }).map(u => (u.signature === undefined ? { state: u.state, id: u.id, incarnation: u.incarnation, from: u.from, meta: u.meta } : u) as MemberUpdate)
    const updates = fc.array(update, { maxLength: 4 })
    const seq = fc.integer({ min: 0, max: 0xffff_ffff })
    const message: fc.Arbitrary<SwimMessage> = fc.oneof(
      fc.record({ type: fc.constantFrom('ping', 'ack', 'nack'), seq, gossip: updates }) as fc.Arbitrary<SwimMessage>,
      fc.record({ type: fc.constant('pingReq'), seq, target: id, targetAddrs: fc.array(text, { maxLength: 3 }), gossip: updates }) as fc.Arbitrary<SwimMessage>,
      fc.record({ type: fc.constant('pushPull'), seq, page: fc.integer({ min: 0, max: 64 }), join: fc.boolean(), members: updates, gossip: updates, digest: fc.uint8Array({ minLength: 1, maxLength: 32 }), noReply: fc.constant(true) }, { requiredKeys: ['type', 'seq', 'page', 'join', 'members', 'gossip'] }) as fc.Arbitrary<SwimMessage>,
      fc.record({ type: fc.constant('pushPullReply'), seq, page: fc.integer({ min: 0, max: 64 }), members: updates, gossip: updates, digest: fc.uint8Array({ minLength: 1, maxLength: 32 }) }, { requiredKeys: ['type', 'seq', 'page', 'members', 'gossip'] }) as fc.Arbitrary<SwimMessage>,
      fc.record({ type: fc.constant('gossip'), gossip: updates }) as fc.Arbitrary<SwimMessage>
    )
    fc.assert(fc.property(message, (msg) => {
      const frame: Partial<SwimFrame> = { type: { ping: 1, ack: 2, nack: 3, pingReq: 4, pushPull: 5, pushPullReply: 6, gossip: 7 }[msg.type], gossip: msg.gossip.map(toWireUpdate) }
      if (msg.type !== 'gossip') frame.seq = msg.seq
      if (msg.type === 'pingReq') Object.assign(frame, { target: msg.target, targetAddrs: [...msg.targetAddrs] })
      if (msg.type === 'pushPull' || msg.type === 'pushPullReply') Object.assign(frame, { members: msg.members.map(toWireUpdate), page: msg.page })
      if (msg.type === 'pushPull') Object.assign(frame, { join: msg.join, noReply: msg.noReply === true })
      if ((msg.type === 'pushPull' || msg.type === 'pushPullReply') && msg.digest !== undefined) frame.digest = msg.digest as Uint8Array<ArrayBuffer>
      const bytes = encodeSwim(msg)
      expect(bytes).toEqual(SwimFrame.encode(frame))
      expect(encodeSwim(msg)).toEqual(bytes) // a second time, from the cache
      let first: SwimMessage | undefined
      try {
        first = decodeSwim(bytes, MAX)
      } catch {
        return // text with lone surrogates is refused, cached or not
      }
      const again = decodeSwim(bytes.slice(), MAX)
      expect(again).toEqual(first)
      for (const u of again.gossip) expect(Object.isFrozen(u) && (u.meta === undefined || Object.isFrozen(u.meta))).toBe(true)
      expect(encodeSwim(again)).toEqual(bytes)
    }), { numRuns: 500 })
  })
})
