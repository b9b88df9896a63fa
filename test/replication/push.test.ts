import { describe, expect, it } from 'vitest'
import { Channel } from '../../src/core/transport.js'
import { decodeSync } from '../../src/replication/codec.js'
import type { MessageTypeName, SyncMessage } from '../../src/replication/codec.js'
import { StaticCluster, settle } from './helpers.js'
import type { SentFrame } from './helpers.js'

const MAX = 1024 * 1024

function decoded (frames: readonly SentFrame[]): Array<SentFrame & { msg: SyncMessage }> {
  return frames.filter(f => f.channel === Channel.sync).map(f => ({ ...f, msg: decodeSync(f.frame, MAX) }))
}

/** Every node knows every other node hosts `doc`. */
function hostsKnown (c: StaticCluster, doc: string): boolean {
  return c.ids.every(id => c.r(id).hostsOf(doc).length === c.ids.length - 1)
}

/**
 * Opens `doc` everywhere, waits until every node knows every other hosts it (anti-entropy discovers that),
 * then stretches anti-entropy to an hour: whatever spreads afterwards spreads by push.
 */
function hostsKnownThenPushOnly (c: StaticCluster, doc: string): void {
  c.openAll(doc)
  expect(c.network.runUntil(() => hostsKnown(c, doc), 30_000)).toBeDefined()
  // The loop re-reads its interval: stretching it now stops pulls without touching the hosts learned.
  for (const r of c.replicators.values()) Object.assign(r.config, { antiEntropyIntervalMs: 3_600_000 })
  c.network.runFor(400) // let already-scheduled rounds drain
}

describe('push and forward', () => {
  it('pushes a durable local write to its homes and k other hosts; each peer forwards a new update once, never back to its sender', async () => {
    const k = 3
    // Anti-entropy only for discovery, then effectively off: what spreads afterwards spreads by push.
    // pushAllMaxHosts 0: always the epidemic, which is what this test examines (see the next test for direct pushes).
    const c = new StaticCluster({ size: 12, seed: 7, replication: { pushFanout: k, pushAllMaxHosts: 0, discoveryRatio: 1, antiEntropyIntervalMs: 200 } })
    hostsKnownThenPushOnly(c, 'doc')
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
    const homes = c.r('n0').homes('doc').filter(h => h !== 'n0')
    const first = bySender.get('n0') ?? []
    expect(first.length).toBe(homes.length + k)
    for (const h of homes) expect(first).toContain(h)
    for (const [sender, targets] of bySender) {
      // Forwarded at most once: one burst of at most k frames, to distinct peers.
      if (sender !== 'n0') expect(targets.length, sender).toBeLessThanOrEqual(k)
      expect(new Set(targets).size).toBe(targets.length)
      if (sender === 'n0') continue
      // Never back to the peer it first heard the update from.
      const firstFrom = received.find(f => f.to === sender)?.from
      expect(targets).not.toContain(firstFrom)
      expect(targets).not.toContain(sender)
    }
    expect(updates.length).toBeLessThanOrEqual(k * c.ids.length + homes.length)
    const stats = c.ids.map(id => c.r(id).stats())
    expect(stats.reduce((n, s) => n + s.forwards, 0)).toBe(updates.length - first.length)
    // Push + forward reach most peers without any pull (≈ 94 % at k = 3).
    const reached = c.ids.filter(id => c.r(id).doc('doc')?.getMap('kv').get('x') === 'y').length
    expect(reached).toBeGreaterThanOrEqual(c.ids.length - 2)
    c.stop()
  })

  it('with few hosts, pushes a local write to every live host directly, and nobody forwards it', async () => {
    const c = new StaticCluster({ size: 8, seed: 5, replication: { discoveryRatio: 1, antiEntropyIntervalMs: 200 } })
    hostsKnownThenPushOnly(c, 'doc')
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
    // k = 0: a write goes to its homes only; the fourth peer, which holds the doc open, gets it by a pull.
    const c = new StaticCluster({ size: 4, seed: 3, replication: { pushFanout: 0, pushAllMaxHosts: 0 } })
    c.openAll('doc')
    c.network.runFor(500)
    c.r('n0').write('doc', d => { d.getText('text').insert(0, 'pulled') }).catch(() => {})
    expect(c.network.runUntil(() => c.converged(['doc']), 30_000)).toBeDefined()
    for (const id of c.ids) expect(c.r(id).stats().forwards).toBe(0)
    expect(c.r('n0').stats().pushes).toBe(c.r('n0').homes('doc').filter(h => h !== 'n0').length)
    for (const id of c.ids.slice(1)) expect(c.r(id).stats().pushes).toBe(0)
    c.stop()
  })

  it('an update that arrives with an earlier one missing (an epidemic push missed this host) is followed at once by a round with its sender: nothing stays pending', async () => {
    // Epidemic only (k = 3 reaches ≈ 94 % of hosts per update), anti-entropy effectively off: a host that
    // missed one of n0's updates parks every later one as pending until something fills the gap. Before,
    // nothing did until the next anti-entropy round; on the loaded 30-peer mesh a quarter of the updates a
    // peer received were pending.
    const c = new StaticCluster({ size: 12, seed: 0x9a9, replication: { pushFanout: 3, pushAllMaxHosts: 0, discoveryRatio: 1, antiEntropyIntervalMs: 200 } })
    hostsKnownThenPushOnly(c, 'doc')
    for (let i = 0; i < 20; i++) {
      c.r('n0').write('doc', d => { d.getMap('kv').set(`w${i}`, i) }).catch(() => {})
      c.network.runFor(50)
      await settle()
    }
    c.network.runFor(2_000)
    await settle()
    const pending = c.ids.filter(id => c.r(id).stats().pendingUpdateBytes > 0)
    const holes = c.ids.filter(id => {
      const kv = c.r(id).doc('doc')?.getMap('kv')
      const have = Array.from({ length: 20 }, (_, i) => kv?.has(`w${i}`) === true)
      return have.some((h, i) => !h && have.slice(i + 1).some(Boolean))
    })
    expect(pending, 'hosts with updates still pending').toEqual([])
    expect(holes, 'hosts missing a write older than one they have').toEqual([])
    expect(c.ids.reduce((n, id) => n + c.r(id).stats().gapFills, 0), 'gaps there were to fill').toBeGreaterThan(0)
    c.stop()
  })

  it('pushes to a host its writer suspects: the suspect gets every write at once, and none waits behind a gap', async () => {
    // Issue 14: on a loaded mesh a slow member is suspected many times a minute. Before, pushes skipped it;
    // each skipped write left it a gap, and every later write of that writer sat pending (merged into a
    // growing Yjs blob, O(pending) per update) until anti-entropy brought the one it missed.
    const c = new StaticCluster({ size: 4, seed: 0x5a5, replication: { discoveryRatio: 1, antiEntropyIntervalMs: 200 } })
    hostsKnownThenPushOnly(c, 'doc')
    const pendingBefore = c.r('n3').stats().updatesPending
    c.suspect('n0', 'n3')
    for (let i = 0; i < 5; i++) {
      c.r('n0').write('doc', d => { d.getMap('kv').set(`w${i}`, i) }).catch(() => {})
      c.network.runFor(100)
      await settle()
      expect(c.r('n3').doc('doc')?.getMap('kv').get(`w${i}`), `write ${i} on the suspect`).toBe(i)
    }
    expect(c.r('n3').stats().updatesPending - pendingBefore).toBe(0)
    c.stop()
  })
})

describe('pushes and the connection budget', () => {
  it('at its connection budget, a peer spreads writes over the connections it holds instead of dialling whoever it draws', () => {
    // 24 peers hosting one doc, 8 of them writing twice a second, each allowed 8 connections. Drawn among all
    // hosts, the epidemic's targets were mostly unconnected: every such push dialled, and the budget closed
    // another connection that a later draw dialled again (1,778 dials for 5,247 pushes and forwards, seed 7).
    const c = new StaticCluster({ size: 24, seed: 7, maxConnections: 8, replication: { discoveryRatio: 1, antiEntropyIntervalMs: 200 } })
    c.openAll('doc')
    expect(c.network.runUntil(() => hostsKnown(c, 'doc'), 30_000)).toBeDefined()
    // Anti-entropy rare from now on: what spreads during the writes spreads by push (its rounds dial too).
    for (const r of c.replicators.values()) Object.assign(r.config, { antiEntropyIntervalMs: 30_000 })
    c.network.runFor(400)
    const before = { dials: c.network.connectionStats.dials, spread: spreadCount(c) }
    const writers = c.ids.slice(0, 8)
    const until = c.network.now + 20_000
    let written = 0
    for (const id of writers) {
      const write = (): void => {
        const key = `${id}-${written++}`
        void c.r(id).write('doc', (d) => { d.getMap('kv').set(key, 1) }).catch(() => {})
        if (c.network.now + 500 < until) c.network.at(c.network.now + 500, write)
      }
      c.network.at(c.network.now + c.network.random.int(500), write)
    }
    c.network.runFor(20_000)
    const dials = c.network.connectionStats.dials - before.dials
    const spread = spreadCount(c) - before.spread
    expect(written).toBeGreaterThan(300)
    expect(spread).toBeGreaterThan(10 * written)
    // Dials are the homes' (always sent to, connected or not) and the rare draw with fewer than k connected.
    expect(dials / spread, `${dials} dials for ${spread} pushes and forwards`).toBeLessThan(0.1)
    // What the epidemic missed, anti-entropy repairs: every host holds every write.
    expect(c.network.runUntil(() => c.ids.every(id => c.r(id).doc('doc')?.getMap('kv').size === written), 120_000)).toBeDefined()
  })
})

/** Pushes and forwards sent by every replicator of `c` so far. */
function spreadCount (c: StaticCluster): number {
  let n = 0
  for (const r of c.replicators.values()) n += r.stats().pushes + r.stats().forwards
  return n
}

describe('idle cost', () => {
  /** Sync bytes sent per anti-entropy interval, all peers, once `docs` homed docs have converged and gone idle. */
  async function idleBytesPerInterval (docs: number, seed: number): Promise<{ bytes: number, types: string[] }> {
    const names = Array.from({ length: docs }, (_, i) => `doc-${i}`)
    const c = new StaticCluster({ size: 5, seed })
    c.network.runFor(100)
    // Written on one peer each, not held open anywhere: they end up on their homes only.
    names.forEach((name, i) => { c.r(c.ids[i % c.ids.length] as string).write(name, d => { d.getMap('kv').set('i', i) }).catch(() => {}) })
    const homedEverywhere = (): boolean => names.every(name => c.r(c.ids[0] as string).homes(name).every(h => c.stores.get(h)?.names().includes(name) === true))
    expect(c.network.runUntil(homedEverywhere, 120_000)).toBeDefined()
    c.network.runFor(20_000) // handoffs, drops and rounds in flight finish
    const start = c.sent.length
    const intervals = 20
    c.network.runFor(intervals * c.r('n0').config.antiEntropyIntervalMs)
    const frames = decoded(c.sent.slice(start))
    const bytes = frames.reduce((n, f) => n + f.frame.byteLength, 0)
    c.stop()
    return { bytes: bytes / intervals, types: [...new Set(frames.map(f => f.msg.type))].sort() }
  }

  it('homed docs at rest cost the same whether there are 10 or 1,000: one summary and its answer per round', async () => {
    const few = await idleBytesPerInterval(10, 11)
    const many = await idleBytesPerInterval(1_000, 11)
    expect(many.types).toEqual(['summary', 'summaryReply'])
    expect(few.types).toEqual(['summary', 'summaryReply'])
    expect(many.bytes / few.bytes).toBeLessThanOrEqual(1.2)
    // Two frames per peer and round, a few dozen bytes each.
    expect(many.bytes).toBeLessThan(5 * 2 * 40)
  })
})
