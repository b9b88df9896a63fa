/**
 * Replication limits and the state a remote message may touch: updates waiting for missing dependencies
 * (maxPendingUpdateBytes), open docs (maxOpenDocs) and what counts as a known doc, the host directory only
 * after validation, updates the store refuses, and chunked transfers of a restarted sender. Frames go
 * straight into the replicator's handler (manual clock, synchronous store) unless a cluster is needed.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { FakeTransport } from '../helpers/fake-transport.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { createLogger } from '../../src/core/logger.js'
import { SeededRandom } from '../../src/core/random.js'
import { Channel, DEFAULT_MAX_FRAME_BYTES } from '../../src/core/transport.js'
import { decodeSync, encodeSync } from '../../src/replication/codec.js'
import type { SyncMessage } from '../../src/replication/codec.js'
import { ConfigError } from '../../src/core/errors.js'
import { PRESETS, resolveReplicationConfig } from '../../src/replication/config.js'
import type { ReplicationInit } from '../../src/replication/config.js'
import type { StoreOp } from '../../src/replication/events.js'
import { MemoryDocStore } from '../../src/replication/memory-store.js'
import { Replicator } from '../../src/replication/replicator.js'
import { emptyVector } from '../../src/replication/version-vector.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { DEFAULT_MAX_UPDATE_BYTES } from '../../src/storage/config.js'
import { settle } from './helpers.js'

interface Node { r: Replicator, t: FakeTransport, clock: ManualClock, store: MemoryDocStore, lines: string[] }

function node (o: { config?: ReplicationInit, store?: MemoryDocStore, id?: string, seed?: number, alive?: string[] } = {}): Node {
  const t = new FakeTransport(o.id)
  const clock = new ManualClock()
  const store = o.store ?? new MemoryDocStore()
  const lines: string[] = []
  const alive = o.alive ?? ['evil', 'friend']
  const r = new Replicator({
    transport: t,
    clock,
    random: new SeededRandom(o.seed ?? 1),
    store,
    log: createLogger((level, _c, message, fields) => { lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`) }, 'debug'),
    peers: { alivePeers: () => alive, addressesOf: () => [], onPeerAlive: () => () => {} }
  }, { profile: 'sim', ...(o.config === undefined ? {} : { config: o.config }) })
  r.start()
  return { r, t, clock, store, lines }
}

async function withDoc (o: Parameters<typeof node>[0] = {}): Promise<Node> {
  const n = node(o)
  await n.r.open('doc')
  await n.r.write('doc', d => { d.getText('text').insert(0, 'hello') })
  return n
}

/**
 * Two updates of one author, the second depending on the first: `second` alone waits for `first`.
 * `second` inserts `bytes` characters.
 */
function gappedPair (client: number, bytes: number): { first: Uint8Array, second: Uint8Array, text: string } {
  const src = new Y.Doc()
  src.clientID = client
  src.getText('text').insert(0, 'a')
  const first = Y.encodeStateAsUpdate(src)
  const known = Y.encodeStateVector(src)
  src.getText('text').insert(1, 'x'.repeat(bytes))
  return { first, second: Y.encodeStateAsUpdate(src, known), text: src.getText('text').toString() }
}

const push = (update: Uint8Array, ackId = 0): Uint8Array => encodeSync({ type: 'update', doc: 'doc', update, ackId, spread: false })

function restored (entries: readonly Uint8Array[]): Y.Doc {
  const d = new Y.Doc()
  for (const e of entries) Y.applyUpdate(d, e)
  return d
}

describe('updates waiting for missing dependencies', () => {
  it('are dropped past maxPendingUpdateBytes: counted, warned, the doc untouched', async () => {
    const { r, t, lines } = await withDoc({ config: { maxPendingUpdateBytes: 64 * 1024 } })
    const digest = r.digest('doc')
    for (let k = 0; k < 20; k++) t.inject('evil', push(gappedPair(1_000 + k, 10_000).second))
    const s = r.stats()
    expect(s.pendingUpdateBytes).toBeGreaterThan(0)
    expect(s.pendingUpdateBytes).toBeLessThanOrEqual(64 * 1024)
    expect(s.pendingDropped).toBeGreaterThanOrEqual(2)
    expect(s.pendingBytesDropped).toBeGreaterThan(2 * 64 * 1024)
    expect(s.updatesPending).toBe(20)
    expect(s.updatesApplied).toBe(0)
    expect(s.decodeErrors + s.handlerErrors).toBe(0)
    expect(r.digest('doc')).toBe(digest)
    expect(lines.filter(l => l.includes('dropped updates waiting for missing dependencies')).length).toBeGreaterThan(0)
    expect(lines.filter(l => l.includes('dropped updates waiting for missing dependencies')).length).toBeLessThanOrEqual(5) // rate-limited
    r.stop()
  })

  it('still apply once the gap is filled (out-of-order delivery), and both are persisted', async () => {
    const { r, t, store } = await withDoc()
    const { first, second, text } = gappedPair(7, 3_000)
    t.inject('friend', push(second))
    expect(r.stats().updatesPending).toBe(1)
    expect(r.stats().pendingUpdateBytes).toBeGreaterThan(3_000)
    expect(r.doc('doc')?.getText('text').toString()).toBe('hello')
    t.inject('friend', push(first))
    expect(r.stats().pendingUpdateBytes).toBe(0)
    expect(r.stats().updatesApplied).toBe(1)
    expect(r.stats().pendingDropped).toBe(0)
    const content = r.doc('doc')?.getText('text').toString()
    expect(content).toContain(text)
    expect(restored(store.entries('doc')).getText('text').toString()).toBe(content)
    r.stop()
  })

  it('are neither relayed in diffs nor persisted by compaction, nor back after a restart', async () => {
    const store = new MemoryDocStore()
    const { r, t, clock } = await withDoc({ store, config: { compactMinUpdates: 2, compactIntervalMs: 1_000 } })
    await r.write('doc', d => { d.getText('text').insert(0, '>') })
    t.inject('evil', push(gappedPair(99, 5_000).second))
    expect(r.stats().pendingUpdateBytes).toBeGreaterThan(5_000)
    // A peer asks for everything we have (anti-entropy step 1 with an empty vector).
    t.inject('friend', encodeSync({ type: 'syncDoc', session: 1, doc: 'doc', step: 'vector', vector: emptyVector() }))
    clock.advance(0) // steps leave in batches, at the end of the turn
    const diff = t.messages().find(m => m.type === 'syncDoc' && m.step === 'diffAndVector')
    expect(diff).toBeDefined()
    if (diff?.type !== 'syncDoc' || diff.step !== 'diffAndVector') throw new Error('no diff')
    const received = restored([diff.update])
    expect(received.getText('text').toString()).toBe('>hello')
    expect(received.store.pendingStructs).toBeNull()
    clock.advance(2_100)
    expect(r.stats().compactions).toBe(1)
    expect(store.entries('doc')).toHaveLength(1)
    expect(restored(store.entries('doc')).store.pendingStructs).toBeNull()
    r.stop()
    const again = node({ store })
    await again.r.open('doc')
    expect(again.r.doc('doc')?.getText('text').toString()).toBe('>hello')
    expect(again.r.stats().pendingUpdateBytes).toBe(0)
    again.r.stop()
  })

  it('dropping them loses nothing: anti-entropy brings the gap and the update, contiguous', () => {
    const c = new ReplicaCluster({ size: 2, seed: 71, replication: { maxPendingUpdateBytes: 4 * 1024 } })
    const [a, b] = c.ids as [string, string]
    for (const id of c.ids) c.open(id, 'd')
    c.runFor(2_000)
    expect(c.runUntil(() => c.membershipSettled() && c.converged(['d']), 20_000)).toBeDefined()
    const { first, second, text } = gappedPair(4_242, 10_000)
    c.network.node(a).transport.receive(Channel.sync, b, encodeSync({ type: 'update', doc: 'd', update: second, ackId: 0, spread: false }))
    expect(c.replicator(a).stats().pendingDropped).toBe(1)
    expect(c.replicator(a).stats().pendingUpdateBytes).toBe(0)
    // The author's two updates reach b in order (say, b is the author's other push target).
    for (const u of [first, second]) c.network.node(b).transport.receive(Channel.sync, a, encodeSync({ type: 'update', doc: 'd', update: u, ackId: 0, spread: false }))
    expect(c.replicator(b).doc('d')?.getText('text').toString()).toBe(text)
    expect(c.runUntil(() => c.converged(['d']), 20_000)).toBeDefined()
    expect(c.replicator(a).doc('d')?.getText('text').toString()).toBe(text)
    expect(c.replicator(a).stats().pendingUpdateBytes).toBe(0)
    c.stopAll()
  })
})

describe('the host directory', () => {
  it('records a sender as host only once its update passed validation', async () => {
    const { r, t } = await withDoc()
    const garbage = new Uint8Array([200, 200, 200, 200])
    t.inject('evil', push(garbage, 3))
    t.inject('evil', encodeSync({ type: 'syncDoc', session: 1, doc: 'doc', step: 'diff', update: garbage, vector: new Map(), durable: true }))
    t.inject('evil', encodeSync({ type: 'syncDoc', session: 1, doc: 'doc', step: 'diffAndVector', vector: emptyVector(), update: garbage }))
    expect(r.stats().decodeErrors).toBe(3)
    expect(r.knownHosts('doc')).toEqual([])
    expect(r.stats().trackedDocs).toBe(0)
    t.inject('friend', push(gappedPair(5, 10).first))
    expect(r.knownHosts('doc')).toEqual(['friend'])
    r.stop()
  })
})

describe('open docs', () => {
  it('are bounded by maxOpenDocs: one more than the app holds open fails with TooManyDocsError, counted', async () => {
    const { r, lines } = node({ config: { maxOpenDocs: 3 } })
    for (const name of ['a', 'b', 'c']) await r.open(name)
    await expect(r.open('d')).rejects.toMatchObject({ name: 'TooManyDocsError' })
    await expect(r.write('e', d => { d.getMap('kv').set('x', 1) })).rejects.toMatchObject({ name: 'TooManyDocsError' })
    expect(r.stats().openRefused).toBe(2)
    expect(r.stats().pendingWrites).toBe(0)
    expect(r.docs()).toEqual(['a', 'b', 'c'])
    expect(lines.some(l => l.startsWith('warn too many docs'))).toBe(true)
    await expect(r.open('a')).resolves.toBeDefined() // already open: not a new one
    r.close('c')
    await expect(r.open('d')).resolves.toBeDefined()
    expect(r.stats().docs).toBe(3)
    r.stop()
  })

  it('limits must be positive integers', () => {
    for (const bad of [{ maxOpenDocs: 0 }, { maxPendingUpdateBytes: -1 }, { maxPendingUpdateBytes: 1.5 }]) {
      expect(() => resolveReplicationConfig(bad), JSON.stringify(bad)).toThrow(ConfigError)
    }
    expect(resolveReplicationConfig({}).maxOpenDocs).toBe(10_000)
    expect(resolveReplicationConfig({}).maxPendingUpdateBytes).toBe(8 * 1024 * 1024)
  })

  it('replicas: 1 to 64, as --replicas and ?w= take (65 started a library peer the CLI would refuse)', () => {
    for (const bad of [{ replicas: 0 }, { replicas: 65 }, { replicas: 2.5 }]) {
      expect(() => resolveReplicationConfig(bad), JSON.stringify(bad)).toThrow(/replicas must be/)
    }
    expect(resolveReplicationConfig({ replicas: 64 }).replicas).toBe(64)
  })

  it('isKnown: open, persisted (also by an earlier run), or hosted by a live peer; persistedDocs lists the store', async () => {
    const store = new MemoryDocStore()
    const first = node({ store })
    await first.r.write('saved', d => { d.getMap('kv').set('x', 1) })
    await first.r.open('empty')
    expect(first.r.isKnown('saved')).toBe(true)
    expect(first.r.isKnown('empty')).toBe(true)
    expect(first.r.isKnown('nothing')).toBe(false)
    first.r.close('saved')
    first.r.close('empty')
    expect(first.r.isKnown('saved')).toBe(true)
    expect(first.r.isKnown('empty')).toBe(false) // never written: nothing persisted
    first.r.stop()

    const { r, t } = node({ store })
    expect(r.isKnown('saved')).toBe(true) // from the store's list, read at start
    expect(r.docs()).toEqual([])
    await r.write('later', d => { d.getMap('kv').set('y', 2) })
    await expect(r.persistedDocs()).resolves.toEqual(['later', 'saved'])
    // A live peer lists a doc it hosts; a peer that is not alive does not count.
    t.inject('friend', encodeSync({ type: 'digests', session: 1, page: 0, pages: 1, full: true, entries: [{ doc: 'theirs', digest: new Uint8Array(16) }], scope: 'plain', buckets: [] }))
    t.inject('ghost', encodeSync({ type: 'digests', session: 1, page: 0, pages: 1, full: true, entries: [{ doc: 'ghostly', digest: new Uint8Array(16) }], scope: 'plain', buckets: [] }))
    expect(r.isKnown('theirs')).toBe(true)
    expect(r.isKnown('ghostly')).toBe(false)
    expect(r.docs()).toEqual(['later'])
    r.stop()
  })
})

describe('updates the store refuses', () => {
  it('the transfer limit equals the store\'s update limit in every preset', () => {
    for (const preset of Object.values(PRESETS)) expect(preset.maxTransferBytes).toBe(DEFAULT_MAX_UPDATE_BYTES)
  })

  it('a remote update whose append fails is applied in memory, not acknowledged, counted, logged, and appended again once the store recovers', async () => {
    const { r, t, clock, store, lines } = await withDoc({ config: { compactIntervalMs: 60_000 } })
    const errors: StoreOp[] = []
    r.on('storeError', (e) => { errors.push(e.op) })
    store.failWith = new Error('UpdateSizeError: too big for the store')
    const { first } = gappedPair(31, 100)
    t.inject('friend', push(first, 5))
    expect(r.doc('doc')?.getText('text').toString()).toContain('a')
    expect(r.stats().storeErrors).toBe(1)
    expect(errors).toEqual(['append'])
    expect(lines.some(l => l.startsWith('warn store operation failed'))).toBe(true)
    expect(t.messages().filter(m => m.type === 'ack')).toEqual([])
    // While the store fails, a local write is refused before it is applied.
    const refused = r.write('doc', d => { d.getMap('kv').set('k', 1) })
    await expect(refused).rejects.toMatchObject({ name: 'StoreFailingError' })
    expect(r.doc('doc')?.getMap('kv').has('k')).toBe(false)
    store.failWith = undefined // this store has no clock: healthy at once, and the lost update is appended again at once
    clock.advance(1_001) // the scheduled repair finds nothing left to do
    expect(r.stats().compactions).toBe(0)
    expect(restored(store.entries('doc')).getText('text').toString()).toBe(r.doc('doc')?.getText('text').toString())
    // The sender's flush retry now gets its ack; local writes are durable again.
    t.inject('friend', push(first, 5))
    expect(t.messages().filter(m => m.type === 'ack')).toHaveLength(1)
    await expect(r.write('doc', d => { d.getMap('kv').set('k', 2) })).resolves.toBeDefined()
    r.stop()
  })

  it('a failed compaction is counted once', async () => {
    const { r, clock, store } = await withDoc({ config: { compactMinUpdates: 2, compactIntervalMs: 1_000 } })
    await r.write('doc', d => { d.getText('text').insert(0, '1') })
    await r.write('doc', d => { d.getText('text').insert(0, '2') })
    const errors: StoreOp[] = []
    r.on('storeError', (e) => { errors.push(e.op) })
    store.failWith = new Error('EIO')
    clock.advance(2_100)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every(op => op === 'compact')).toBe(true)
    expect(r.stats().storeErrors).toBe(errors.length)
    r.stop()
  })
})

describe('chunked transfers', () => {
  it('a restarted sender\'s transfers are not merged with its previous run\'s unfinished ones', async () => {
    const receiver = node()
    await receiver.r.open('doc')
    const sendBig = async (seed: number, text: string): Promise<Uint8Array[]> => {
      const sender = node({ id: 'friend', seed, alive: ['victim'], config: { chunkBytes: 1024, maxTransferBytes: 1024 * 1024 } })
      await sender.r.open('doc')
      // The receiver's listing tells the sender that it hosts the doc: the write is pushed to it.
      sender.t.inject('victim', encodeSync({ type: 'digests', session: 1, page: 0, pages: 1, full: true, entries: [{ doc: 'doc', digest: new Uint8Array(16) }], scope: 'plain', buckets: [] }))
      sender.t.sent.length = 0
      await sender.r.write('doc', d => { d.getText('text').insert(0, text) })
      await settle()
      sender.r.stop()
      const chunks = sender.t.sent.map(s => s.frame).filter(f => decodeSync(f, DEFAULT_MAX_FRAME_BYTES.sync).type === 'chunk')
      expect(chunks.length).toBeGreaterThan(2)
      return chunks
    }
    const before = await sendBig(11, 'a'.repeat(5_000))
    receiver.t.inject('friend', before[0] as Uint8Array) // then the sender crashed
    const after = await sendBig(12, 'b'.repeat(5_000))
    for (const f of after) receiver.t.inject('friend', f)
    const s = receiver.r.stats()
    expect(s.decodeErrors).toBe(0)
    expect(s.transfersCompleted).toBe(1)
    expect(receiver.r.doc('doc')?.getText('text').toString()).toBe('b'.repeat(5_000))
    receiver.r.stop()
  })
})
