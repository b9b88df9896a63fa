/**
 * Connections: peer events, the connection budget (LRU pruning), the allowlist, the no-churn goal for idle
 * traffic, sending to ourselves, and a quick close.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import type { PeerEvent } from '../../src/core/transport.js'
import { PROTOCOLS } from '../../src/net/index.js'
import type { Libp2pTransport } from '../../src/net/index.js'
import { captureLog, sleep, startTransport, waitFor } from './helpers.js'

describe('connections', () => {
  const started: Libp2pTransport[] = []
  afterEach(async () => { await Promise.all(started.splice(0).map(async t => { await t.close(500) })) })
  // These tests are about connections and their streams: small swim frames would otherwise travel as
  // datagrams once keys are exchanged (test/net/datagrams.test.ts), with no connection needed.
  const start = async (init: Parameters<typeof startTransport>[0] = {}, name?: string): Promise<Libp2pTransport> => {
    const t = await startTransport({ datagrams: false, ...init }, name)
    started.push(t)
    return t
  }
  const dest = (t: Libp2pTransport): { id: string, addrs: string[] } => ({ id: t.localId, addrs: t.addresses() })
  const peersOf = (t: Libp2pTransport): string[] => [...new Set(t.node.getConnections().map(c => c.remotePeer.toString()))].sort()

  it('emits connected on first contact and disconnected when the last connection closes', async () => {
    const a = await start({}, 'a')
    const b = await start({}, 'b')
    const atA: PeerEvent[] = []
    const atB: PeerEvent[] = []
    a.onPeerEvent((e) => { atA.push(e) })
    b.onPeerEvent((e) => { atB.push(e) })
    a.send('swim', dest(b), Uint8Array.of(1))
    await waitFor(() => atA.length === 1 && atB.length === 1, 15_000, 'both see the connection')
    expect(atA).toEqual([{ type: 'connected', id: b.localId }])
    expect(atB).toEqual([{ type: 'connected', id: a.localId }])
    await b.close(500)
    await waitFor(() => atA.length === 2, 15_000, 'a sees b go')
    expect(atA[1]).toEqual({ type: 'disconnected', id: b.localId })
  })

  it('counts each dial by what needed it: a channel\'s frame, a dial ahead of a probe', async () => {
    const a = await start({}, 'a')
    const [b, c] = await Promise.all([start({}, 'b'), start({}, 'c')])
    let atB = 0
    b.onFrame('sync', () => { atB++ })
    a.send('sync', dest(b), Uint8Array.of(1))
    a.send('swim', dest(b), Uint8Array.of(2)) // shares the sync frame's dial
    await waitFor(() => atB === 1, 15_000, 'b reached')
    a.connect(dest(c))
    await waitFor(() => peersOf(a).includes(c.localId), 15_000, 'a connected to c')
    expect(a.stats().dialsBy).toEqual({ swim: 0, sync: 1, presence: 0, ahead: 1, address: 0, discovery: 0 })
    expect(a.stats().dials.ok).toBe(2)
  })

  it('prunes the least recently used idle connection above maxConnections', async () => {
    const a = await start({ maxConnections: 2, pruneGraceMs: 200 }, 'a')
    const [b, c, d] = await Promise.all([start({}, 'b'), start({}, 'c'), start({}, 'd')])
    const got = new Map<string, number>()
    for (const t of [b, c, d]) t.onFrame('swim', () => { got.set(t.localId, (got.get(t.localId) ?? 0) + 1) })
    const bEvents: PeerEvent[] = []
    b.onPeerEvent((e) => { bEvents.push(e) })
    a.send('swim', dest(b), Uint8Array.of(1))
    await waitFor(() => got.get(b.localId) === 1, 15_000, 'b reached')
    await sleep(50)
    a.send('swim', dest(c), Uint8Array.of(1))
    await waitFor(() => got.get(c.localId) === 1, 15_000, 'c reached')
    await sleep(250) // b and c are past the grace period; b is the least recently used
    a.send('swim', dest(d), Uint8Array.of(1))
    await waitFor(() => got.get(d.localId) === 1, 15_000, 'd reached')
    await waitFor(() => peersOf(a).length === 2, 15_000, 'a is back at its cap')
    expect(peersOf(a)).toEqual([c.localId, d.localId].sort())
    expect(a.stats().prunedConnections).toBe(1)
    await waitFor(() => bEvents.some(e => e.type === 'disconnected'), 15_000, 'b sees the pruned connection close')
    // b is still reachable on demand: the next send re-dials (and now c is the least recently used).
    a.send('swim', dest(b), Uint8Array.of(2))
    await waitFor(() => got.get(b.localId) === 2, 15_000, 'b reached again')
    await waitFor(() => peersOf(a).length === 2 && !peersOf(a).includes(c.localId), 15_000, 'c pruned next')
  })

  it('counts opening a connection as use: one dialled ahead of its first frame is not pruned first', async () => {
    // The prober dials the members it probes in the next seconds (Prober.connectAhead). Before, a connection
    // that had carried nothing yet sorted before every used one, so the budget closed it before its ping.
    const a = await start({ maxConnections: 2, pruneGraceMs: 200 }, 'a')
    const [b, c, d] = await Promise.all([start({}, 'b'), start({}, 'c'), start({}, 'd')])
    const got = new Map<string, number>()
    for (const t of [b, c, d]) t.onFrame('swim', () => { got.set(t.localId, (got.get(t.localId) ?? 0) + 1) })
    a.send('swim', dest(b), Uint8Array.of(1))
    await waitFor(() => got.get(b.localId) === 1, 15_000, 'b reached')
    await sleep(50)
    a.connect(dest(c))
    await waitFor(() => a.isConnected(c.localId), 15_000, 'c connected ahead of use')
    await sleep(250) // both past the grace period; b was used before c was opened
    a.send('swim', dest(d), Uint8Array.of(1))
    await waitFor(() => got.get(d.localId) === 1, 15_000, 'd reached')
    await waitFor(() => peersOf(a).length === 2, 15_000, 'a is back at its cap')
    expect(peersOf(a)).toEqual([c.localId, d.localId].sort())
    expect(got.get(c.localId)).toBeUndefined()
  })

  it('keeps one connection and one stream per direction for steady ping-sized traffic', async () => {
    const a = await start({}, 'a')
    const b = await start({}, 'b')
    let atA = 0
    let atB = 0
    a.onFrame('swim', () => { atA++ })
    b.onFrame('swim', () => { atB++ })
    const ROUNDS = 4
    const SETTLE_ROUNDS = 2
    let afterFirst: { a: ReturnType<Libp2pTransport['stats']>, b: ReturnType<Libp2pTransport['stats']> } | undefined
    for (let i = 0; i < ROUNDS; i++) {
      // Both sides send at once, like two members probing each other: round 1 is a simultaneous dial.
      a.send('swim', dest(b), new Uint8Array(64))
      b.send('swim', dest(a), new Uint8Array(64))
      await sleep(1000)
      // Round 1 may race two dials; the higher PeerId then retires its connection and its stream reopens
      // once on the surviving one at round 2. From then on: nothing new.
      if (i === SETTLE_ROUNDS - 1) afterFirst = { a: a.stats(), b: b.stats() }
    }
    expect([atA, atB]).toEqual([ROUNDS, ROUNDS])
    for (const [self, other, first] of [[a, b, afterFirst?.a], [b, a, afterFirst?.b]] as const) {
      const conns = self.node.getConnections()
      expect(conns).toHaveLength(1)
      expect(conns[0]?.remotePeer.toString()).toBe(other.localId)
      const swim = conns[0]?.streams.filter(s => s.protocol === PROTOCOLS.swim) ?? []
      expect(swim.map(s => s.direction).sort()).toEqual(['inbound', 'outbound'])
      const stats = self.stats()
      expect(stats.openStreams).toEqual({ inbound: 1, outbound: 1 })
      // No churn once settled: rounds 3 and 4 opened no stream and dialled nothing.
      expect(stats.streamsOpened).toEqual(first?.streamsOpened)
      expect(stats.dials).toEqual(first?.dials)
      expect(stats.streamsOpened.outbound).toBeLessThanOrEqual(2) // 2 only if round 1's dial raced
    }
    // Every connection beyond the one kept was a simultaneous dial's duplicate, closed and counted by one end.
    const dialled = a.stats().dials.ok + b.stats().dials.ok
    expect(a.stats().duplicateConnectionsClosed + b.stats().duplicateConnectionsClosed).toBe(dialled - 1)
  })

  it('refuses peers outside allowPeers, both ways, and says so', async () => {
    const b = await start({}, 'b')
    const c = await start({}, 'c')
    const log = captureLog('a')
    const a = await start({ allowPeers: [b.localId], logger: log.logger }, 'a')
    const atA: string[] = []
    a.onFrame('swim', (from) => { atA.push(from) })
    const atC: string[] = []
    c.onFrame('swim', (from) => { atC.push(from) })
    const cEvents: PeerEvent[] = []
    c.onPeerEvent((e) => { cEvents.push(e) })
    c.send('swim', dest(a), Uint8Array.of(1))
    b.send('swim', dest(a), Uint8Array.of(1))
    a.send('swim', dest(c), Uint8Array.of(1))
    await waitFor(() => atA.includes(b.localId), 15_000, 'the allowed peer gets through')
    await waitFor(() => cEvents.some(e => e.type === 'unreachable'), 15_000, 'c cannot reach a')
    await sleep(100)
    expect(atA).toEqual([b.localId])
    expect(atC).toEqual([])
    expect(a.stats().rejectedConnections.unauthorized).toBeGreaterThan(0)
    expect(log.lines.some(l => /WARN net refused inbound connection: peer is not in allowPeers/.test(l) && l.includes(c.localId))).toBe(true)
  })

  it('delivers frames addressed to itself, and closes quickly with streams open', async () => {
    const a = await start({}, 'a')
    const b = await start({}, 'b')
    const atA: string[] = []
    a.onFrame('sync', (from) => { atA.push(from) })
    a.send('sync', { id: a.localId, addrs: [] }, Uint8Array.of(1))
    a.send('sync', { addrs: a.addresses() }, Uint8Array.of(2))
    await waitFor(() => atA.length === 2, 15_000, 'self-delivery')
    expect(atA).toEqual([a.localId, a.localId])
    b.onFrame('swim', (from) => { b.send('swim', { id: from, addrs: [] }, Uint8Array.of(2)) })
    a.send('swim', dest(b), Uint8Array.of(1))
    await waitFor(() => a.stats().openStreams.outbound === 1 && b.stats().openStreams.outbound === 1, 15_000, 'streams open')
    const t0 = performance.now()
    await Promise.all([a.close(), b.close()])
    expect(performance.now() - t0).toBeLessThan(400)
    expect(() => { a.send('swim', dest(b), Uint8Array.of(1)) }).not.toThrow()
    expect(a.stats().droppedOutbound.closed).toBe(1)
  })

  it('closes a connection whose peer stopped answering, and re-dials on the next frame', async () => {
    const a = await start({ silentConnectionTimeoutMs: 300 }, 'a')
    // A peer that reads our frames but never sends one back (like a host that vanished without a RST,
    // from the sender's point of view).
    const mute = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    try {
      let got = 0
      await mute.handle(PROTOCOLS.swim, async (stream) => {
        const lp = lpStream(stream, { maxDataLength: 1024 })
        try {
          for (;;) { await lp.read(); got++ }
        } catch {}
      }, { maxInboundStreams: 4 })
      const to = { id: mute.peerId.toString(), addrs: mute.getMultiaddrs().map(String) }
      for (let i = 0; i < 10; i++) {
        a.send('swim', to, Uint8Array.of(i))
        await sleep(100)
      }
      await waitFor(() => got === 10, 15_000, 'every frame still arrives')
      expect(a.stats().silentConnectionsClosed).toBeGreaterThanOrEqual(2)
      expect(a.stats().dials.ok).toBe(a.stats().silentConnectionsClosed + 1)
    } finally {
      await mute.stop()
    }
  })
})
