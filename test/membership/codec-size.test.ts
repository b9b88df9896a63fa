/** The arithmetic size of an encoded update (codec.ts encodedUpdateSize) matches what protons writes. */
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { varintLength } from '../../src/core/codec.js'
import { encodedUpdateSize, toWireUpdate } from '../../src/membership/codec.js'
import type { MemberUpdate } from '../../src/membership/member.js'
import { MemberUpdate as WireUpdate } from '../../src/membership/wire.js'

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }))
const update: fc.Arbitrary<MemberUpdate> = fc.record({
  state: fc.constantFrom('alive', 'suspect', 'dead', 'left'),
  id: text,
  incarnation: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff_ffff })),
  from: text,
  meta: fc.option(fc.record({ name: text, addrs: fc.array(text, { maxLength: 4 }), tags: fc.dictionary(text, text, { maxKeys: 5 }) }), { nil: undefined }),
  signature: fc.option(fc.uint8Array({ minLength: 1, maxLength: 128 }), { nil: undefined })
}, { requiredKeys: ['state', 'id', 'incarnation', 'from'] })

describe('encodedUpdateSize', () => {
  test('equals the encoded size of the update inside a frame (field tag + length prefix + body)', () => {
    fc.assert(fc.property(update, (u) => {
      const len = WireUpdate.encode(toWireUpdate(u)).byteLength
      expect(encodedUpdateSize(u)).toBe(1 + varintLength(len) + len)
    }), { numRuns: 2_000, seed: 42 })
  })
})
