/**
 * The datagram wire format (src/net/datagram-seal.ts): what is sealed opens with its key and nothing else,
 * any changed byte fails, and the replay window takes each counter once.
 */
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DATAGRAM_OVERHEAD, DATAGRAM_VERSION, DatagramKind, HEADER_BYTES, RESET_BYTES, RESET_MARK, ReplayWindow, encodeReset, keyIdText, open, readHeader, readReset, resetSecretOf, resetToken, sameToken, seal } from '../../src/net/datagram-seal.js'

const key = randomBytes(32)
const keyId = randomBytes(8)

describe('sealing a datagram', () => {
  it('opens with its key to the same kind and payload, and the header names the key and counter', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1200 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom(0, 1, 2), (payload, counter, kind) => {
      const packet = seal(key, keyId, counter, kind as DatagramKind, payload)
      expect(packet.byteLength).toBe(payload.byteLength + DATAGRAM_OVERHEAD)
      expect(readHeader(packet)).toEqual({ keyId: keyIdText(keyId), counter })
      const opened = open(key, packet)
      expect(opened?.kind).toBe(kind)
      expect([...opened?.payload ?? []]).toEqual([...payload])
    }))
  })

  it('fails to open after any one byte changes (header included), or with another key', () => {
    const packet = seal(key, keyId, 7, DatagramKind.frame, new TextEncoder().encode('ping with gossip'))
    for (let i = 0; i < packet.byteLength; i++) {
      const bent = packet.slice()
      bent[i] = (bent[i] as number) ^ 0x01
      expect(open(key, bent), `byte ${i}`).toBeUndefined()
    }
    expect(open(randomBytes(32), packet)).toBeUndefined()
    expect(open(key, packet.subarray(0, packet.byteLength - 1))).toBeUndefined()
  })

  it('reads no header from what is too short or of another version', () => {
    expect(readHeader(new Uint8Array(DATAGRAM_OVERHEAD - 1).fill(DATAGRAM_VERSION))).toBeUndefined()
    const other = seal(key, keyId, 1, DatagramKind.frame, new Uint8Array(4))
    other[0] = DATAGRAM_VERSION + 1
    expect(readHeader(other)).toBeUndefined()
    expect(HEADER_BYTES).toBe(17)
  })

  it('refuses a kind it does not know even when authentic', () => {
    const packet = seal(key, keyId, 1, 9 as DatagramKind, new Uint8Array(3))
    expect(open(key, packet)).toBeUndefined()
  })
})

describe('the replay window', () => {
  it('takes every counter once, in any order within 64 of the highest, and nothing older or non-positive', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -2, max: 300 }), { maxLength: 400 }), (counters) => {
      const w = new ReplayWindow()
      const seen = new Set<number>()
      let highest = 0
      for (const c of counters) {
        const fresh = c > 0 && !seen.has(c) && c > highest - 64
        expect(w.accept(c), `counter ${c} after highest ${highest}`).toBe(fresh)
        if (fresh) {
          seen.add(c)
          highest = Math.max(highest, c)
        }
      }
    }))
  })

  it('takes a counter far ahead, then nothing 64 or more behind it', () => {
    const w = new ReplayWindow()
    expect(w.accept(1)).toBe(true)
    expect(w.accept(10_000)).toBe(true)
    expect(w.accept(9_937)).toBe(true)
    expect(w.accept(9_936)).toBe(false)
    expect(w.accept(1)).toBe(false)
    expect(w.accept(10_000)).toBe(false)
  })
})

describe('a key reset', () => {
  it('carries a token only the identity that issued the key can make, per key, and reads back', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 64 }), fc.uint8Array({ minLength: 32, maxLength: 64 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), (idA, idB, k1, k2) => {
      const a = resetSecretOf(idA)
      const token = resetToken(a, k1)
      expect(sameToken(token, resetToken(resetSecretOf(idA), k1))).toBe(true) // a restarted process makes it again
      if (Buffer.compare(Buffer.from(idA), Buffer.from(idB)) !== 0) expect(sameToken(token, resetToken(resetSecretOf(idB), k1))).toBe(false)
      if (Buffer.compare(Buffer.from(k1), Buffer.from(k2)) !== 0) expect(sameToken(token, resetToken(a, k2))).toBe(false)
      const packet = encodeReset(k1, token)
      expect(packet.byteLength).toBe(RESET_BYTES)
      expect(packet.byteLength).toBeLessThan(DATAGRAM_OVERHEAD) // never more bytes back than the datagram it answers
      const read = readReset(packet)
      expect(read?.keyId).toBe(keyIdText(k1))
      expect(sameToken(read?.token ?? new Uint8Array(0), token)).toBe(true)
    }), { seed: 0x7e5e7, numRuns: 200 })
  })

  it('is told apart from a datagram, and anything else is not one', () => {
    const packet = encodeReset(keyId, resetToken(randomBytes(32), keyId))
    expect(packet[0]).toBe(RESET_MARK)
    expect(RESET_MARK).not.toBe(DATAGRAM_VERSION)
    expect(readHeader(packet)).toBeUndefined()
    expect(readReset(seal(key, keyId, 1, DatagramKind.frame, new Uint8Array(8)))).toBeUndefined()
    expect(readReset(packet.subarray(0, RESET_BYTES - 1))).toBeUndefined()
    expect(readReset(new Uint8Array([...packet, 0]))).toBeUndefined()
    expect(sameToken(new Uint8Array(16), new Uint8Array(15))).toBe(false)
  })
})
