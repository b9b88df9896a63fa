/**
 * mDNS discovery: a discovered peer is dialled, then reported once (not at every mDNS response).
 * Real multicast on this host; a random service tag keeps parallel runs and other meshes out.
 * Set MURMUR_NO_MDNS=1 to skip where multicast is unavailable.
 */
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import type { Destination } from '../../src/core/transport.js'
import type { Libp2pTransport } from '../../src/net/index.js'
import { sleep, startTransport, waitFor } from './helpers.js'

describe.skipIf(process.env.MURMUR_NO_MDNS === '1')('mDNS discovery', () => {
  const started: Libp2pTransport[] = []
  afterEach(async () => { await Promise.all(started.splice(0).map(async t => { await t.close(500) })) })

  it('dials a discovered peer and reports it once', async () => {
    const mdns = { intervalMs: 200, serviceTag: `_murmur-test-${randomBytes(4).toString('hex')}._udp.local` }
    const a = await startTransport({ mdns }, 'a')
    started.push(a)
    const found: Destination[] = []
    a.onDiscovered((d) => { found.push(d) })
    const b = await startTransport({ mdns }, 'b')
    started.push(b)
    await waitFor(() => found.some(d => d.id === b.localId), 15_000, 'a discovers b')
    await sleep(1000) // several more mDNS responses
    const aboutB = found.filter(d => d.id === b.localId)
    expect(aboutB).toHaveLength(1)
    expect(aboutB[0]?.addrs.every(x => x.endsWith(`/p2p/${b.localId}`))).toBe(true)
    // Dialled before it was reported: the connection is already there.
    expect(a.node.getConnections().some(c => c.remotePeer.toString() === b.localId)).toBe(true)
  })
})
