import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DecodeError, FrameTooLargeError } from '../../src/core/errors.js'
import { SYNC_LIMITS, checkDocName, decodeSync, digestEntryBytes, encodeSync } from '../../src/replication/codec.js'
import type { SyncMessage } from '../../src/replication/codec.js'
import { SyncFrame } from '../../src/replication/wire.js'
import { syncMessageArb } from '../fuzz/frames.js'

const SEED = 0x636f6463
const runs = (n: number): { seed: number, numRuns: number } => ({ seed: SEED, numRuns: n })
const MAX = 1024 * 1024

const docArb = fc.string({ minLength: 1, maxLength: 40 }).filter(s => {
  try { checkDocName(s); return true } catch { return false }
})
const messageArb: fc.Arbitrary<SyncMessage> = syncMessageArb(docArb, { vector: 8, update: 200, entries: 10, others: 5, hints: 4, chunk: 100 })

/** Decoding either yields a message or throws DecodeError (FrameTooLargeError is one); nothing else. */
function decodesOrRejects (bytes: Uint8Array): SyncMessage | undefined {
  try {
    return decodeSync(bytes, MAX)
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError)
    return undefined
  }
}

describe('sync codec', () => {
  it('round-trips every message type', () => {
    fc.assert(fc.property(messageArb, (msg) => {
      expect(decodeSync(encodeSync(msg), MAX)).toEqual(msg)
    }), runs(1000))
  })

  it('rejects every truncation of a valid frame', () => {
    fc.assert(fc.property(messageArb, fc.nat(), (msg, cut) => {
      const bytes = encodeSync(msg)
      const truncated = bytes.subarray(0, cut % bytes.byteLength)
      expect(() => decodeSync(truncated, MAX)).toThrow(DecodeError)
    }), runs(1000))
  })

  it('rejects oversized frames before parsing', () => {
    const big = encodeSync({ type: 'update', doc: 'd', update: new Uint8Array(2000), ackId: 0, spread: false })
    expect(() => decodeSync(big, 1000)).toThrow(FrameTooLargeError)
    expect(() => decodeSync(new Uint8Array(0), MAX)).toThrow(DecodeError)
  })

  it('never throws anything but DecodeError on garbage', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const msg = decodesOrRejects(bytes)
      if (msg !== undefined) expect(decodeSync(encodeSync(msg), MAX)).toEqual(msg)
    }), runs(3000))
  })

  it('never throws anything but DecodeError on mutated frames', () => {
    fc.assert(fc.property(messageArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (msg, flips) => {
      const bytes = encodeSync(msg).slice()
      for (const [at, value] of flips) bytes[at % bytes.byteLength] = value
      decodesOrRejects(bytes)
    }), runs(3000))
  })

  it('enforces the named limits', () => {
    // Frames as a peer could send them: nested messages may leave fields out (they decode as defaults).
    const frame = (f: object): Uint8Array => SyncFrame.encode(f as Partial<SyncFrame>)
    const digest = new Uint8Array(16)
    const reject = (bytes: Uint8Array, why: string): void => { expect(() => decodeSync(bytes, 64 * MAX), why).toThrow(DecodeError) }
    reject(frame({ type: 99 }), 'unknown type')
    reject(frame({ type: 4 }), 'missing body')
    reject(frame({ type: 4, update: { doc: 'd', update: new Uint8Array(2), ackId: 0, spread: false }, ack: { doc: 'd', ackId: 1, vector: [], durable: false } }), 'two bodies')
    reject(frame({ type: 4, update: { doc: 'x'.repeat(SYNC_LIMITS.docNameChars + 1), update: new Uint8Array(2), ackId: 0, spread: false } }), 'long name')
    reject(frame({ type: 4, update: { doc: 'a\nb', update: new Uint8Array(2), ackId: 0, spread: false } }), 'control char')
    reject(frame({ type: 4, update: { doc: '', update: new Uint8Array(2), ackId: 0, spread: false } }), 'empty name')
    reject(frame({ type: 4, update: { doc: 'd', update: new Uint8Array(1), ackId: 0, spread: false } }), 'short update')
    reject(frame({ type: 1, digests: { session: 1, page: 0, pages: 1, full: true, entries: [{ doc: 'd', digest: new Uint8Array(15) }], scope: 0, buckets: [] } }), 'digest length')
    reject(frame({ type: 1, digests: { session: 1, page: 0, pages: 1, full: true, entries: [{ doc: 'd', digest }, { doc: 'd', digest }], scope: 0, buckets: [] } }), 'duplicate doc')
    reject(frame({ type: 1, digests: { session: 1, page: 1, pages: 1, full: true, entries: [], scope: 0, buckets: [] } }), 'page ≥ pages')
    reject(frame({ type: 1, digests: { session: 1, page: 0, pages: SYNC_LIMITS.pages + 1, full: true, entries: [], scope: 0, buckets: [] } }), 'too many pages')
    const tooMany = Array.from({ length: SYNC_LIMITS.docsPerFrame + 1 }, (_, i) => ({ doc: `d${i}`, digest }))
    reject(frame({ type: 1, digests: { session: 1, page: 0, pages: 1, full: true, entries: tooMany, scope: 0, buckets: [] } }), 'too many entries')
    reject(frame({ type: 2, digestsReply: { session: 1, page: 0, hosted: new Uint8Array(1), differing: 0, others: [], hints: [{ doc: 'd', peers: ['a', 'b', 'c', 'd', 'e'] }], equal: new Uint8Array(0), durable: false } }), 'too many hint peers')
    reject(frame({ type: 2, digestsReply: { session: 1, page: 0, hosted: new Uint8Array(1), differing: 0, others: [], hints: [{ doc: 'd', peers: ['has space'] }], equal: new Uint8Array(0), durable: false } }), 'bad peer id')
    reject(frame({ type: 3, syncDoc: { session: 1, step: 1, doc: 'd', vector: [{ replica: 1, clock: 1 }, { replica: 1, clock: 2 }], update: new Uint8Array(0), durable: false } }), 'duplicate replica')
    reject(frame({ type: 3, syncDoc: { session: 1, step: 1, doc: 'd', vector: [{ replica: 1, clock: 0 }], update: new Uint8Array(0), durable: false } }), 'zero clock')
    reject(frame({ type: 3, syncDoc: { session: 1, step: 1, doc: 'd', vector: [], update: new Uint8Array(4), durable: false } }), 'step 1 with update')
    reject(frame({ type: 1, digests: { session: 1, page: 0, pages: 1, full: false, entries: [], scope: 7, buckets: [] } }), 'unknown scope')
    reject(frame({ type: 1, digests: { session: 1, page: 0, pages: 1, full: false, entries: [], scope: 0, buckets: [1] } }), 'buckets outside a shared listing')
    reject(frame({ type: 1, digests: { session: 1, page: 0, pages: 1, full: false, entries: [], scope: 1, buckets: [SYNC_LIMITS.summaryBuckets] } }), 'bucket out of range')
    reject(frame({ type: 7, summary: { session: 1, root: new Uint8Array(7), count: 0 } }), 'short root')
    reject(frame({ type: 8, summaryReply: { session: 1, equal: false, buckets: new Uint8Array(12) } }), 'bucket hashes not 8 bytes each')
    reject(frame({ type: 8, summaryReply: { session: 1, equal: false, buckets: new Uint8Array(3 * 8) } }), 'groups not a power of two')
    reject(frame({ type: 8, summaryReply: { session: 1, equal: false, buckets: new Uint8Array(SYNC_LIMITS.summaryBuckets * 16) } }), 'more groups than buckets')
    const digests = { session: 1, page: 0, pages: 1, full: false, entries: [], buckets: [] }
    const names = new Uint8Array(8)
    const marks = new Uint8Array(4)
    reject(frame({ type: 1, digests: { ...digests, scope: 1, buckets: [1], groups: 3 } }), 'groups not a power of two')
    reject(frame({ type: 1, digests: { ...digests, scope: 1, buckets: [4], groups: 4 } }), 'group past groups')
    reject(frame({ type: 1, digests: { ...digests, scope: 0, groups: 4 } }), 'groups outside a shared listing')
    reject(frame({ type: 1, digests: { ...digests, scope: 2, names: new Uint8Array(7), marks: new Uint8Array(4) } }), 'name hashes not 4 bytes each')
    reject(frame({ type: 1, digests: { ...digests, scope: 2, names, marks: new Uint8Array(3) } }), 'marks not 2 bytes per name')
    reject(frame({ type: 1, digests: { ...digests, scope: 2, marks } }), 'marks without names')
    reject(frame({ type: 1, digests: { ...digests, scope: 1, names, marks } }), 'compact page outside a handoff')
    reject(frame({ type: 1, digests: { ...digests, scope: 2, entries: [{ doc: 'd', digest }], names, marks } }), 'compact page with entries')
    reject(frame({ type: 1, digests: { ...digests, scope: 2, names: new Uint8Array(4 * (SYNC_LIMITS.docsPerFrame + 1)), marks: new Uint8Array(2 * (SYNC_LIMITS.docsPerFrame + 1)) } }), 'too many compact names')
    const reply = { session: 1, page: 0, hosted: new Uint8Array(1), differing: 0, others: [], hints: [], equal: new Uint8Array(1), durable: false }
    reject(frame({ type: 2, digestsReply: { ...reply, unresolved: new Uint8Array(2), proof: new Uint8Array(16) } }), 'unresolved not the size of hosted')
    reject(frame({ type: 2, digestsReply: { ...reply, unresolved: new Uint8Array(1), proof: new Uint8Array(15) } }), 'short proof')
    reject(frame({ type: 2, digestsReply: { ...reply, open: new Uint8Array(2) } }), 'open marks not the size of hosted')
    reject(frame({ type: 1, digests: { ...digests, scope: 0, entries: [{ doc: 'd', digest }], open: new Uint8Array(2) } }), 'open marks not one bit per entry')
    reject(frame({ type: 1, digests: { ...digests, scope: 2, entries: [{ doc: 'd', digest }], open: new Uint8Array(1) } }), 'open marks outside a plain listing')
    reject(frame({ type: 3, syncDoc: { session: 1, step: 2, doc: 'd', vector: [], update: new Uint8Array(4), durable: false, digest: new Uint8Array(15) } }), 'short step-2 digest')
    reject(frame({ type: 8, summaryReply: { session: 1, equal: true, buckets: new Uint8Array(SYNC_LIMITS.summaryBuckets * 8) } }), 'equal with buckets')
    reject(frame({ type: 8, summaryReply: { session: 1, equal: false, buckets: new Uint8Array(0), later: true } }), 'later without equal')
    reject(frame({ type: 3, syncDoc: { session: 1, step: 3, doc: 'd', vector: [{ replica: 1, clock: 1 }], update: new Uint8Array(2), durable: true, covers: true } }), 'step 3 covers with a vector')
    reject(frame({ type: 9, syncBatch: { steps: [] } }), 'empty batch')
    reject(frame({ type: 9, syncBatch: { steps: [{ session: 1, step: 1, doc: '', vector: [], update: new Uint8Array(0), durable: false }] } }), 'bad step in a batch')
    reject(frame({ type: 3, syncDoc: { session: 1, step: 2, doc: 'd', vector: [], update: new Uint8Array(0), durable: false } }), 'step 2 without update')
    reject(frame({ type: 3, syncDoc: { session: 1, step: 7, doc: 'd', vector: [], update: new Uint8Array(4), durable: false } }), 'unknown step')
    reject(frame({ type: 5, ack: { doc: 'd', ackId: 0, vector: [], durable: false } }), 'ack id 0')
    reject(frame({ type: 6, chunk: { transfer: 1, index: 2, count: 2, data: new Uint8Array(1) } }), 'index ≥ count')
    reject(frame({ type: 6, chunk: { transfer: 1, index: 0, count: 1, data: new Uint8Array(1) } }), 'single chunk')
    reject(frame({ type: 6, chunk: { transfer: 1, index: 0, count: 2, data: new Uint8Array(0) } }), 'empty chunk')
    reject(frame({ type: 6, chunk: { transfer: 1, index: 0, count: SYNC_LIMITS.chunksPerTransfer + 1, data: new Uint8Array(1) } }), 'too many chunks')
    const chunk = frame({ type: 6, chunk: { transfer: 1, index: 0, count: 2, data: new Uint8Array(1) } })
    expect(() => decodeSync(chunk, MAX, { allowChunk: false })).toThrow(DecodeError)
  })

  it('decodes a digests reply from a peer that does not say whether it trimmed it as untrimmed', () => {
    // `trimmed` (field 11) is newer than the reply: a frame without it is an old peer's, and reads as not trimmed.
    const reply = { session: 1, page: 0, hosted: new Uint8Array(1), differing: 0, others: [], hints: [], equal: new Uint8Array(0), durable: true }
    const frame: object = { type: 2, digestsReply: reply }
    const old = decodeSync(SyncFrame.encode(frame as Partial<SyncFrame>), MAX)
    expect(old).toEqual({ type: 'digestsReply', ...reply })
    expect(old.type === 'digestsReply' && old.trimmed).toBeUndefined()
    const trimmed = decodeSync(encodeSync({ type: 'digestsReply', ...reply, trimmed: true }), MAX)
    expect(trimmed.type === 'digestsReply' && trimmed.trimmed).toBe(true)
  })

  it('decodes frames from a peer that does not say what it holds open as saying nothing', () => {
    // `open` (Update field 5, Digests 11, DigestsReply 12) is newer than the frames: absent, it is not said.
    const update = decodeSync(SyncFrame.encode({ type: 4, update: { doc: 'd', update: new Uint8Array(2), ackId: 0, spread: false } } as Partial<SyncFrame>), MAX)
    expect(update.type === 'update' && 'open' in update).toBe(false)
    const closed = decodeSync(encodeSync({ type: 'update', doc: 'd', update: new Uint8Array(2), ackId: 0, spread: false, open: false }), MAX)
    expect(closed.type === 'update' && closed.open).toBe(false) // said: not open (not the same as not said)
    const listing = decodeSync(encodeSync({ type: 'digests', session: 1, page: 0, pages: 1, full: false, entries: [{ doc: 'd', digest: new Uint8Array(16) }], scope: 'plain', buckets: [] }), MAX)
    expect(listing.type === 'digests' && listing.open).toBeUndefined()
  })

  it('decodes a summary reply from a peer that does not say whether it is catching up as not catching up', () => {
    // `catchingUp` (field 6) is newer than the reply: a frame without it is an old peer's.
    const reply = { session: 1, equal: true, buckets: new Uint8Array(0) }
    const old = decodeSync(SyncFrame.encode({ type: 8, summaryReply: reply } as Partial<SyncFrame> as SyncFrame), MAX)
    expect(old).toEqual({ type: 'summaryReply', ...reply })
    const told = decodeSync(encodeSync({ type: 'summaryReply', ...reply, catchingUp: true }), MAX)
    expect(told.type === 'summaryReply' && told.catchingUp).toBe(true)
  })

  it('sizes digest entries exactly', () => {
    fc.assert(fc.property(docArb, (doc) => {
      const one = encodeSync({ type: 'digests', session: 0, page: 0, pages: 1, full: false, entries: [{ doc, digest: new Uint8Array(16) }], scope: 'plain', buckets: [] })
      const none = encodeSync({ type: 'digests', session: 0, page: 0, pages: 1, full: false, entries: [], scope: 'plain', buckets: [] })
      // The body's length prefix may grow by a byte; the entry itself is exact.
      expect(one.byteLength - none.byteLength - digestEntryBytes(doc)).toBeLessThanOrEqual(1)
      expect(one.byteLength - none.byteLength).toBeGreaterThanOrEqual(digestEntryBytes(doc))
    }), runs(200))
  })
})
