import { describe, expect, it } from 'vitest'
import { Channel } from '../src/core/transport.js'
import { decodeSync } from '../src/replication/codec.js'
import type { MessageTypeName, SyncMessage } from '../src/replication/codec.js'
import { StaticCluster, settle } from './replication-helpers.js'
import type { SentFrame } from './replication-helpers.js'

const MAX = 1024 * 1024

function decoded (frames: readonly SentFrame[]): Array<SentFrame & { msg: SyncMessage }> {
  return frames.filter(f => f.channel === Channel.sync).map(f => ({ ...f, msg: decodeSync(f.frame, MAX) }))
}

/** Every node knows every other node hosts `doc`. */
function hostsKnown (c: StaticCluster, doc: string): boolean {
  return c.ids.every(id => c.r(id).hostsOf(doc).length === c.ids.length - 1)
}

describe('push and forward', () => {
  it('pushes a durable local write to k hosts; each peer forwards a new update once, never back to its sender', async () => {
    const k = 3
    // Anti-entropy only for discovery, then effectively off: what spreads afterwards spreads by push.
    // pushAllMaxHosts 0: always the epidemic, which is what this test examines (see the next test for direct pushes).
    const c = new StaticCluster({ size: 12, seed: 7, replication: { pushFanout: k, pushAllMaxHosts: 0, discoveryRatio: 1, antiEntropyIntervalMs: 200 } })
    c.openAll('doc')
    expect(c.network.runUntil(() => hostsKnown(c, 'doc'), 30_000)).toBeDefined()
    // The loop re-reads its interval: stretching it now stops pulls without touching the hosts learned.
    for (const r of c.replicators.values()) Object.assign(r.config, { antiEntropyIntervalMs: 3_600_000 })
    c.network.runFor(400) // let already-scheduled rounds drain
    const start = c.sent.length
    const startReceived = c.received.length
    let acked = false
    c.r('n0').write('doc', d => { d.getMap('kv').set('x', 'y') }).then(() => { acked = true }, () => {})
    c.network.runFor(2_000)
    await settle()
    expect(acked).toBe(true)

    const updates = decoded(c.sent.slice(start)).filter(f => f.msg.type === 'update')
    const received = decoded(c.received.slice(startReceived)).filter(f => f.msg.type === 'update')
    const bySender = new Map<string, string[]>()
    for (const f of updates) bySender.set(f.from, [...bySender.get(f.from) ?? [], f.to as string])
    expect(bySender.get('n0')?.length).toBe(k)
    for (const [sender, targets] of bySender) {
      // Forwarded at most once: one burst of at most k frames, to distinct peers.
      expect(targets.length, sender).toBeLessThanOrEqual(k)
      expect(new Set(targets).size).toBe(targets.length)
      if (sender === 'n0') continue
      // Never back to the peer it first heard the update from.
      const firstFrom = received.find(f => f.to === sender)?.from
      expect(targets).not.toContain(firstFrom)
      expect(targets).not.toContain(sender)
    }
    expect(updates.length).toBeLessThanOrEqual(k * c.ids.length)
    const stats = c.ids.map(id => c.r(id).stats())
    expect(stats.reduce((n, s) => n + s.forwards, 0)).toBe(updates.length - k)
    // Push + forward reach most peers without any pull (≈ 94 % at k = 3).
    const reached = c.ids.filter(id => c.r(id).doc('doc')?.getMap('kv').get('x') === 'y').length
    expect(reached).toBeGreaterThanOrEqual(c.ids.length - 2)
    c.stop()
  })

  it('with few hosts, pushes a local write to every live host directly, and nobody forwards it', async () => {
    const c = new StaticCluster({ size: 8, seed: 5, replication: { discoveryRatio: 1, antiEntropyIntervalMs: 200 } })
    c.openAll('doc')
    expect(c.network.runUntil(() => hostsKnown(c, 'doc'), 30_000)).toBeDefined()
    for (const r of c.replicators.values()) Object.assign(r.config, { antiEntropyIntervalMs: 3_600_000 })
    c.network.runFor(400)
    const start = c.sent.length
    c.r('n0').write('doc', d => { d.getMap('kv').set('x', 'y') }).catch(() => {})
    c.network.runFor(2_000)
    const updates = decoded(c.sent.slice(start)).filter(f => f.msg.type === 'update')
    expect(updates.map(f => f.from).every(from => from === 'n0')).toBe(true)
    expect(new Set(updates.map(f => f.to)).size).toBe(c.ids.length - 1)
    expect(updates.every(f => f.msg.type === 'update' && !f.msg.spread)).toBe(true)
    expect(c.ids.every(id => c.r(id).doc('doc')?.getMap('kv').get('x') === 'y')).toBe(true)
    expect(c.ids.reduce((n, id) => n + c.r(id).stats().forwards, 0)).toBe(0)
    c.stop()
  })

  it('in a small mesh, opening a doc announces it to every live peer at once: the first write after is pushed to all', async () => {
    // No periodic anti-entropy at all: only the rounds that opening a doc starts.
    const c = new StaticCluster({ size: 8, seed: 11, replication: { antiEntropyIntervalMs: 3_600_000 } })
    // Opened one after another, as peers do when a doc is created on one and read on the others.
    for (const [i, id] of c.ids.entries()) c.network.at(c.network.now + i * 50, () => { c.r(id).open('doc').catch(() => {}) })
    expect(c.network.runUntil(() => hostsKnown(c, 'doc'), 2_000), 'every peer knows every other hosts it').toBeDefined()
    const start = c.sent.length
    c.r('n5').write('doc', d => { d.getMap('kv').set('x', 'y') }).catch(() => {})
    c.network.runFor(500)
    const updates = decoded(c.sent.slice(start)).filter(f => f.msg.type === 'update')
    expect(new Set(updates.map(f => f.to)).size).toBe(c.ids.length - 1)
    expect(c.ids.every(id => c.r(id).doc('doc')?.getMap('kv').get('x') === 'y')).toBe(true)
    c.stop()
  })

  it('does not forward updates learned through anti-entropy', async () => {
    const c = new StaticCluster({ size: 4, seed: 3, replication: { pushFanout: 0, pushAllMaxHosts: 0 } })
    c.openAll('doc')
    c.network.runFor(500)
    c.r('n0').write('doc', d => { d.getText('text').insert(0, 'pulled') }).catch(() => {})
    expect(c.network.runUntil(() => c.converged(['doc']), 30_000)).toBeDefined()
    for (const id of c.ids) expect(c.r(id).stats().forwards).toBe(0)
    for (const id of c.ids) expect(c.r(id).stats().pushes).toBe(0)
    c.stop()
  })
})

describe('idle cost', () => {
  it('N idle docs cost only digest frames: per doc and round, its name plus 22 bytes (16 of digest), and a bit in the reply', async () => {
    const docs = Array.from({ length: 200 }, (_, i) => `doc-${i}`)
    const c = new StaticCluster({ size: 4, seed: 11 })
    for (const d of docs) c.openAll(d)
    c.network.runFor(500)
    for (let i = 0; i < 20; i++) {
      const id = c.ids[i % c.ids.length] as string
      void c.r(id).write(docs[i * 7] as string, d => { d.getMap('kv').set('i', i) }).catch(() => {})
    }
    expect(c.network.runUntil(() => c.converged(docs), 60_000)).toBeDefined()
    c.network.runFor(5_000) // rounds in flight finish
    await settle()

    const before = c.ids.map(id => c.r(id).stats())
    const start = c.sent.length
    const intervals = 10
    c.network.runFor(intervals * c.r('n0').config.antiEntropyIntervalMs)
    const after = c.ids.map(id => c.r(id).stats())
    const types = new Set(decoded(c.sent.slice(start)).map(f => f.msg.type))
    expect([...types].sort()).toEqual(['digests', 'digestsReply'])
    const delta = (t: MessageTypeName, field: 'framesOut' | 'bytesOut'): number =>
      after.reduce((n, s, i) => n + s[field][t] - (before[i]?.[field][t] ?? 0), 0)
    const rounds = delta('digests', 'framesOut')
    expect(rounds).toBeGreaterThanOrEqual(c.ids.length * (intervals - 1))
    const bytesPerDocPerRound = delta('digests', 'bytesOut') / rounds / docs.length
    const avgName = docs.reduce((n, d) => n + d.length, 0) / docs.length
    expect(bytesPerDocPerRound).toBeLessThan(avgName + 22 + 1) // + the frame envelope, amortised
    // The reply is a bitmap: about a bit per doc.
    expect(delta('digestsReply', 'bytesOut') / rounds).toBeLessThan(docs.length / 8 + 32)
    for (const t of ['syncDoc', 'update', 'ack', 'chunk'] as const) expect(delta(t, 'framesOut')).toBe(0)
    c.stop()
  })
})
