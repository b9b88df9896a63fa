/**
 * `murmur_doc_structs`: the Yjs structs the loaded docs hold — their CRDT history. The soak's RSS judge
 * (scripts/soak/rss.ts) allows memory growth by it: every overwrite of a map value leaves the replaced item
 * behind, so a doc written over and over grows though its content stays the same size.
 */
import { describe, expect, it } from 'vitest'
import { FakeTransport } from '../helpers/fake-transport.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { createLogger } from '../../src/core/logger.js'
import { SeededRandom } from '../../src/core/random.js'
import { SPECS } from '../../src/http/metric-specs.js'
import type { Snapshot } from '../../src/http/metric-specs.js'
import { MemoryDocStore } from '../../src/replication/memory-store.js'
import { Replicator } from '../../src/replication/replicator.js'

function replicator (): Replicator {
  const r = new Replicator({
    transport: new FakeTransport(),
    clock: new ManualClock(),
    random: new SeededRandom(1),
    store: new MemoryDocStore(),
    log: createLogger(() => {}, 'error'),
    peers: { alivePeers: () => [], addressesOf: () => [], onPeerAlive: () => () => {} }
  }, { profile: 'sim' })
  r.start()
  return r
}

/** The gauge as a scrape reads it from these stats. */
function gauge (r: Replicator): number | undefined {
  const spec = SPECS.find(s => s.name === 'murmur_doc_structs')
  return spec?.read({ r: r.stats() } as unknown as Snapshot)[0]?.[1]
}

describe('murmur_doc_structs', () => {
  it('counts one struct per overwrite of keys written in turn: the replaced values stay as deleted items', async () => {
    const r = replicator()
    await r.open('soak')
    // The soak's pattern: a writer cycles through its keys, each value an object.
    const put = async (n: number): Promise<void> => { await r.write('soak', d => { d.getMap('kv').set(`p00-${n % 100}`, { slot: 'p00', n, at: 1_700_000_000_000 + n }) }) }
    for (let n = 0; n < 100; n++) await put(n)
    const live = r.stats().docStructs
    expect(live).toBeGreaterThanOrEqual(100)
    expect(gauge(r)).toBe(live)
    for (let n = 100; n < 600; n++) await put(n)
    expect(r.doc('soak')?.getMap('kv').size).toBe(100) // same content size …
    expect(r.stats().docStructs).toBe(live + 500) // … and 500 structs more
    expect(gauge(r)).toBe(live + 500)
    r.stop()
  })

  it('sums over every loaded doc', async () => {
    const r = replicator()
    for (const name of ['a', 'b']) {
      await r.open(name)
      for (let n = 0; n < 30; n++) await r.write(name, d => { d.getMap('kv').set(`k${n % 3}`, n) })
    }
    const one = (name: string): number => [...(r.doc(name)?.store.clients.values() ?? [])].reduce((sum, structs) => sum + structs.length, 0)
    expect(one('a')).toBeGreaterThanOrEqual(30)
    expect(r.stats().docStructs).toBe(one('a') + one('b'))
    r.stop()
  })
})
