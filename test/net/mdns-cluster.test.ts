/**
 * `--mdns <cluster>`: peers of one cluster find each other on the LAN; a peer of another cluster, on the
 * same LAN, is never discovered (each cluster is its own DNS-SD service). Real multicast, in-process
 * peers; MURMUR_NO_MDNS=1 skips where multicast is unavailable.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, test } from 'vitest'
import { createPeer, silentLogger } from '../../src/index.js'
import type { Peer } from '../../src/index.js'
import { MAX_MDNS_CLUSTER_CHARS, mdnsServiceTag } from '../../src/net/index.js'
import { sleep, waitFor } from '../helpers/procs.js'

describe.skipIf(process.env.MURMUR_NO_MDNS === '1')('mDNS clusters', () => {
  const peers: Peer[] = []
  afterAll(async () => { await Promise.all(peers.map(async p => { await p.stop() })) })
  const start = async (cluster: string): Promise<Peer> => {
    const p = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: { cluster }, profile: 'local', logger: silentLogger })
    peers.push(p)
    return p
  }
  const ids = (p: Peer): string[] => p.members().map(m => m.peerId).sort()

  test('the service name carries the cluster', () => {
    expect(mdnsServiceTag()).toBe('_murmur._udp.local')
    expect(mdnsServiceTag('blue')).toBe('_murmur-blue._udp.local')
  })

  test('same cluster: one mesh; another cluster on the same LAN: never discovered', async () => {
    const tag = randomBytes(3).toString('hex')
    const blue1 = await start(`blue-${tag}`)
    const red = await start(`red-${tag}`)
    const blue2 = await start(`blue-${tag}`)
    await waitFor('the blue peers to find each other', () => ids(blue1).length === 2 && ids(blue2).length === 2, 20_000)
    expect(ids(blue1)).toEqual([blue1.id, blue2.id].sort())
    // Both blue peers have queried and answered by now; give red as long again to hear of them.
    await sleep(2_000)
    expect(ids(red)).toEqual([red.id])
    expect(ids(blue1)).not.toContain(red.id)
  }, 40_000)
})

describe('mDNS cluster names', () => {
  test('a cluster name that would make the service label longer than DNS allows (63 bytes) is refused at start, naming the option', async () => {
    expect(MAX_MDNS_CLUSTER_CHARS).toBe(55)
    expect(mdnsServiceTag('c'.repeat(MAX_MDNS_CLUSTER_CHARS)).split('.')[0]).toHaveLength(63)
    // With 56 characters, `_murmur-<cluster>` is a 64-byte label: every mDNS packet naming it was dropped
    // by its receivers (dns-packet: "Cannot decode name (bad label)"), and the cluster's peers never met.
    const started = createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], mdns: { cluster: 'c'.repeat(MAX_MDNS_CLUSTER_CHARS + 1) }, logger: silentLogger })
    void started.then(async (p) => { await p.stop() }, () => {})
    await expect(started).rejects.toThrow(/^mdns\.cluster "c{56}": a cluster name is 1–55 lowercase letters, digits and dashes$/)
  })
})
