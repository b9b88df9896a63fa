/**
 * Hostile sync input: frames go straight into the replicator's handler (no simulator in between, so even
 * oversized frames reach it). Whatever arrives, the handler never throws, bad frames are counted, and a
 * rejected frame leaves every doc as it was.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { FakeTransport } from '../helpers/fake-transport.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { createLogger } from '../../src/core/logger.js'
import { SeededRandom } from '../../src/core/random.js'
import { DEFAULT_MAX_FRAME_BYTES } from '../../src/core/transport.js'
import { encodeSync } from '../../src/replication/codec.js'
import type { SyncMessage } from '../../src/replication/codec.js'
import { MemoryDocStore } from '../../src/replication/memory-store.js'
import { Replicator } from '../../src/replication/replicator.js'
import type { ReplicationInit } from '../../src/replication/config.js'

function victim (config: ReplicationInit = {}): { r: Replicator, t: FakeTransport, clock: ManualClock } {
  const t = new FakeTransport()
  const clock = new ManualClock()
  const r = new Replicator({
    transport: t,
    clock,
    random: new SeededRandom(1),
    store: new MemoryDocStore(),
    log: createLogger((level, _c, message, fields) => { if (process.env.MURMUR_DEBUG !== undefined) console.log(level, message, JSON.stringify(fields)) }, 'warn'),
    peers: { alivePeers: () => ['evil', 'friend'], addressesOf: () => [], onPeerAlive: () => () => {} }
  }, { profile: 'sim', config })
  r.start()
  return { r, t, clock }
}

async function withDoc (config: ReplicationInit = {}): Promise<{ r: Replicator, t: FakeTransport, clock: ManualClock }> {
  const v = victim(config)
  await v.r.open('doc')
  await v.r.write('doc', d => {
    d.getMap('kv').set('a', 1)
    d.getText('text').insert(0, 'hello world')
    d.getText('text').delete(0, 6)
  })
  return v
}

function realUpdate (): Uint8Array {
  const d = new Y.Doc()
  d.getMap('kv').set('b', 2)
  d.getText('text').insert(0, 'x'.repeat(50))
  return Y.encodeStateAsUpdate(d)
}

const valid: SyncMessage[] = [
  { type: 'digests', session: 1, page: 0, pages: 1, full: true, entries: [{ doc: 'doc', digest: new Uint8Array(16) }], scope: 'plain', buckets: [] },
  { type: 'digestsReply', session: 1, page: 0, hosted: new Uint8Array([1]), differing: 1, others: ['x'], hints: [], equal: new Uint8Array([1]), durable: true },
  { type: 'syncDoc', session: 1, doc: 'doc', step: 'vector', vector: new Map([[1, 1]]) },
  { type: 'syncDoc', session: 1, doc: 'doc', step: 'diffAndVector', vector: new Map(), update: realUpdate() },
  { type: 'syncDoc', session: 1, doc: 'doc', step: 'diff', update: realUpdate(), vector: new Map(), durable: true },
  { type: 'update', doc: 'doc', update: realUpdate(), ackId: 3, spread: false },
  { type: 'ack', doc: 'doc', ackId: 9, vector: new Map([[1, 1]]), durable: true },
  { type: 'chunk', transfer: 1, index: 0, count: 3, data: new Uint8Array(10) }
]
const validFrames = valid.map(encodeSync)

describe('hostile sync frames', () => {
  it('drops garbage, truncated, mutated and oversized frames without touching state', async () => {
    const { r, t } = await withDoc()
    const frameArb = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.tuple(fc.constantFrom(...validFrames), fc.nat()).map(([f, cut]) => f.subarray(0, cut % f.byteLength)),
      fc.tuple(fc.constantFrom(...validFrames), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 3 })).map(([f, flips]) => {
        const copy = f.slice()
        for (const [at, v] of flips) copy[at % copy.byteLength] = v
        return copy
      })
    )
    fc.assert(fc.property(frameArb, (frame) => {
      // A mutation can also yield a valid frame, which may legitimately change the doc: compare per frame.
      const before = r.stats()
      const digest = r.digest('doc')
      expect(() => { t.inject('evil', frame) }).not.toThrow()
      const after = r.stats()
      expect(after.handlerErrors).toBe(0)
      if (after.decodeErrors > before.decodeErrors) expect(r.digest('doc')).toBe(digest)
    }), { seed: 0x686f7374, numRuns: 2000 })
    const before = r.stats().decodeErrors
    t.inject('evil', new Uint8Array(DEFAULT_MAX_FRAME_BYTES.sync + 1))
    expect(r.stats().decodeErrors).toBe(before + 1)
    r.stop()
  })

  it('rejects a malformed Yjs update before applying it', async () => {
    const { r, t } = await withDoc()
    const digest = r.digest('doc')
    const update = realUpdate()
    for (const bad of [update.subarray(0, update.byteLength - 3), update.subarray(0, 5), new Uint8Array([200, 200, 200, 200])]) {
      const before = r.stats().decodeErrors
      t.inject('evil', encodeSync({ type: 'update', doc: 'doc', update: bad, ackId: 0, spread: false }))
      t.inject('evil', encodeSync({ type: 'syncDoc', session: 1, doc: 'doc', step: 'diff', update: bad, vector: new Map(), durable: true }))
      expect(r.stats().decodeErrors).toBe(before + 2)
      expect(r.digest('doc')).toBe(digest)
    }
    expect(r.stats().handlerErrors).toBe(0)
    r.stop()
  })

  it('rejects updates with replica ids or clocks Yjs would accept but a version vector cannot hold', async () => {
    const { r, t } = await withDoc()
    const digest = r.digest('doc')
    const forged = new Y.Doc()
    forged.clientID = 2 ** 40
    forged.getMap('kv').set('forged', true)
    t.inject('evil', encodeSync({ type: 'update', doc: 'doc', update: Y.encodeStateAsUpdate(forged), ackId: 5, spread: false }))
    expect(r.stats().decodeErrors).toBe(1)
    expect(r.digest('doc')).toBe(digest)
    expect(r.version('doc')).toBeDefined()
    expect(r.stats().acksSent).toBe(0)
    r.stop()
  })

  it('ignores replies, acks and docs it never asked about', async () => {
    // One home per doc: docs homed elsewhere are not this peer's to take from a mere push.
    const { r, t } = await withDoc({ replicas: 1 })
    const digest = r.digest('doc')
    t.inject('evil', encodeSync({ type: 'digestsReply', session: 12345, page: 0, hosted: new Uint8Array([1]), differing: 3, others: [], hints: [], equal: new Uint8Array(0), durable: true }))
    t.inject('evil', encodeSync({ type: 'ack', doc: 'doc', ackId: 77, vector: new Map([[1, 1]]), durable: true }))
    expect(r.stats().unexpectedFrames).toBe(2)
    const other = Array.from({ length: 100 }, (_, i) => `other${i}`).find(name => !r.homes(name).includes(r.localId)) as string
    t.inject('evil', encodeSync({ type: 'update', doc: other, update: realUpdate(), ackId: 0, spread: false }))
    t.inject('evil', encodeSync({ type: 'syncDoc', session: 1, doc: other, step: 'diff', update: realUpdate(), vector: new Map(), durable: true }))
    t.inject('evil', encodeSync({ type: 'syncDoc', session: 1, doc: other, step: 'vector', vector: new Map() }))
    expect(r.stats().unhostedFrames).toBe(3)
    expect(r.docs()).toEqual(['doc'])
    expect(r.digest('doc')).toBe(digest)
    r.stop()
  })

  it('keeps reassembly memory bounded under a chunk flood, and expires partial transfers', async () => {
    const { r, t, clock } = await withDoc({ chunkBytes: 1024, maxTransferBytes: 64 * 1024, maxReassemblyBytes: 128 * 1024, maxTransfersPerPeer: 2, maxTransfers: 4 })
    const data = new Uint8Array(1024)
    for (let transfer = 0; transfer < 50; transfer++) {
      for (let index = 0; index < 10; index++) t.inject(`evil${transfer % 5}`, encodeSync({ type: 'chunk', transfer, index, count: 100, data }))
    }
    const s = r.stats()
    expect(s.transfers).toBeLessThanOrEqual(4)
    expect(s.reassemblyBytes).toBeLessThanOrEqual(128 * 1024)
    expect(s.transfersDropped).toBeGreaterThan(0)
    // One transfer may not exceed maxTransferBytes.
    for (let index = 0; index < 80; index++) t.inject('big', encodeSync({ type: 'chunk', transfer: 1, index, count: 100, data }))
    expect(r.stats().reassemblyBytes).toBeLessThanOrEqual(128 * 1024)
    clock.advance(r.config.reassemblyTimeoutMs + 2 * r.config.antiEntropyIntervalMs)
    expect(r.stats().transfers).toBe(0)
    expect(r.stats().reassemblyBytes).toBe(0)
    expect(r.stats().handlerErrors).toBe(0)
    r.stop()
  })

  it('does not accept a chunked transfer that hides another chunk', async () => {
    const { r, t } = await withDoc({ chunkBytes: 1024, maxTransferBytes: 1024 * 1024 })
    const inner = encodeSync({ type: 'chunk', transfer: 9, index: 0, count: 2, data: new Uint8Array(1500) })
    const half = Math.ceil(inner.byteLength / 2)
    t.inject('evil', encodeSync({ type: 'chunk', transfer: 1, index: 0, count: 2, data: inner.subarray(0, half) }))
    t.inject('evil', encodeSync({ type: 'chunk', transfer: 1, index: 1, count: 2, data: inner.subarray(half) }))
    expect(r.stats().transfersCompleted).toBe(1)
    expect(r.stats().decodeErrors).toBe(1)
    r.stop()
  })
})
