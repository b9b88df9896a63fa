/**
 * The mesh node is the one assembly both createPeer and the simulator build: these run its read path —
 * find, doc, re-opening persisted docs after a restart — in the simulator, where a failure replays.
 */
import { describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import type { WriteOptions } from '../src/api.js'
import { ConfigError } from '../src/core/errors.js'
import { ReplicaCluster } from '../src/sim/replica-cluster.js'
import { useSeed } from './helpers/replay.js'
import { until } from './helpers/sim-until.js'

const FILE = 'test/mesh-node.test.ts'

describe('mesh node read path (simulated)', () => {
  it('find() fetches a doc only another peer has, and answers undefined (opening nothing) for a name nobody has', async () => {
    const c = new ReplicaCluster({ size: 3, seed: useSeed(0x6d6e01, FILE, 'find') })
    c.runUntil(() => c.membershipSettled(), 10_000)
    await until(c, c.node('n00').write('only-on-n00', d => { d.getMap('kv').set('k', 'v') }), 1_000)
    const found = await until(c, c.node('n02').find('only-on-n00'), 5_000)
    expect(found?.getMap('kv').get('k')).toBe('v')
    const missing = await until(c, c.node('n02').find('nobody-has-this'), 5_000)
    expect(missing).toBeUndefined()
    expect(c.replicator('n02').docs()).not.toContain('nobody-has-this')
    c.stopAll()
  })

  it('a restarted node knows what it persisted by itself (from the store list) and serves it to a peer that missed the write', async () => {
    const c = new ReplicaCluster({ size: 3, seed: useSeed(0x6d6e02, FILE, 'reopen') })
    c.runUntil(() => c.membershipSettled(), 10_000)
    c.network.partition(['n00'], ['n01', 'n02'])
    // The others still look alive to n00, and it holds nothing of 'solo': the write first waits for them to
    // answer a fetch of it (doc-fetch.ts `caughtUpForWrite`), and is applied after the wait — here SILENT_HOME_WAIT_MS (3 s),
    // as the simulator's cut link leaves its connection open, like a pulled cable (≤ 1 s once it closes).
    await until(c, c.node('n00').write('solo', d => { d.getMap('kv').set('k', 1) }), 4_000)
    c.crash('n00')
    c.network.heal()
    c.restart('n00') // the harness opens nothing: the node finds 'solo' in its store
    expect(c.runUntil(() => c.replicator('n00').holds('solo'), 5_000)).toBeDefined()
    const copy = await until(c, c.node('n01').find('solo'), 10_000)
    expect(copy?.getMap('kv').get('k')).toBe(1)
    c.stopAll()
  })
})

describe('mesh node tags', () => {
  it('setTags with a value that is not a string is a ConfigError and changes nothing (it was applied, and every frame carrying it failed to encode)', () => {
    const c = new ReplicaCluster({ size: 2, seed: useSeed(0x6d6e03, FILE, 'tags') })
    c.runUntil(() => c.membershipSettled(), 10_000)
    const node = c.node('n00')
    node.setTags({ role: 'db' })
    const before = node.self()
    expect(() => { node.setTags({ role: 1 } as unknown as Record<string, string>) }).toThrow(ConfigError)
    expect(() => { node.setTags({ role: 1 } as unknown as Record<string, string>) }).toThrow(/^tags\.role must be a string, got number$/)
    expect(node.self()).toEqual(before)
    c.runUntil(() => c.node('n01').members().find(m => m.peerId === node.id)?.tags.role === 'db', 10_000)
    expect(c.node('n01').members().find(m => m.peerId === node.id)?.tags).toEqual({ role: 'db' })
    c.stopAll()
  })
})

describe('mesh node write options', () => {
  it('an onReplay that throws rejects the write with that error, not as the store failing to load the doc', async () => {
    const c = new ReplicaCluster({ size: 1, seed: useSeed(0x6d6e04, FILE, 'onReplay') })
    c.runUntil(() => c.membershipSettled(), 10_000)
    const node = c.node('n00')
    const set = (d: Y.Doc): void => { d.getMap('kv').set('k', 1) }
    await until(c, node.write('r', set, { opId: 'click-1' }))
    const mine = new Error('my callback')
    await expect(until(c, node.write('r', set, { opId: 'click-1', onReplay: () => { throw mine } }))).rejects.toBe(mine)
    await expect(until(c, node.delete('r', { opId: 'click-1', onReplay: () => { throw mine } }))).rejects.toBe(mine) // the same key: a replay too
    expect(node.storeHealth().state).toBe('ok')
    c.stopAll()
  })

  it.each([
    ['timeoutMs past Node\'s timer limit (it ran out after 1 ms)', { timeoutMs: 1e12 }, RangeError, /^write: timeoutMs must be a number of ms from 0 to 2147483647, got 1000000000000$/],
    ['timeoutMs NaN', { timeoutMs: NaN }, RangeError, /timeoutMs must be a number/],
    ['bytes NaN (was a DocTooLargeError)', { bytes: NaN }, RangeError, /^write: bytes must be an integer ≥ 0, got NaN$/],
    ['onReplay not a function', { opId: 'k', onReplay: 'x' }, TypeError, /^write: onReplay must be a function, got string$/],
    ['fingerprint not a string', { opId: 'k', fingerprint: 5 }, TypeError, /^write: fingerprint must be a string, got number$/]
  ])('%s: refused before anything is applied', async (_, options, type, message) => {
    const c = new ReplicaCluster({ size: 1, seed: useSeed(0x6d6e05, FILE, 'options') })
    c.runUntil(() => c.membershipSettled(), 10_000)
    const node = c.node('n00')
    const attempt = node.write('w', d => { d.getMap('kv').set('k', 1) }, options as unknown as WriteOptions)
    await expect(attempt).rejects.toBeInstanceOf(type)
    await expect(attempt).rejects.toThrow(message)
    expect(node.version('w')).toBeUndefined()
    await expect(node.flush('w', { replicas: 1, timeoutMs: 1e12 })).rejects.toThrow(/^flush: timeoutMs must be/)
    c.stopAll()
  })
})

describe('mesh node stop', () => {
  it('writes under way when stop() is called end durable, not OutcomeUnknownError; writes after it are refused, nothing applied', async () => {
    // A slow disk: each store operation takes 200 ms of (simulated) time.
    const c = new ReplicaCluster({ size: 1, seed: useSeed(0x6d6e06, FILE, 'stop drains'), storeLatencyMs: 200 })
    c.runUntil(() => c.membershipSettled(), 10_000)
    const node = c.node('n00')
    const outcomes: string[] = []
    const writes = Array.from({ length: 5 }, async (_, i) => {
      try {
        await node.write('d', (doc) => { doc.getMap('kv').set(`k${i}`, i) })
        outcomes.push('durable')
      } catch (err) {
        outcomes.push((err as Error).name)
      }
    })
    const stopping = node.stop()
    await expect(node.write('d', (doc) => { doc.getMap('kv').set('late', 1) })).rejects.toThrow(/the peer is stopping: nothing was applied/)
    c.runFor(2_000)
    await stopping
    await Promise.all(writes)
    expect(outcomes).toEqual(['durable', 'durable', 'durable', 'durable', 'durable'])
    const persisted = c.store('n00')
    expect(persisted.has('d')).toBe(true)
    c.stopAll()
  })
})
