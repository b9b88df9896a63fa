import { describe, expect, it } from 'vitest'
import { ALIVE_SYNC_SPACING_MS } from '../../src/replication/anti-entropy.js'
import { HostDirectory } from '../../src/replication/host-directory.js'
import { INITIAL_FETCH_WAIT_MS } from '../../src/doc-fetch.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { until } from '../helpers/sim-until.js'
import { StaticCluster } from './helpers.js'

describe('hosting discovery', () => {
  it('a peer that opens a rare doc finds its host through hints from peers that do not host it', () => {
    const c = new StaticCluster({ size: 12, seed: 61, replication: { discoveryRatio: 1, fetchFanout: 3 } })
    c.r('n0').open('rare').catch(() => {})
    c.r('n0').write('rare', d => { d.getMap('kv').set('found', true) }).catch(() => {})
    for (const id of c.ids) c.r(id).open(`common-${id}`).catch(() => {}) // everyone has something to sync
    // n0's rounds list "rare": the peers it talks to learn that n0 hosts it.
    c.network.runFor(8_000)
    const informed = c.ids.filter(id => id !== 'n0' && c.r(id).hostsOf('rare').includes('n0'))
    expect(informed.length).toBeGreaterThanOrEqual(3)
    // n5 stops its own periodic rounds: only the open-time fetch and the hints it gets back can find n0.
    const late = c.r('n5')
    Object.assign(late.config, { antiEntropyIntervalMs: 3_600_000 })
    c.network.runFor(1_500)
    const found = (): boolean => late.doc('rare')?.getMap('kv').get('found') === true
    late.open('rare').catch(() => {})
    expect(c.network.runUntil(found, 500, 5)).toBeDefined()
    expect(late.hostsOf('rare')).toContain('n0')
    c.stop()
  })

  it('learns hosts from membership: a joining peer syncs with every member as it sees it alive', () => {
    const cluster = new ReplicaCluster({ size: 6, seed: 62, replication: { antiEntropyIntervalMs: 3_600_000 } })
    for (const id of cluster.ids) cluster.open(id, 'doc')
    expect(cluster.runUntil(() => cluster.membershipSettled(), 30_000)).toBeDefined()
    // The rounds with members that came alive are paced (ALIVE_SYNC_SPACING_MS, ±50 %): five of them.
    cluster.runFor(5 * 1.5 * ALIVE_SYNC_SPACING_MS + 1_000)
    // With periodic rounds off, hosts were learned from the rounds started on `joined` events.
    for (const id of cluster.ids) expect(cluster.replicator(id).hostsOf('doc').length, id).toBe(5)
    cluster.stopAll()
  })
})

describe('opening a doc for the first time', () => {
  // peer.doc() of a new doc waited the whole INITIAL_FETCH_WAIT_MS (1 s) although every home had answered it
  // holds none within a round trip; a y-websocket client of a new doc got its first sync that much later.
  it('ends its wait once every live home said it holds none; a doc a home holds still arrives', async () => {
    const c = new ReplicaCluster({ size: 5, seed: 63, replication: { replicas: 3 } })
    expect(c.runUntil(() => c.membershipSettled(), 30_000)).toBeDefined()
    c.runFor(3_000)
    const opened: number[] = []
    for (let i = 0; i < 5; i++) {
      const start = c.network.now
      await until(c, c.node('n00').doc(`fresh-${i}`))
      opened.push(c.network.now - start)
    }
    console.log('ms to open five new docs:', opened.join(', '))
    expect(Math.max(...opened), `ms to open five new docs: ${opened.join(', ')}`).toBeLessThan(INITIAL_FETCH_WAIT_MS / 2)
    await until(c, c.node('n01').write('held', d => { d.getMap('kv').set('k', 'v') }))
    const reader = c.ids.find(id => !c.replicator('n01').homes('held').includes(id) && id !== 'n01') as string
    const doc = await until(c, c.node(reader).doc('held'))
    expect(doc.getMap('kv').get('k')).toBe('v')
    c.stopAll()
  })
})

describe('HostDirectory', () => {
  const alive = (...ids: string[]): Set<string> => new Set(ids)

  it('marks a host open only when it says so, and keeps the mark through what says nothing', () => {
    const h = new HostDirectory(100, 10, () => false)
    h.add('p', 'd') // a sync step: hosts, open not said
    expect(h.openHostsOf('d', alive('p'))).toEqual([])
    h.add('p', 'd', true) // its push said open
    h.add('q', 'd', false)
    h.add('p', 'd') // a later step says nothing: still open
    expect(h.hostsOf('d', alive('p', 'q'))).toEqual(['q', 'p'])
    expect(h.openHostsOf('d', alive('p', 'q'))).toEqual(['p'])
    expect(h.hasOpenHost('d')).toBe(true)
    expect(h.openHostsOf('d', alive('p', 'q'), 'p')).toEqual([])
    expect(h.openHostsOf('d', alive('q'))).toEqual([])
    h.notePage('p', 1, 0, 1, ['d'], () => false) // its full listing says it closed the doc (still a host)
    expect(h.openHostsOf('d', alive('p', 'q'))).toEqual([])
    expect(h.hasOpenHost('d')).toBe(false)
    expect(h.hosts('p', 'd')).toBe(true)
  })

  it('replaces a peer\'s docs once every page of a full listing arrived', () => {
    const h = new HostDirectory(100, 10, () => false)
    h.add('p', 'old')
    h.notePage('p', 7, 1, 2, ['b'])
    expect(h.hostsOf('old', alive('p'))).toEqual(['p']) // incomplete listing: add only
    h.notePage('p', 7, 0, 2, ['a'])
    expect(h.hostsOf('old', alive('p'))).toEqual([])
    expect(h.hostsOf('a', alive('p'))).toEqual(['p'])
    expect(h.hostsOf('b', alive('p'))).toEqual(['p'])
  })

  it('bounds docs (forgetting docs it does not host first) and hosts per doc (least recently confirmed first)', () => {
    const h = new HostDirectory(3, 2, (doc) => doc === 'mine')
    h.add('p', 'mine')
    h.add('p', 'x')
    h.add('p', 'y')
    h.add('p', 'z')
    expect(h.trackedDocs).toBe(3)
    expect(h.hostsOf('x', alive('p'))).toEqual([])
    expect(h.hostsOf('mine', alive('p'))).toEqual(['p'])
    h.add('a', 'mine')
    h.add('p', 'mine') // refreshed
    h.add('b', 'mine')
    expect(h.hostsOf('mine', alive('a', 'b', 'p')).sort()).toEqual(['b', 'p'])
  })

  it('a member listing thousands of invented docs costs O(1) checks each, however many tracked docs this peer holds', () => {
    // Each new name used to scan every tracked doc held here for one to forget: 4,096 invented names at a
    // peer holding 10,000 tracked docs took ~1 s of its event loop (one listing page of a hostile member).
    const held = new Set(Array.from({ length: 2_000 }, (_, i) => `held-${i}`))
    let checks = 0
    const h = new HostDirectory(held.size, 4, (doc) => { checks++; return held.has(doc) })
    for (const doc of held) h.add('honest', doc)
    checks = 0
    for (let i = 0; i < 4_096; i++) h.add('hostile', `invented-${i}`)
    expect(checks).toBeLessThanOrEqual(2 * 4_096)
    expect(h.trackedDocs).toBe(held.size + 1)
    for (const doc of held) expect(h.hostsOf(doc, alive('honest'))).toEqual(['honest'])
    // A held doc handed over (no longer held here) is forgettable again, oldest first among those.
    held.delete('held-0')
    h.add('honest', 'held-0')
    h.add('hostile', 'invented-again')
    expect(h.hostsOf('invented-4095', alive('hostile'))).toEqual([])
    expect(h.hostsOf('held-0', alive('honest'))).toEqual(['honest'])
    h.add('hostile', 'one-more')
    expect(h.hostsOf('held-0', alive('honest'))).toEqual([])
    expect(h.trackedDocs).toBe(held.size + 2)
  })

  it('a full listing that never completes holds no more names than the directory tracks', () => {
    // A member sending 63 of 64 pages of 4,096 names: every name used to be kept for the listing's end.
    const h = new HostDirectory(1_000, 4, () => false)
    const page = (p: number): string[] => Array.from({ length: 4_096 }, (_, i) => `page-${p}-${i}`)
    for (let p = 0; p < 63; p++) h.notePage('hostile', 9, p, 64, page(p))
    expect(h.trackedDocs).toBe(1_000)
    expect(h.listingDocs).toBeLessThanOrEqual(1_000)
    // Completing it still forgets what the listing did not contain, among what is tracked.
    h.add('hostile', 'closed')
    h.notePage('hostile', 9, 63, 64, ['last'])
    expect(h.hostsOf('closed', alive('hostile'))).toEqual([])
    expect(h.hostsOf('last', alive('hostile'))).toEqual(['hostile'])
    expect(h.hostsOf('page-62-4095', alive('hostile'))).toEqual(['hostile'])
    expect(h.listingDocs).toBe(0)
  })

  it('filters by liveness and forgets peers that are gone', () => {
    const h = new HostDirectory(100, 10, () => true)
    h.add('p', 'd')
    h.add('q', 'd')
    expect(h.hostsOf('d', alive('q'))).toEqual(['q'])
    expect(h.hostsOf('d', alive('p', 'q'), 'q')).toEqual(['p'])
    expect(h.coHosts(['d', 'e'], alive('p'))).toEqual(['p'])
    h.prune(alive('q'))
    expect(h.hostsOf('d', alive('p', 'q'))).toEqual(['q'])
  })
})
