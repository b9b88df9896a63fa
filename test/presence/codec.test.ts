/**
 * Presence codec: round trips, and every malformed frame is a DecodeError (never anything else, never a
 * partly applied frame).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PRESENCE_LIMITS, decodePresence, encodePresence } from '../../src/presence/codec.js'
import type { PresenceMessage } from '../../src/presence/codec.js'
import { PresenceFrame } from '../../src/presence/wire.js'

const MAX = 256 * 1024
const roundTrip = (m: PresenceMessage): PresenceMessage => decodePresence(encodePresence(m), MAX)
const raw = (f: PresenceFrame): Uint8Array => PresenceFrame.encode(f)

describe('presence codec', () => {
  it('round-trips states, view requests and view replies', () => {
    const states: PresenceMessage = { type: 'states', doc: 'notes', hello: true, bye: false, entries: [{ clientId: 0xffff_ffff, clock: 2 ** 40, state: '{"user":{"name":"Ada"}}' }, { clientId: 7, clock: 3, state: null }] }
    expect(roundTrip(states)).toEqual(states)
    expect(roundTrip({ type: 'states', doc: 'x', hello: false, bye: true, entries: [] })).toEqual({ type: 'states', doc: 'x', hello: false, bye: true, entries: [] })
    expect(roundTrip({ type: 'viewRequest', nonce: 42 })).toEqual({ type: 'viewRequest', nonce: 42 })
    const reply: PresenceMessage = {
      type: 'viewReply',
      nonce: 9,
      view: { name: 'alpha', http: 'http://127.0.0.1:8080', members: [{ id: '12D3KooWabc', name: 'alpha', state: 'suspect', incarnation: 3 }], docs: [{ name: 'notes', digest: 'ab12' }], blocked: ['12D3KooWxyz'], truncated: false }
    }
    expect(roundTrip(reply)).toEqual(reply)
  })

  it.each([
    ['an unknown type', raw({ type: 9 })],
    ['no body', raw({ type: 1 })],
    ['two bodies', raw({ type: 1, states: { doc: 'd', flags: 0, entries: [] }, viewRequest: { nonce: 1 } })],
    ['hello and bye at once', raw({ type: 1, states: { doc: 'd', flags: 3, entries: [] } })],
    ['unknown flags', raw({ type: 1, states: { doc: 'd', flags: 4, entries: [] } })],
    ['a bye with entries', raw({ type: 1, states: { doc: 'd', flags: 2, entries: [{ client: 1, clock: 1, state: '{}' }] } })],
    ['an empty doc name', raw({ type: 1, states: { doc: '', flags: 0, entries: [] } })],
    ['a control character in the doc name', raw({ type: 1, states: { doc: 'a\u0000b', flags: 0, entries: [] } })],
    ['a client listed twice', raw({ type: 1, states: { doc: 'd', flags: 0, entries: [{ client: 1, clock: 1, state: '1' }, { client: 1, clock: 2, state: '2' }] } })],
    ['a state that is not JSON', raw({ type: 1, states: { doc: 'd', flags: 0, entries: [{ client: 1, clock: 1, state: '{nope' }] } })],
    ['a state over the limit', raw({ type: 1, states: { doc: 'd', flags: 0, entries: [{ client: 1, clock: 1, state: JSON.stringify('x'.repeat(PRESENCE_LIMITS.stateChars)) }] } })],
    ['a state with a lone surrogate', raw({ type: 1, states: { doc: 'd', flags: 0, entries: [{ client: 1, clock: 1, state: '"\uD800"' }] } })],
    // 6,000 levels fit in 16 Ki chars; JSON.parse takes them, JSON.stringify overflows the stack (GET /docs/:name/presence answered 500 on every peer).
    ['a state nested deeper than the limit', raw({ type: 1, states: { doc: 'd', flags: 0, entries: [{ client: 1, clock: 1, state: `${'['.repeat(PRESENCE_LIMITS.stateDepth + 1)}${']'.repeat(PRESENCE_LIMITS.stateDepth + 1)}` }] } })],
    ['a state nested 6,000 levels deep', raw({ type: 1, states: { doc: 'd', flags: 0, entries: [{ client: 1, clock: 1, state: `${'['.repeat(6_000)}${']'.repeat(6_000)}` }] } })],
    ['too many entries', raw({ type: 1, states: { doc: 'd', flags: 0, entries: Array.from({ length: PRESENCE_LIMITS.entriesPerFrame + 1 }, (_, i) => ({ client: i, clock: 1 })) } })],
    ['a view reply with an unknown member state', raw({ type: 3, viewReply: { nonce: 1, name: 'n', members: [{ id: 'abc', name: 'a', state: 9, incarnation: 0 }], docs: [], truncated: false, blocked: [] } })],
    ['a view reply with a non-http address', raw({ type: 3, viewReply: { nonce: 1, name: 'n', http: 'javascript:alert(1)', members: [], docs: [], truncated: false, blocked: [] } })],
    ['a view reply with a peer id that is not one', raw({ type: 3, viewReply: { nonce: 1, name: 'n', members: [], docs: [], truncated: false, blocked: ['a b'] } })],
    ['garbage', new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])],
    ['an empty frame', new Uint8Array(0)]
  ])('refuses %s with a DecodeError', (_name, bytes) => {
    expect(() => decodePresence(bytes, MAX)).toThrow(expect.objectContaining({ name: expect.stringMatching(/DecodeError$/) }))
  })

  it('accepts a state nested up to the limit, and brackets inside its strings do not count', () => {
    for (const state of [`${'['.repeat(PRESENCE_LIMITS.stateDepth)}${']'.repeat(PRESENCE_LIMITS.stateDepth)}`, JSON.stringify({ name: '['.repeat(5_000) })]) {
      const m: PresenceMessage = { type: 'states', doc: 'd', hello: false, bye: false, entries: [{ clientId: 1, clock: 1, state }] }
      expect(roundTrip(m)).toEqual(m)
    }
  })

  it('refuses a frame above the limit before parsing it (FrameTooLargeError)', () => {
    expect(() => decodePresence(new Uint8Array(1025), 1024)).toThrow(expect.objectContaining({ name: 'FrameTooLargeError' }))
  })

  it('random and mutated frames: a typed message or a DecodeError, nothing else', () => {
    const valid = encodePresence({ type: 'states', doc: 'notes', hello: false, bye: false, entries: [{ clientId: 5, clock: 9, state: '{"a":[1,2,3]}' }] })
    fc.assert(fc.property(fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => { const m = valid.slice(); m[i] = b; return m })
    ), (bytes) => {
      try {
        const m = decodePresence(bytes, MAX)
        expect(['states', 'viewRequest', 'viewReply']).toContain(m.type)
      } catch (err) {
        expect((err as Error).name).toMatch(/DecodeError$/)
      }
    }), { numRuns: 5000, seed: 1209 })
  })
})
