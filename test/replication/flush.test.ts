import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { VersionVectorJSON } from '../../src/replication/version-vector.js'
import type { MemoryDocStore } from '../../src/replication/memory-store.js'
import { decodeSync } from '../../src/replication/codec.js'
import { dominates, ofDoc, toJSON } from '../../src/replication/version-vector.js'
import { StaticCluster, settle } from './helpers.js'
import type { SentFrame } from './helpers.js'

/** The doc as `store` would restore it after a restart. */
function persisted (store: MemoryDocStore, doc: string): Y.Doc {
  const d = new Y.Doc()
  for (const u of store.entries(doc)) Y.applyUpdate(d, u)
  return d
}

interface Outcome { settled: boolean, value?: VersionVectorJSON, error?: Error, at?: number }

/** Tracks a promise's outcome and the virtual time it settled at (checked after each small step). */
function track (c: StaticCluster, p: Promise<VersionVectorJSON>): Outcome {
  const o: Outcome = { settled: false }
  p.then(v => { o.settled = true; o.value = v; o.at = c.network.now }, (e: unknown) => { o.settled = true; o.error = e as Error; o.at = c.network.now })
  return o
}

async function runUntilSettled (c: StaticCluster, o: Outcome, maxMs: number): Promise<void> {
  for (let t = 0; t < maxMs && !o.settled; t += 5) {
    c.network.runFor(5)
    await settle()
  }
}

/** Hosts are learned from the first anti-entropy rounds. */
function learnHosts (c: StaticCluster, doc: string): void {
  c.openAll(doc)
  expect(c.network.runUntil(() => c.ids.every(id => c.r(id).hostsOf(doc).length === c.ids.length - 1), 30_000)).toBeDefined()
}

describe('flush (WriteTo(n))', () => {
  it('an ack claims only what is durable at the acking peer: its vector as the durability wait began', async () => {
    // n1 gets n0's flush update (x), then n2's push (z) while x is still on its way to n1's disk. The
    // ack for x goes out when x is durable; z is not yet, so the ack's vector must not include it.
    let c: StaticCluster | undefined
    const violations: string[] = []
    const checkAck = (f: SentFrame): void => {
      if (f.from !== 'n1' || f.channel !== 'sync' || c === undefined) return
      const msg = decodeSync(f.frame, 1 << 20)
      if (msg.type !== 'ack') return
      const onDisk = ofDoc(persisted(c.stores.get('n1') as MemoryDocStore, 'doc'))
      if (!dominates(onDisk, msg.vector)) violations.push(`ack at ${f.time} claims ${JSON.stringify(toJSON(msg.vector))}, disk has ${JSON.stringify(toJSON(onDisk))}`)
    }
    c = new StaticCluster({ size: 3, seed: 24, storeLatencyMs: 50, replication: { antiEntropyIntervalMs: 600_000 }, onSend: checkAck })
    learnHosts(c, 'doc')
    const x = track(c, c.r('n0').write('doc', d => { d.getMap('kv').set('x', 1) }))
    c.network.runFor(2)
    const z = track(c, c.r('n2').write('doc', d => { d.getMap('kv').set('z', 1) }))
    await runUntilSettled(c, x, 1_000)
    const flush = track(c, c.r('n0').flush('doc', { replicas: 2, timeoutMs: 5_000 }))
    await runUntilSettled(c, flush, 5_000)
    await runUntilSettled(c, z, 1_000)
    expect(flush.error).toBeUndefined()
    expect(violations).toEqual([])
    c.stop()
  })

  it('resolves once n durable copies — this one and n − 1 other peers — applied and persisted our changes', async () => {
    // Slow stores and no push: the flush itself must carry the update and wait for the peers' disks.
    const c = new StaticCluster({ size: 5, seed: 21, storeLatencyMs: 40, replication: { pushFanout: 0, antiEntropyIntervalMs: 600_000 } })
    learnHosts(c, 'doc')
    const write = track(c, c.r('n0').write('doc', d => { d.getMap('kv').set('answer', 42) }))
    await runUntilSettled(c, write, 1_000)
    expect(write.value).toBeDefined()
    const started = c.network.now
    const flush = track(c, c.r('n0').flush('doc', { replicas: 4, timeoutMs: 5_000 }))
    await runUntilSettled(c, flush, 5_000)
    expect(flush.error).toBeUndefined()
    expect(flush.value).toEqual(write.value)
    // At that moment at least three peers' stores hold the write; a peer's ack waits for its disk.
    const durable = c.ids.slice(1).filter(id => persisted(c.stores.get(id) as MemoryDocStore, 'doc').getMap('kv').get('answer') === 42)
    expect(durable.length).toBeGreaterThanOrEqual(3)
    expect((flush.at ?? 0) - started).toBeGreaterThanOrEqual(40)
    c.stop()
  })

  it('covers delete-only changes, which vectors do not show', async () => {
    const c = new StaticCluster({ size: 3, seed: 22, replication: { pushFanout: 0, antiEntropyIntervalMs: 600_000 } })
    learnHosts(c, 'doc')
    const w1 = track(c, c.r('n0').write('doc', d => { d.getMap('kv').set('gone', true) }))
    await runUntilSettled(c, w1, 1_000)
    const f1 = track(c, c.r('n0').flush('doc', { replicas: 3, timeoutMs: 2_000 }))
    await runUntilSettled(c, f1, 2_000)
    expect(f1.value).toBeDefined()
    const w2 = track(c, c.r('n0').write('doc', d => { d.getMap('kv').delete('gone') }))
    await runUntilSettled(c, w2, 1_000)
    expect(w2.value).toEqual(w1.value) // a delete does not advance the vector
    const f2 = track(c, c.r('n0').flush('doc', { replicas: 3, timeoutMs: 2_000 }))
    await runUntilSettled(c, f2, 2_000)
    expect(f2.value).toBeDefined()
    for (const id of ['n1', 'n2']) expect(persisted(c.stores.get(id) as MemoryDocStore, 'doc').getMap('kv').has('gone'), id).toBe(false)
    c.stop()
  })

  it('times out when the peers are cut off, and counts only what was confirmed', async () => {
    const c = new StaticCluster({ size: 4, seed: 23 })
    learnHosts(c, 'doc')
    c.network.partition(['n0'], ['n1', 'n2', 'n3'])
    const write = track(c, c.r('n0').write('doc', d => { d.getText('text').insert(0, 'alone') }))
    await runUntilSettled(c, write, 1_000)
    expect(write.value).toBeDefined() // local writes never wait for the network
    const start = c.network.now
    const flush = track(c, c.r('n0').flush('doc', { replicas: 2, timeoutMs: 2_000 }))
    await runUntilSettled(c, flush, 3_000)
    expect(flush.error?.name).toBe('TimeoutError')
    expect((flush.at ?? 0) - start).toBeGreaterThanOrEqual(2_000)
    expect((flush.at ?? 0) - start).toBeLessThan(2_100)
    // Half the mesh reachable: two copies (ours and one) are possible, four are not.
    c.network.heal()
    c.network.partition(['n0', 'n1'], ['n2', 'n3'])
    const one = track(c, c.r('n0').flush('doc', { replicas: 2, timeoutMs: 2_000 }))
    const three = track(c, c.r('n0').flush('doc', { replicas: 4, timeoutMs: 2_000 }))
    await runUntilSettled(c, three, 3_000)
    expect(one.value).toBeDefined()
    expect(three.error?.name).toBe('TimeoutError')
    expect(c.r('n0').stats()).toMatchObject({ flushes: 3, flushesSucceeded: 1, flushesFailed: 2, pendingFlushes: 0 })
    c.stop()
  })

  it('retries through loss', async () => {
    const c = new StaticCluster({ size: 4, seed: 24, link: { loss: 0.3 }, replication: { pushFanout: 0, antiEntropyIntervalMs: 600_000 } })
    c.network.setDefaultLink({ loss: 0 })
    learnHosts(c, 'doc')
    c.network.setDefaultLink({ loss: 0.3 })
    const write = track(c, c.r('n0').write('doc', d => { d.getMap('kv').set('x', 1) }))
    await runUntilSettled(c, write, 1_000)
    const flush = track(c, c.r('n0').flush('doc', { replicas: 4, timeoutMs: 10_000 }))
    await runUntilSettled(c, flush, 10_000)
    expect(flush.value).toBeDefined()
    c.stop()
  })

  it('resolves at once for zero replicas and rejects bad arguments and unknown docs', async () => {
    const c = new StaticCluster({ size: 2, seed: 25 })
    c.openAll('doc')
    c.network.runFor(10)
    await expect(c.r('n0').flush('doc', { replicas: 0, timeoutMs: 0 })).resolves.toEqual({})
    await expect(c.r('n0').flush('doc', { replicas: -1, timeoutMs: 10 })).rejects.toThrow(RangeError)
    await expect(c.r('n0').flush('nope', { replicas: 2, timeoutMs: 10 })).rejects.toMatchObject({ name: 'DocNotFoundError' })
    const pending = track(c, c.r('n0').flush('doc', { replicas: 6, timeoutMs: 60_000 }))
    c.r('n0').stop()
    await settle()
    expect(pending.error?.name).toBe('NotRunningError')
    c.stop()
  })
})
