/**
 * The deterministic simulator itself: replayability and the fault models the membership tests rely on.
 * (The transport model — queues, dials, connection budget, bandwidth, replay — is in transport-model.test.ts.)
 */
import { describe, expect, test } from 'vitest'
import { EventQueue } from '../../src/sim/event-queue.js'
import { SimCluster, SimNetwork } from '../../src/sim/index.js'

function trace (seed: number): string {
  const c = new SimCluster({ size: 30, seed, startWindowMs: 2_000, link: { loss: 0.05, duplicate: 0.01 } })
  c.network.runFor(5_000)
  c.crash('n07')
  c.network.partition(['n01', 'n02'], ['n03', 'n04'])
  c.network.runFor(20_000)
  c.network.heal()
  c.network.runFor(10_000)
  const views = c.runningIds().map(id => c.membership(id).members().map(m => `${m.id}:${m.state}:${m.incarnation}`).join(',')).join('\n')
  return `${c.network.eventsRun}\n${JSON.stringify([c.network.traffic, c.network.drops, c.network.connectionStats, c.network.duplicated])}\n` +
    `${c.events.map(e => `${e.time}/${e.observer}/${e.type}/${e.subject}`).join(';')}\n${views}`
}

/** Two nodes, 1 ms apart, no jitter, no serialisation time, no handshake CPU: dials take exactly three round trips (6 ms). */
const pair = (seed = 1) => {
  const net = new SimNetwork({ seed, link: { baseDelayMs: 1, jitterMs: 0, bandwidthBytesPerSec: Infinity }, nodeBandwidthBytesPerSec: Infinity, handshakeMs: 0 })
  const a = net.addNode('a')
  const b = net.addNode('b')
  const got: Array<[string, number, string]> = []
  b.onFrame('swim', (from, frame) => got.push([from, net.now, String(frame[0])]))
  a.onFrame('swim', (from, frame) => got.push([from, net.now, String(frame[0])]))
  return { net, a, b, got }
}
const DIAL_MS = 6

describe('simulator', () => {
  test('same seed ⇒ same run (with loss, replay, crashes, partitions); another seed ⇒ another run', () => {
    const a = trace(7)
    expect(trace(7)).toBe(a)
    expect(trace(8)).not.toBe(a)
  })

  test('event queue orders by time, then by scheduling order', () => {
    const q = new EventQueue()
    const out: string[] = []
    q.push(5, () => out.push('c'))
    q.push(1, () => out.push('a'))
    q.push(5, () => out.push('d'))
    q.push(3, () => out.push('b'))
    for (let e = q.pop(); e !== undefined; e = q.pop()) e.fire()
    expect(out).toEqual(['a', 'b', 'c', 'd'])
  })

  test('the first frame pays the dial (three round trips), later ones only the link delay; attributed to the sender', () => {
    const { net, a, got } = pair()
    a.send('swim', { id: 'b', addrs: [] }, Uint8Array.of(1))
    net.runFor(DIAL_MS + 0.5)
    expect(got).toHaveLength(0)
    net.runFor(1)
    expect(got).toEqual([['a', DIAL_MS + 1, '1']])
    expect(net.isConnected('a', 'b')).toBe(true)
    a.send('swim', { id: 'b', addrs: [] }, Uint8Array.of(2))
    net.runFor(1)
    expect(got[1]).toEqual(['a', DIAL_MS + 2.5, '2'])
  })

  test('partitions can be asymmetric', () => {
    const { net, a, b, got } = pair()
    // Connect first: a partition through an open connection loses frames in one direction only.
    a.send('swim', { id: 'b', addrs: [] }, Uint8Array.of(0))
    net.runFor(20)
    got.length = 0
    net.block('a', 'b')
    a.send('swim', { id: 'b', addrs: [] }, Uint8Array.of(1))
    b.send('swim', { id: 'a', addrs: [] }, Uint8Array.of(2))
    net.runFor(10)
    expect(got.map(g => [g[0], g[2]])).toEqual([['b', '2']])
    net.heal()
    a.send('swim', { id: 'b', addrs: [] }, Uint8Array.of(3))
    net.runFor(10)
    expect(got.map(g => g[2])).toEqual(['2', '3'])
  })

  test('a frame in flight when a partition starts is lost', () => {
    const { net, a, got } = pair()
    a.send('swim', { id: 'b', addrs: [] }, Uint8Array.of(0))
    net.runFor(20)
    got.length = 0
    a.send('swim', { id: 'b', addrs: [] }, Uint8Array.of(1))
    net.runFor(0.5)
    net.block('a', 'b')
    net.runFor(10)
    expect(got).toHaveLength(0)
    expect(net.drops.swim.lost).toBe(1)
  })

  test('a stalled node handles nothing until the stall ends: timers first, then frames', () => {
    const { net, a, got } = pair()
    a.send('swim', { id: 'b', addrs: [] }, Uint8Array.of(0))
    net.runFor(20)
    got.length = 0
    const start = net.now
    const order: string[] = []
    net.clockFor('b').setTimeout(() => order.push(`timer@${net.now - start}`), 2)
    net.stall('b', 100)
    a.send('swim', { id: 'b', addrs: [] }, Uint8Array.of(1))
    net.runFor(50)
    expect(got).toHaveLength(0)
    expect(order).toHaveLength(0)
    net.runFor(60)
    expect(order).toEqual(['timer@100'])
    expect(got).toEqual([['a', start + 101, '1']])
  })

  test('a crashed node drops frames and timers; its connections close, and a new dial to it is refused: unreachable', () => {
    const { net, a } = pair()
    a.send('swim', { id: 'b', addrs: [] }, Uint8Array.of(0))
    net.runFor(20)
    let fired = false
    net.clockFor('b').setTimeout(() => { fired = true }, 5)
    const events: string[] = []
    a.onPeerEvent(e => { events.push(`${e.type}:${'id' in e ? e.id ?? '?' : '?'}`) })
    net.crash('b')
    expect(net.isConnected('a', 'b')).toBe(false)
    a.send('swim', { id: 'b', addrs: [] }, Uint8Array.of(1))
    net.runFor(20)
    expect(fired).toBe(false)
    expect(events).toEqual(['disconnected:b', 'unreachable:b'])
    expect(net.drops.swim.dialFailed).toBe(1)
  })

  test('uniform loss drops about the configured fraction', () => {
    const net = new SimNetwork({ seed: 3, link: { loss: 0.1 }, inboundRate: false })
    const a = net.addNode('a')
    const b = net.addNode('b')
    let received = 0
    b.onFrame('swim', () => { received++ })
    // A steady trickle (the queue holds 1,024 frames: a burst of 10,000 would overflow it).
    for (let i = 0; i < 10_000; i++) {
      a.send('swim', { id: 'b', addrs: [] }, Uint8Array.of(1))
      net.runFor(1)
    }
    net.runFor(100)
    expect(received).toBeGreaterThan(8_800)
    expect(received).toBeLessThan(9_200)
    expect(net.traffic.swim.dropped).toBe(10_000 - received)
    expect(net.drops.swim.lost).toBe(10_000 - received)
  })

  test('oversized frames are refused on send', () => {
    const { a } = pair()
    expect(() => a.send('swim', { id: 'b', addrs: [] }, new Uint8Array(a.maxFrameBytes('swim') + 1)))
      .toThrow(expect.objectContaining({ name: 'FrameTooLargeError' }))
  })
})
