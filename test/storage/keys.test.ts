import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  MAX_DOC_NAME_BYTES, decodeDocName, decodeStateKey, decodeUpdateKey, encodeDocName, prefixEnd, stateKey, updateKey,
  updatePrefix
} from '../../src/storage/keys.js'

const WEIRD_NAMES = [
  '', 'a', 'a\0b', 'a\0', '\0', '\u0001', '\u0001\u0002', '\0\u0001\0', 'd/x/u', '/', '..', 'ünï', '😀',
  'a\u0000\u0001\u00ff', ' ', 'x'.repeat(MAX_DOC_NAME_BYTES), '€'.repeat(Math.floor(MAX_DOC_NAME_BYTES / 3))
]

function inRange (key: Buffer, prefix: Buffer): boolean {
  return Buffer.compare(key, prefix) >= 0 && Buffer.compare(key, prefixEnd(prefix)) < 0
}

describe('key layout', () => {
  it.each(WEIRD_NAMES.map(name => [JSON.stringify(name).slice(0, 40), name]))('round-trips %s', (_label, name) => {
    const escaped = encodeDocName(name)
    expect(escaped.includes(0)).toBe(false)
    expect(decodeDocName(escaped)).toBe(name)
    expect(decodeStateKey(stateKey(escaped))).toBe(name)
    expect(decodeUpdateKey(updateKey(updatePrefix(escaped), 42))).toEqual({ doc: name, seq: 42 })
  })

  it('refuses overlong names and lone surrogates with InvalidDocNameError', () => {
    for (const bad of ['x'.repeat(MAX_DOC_NAME_BYTES + 1), '€'.repeat(342), 'a\uD800', '\uDC00b']) {
      expect(() => encodeDocName(bad)).toThrow(expect.objectContaining({ name: 'InvalidDocNameError' }))
    }
  })

  it('rejects bytes encodeDocName cannot produce', () => {
    expect(decodeDocName(Buffer.from([0x61, 0x00]))).toBeUndefined() // raw terminator
    expect(decodeDocName(Buffer.from([0x01, 0x03]))).toBeUndefined() // bad escape
    expect(decodeDocName(Buffer.from([0x01]))).toBeUndefined() // dangling escape
    expect(decodeDocName(Buffer.from([0xff]))).toBeUndefined() // not UTF-8
    expect(decodeUpdateKey(Buffer.from('s-not-an-update'))).toBeUndefined()
    expect(decodeStateKey(Buffer.from('u-not-a-state'))).toBeUndefined()
  })

  it('encodes seqs up to 2^53 and sorts them numerically', () => {
    const prefix = updatePrefix(encodeDocName('d'))
    const seqs = [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER]
    for (const seq of seqs) expect(decodeUpdateKey(updateKey(prefix, seq))?.seq).toBe(seq)
    for (let i = 1; i < seqs.length; i++) {
      expect(Buffer.compare(updateKey(prefix, seqs[i - 1] ?? 0), updateKey(prefix, seqs[i] ?? 0))).toBe(-1)
    }
  })

  it('gives every doc an update range no other doc\'s key falls into (property)', () => {
    // Names drawn from a small alphabet rich in the escape bytes, so that prefixes and escapes collide often.
    const name = fc.string({ unit: fc.constantFrom('a', 'b', '\0', '\u0001', '\u0002', 'é', '😀'), maxLength: 6 })
    fc.assert(fc.property(name, name, fc.nat({ max: 2 ** 40 }), (a, b, seq) => {
      const pa = updatePrefix(encodeDocName(a))
      const kb = updateKey(updatePrefix(encodeDocName(b)), seq)
      expect(inRange(kb, pa)).toBe(a === b)
      expect(decodeUpdateKey(kb)).toEqual({ doc: b, seq })
      expect(stateKey(encodeDocName(a)).equals(stateKey(encodeDocName(b)))).toBe(a === b)
    }), { numRuns: 2000, seed: 1 })
  })

  it('round-trips any well-formed string (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 64 }), s => {
      expect(decodeDocName(encodeDocName(s))).toBe(s)
    }), { numRuns: 300, seed: 2 })
  })
})
