/**
 * The simulator's model of the datagram path (src/sim/network.ts, `datagrams`), as the libp2p transport has it
 * (src/core/transport.ts): keys given over a connection and confirmed by a hello a round trip later; small swim
 * frames then travel as datagrams, with no dial and no connection, unordered and never resent; a key outlives
 * a connection its holder closed, and one the remote closed for its budget or a forget when told so; a restart
 * loses every key.
 */
import { describe, expect, test } from 'vitest'
import { DATAGRAM_MAX_FRAME_BYTES } from '../../src/core/transport.js'
import type { PeerEvent, Transport } from '../../src/core/transport.js'
import { DEFAULT_INBOUND_RATE } from '../../src/core/link-defaults.js'
import { SimNetwork } from '../../src/sim/index.js'
import type { SimNetworkOptions } from '../../src/sim/index.js'
import { DATAGRAM_HELLO_RETRY_MS, DATAGRAM_HELLO_TRIES } from '../../src/sim/network.js'
import { useSeed } from '../helpers/replay.js'

const FILE = 'test/sim/datagrams.test.ts'

const numbered = (i: number, size = 8): Uint8Array => {
  const f = new Uint8Array(size)
  new DataView(f.buffer).setUint32(0, i)
  return f
}
const numberOf = (f: Uint8Array): number => new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(0)

interface Pair { net: SimNetwork, a: Transport, b: Transport, atB: number[], eventsAtA: PeerEvent[] }

function pair (seed: number, options: Partial<SimNetworkOptions> = {}): Pair {
  const net = new SimNetwork({ seed, inboundRate: false, datagrams: true, ...options })
  const a = net.addNode('a')
  const b = net.addNode('b')
  const atB: number[] = []
  const eventsAtA: PeerEvent[] = []
  b.onFrame('swim', (_from, f) => { atB.push(numberOf(f)) })
  a.onPeerEvent(e => { eventsAtA.push(e) })
  return { net, a, b, atB, eventsAtA }
}

const toB = { id: 'b', addrs: [] }
const toA = { id: 'a', addrs: [] }

/** a dials b, the connection opens, and a's key for b is confirmed. */
function keyed (p: Pair): void {
  p.a.send('swim', toB, numbered(0))
  expect(p.net.runUntil(() => p.a.datagramPath?.('b') === true && p.b.datagramPath?.('a') === true, 1_000, 1), 'keys confirmed both ways').toBeDefined()
}

describe('datagram keys', () => {
  test('confirmed two one-way delays after the connection opened, not before', () => {
    const seed = useSeed(1, FILE, 'confirmed two one-way delays after the connection opened, not before')
    const p = pair(seed, { link: { baseDelayMs: 5, jitterMs: 0 } })
    let openedAt: number | undefined
    p.a.onPeerEvent(e => { if (e.type === 'connected') openedAt = p.net.now })
    p.a.send('swim', toB, numbered(0))
    p.net.runUntil(() => openedAt !== undefined, 1_000, 0.5)
    expect(openedAt).toBeDefined()
    p.net.runUntilTime((openedAt as number) + 9.5)
    expect(p.a.datagramPath?.('b')).toBe(false)
    p.net.runUntilTime((openedAt as number) + 10.5)
    expect(p.a.datagramPath?.('b')).toBe(true)
    expect(p.b.datagramPath?.('a')).toBe(true)
  })

  test(`a path that drops datagrams: ${DATAGRAM_HELLO_TRIES} hellos a second apart, then no key until the next connection; streams unaffected`, () => {
    const seed = useSeed(2, FILE, 'a path that drops datagrams')
    const p = pair(seed)
    p.net.setLink('a', 'b', { datagramLoss: 1 })
    p.a.send('swim', toB, numbered(0))
    p.net.runFor(DATAGRAM_HELLO_TRIES * DATAGRAM_HELLO_RETRY_MS + 100)
    expect(p.a.datagramPath?.('b')).toBe(false)
    expect(p.b.datagramPath?.('a')).toBe(false)
    expect(p.net.datagramStats.hellosFailed).toBe(2 * DATAGRAM_HELLO_TRIES)
    for (let i = 1; i <= 20; i++) p.a.send('swim', toB, numbered(i))
    p.net.runFor(100)
    expect(p.atB).toEqual(Array.from({ length: 21 }, (_, i) => i))
    expect(p.net.datagramStats.sent).toBe(0)
  })

  test('on by default, as the libp2p transport has them: a connection brings keys, and small swim frames go as datagrams', () => {
    const net = new SimNetwork({ seed: 3 })
    const a = net.addNode('a')
    net.addNode('b')
    a.send('swim', toB, numbered(0))
    net.runFor(1_000)
    expect(a.datagramPath?.('b')).toBe(true)
    a.send('swim', toB, numbered(1))
    net.runFor(100)
    expect(net.datagramStats.sent).toBe(1)
  })

  test('with datagrams off, no key is ever held', () => {
    const p = pair(3, { datagrams: false })
    p.a.send('swim', toB, numbered(0))
    p.net.runFor(1_000)
    expect(p.a.datagramPath?.('b')).toBe(false)
  })
})

describe('datagrams', () => {
  test('small swim frames go as datagrams: no connection touched, each its own delay (reordered); stream, large and other channels in order', () => {
    const seed = useSeed(4, FILE, 'small swim frames go as datagrams')
    const p = pair(seed, { link: { jitterMs: 5 } })
    keyed(p)
    const conn = p.net.node('a').connections.get('b')
    const activity = conn?.lastActivity(p.net.node('a'))
    p.net.runFor(10)
    const sent0 = p.net.datagramStats.sent
    p.atB.length = 0
    for (let i = 1; i <= 200; i++) {
      p.a.send('swim', toB, numbered(i))
      p.net.runFor(0.1)
    }
    p.net.runFor(200)
    expect(p.net.datagramStats.sent - sent0).toBe(200)
    expect([...p.atB].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    expect(p.atB).not.toEqual(Array.from({ length: 200 }, (_, i) => i + 1)) // jitter 5 ms, 0.1 ms apart: reordered
    expect(conn?.lastActivity(p.net.node('a'))).toBe(activity) // the connection's LRU never saw them

    // { stream: true }, a frame above DATAGRAM_MAX_FRAME_BYTES: on the stream, in order.
    p.atB.length = 0
    for (let i = 1; i <= 100; i++) {
      if (i % 2 === 0) p.a.send('swim', toB, numbered(i), { stream: true })
      else p.a.send('swim', toB, numbered(i, DATAGRAM_MAX_FRAME_BYTES + 1))
      p.net.runFor(0.1)
    }
    p.net.runFor(200)
    expect(p.atB).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    expect(p.net.datagramStats.sent - sent0).toBe(200)
  })

  test('lost with the link\'s loss and never resent; dropped by a partition', () => {
    const seed = useSeed(5, FILE, 'lost with the link\'s loss and never resent')
    const p = pair(seed)
    keyed(p)
    p.atB.length = 0
    p.net.setLink('a', 'b', { packetLoss: 0.2 })
    for (let i = 1; i <= 1_000; i++) p.a.send('swim', toB, numbered(i))
    p.net.runFor(5_000)
    expect(p.atB.length).toBeGreaterThan(720)
    expect(p.atB.length).toBeLessThan(880)
    expect(p.net.retransmits).toBe(0)
    p.net.setLink('a', 'b', { packetLoss: 0 })
    p.net.block('a', 'b')
    p.atB.length = 0
    for (let i = 1; i <= 10; i++) p.a.send('swim', toB, numbered(i))
    p.net.runFor(1_000)
    expect(p.atB).toEqual([])
    expect(p.net.connectionStats.dials).toBe(1)
  })
})

describe('inbound rate limits on datagrams (src/net/inbound.ts: the same (peer, swim) buckets as a stream)', () => {
  // The simulator's datagrams skipped the receiver's limits: 9,500 of 10,000 frames arrived against at most 2,500.
  const allowed = DEFAULT_INBOUND_RATE.swim.burst + 10 * DEFAULT_INBOUND_RATE.swim.ratePerSec
  const flood = (p: Pair): number => {
    p.atB.length = 0
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 1_000; i++) p.a.send('swim', toB, numbered(i))
      p.net.runFor(1_000)
    }
    return p.atB.length
  }

  test.each([true, false])('a sender above 200 frames/s (burst 500) is cut to its share (connection open: %s)', (open) => {
    const p = pair(10, { inboundRate: undefined })
    keyed(p)
    if (!open) {
      p.net.runFor(3_000) // quiet past FORGET_QUIET_MS: forget closes the connection, a keeps its key
      p.a.forget?.('b')
      expect(p.net.isConnected('a', 'b')).toBe(false)
    }
    const sent0 = p.net.datagramStats.sent
    const rateLimited0 = p.net.drops.swim.rateLimited
    const received = flood(p)
    expect(p.net.datagramStats.sent - sent0).toBe(10_000)
    expect(received).toBeLessThanOrEqual(allowed)
    expect(received).toBeGreaterThan(allowed * 0.9)
    expect(p.net.drops.swim.rateLimited - rateLimited0).toBe(10_000 - received)
  })
})

describe('keys and connections', () => {
  // src/net/libp2p-transport.ts forget: a member declared dead keeps its key at both ends, the closer saying so
  // first in a `keep` datagram; if that is lost, the remote's key goes and its next frame dials; across a
  // partition the close does not reach the remote at all, which keeps its key.
  test.each([
    ['the keep datagram arrives', {}, true],
    ['the keep datagram is lost', { lost: true }, false],
    ['the close happens behind a partition', { partitioned: true }, true]
  ] as const)('a forget keeps the holder\'s key, and the remote\'s if told or out of reach: %s', (_name, variant, remoteKeeps) => {
    const seed = useSeed(6, FILE, 'a forget keeps the holder\'s key')
    const p = pair(seed)
    keyed(p)
    p.net.runFor(3_000) // quiet past FORGET_QUIET_MS: forget closes the connection
    if ('lost' in variant) p.net.setLink('a', 'b', { datagramLoss: 1 })
    if ('partitioned' in variant) p.net.partition(['a'], ['b'])
    p.a.forget?.('b')
    expect(p.net.isConnected('a', 'b')).toBe(false)
    expect(p.a.datagramPath?.('b')).toBe(true)
    expect(p.b.datagramPath?.('a')).toBe(remoteKeeps)
    p.net.heal()
    p.net.setLink('a', 'b', { datagramLoss: 0 })
    p.atB.length = 0
    p.a.send('swim', toB, numbered(1))
    p.net.runFor(100)
    expect(p.atB).toEqual([1])
    expect(p.net.connectionStats.dials).toBe(1) // the datagram dialled nothing
    p.b.send('swim', toA, numbered(2))
    p.net.runFor(100)
    expect(p.net.connectionStats.dials).toBe(remoteKeeps ? 1 : 2) // b's frame dials only if b lost its key
  })

  // src/net/datagrams.ts: the pruning end sends a `keep` datagram before it closes, and the pruned end keeps its
  // key if it gets through; before that (keysSurviveRemotePruning: false), or if it is lost, the pruned end's goes.
  test.each([
    ['the keep datagram arrives', {}, true],
    ['the keep datagram is lost', { lost: true }, false],
    ['keysSurviveRemotePruning: false', { keysSurviveRemotePruning: false }, false]
  ] as const)('the holder\'s own budget pruning keeps its keys; the pruned remote keeps its key if told: %s', (_name, variant, remoteKeeps) => {
    const seed = useSeed(7, FILE, 'the holder\'s own budget pruning keeps its keys')
    const net = new SimNetwork({ seed, inboundRate: false, datagrams: true, maxConnections: 1, pruneGraceMs: 100, ...('keysSurviveRemotePruning' in variant ? { keysSurviveRemotePruning: variant.keysSurviveRemotePruning } : {}) })
    const a = net.addNode('a')
    const b = net.addNode('b')
    const c = net.addNode('c')
    a.send('swim', toB, numbered(0))
    net.runFor(500)
    expect(a.datagramPath?.('b')).toBe(true)
    if ('lost' in variant) net.setLink('a', 'b', { datagramLoss: 1 })
    a.send('swim', { id: 'c', addrs: [] }, numbered(0)) // a's second connection: its budget closes the one to b
    net.runFor(500)
    expect(net.connectionStats.pruned).toBeGreaterThan(0)
    expect(net.isConnected('a', 'b')).toBe(false)
    expect(a.datagramPath?.('b')).toBe(true)
    expect(a.datagramPath?.('c')).toBe(true)
    expect(b.datagramPath?.('a')).toBe(remoteKeeps)
    expect(c.datagramPath?.('a')).toBe(true)
  })

  test('a remote crash closes the connection: the key goes and the next frame dials, refused', () => {
    const seed = useSeed(8, FILE, 'a remote crash closes the connection')
    const p = pair(seed)
    keyed(p)
    p.net.crash('b')
    expect(p.a.datagramPath?.('b')).toBe(false)
    p.a.send('swim', toB, numbered(1))
    p.net.runFor(100)
    expect(p.eventsAtA.some(e => e.type === 'unreachable' && e.refused === true)).toBe(true)
  })

  test('a restart loses the keys it issued: datagrams sent with them are lost without a word; its own keys are gone too', () => {
    const seed = useSeed(9, FILE, 'a restart loses the keys it issued')
    const p = pair(seed)
    keyed(p)
    p.net.runFor(3_000)
    p.a.forget?.('b') // a closed it: a keeps its key for b
    const b2 = p.net.restart('b')
    const atB2: number[] = []
    b2.onFrame('swim', (_from, f) => { atB2.push(numberOf(f)) })
    expect(b2.datagramPath?.('a')).toBe(false)
    expect(p.a.datagramPath?.('b')).toBe(true) // a cannot know
    const crashed0 = p.net.drops.swim.crashed
    for (let i = 1; i <= 5; i++) p.a.send('swim', toB, numbered(i))
    p.net.runFor(1_000)
    expect(atB2).toEqual([])
    expect(p.net.drops.swim.crashed - crashed0).toBe(5)
    expect(p.eventsAtA.filter(e => e.type === 'unreachable')).toEqual([]) // no refusal: UDP says nothing
    p.a.send('swim', toB, numbered(6), { stream: true }) // a stream frame dials: a new connection, new keys
    p.net.runFor(100)
    expect(atB2).toEqual([6])
    expect(b2.datagramPath?.('a')).toBe(true)
    p.a.send('swim', toB, numbered(7))
    p.net.runFor(100)
    expect(atB2).toEqual([6, 7])
  })
})
