/**
 * forget(): when membership declares a member dead, its connections are closed so that the next send dials
 * afresh (a connection through a healed partition may be stuck in TCP retransmission backoff) — unless the
 * member's frames still arrive on it (issue 14: a working connection is not redialled). The datagram keys
 * outlive that close at both ends, so a member declared dead hears it and refutes without a handshake. And the
 * yamux patch: a stream of small frames is not answered frame by frame with window updates.
 */
import { afterEach, describe, expect, test } from 'vitest'
import { Channel, FORGET_QUIET_MS } from '../../src/core/transport.js'
import type { Libp2pTransport } from '../../src/net/index.js'
import { sleep, startTransport, waitFor } from './helpers.js'

describe('forget', () => {
  const started: Libp2pTransport[] = []
  afterEach(async () => { await Promise.all(started.splice(0).map(async t => { await t.close() })) })

  test('closes the connections to a forgotten peer; the next send dials a new one', async () => {
    const a = await startTransport({}, 'a')
    const b = await startTransport({}, 'b')
    started.push(a, b)
    const got: string[] = []
    b.onFrame(Channel.swim, (_from, frame) => { got.push(new TextDecoder().decode(frame)) })
    const toB = { id: b.localId, addrs: b.addresses() }
    a.send(Channel.swim, toB, new TextEncoder().encode('one'))
    await waitFor(() => got.length === 1, 15_000, 'first frame')
    const dials = a.stats().dials.ok
    expect(a.stats().openConnections).toBe(1)
    a.forget(b.localId)
    await waitFor(() => a.stats().openConnections === 0, 15_000, 'connection closed')
    // By stream: a small swim frame would go as a datagram, needing no connection (the next test).
    a.send(Channel.swim, toB, new TextEncoder().encode('two'), { stream: true })
    await waitFor(() => got.length === 2, 15_000, 'second frame')
    expect(got).toEqual(['one', 'two'])
    expect(a.stats().dials.ok).toBe(dials + 1)
  })

  test('keeps a connection the forgotten peer still delivers frames on', async () => {
    const a = await startTransport({}, 'a')
    const b = await startTransport({}, 'b')
    started.push(a, b)
    const atB: string[] = []
    const atA: string[] = []
    b.onFrame(Channel.swim, (_from, frame) => { atB.push(new TextDecoder().decode(frame)) })
    a.onFrame(Channel.swim, (_from, frame) => { atA.push(new TextDecoder().decode(frame)) })
    const toB = { id: b.localId, addrs: b.addresses() }
    a.send(Channel.swim, toB, new TextEncoder().encode('ping'))
    await waitFor(() => atB.length === 1, 15_000, 'ping at b')
    b.send(Channel.swim, { id: a.localId, addrs: a.addresses() }, new TextEncoder().encode('ack'))
    await waitFor(() => atA.length === 1, 15_000, 'ack at a')
    const dials = a.stats().dials.ok
    a.forget(b.localId)
    a.send(Channel.swim, toB, new TextEncoder().encode('again'))
    await waitFor(() => atB.length === 2, 15_000, 'second frame at b')
    expect(a.stats().openConnections).toBe(1)
    expect(a.stats().dials.ok).toBe(dials)
    expect(a.isConnected(b.localId)).toBe(true)
  })

  test('keeps the datagram keys at both ends: after the close, swim frames go both ways without a dial', async () => {
    const a = await startTransport({}, 'a')
    const b = await startTransport({}, 'b')
    started.push(a, b)
    const atB: Array<{ text: string, viaDatagram: boolean }> = []
    const atA: Array<{ text: string, viaDatagram: boolean }> = []
    b.onFrame(Channel.swim, (_from, frame, viaDatagram) => { atB.push({ text: new TextDecoder().decode(frame), viaDatagram: viaDatagram === true }) })
    a.onFrame(Channel.swim, (_from, frame, viaDatagram) => { atA.push({ text: new TextDecoder().decode(frame), viaDatagram: viaDatagram === true }) })
    const toA = { id: a.localId, addrs: a.addresses() }
    const toB = { id: b.localId, addrs: b.addresses() }
    a.send(Channel.swim, toB, new TextEncoder().encode('over the stream'))
    await waitFor(() => a.datagramPath(b.localId) && b.datagramPath(a.localId), 5_000, 'datagram keys confirmed both ways')
    // Declared dead (say, across a partition that ends now): the connection goes, and nothing came from b for
    // longer than FORGET_QUIET_MS, as after a partition.
    await sleep(FORGET_QUIET_MS + 100)
    const dials = { a: a.stats().dials.ok, b: b.stats().dials.ok }
    a.forget(b.localId)
    await waitFor(() => a.stats().openConnections === 0 && b.stats().openConnections === 0, 5_000, 'the connection closed at both ends')
    expect(a.datagramPath(b.localId)).toBe(true)
    expect(b.datagramPath(a.localId)).toBe(true)
    a.send(Channel.swim, toB, new TextEncoder().encode('you were declared dead'))
    await waitFor(() => atB.some(f => f.text === 'you were declared dead'), 2_000, 'gossip reaches b')
    b.send(Channel.swim, toA, new TextEncoder().encode('alive, refuted'))
    await waitFor(() => atA.some(f => f.text === 'alive, refuted'), 2_000, 'the refutation reaches a')
    expect(atB.find(f => f.text === 'you were declared dead')?.viaDatagram).toBe(true)
    expect(atA.find(f => f.text === 'alive, refuted')?.viaDatagram).toBe(true)
    expect({ a: a.stats().dials.ok, b: b.stats().dials.ok }).toEqual(dials)
  })
})

describe('lazy yamux window updates', () => {
  test('no update while more than half the receive window is free; yamux\'s own update once it is not', async () => {
    const { installLazyWindowUpdates } = await import('../../src/net/yamux-window.js')
    const { StreamState, YamuxStream } = await import('@chainsafe/libp2p-yamux/stream')
    expect(installLazyWindowUpdates()).toBe(true)
    const frames: Array<{ length: number }> = []
    const stream = (capacity: number): Record<string, unknown> => ({
      state: StreamState.Established,
      recvWindow: 256 * 1024,
      recvWindowCapacity: capacity,
      epochStart: Date.now(),
      maxStreamWindowSize: 16 * 1024 * 1024,
      streamId: 1,
      getRTT: () => -1,
      getSendFlags: () => 0,
      sendFrame: (f: { length: number }) => { frames.push(f) }
    })
    const update = (YamuxStream.prototype as unknown as { sendWindowUpdate: (this: unknown) => void }).sendWindowUpdate
    update.call(stream(256 * 1024 - 100)) // a small frame was consumed: nothing sent
    expect(frames).toHaveLength(0)
    update.call(stream(100 * 1024)) // more than half used: the window is topped up
    expect(frames).toEqual([expect.objectContaining({ length: 156 * 1024 })])
  })
})
