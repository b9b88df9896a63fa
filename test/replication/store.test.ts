/**
 * Durability: the memory store's semantics, the durability log, acknowledged writes across crashes,
 * compaction, store failures, and configuration validation.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { ConfigError, NotRunningError } from '../../src/core/errors.js'
import { SeededRandom } from '../../src/core/random.js'
import { resolveReplicationConfig } from '../../src/replication/config.js'
import { DurableLog } from '../../src/replication/durable-log.js'
import { MemoryDocStore } from '../../src/replication/memory-store.js'
import { Replicator } from '../../src/replication/replicator.js'
import { SimNetwork } from '../../src/sim/network.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { settle } from './helpers.js'

const u = (...bytes: number[]): Uint8Array => new Uint8Array(bytes)

describe('MemoryDocStore', () => {
  it('completes operations of a doc in call order after its latency, and compaction replaces what came before', () => {
    const net = new SimNetwork({ seed: 1 })
    net.addNode('a')
    const store = new MemoryDocStore({ clock: net.clockFor('a'), latencyMs: 10 })
    const done: string[] = []
    store.append('d', u(1), undefined, () => done.push(`append1@${net.now}`))
    store.append('d', u(2), undefined, () => done.push(`append2@${net.now}`))
    store.compact('d', u(9), undefined, () => done.push(`compact@${net.now}`))
    store.append('d', u(3), undefined, () => done.push(`append3@${net.now}`))
    store.append('e', u(7), undefined, () => done.push(`other@${net.now}`))
    net.runFor(100)
    expect(done).toEqual(['append1@10', 'other@10', 'append2@20', 'compact@30', 'append3@40'])
    expect(store.entries('d')).toEqual([u(9), u(3)])
    expect(store.pending('d')).toEqual({ updates: 1, bytes: 1 })
  })

  it('loses operations in flight when its node crashes, keeps what completed', () => {
    const net = new SimNetwork({ seed: 1 })
    net.addNode('a')
    const store = new MemoryDocStore({ clock: net.clockFor('a'), latencyMs: 10 })
    store.append('d', u(1), undefined, () => {})
    net.runFor(10)
    store.append('d', u(2), undefined, () => {})
    net.runFor(5)
    net.crash('a')
    net.runFor(100)
    net.restart('a')
    expect(store.entries('d')).toEqual([u(1)])
    let loaded: Uint8Array[] | undefined
    store.load('d', (_err, v) => { loaded = v })
    net.runFor(20)
    expect(loaded).toEqual([u(1)])
  })

  it('fails every call after close', async () => {
    const store = new MemoryDocStore()
    await store.close()
    let error: Error | null = null
    store.append('d', u(1), undefined, (err) => { error = err })
    expect(error).toBeInstanceOf(NotRunningError)
  })
})

describe('DurableLog', () => {
  it('reports durable only after every earlier append, and remembers failures until a compaction', () => {
    const store = new MemoryDocStore()
    const log = new DurableLog(store, 'd')
    const seen: Array<string | null> = []
    log.append(u(1), undefined)
    log.whenDurable(err => seen.push(err?.message ?? null))
    store.failWith = new Error('disk full')
    log.append(u(2), undefined)
    store.failWith = undefined
    log.append(u(3), undefined)
    log.whenDurable(err => seen.push(err?.message ?? null))
    expect(seen).toEqual([null, 'disk full'])
    expect(log.failed).toBe(true)
    log.compacted(log.position)
    expect(log.failed).toBe(false)
    log.whenDurable(err => seen.push(err?.message ?? null))
    expect(seen).toEqual([null, 'disk full', null])
    log.close()
    log.append(u(4), undefined, err => seen.push(err?.name ?? null))
    expect(seen.at(-1)).toBe('NotRunningError')
  })
})

describe('acknowledged writes survive crashes', () => {
  it('a write acknowledged just before a crash is recovered by the restarted peer alone', async () => {
    const cluster = new ReplicaCluster({ size: 3, seed: 51, storeLatencyMs: 20 })
    for (const id of cluster.ids) cluster.open(id, 'doc')
    cluster.runFor(2_000)
    cluster.network.partition(['n00'], ['n01', 'n02']) // nobody else can have it
    let acked = false
    let rejected: Error | undefined
    cluster.replicator('n00').write('doc', d => { d.getMap('kv').set('mine', 1) }).then(() => { acked = true }, (e: unknown) => { rejected = e as Error })
    cluster.runFor(20) // exactly the store latency: acknowledged at this instant
    await settle()
    expect(acked).toBe(true)
    let lost: Error | undefined
    cluster.replicator('n00').write('doc', d => { d.getMap('kv').set('inflight', 1) }).catch((e: unknown) => { lost = e as Error })
    cluster.runFor(5)
    cluster.crash('n00')
    await settle()
    // Never acknowledged: applied in memory, then the process died before the store confirmed it.
    expect(lost).toMatchObject({ name: 'OutcomeUnknownError', reason: 'stopped' })
    expect(rejected).toBeUndefined()
    cluster.runFor(1_000)
    cluster.restart('n00')
    expect(cluster.runUntil(() => cluster.replicator('n00').isReady('doc'), 5_000)).toBeDefined()
    expect(cluster.replicator('n00').doc('doc')?.getMap('kv').get('mine')).toBe(1)
    expect(cluster.replicator('n00').doc('doc')?.getMap('kv').has('inflight')).toBe(false)
    cluster.network.heal()
    expect(cluster.runUntil(() => cluster.membershipSettled() && cluster.converged(['doc']), 60_000)).toBeDefined()
    expect(cluster.replicator('n02').doc('doc')?.getMap('kv').get('mine')).toBe(1)
    cluster.stopAll()
  })

  it('compacts long histories and restores the same content from the compacted state', async () => {
    const cluster = new ReplicaCluster({ size: 2, seed: 52, replication: { compactMinUpdates: 10 } })
    for (const id of cluster.ids) cluster.open(id, 'doc')
    cluster.runFor(1_000)
    for (let i = 0; i < 60; i++) {
      cluster.replicator(i % 2 === 0 ? 'n00' : 'n01').write('doc', d => { d.getText('text').insert(0, `${i},`) }).catch(() => {})
      cluster.runFor(20)
    }
    expect(cluster.runUntil(() => cluster.converged(['doc']), 20_000)).toBeDefined()
    cluster.runFor(5_000)
    const store = cluster.store('n00')
    expect(store.counters.compactions).toBeGreaterThan(0)
    expect(cluster.replicator('n00').stats().compactions).toBeGreaterThan(0)
    expect(store.entries('doc').length).toBeLessThan(10)
    const text = cluster.replicator('n00').doc('doc')?.getText('text').toString()
    cluster.crash('n00')
    cluster.restart('n00')
    expect(cluster.runUntil(() => cluster.replicator('n00').isReady('doc'), 5_000)).toBeDefined()
    expect(cluster.replicator('n00').doc('doc')?.getText('text').toString()).toBe(text)
    await settle()
    cluster.stopAll()
  })

  it('a write the store failed is unknown, not acknowledged; writes are refused until the store recovers, which persists the lost update again at once', async () => {
    const net = new SimNetwork({ seed: 53 })
    const transport = net.addNode('a')
    const store = new MemoryDocStore({ clock: net.clockFor('a'), latencyMs: 1 })
    const r = new Replicator({ transport, clock: net.clockFor('a'), random: new SeededRandom(1), store, peers: { alivePeers: () => [], addressesOf: () => [], onPeerAlive: () => () => {} } }, { profile: 'sim' })
    r.start()
    const opened = r.open('doc')
    net.runFor(5)
    await opened
    store.failWith = Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' })
    const failed = r.write('doc', d => { d.getMap('kv').set('x', 1) })
    net.runFor(5)
    // Applied in memory, not persisted: unknown, with the store's error as its cause (never as its text).
    await expect(failed).rejects.toMatchObject({ name: 'OutcomeUnknownError', reason: 'not-persisted', cause: { code: 'EIO' } })
    expect(store.health()).toMatchObject({ state: 'failing', reason: 'input/output error' })
    store.failWith = undefined
    // The store is known to be failing until its probe says otherwise: later writes are refused up front.
    const next = r.write('doc', d => { d.getMap('kv').set('y', 2) })
    await expect(next).rejects.toMatchObject({ name: 'StoreFailingError' })
    expect(r.doc('doc')?.getMap('kv').has('y')).toBe(false) // refused: not applied
    const appends = store.counters.appends
    net.runFor(1_010) // the probe finds the store working: the lost update is appended again at once
    expect(store.health().state).toBe('ok')
    expect(store.counters.appends).toBe(appends + 1)
    expect(r.stats().compactions).toBe(0) // no need to rewrite the whole doc
    const after = r.write('doc', d => { d.getMap('kv').set('z', 3) })
    net.runFor(5)
    await expect(after).resolves.toBeDefined()
    const restored = new Y.Doc()
    for (const entry of store.entries('doc')) Y.applyUpdate(restored, entry)
    expect(restored.getMap('kv').toJSON()).toEqual({ x: 1, z: 3 })
    expect(r.stats()).toMatchObject({ storeErrors: 1, writesDurable: 1, writesRefused: 1, writesUnknown: 1 })
    r.stop()
  })
})

describe('writes from inside Yjs callbacks', () => {
  it('a write made from a change listener is acknowledged only once it is durable', async () => {
    const net = new SimNetwork({ seed: 54 })
    const transport = net.addNode('a')
    const store = new MemoryDocStore({ clock: net.clockFor('a'), latencyMs: 10 })
    const r = new Replicator({ transport, clock: net.clockFor('a'), random: new SeededRandom(1), store, peers: { alivePeers: () => [], addressesOf: () => [], onPeerAlive: () => () => {} } }, { profile: 'sim' })
    r.start()
    const opened = r.open('doc')
    net.runFor(10)
    await opened
    let nestedAt: number | undefined
    const off = r.on('change', (e) => {
      if (e.origin !== 'local') return
      off()
      // Runs inside the first transaction's cleanup.
      r.write('doc', d => { d.getMap('kv').set('nested', true) }).then(() => { nestedAt = net.now }, () => {})
    })
    r.write('doc', d => { d.getMap('kv').set('outer', true) }).catch(() => {})
    for (let i = 0; i < 40 && nestedAt === undefined; i++) {
      net.runFor(1)
      await settle()
    }
    expect(nestedAt).toBeDefined()
    expect(nestedAt).toBeGreaterThanOrEqual(20) // two appends of 10 ms each, in order
    const restored = new Y.Doc()
    for (const entry of store.entries('doc')) Y.applyUpdate(restored, entry)
    expect(restored.getMap('kv').get('nested')).toBe(true)
    r.stop()
  })
})

describe('configuration', () => {
  it('rejects bad values with ConfigError', () => {
    for (const bad of [
      { antiEntropyIntervalMs: 0 }, { pushFanout: -1 }, { discoveryRatio: 2 }, { chunkBytes: 10 },
      { chunkBytes: 4096, maxTransferBytes: 1024 }, { maxReassemblyBytes: 1 }, { maxTransfers: 1 }, { fetchFanout: 1.5 },
      { nope: 1 } as Record<string, number>, { flushRetryMs: Number.NaN }
    ]) {
      expect(() => resolveReplicationConfig(bad), JSON.stringify(bad)).toThrow(ConfigError)
    }
    expect(resolveReplicationConfig({}, 'sim').antiEntropyIntervalMs).toBe(1_000)
  })

  it('rejects document names the wire cannot carry', async () => {
    const net = new SimNetwork({ seed: 1 })
    const transport = net.addNode('a')
    const r = new Replicator({ transport, clock: net.clockFor('a'), random: new SeededRandom(1), store: new MemoryDocStore(), peers: { alivePeers: () => [], addressesOf: () => [], onPeerAlive: () => () => {} } })
    r.start()
    await expect(r.open('')).rejects.toMatchObject({ name: 'InvalidDocNameError' })
    await expect(r.open('x'.repeat(257))).rejects.toMatchObject({ name: 'InvalidDocNameError' })
    await expect(r.write('bad\nname', () => {})).rejects.toMatchObject({ name: 'InvalidDocNameError' })
    expect(r.stats().pendingWrites).toBe(0)
    await expect(r.open('ok — ünïcode ✓')).resolves.toBeDefined()
    r.stop()
    await expect(r.open('ok')).rejects.toMatchObject({ name: 'NotRunningError' })
  })

  it('rejects a chunk size the transport cannot carry', () => {
    const net = new SimNetwork({ seed: 1, maxFrameBytes: { sync: 64 * 1024 } })
    const transport = net.addNode('a')
    expect(() => new Replicator({ transport, clock: net.clockFor('a'), random: new SeededRandom(1), store: new MemoryDocStore(), peers: { alivePeers: () => [], addressesOf: () => [], onPeerAlive: () => () => {} } }))
      .toThrow(ConfigError)
  })
})
