/**
 * The length-prefix patch (src/net/length-prefix-patch.ts) must not change what a decoder yields: frames
 * cut at any byte boundaries into chunks (empty ones too) come out whole and in order, for Noise's 2-byte
 * big-endian prefix and for the default varint one; an oversized length is still refused. And the point of
 * the patch: the chunks that leave the buffer empty no longer construct an exception each.
 */
import fc from 'fast-check'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import * as varint from 'uint8-varint'
import { describe, expect, it } from 'vitest'
import { installQuietLengthDecoding } from '../../src/net/length-prefix-patch.js'

const SEED = 0x6c706466

/** Noise's length decoder (encoder.ts in @chainsafe/libp2p-noise), written out: 2 bytes big-endian. */
function uint16BE (data: { byteLength: number, get: (i: number) => number } | Uint8Array): number {
  if (data.byteLength < 2) throw new RangeError('Could not decode int16BE')
  const at = (i: number): number => data instanceof Uint8Array ? data[i] as number : data.get(i)
  return (at(0) << 8) | at(1)
}

function framed (payloads: Uint8Array[], prefix: 'uint16' | 'varint'): Uint8Array {
  const parts = payloads.map(p => prefix === 'uint16'
    ? Uint8Array.from([p.byteLength >> 8, p.byteLength & 0xff, ...p])
    : Uint8Array.from([...varint.encode(p.byteLength), ...p]))
  return Uint8Array.from(parts.flatMap(p => [...p]))
}

function decoderFor (prefix: 'uint16' | 'varint'): LengthPrefixedDecoder {
  return prefix === 'uint16'
    ? new LengthPrefixedDecoder({ lengthDecoder: uint16BE as never, encodingLength: () => 2, maxDataLength: 60_000 })
    : new LengthPrefixedDecoder({ maxDataLength: 60_000 })
}

describe('length-prefixed decoding with the patch', () => {
  it('applies', () => {
    expect(installQuietLengthDecoding()).toBe(true)
  })

  for (const prefix of ['uint16', 'varint'] as const) {
    it(`yields every frame whole and in order, however the bytes are cut (${prefix} prefix)`, () => {
      installQuietLengthDecoding()
      fc.assert(fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 60 }),
        (payloads, cuts) => {
          const bytes = framed(payloads, prefix)
          const decoder = decoderFor(prefix)
          const out: number[][] = []
          let at = 0
          for (const cut of cuts) {
            const end = Math.min(bytes.byteLength, at + cut)
            for (const f of decoder.decode(bytes.subarray(at, end))) out.push([...f.subarray()])
            at = end
          }
          for (const f of decoder.decode(bytes.subarray(at))) out.push([...f.subarray()])
          expect(out).toEqual(payloads.map(p => [...p]))
        }), { seed: SEED + (prefix === 'uint16' ? 0 : 1), numRuns: 300 })
    })
  }

  it('still refuses a length over the limit', () => {
    installQuietLengthDecoding()
    const decoder = decoderFor('uint16')
    expect(() => [...decoder.decode(Uint8Array.from([0xff, 0xff, 1, 2, 3]))]).toThrow(/length/i)
  })

  it('constructs no exception for a chunk that leaves the buffer empty', () => {
    installQuietLengthDecoding()
    const decoder = decoderFor('uint16')
    const chunk = framed([Uint8Array.from([1, 2, 3])], 'uint16')
    const constructed: string[] = []
    const Original = globalThis.RangeError
    // Counts RangeErrors built while decoding: before the patch, one per chunk.
    globalThis.RangeError = new Proxy(Original, { construct (target, args: [string?]) { constructed.push(String(args[0])); return new target(...args) } })
    try {
      for (let i = 0; i < 100; i++) for (const f of decoder.decode(chunk)) expect(f.byteLength).toBe(3)
    } finally {
      globalThis.RangeError = Original
    }
    expect(constructed).toEqual([])
  })
})
