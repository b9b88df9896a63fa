/**
 * Table tests for the pure parts of src/net: limits, policies and diagnoses, no sockets.
 */
import { describe, expect, it } from 'vitest'
import { peersToPrune } from '../src/net/connection-budget.js'
import type { ConnectedPeer } from '../src/net/connection-budget.js'
import { diagnoseDialFailure, explainInboundHandshakeFailure } from '../src/net/diagnose.js'
import { FrameQueue } from '../src/net/frame-queue.js'
import { varintLength } from '../src/net/frame-reader.js'
import { PeerPolicy } from '../src/net/peer-policy.js'
import { FloodDetector, TokenBucket } from '../src/net/rate-limit.js'
import { resolveTransportConfig } from '../src/net/config.js'
import { generatePsk, parsePsk } from '../src/net/psk.js'

const HEX = '0123456789abcdef'.repeat(4)

describe('parsePsk', () => {
  it.each([
    ['LF', `/key/swarm/psk/1.0.0/\n/base16/\n${HEX}`],
    ['CRLF and trailing newline', `/key/swarm/psk/1.0.0/\r\n/base16/\r\n${HEX}\r\n`],
    ['upper-case hex and spaces', `  /key/swarm/psk/1.0.0/\n/base16/  \n${HEX.toUpperCase()}\n\n`]
  ])('accepts a well-formed key (%s)', (_label, text) => {
    const psk = parsePsk(text)
    expect(psk.key).toHaveLength(32)
    expect(new TextDecoder().decode(psk.fileBytes)).toBe(`/key/swarm/psk/1.0.0/\n/base16/\n${HEX}`)
    expect(psk.fingerprint).toMatch(/^[0-9a-f]{8}$/)
  })

  it.each([
    ['empty', '', /3 lines/],
    ['missing key line', '/key/swarm/psk/1.0.0/\n/base16/\n', /3 lines/],
    ['wrong header', `/key/swarm/psk/2.0.0/\n/base16/\n${HEX}`, /line 1/],
    ['wrong encoding', `/key/swarm/psk/1.0.0/\n/base64/\n${HEX}`, /line 2/],
    ['not hex', `/key/swarm/psk/1.0.0/\n/base16/\n${'zz'.repeat(32)}`, /hexadecimal/],
    ['short key', `/key/swarm/psk/1.0.0/\n/base16/\n${HEX.slice(2)}`, /64 hex/],
    ['extra line', `/key/swarm/psk/1.0.0/\n/base16/\n${HEX}\nmore`, /3 lines/],
    ['huge', 'x'.repeat(10_000), /swarm.key/]
  ])('rejects a malformed key (%s) with PskError', (_label, text, why) => {
    expect(() => parsePsk(text)).toThrow(expect.objectContaining({ name: 'PskError', message: expect.stringMatching(why) }))
  })

  it('round-trips generatePsk, and distinct keys have distinct fingerprints', () => {
    const a = parsePsk(generatePsk())
    const b = parsePsk(new TextEncoder().encode(generatePsk()))
    expect(a.fingerprint).not.toBe(b.fingerprint)
  })
})

describe('FrameQueue (drop oldest)', () => {
  const f = (n: number, size = 10): Uint8Array => new Uint8Array(size).fill(n)
  it('drops the oldest frames beyond maxFrames', () => {
    const q = new FrameQueue({ maxFrames: 3, maxBytes: 1000 })
    expect([q.push(f(1)), q.push(f(2)), q.push(f(3)), q.push(f(4))]).toEqual([0, 0, 0, 1])
    expect(q.takeBatch(1000).map(x => x[0])).toEqual([2, 3, 4])
    expect(q.length).toBe(0)
    expect(q.bytes).toBe(0)
  })
  it('drops the oldest frames beyond maxBytes, but always keeps the newest', () => {
    const q = new FrameQueue({ maxFrames: 100, maxBytes: 25 })
    q.push(f(1))
    q.push(f(2))
    expect(q.push(f(3))).toBe(1)
    expect(q.bytes).toBe(20)
    expect(q.push(f(4, 50))).toBe(2)
    expect(q.length).toBe(1)
  })
  it('batches up to maxBatchBytes, at least one frame', () => {
    const q = new FrameQueue({ maxFrames: 100, maxBytes: 1000 })
    for (let i = 0; i < 5; i++) q.push(f(i, 30))
    expect(q.takeBatch(10)).toHaveLength(1)
    expect(q.takeBatch(65)).toHaveLength(2)
    expect(q.clear()).toBe(2)
  })
})

describe('TokenBucket and FloodDetector', () => {
  it('allows a burst, then the sustained rate', () => {
    const b = new TokenBucket({ ratePerSec: 10, burst: 5 }, 0)
    expect(Array.from({ length: 7 }, () => b.take(0))).toEqual([true, true, true, true, true, false, false])
    expect(b.take(50)).toBe(false) // half a token
    expect(b.take(100)).toBe(true) // one token per 100 ms
    expect(b.take(100)).toBe(false)
    expect(Array.from({ length: 6 }, () => b.take(10_000)).filter(Boolean)).toHaveLength(5) // capped at burst
  })
  it('declares a flooder once, when drops in one window pass the threshold', () => {
    const d = new FloodDetector({ windowMs: 1000, dropThreshold: 3 }, 0)
    expect([d.noteDrop(0), d.noteDrop(10), d.noteDrop(20), d.noteDrop(30), d.noteDrop(40)]).toEqual([false, false, false, true, false])
    const e = new FloodDetector({ windowMs: 1000, dropThreshold: 3 }, 0)
    // Spread over windows: never a flooder.
    expect([0, 600, 1200, 1800, 2400, 3000].map(t => e.noteDrop(t)).some(Boolean)).toBe(false)
  })
})

describe('peersToPrune (connection budget)', () => {
  const p = (id: string, lastActivity: number | undefined, extra: Partial<ConnectedPeer> = {}): ConnectedPeer =>
    ({ id, connections: 1, newestOpenedAt: 0, lastActivity, busy: false, ...extra })
  it('does nothing at or below the cap', () => {
    expect(peersToPrune([p('a', 1), p('b', 2)], 2, 10_000, 2000)).toEqual([])
  })
  it('prunes least recently used first, never busy or young peers', () => {
    const peers = [p('recent', 900), p('old', 100), p('never', undefined), p('busy', 0, { busy: true }), p('young', 0, { newestOpenedAt: 9500 })]
    expect(peersToPrune(peers, 3, 10_000, 2000)).toEqual(['never', 'old'])
    expect(peersToPrune(peers, 1, 10_000, 2000)).toEqual(['never', 'old', 'recent'])
  })
  it('counts connections, not peers', () => {
    expect(peersToPrune([p('a', 1, { connections: 2 }), p('b', 2)], 2, 10_000, 0)).toEqual(['a'])
  })
})

describe('PeerPolicy', () => {
  it('combines blocks, the allowlist and cooldowns', () => {
    let now = 0
    const policy = new PeerPolicy(new Set(['a', 'b']), () => now)
    expect(policy.verdict('a')).toBe('ok')
    expect(policy.verdict('z')).toBe('unauthorized')
    policy.block(['a'])
    expect(policy.verdict('a')).toBe('blocked')
    policy.unblock()
    expect(policy.verdict('a')).toBe('ok')
    policy.coolDown('b', 100)
    expect(policy.verdict('b')).toBe('cooldown')
    now = 100
    expect(policy.verdict('b')).toBe('ok')
  })
})

describe('diagnoseDialFailure', () => {
  const err = (name: string, message: string): Error => Object.assign(new Error(message), { name })
  it.each([
    [err('Error', 'connect ECONNREFUSED 127.0.0.1:1'), false, false, 'refused', /refused/],
    [err('TimeoutError', 'The operation was aborted due to timeout'), false, false, 'timeout', /no connection within/],
    [err('TimeoutError', 'The operation was aborted due to timeout'), true, false, 'handshake', /may require a pre-shared key/],
    [err('TimeoutError', 'The operation was aborted due to timeout'), true, true, 'handshake', /no pre-shared key or a different one/],
    [err('EncryptionFailedError', 'read ECONNRESET'), true, true, 'handshake', /no pre-shared key or a different one/],
    [err('Error', 'read ECONNRESET'), false, true, 'handshake', /different one/],
    [err('DialDeniedError', 'The dial request is blocked by gater.allowDialPeer'), false, false, 'denied', /gater/],
    [err('InvalidPeerIdError', 'Can not dial self'), true, false, 'self', /our own/],
    [err('EncryptionFailedError', 'Payload identity key 12D3 does not match expected remote identity key'), true, false, 'wrong-peer', /different peer/]
  ])('%s (handshake started: %s, psk: %s) → %s', (error, handshakeStarted, pskConfigured, kind, explanation) => {
    const d = diagnoseDialFailure({ error, handshakeStarted, pskConfigured, dialTimeoutMs: 1000 })
    expect(d.kind).toBe(kind)
    expect(d.explanation).toMatch(explanation)
  })
  it('explains the listener side honestly', () => {
    expect(explainInboundHandshakeFailure(undefined, 1001, true)).toMatch(/hung up after 1001 ms.*pre-shared key mismatch or missing/)
    expect(explainInboundHandshakeFailure(new Error('Missing newline'), 3, false)).toMatch(/Missing newline.*may be using a pre-shared key/)
  })
})

describe('transport config', () => {
  it('resolves defaults and validates', () => {
    const c = resolveTransportConfig({})
    expect(c.maxFrameBytes).toEqual({ swim: 512 * 1024, sync: 1024 * 1024 })
    expect(c.listen).toEqual(['/ip4/0.0.0.0/tcp/0'])
    expect(c.inboundUpgradeTimeoutMs).toBe(c.dialTimeoutMs)
    expect(resolveTransportConfig({ inboundRate: { swim: { ratePerSec: 5, burst: 10 } } }).inboundRate.sync.burst).toBe(2000)
    expect(() => resolveTransportConfig({ dialTimeoutMs: 0 })).toThrow(expect.objectContaining({ name: 'ConfigError' }))
    expect(() => resolveTransportConfig({ maxConnections: 1.5 })).toThrow(expect.objectContaining({ name: 'ConfigError' }))
    expect(() => resolveTransportConfig({ listen: [] })).toThrow(expect.objectContaining({ name: 'ConfigError' }))
    expect(() => resolveTransportConfig({ queueLimits: { sync: { maxFrames: 10, maxBytes: 1000 } } })).toThrow(/must hold one maximal frame/)
  })
  it('sizes varint prefixes like lpStream', () => {
    expect([0, 127, 128, 16_383, 16_384, 1024 * 1024].map(varintLength)).toEqual([1, 1, 2, 2, 3, 3])
  })
})

describe('boundedVarintDecoder', () => {
  it('decodes complete prefixes, asks for more on incomplete ones, refuses over-long ones', async () => {
    const { Uint8ArrayList } = await import('uint8arraylist')
    const { boundedVarintDecoder } = await import('../src/net/frame-reader.js')
    const decode = boundedVarintDecoder(3)
    expect(decode(new Uint8ArrayList(Uint8Array.of(0x05)))).toBe(5)
    expect(decode(new Uint8ArrayList(Uint8Array.of(0x80, 0x80, 0x20)))).toBe(0x20 << 14)
    expect(() => decode(new Uint8ArrayList(Uint8Array.of(0x80, 0x80)))).toThrow(RangeError)
    expect(() => decode(new Uint8ArrayList(Uint8Array.of(0xff, 0xff, 0xff)))).toThrow(expect.objectContaining({ name: 'MalformedPrefixError' }))
  })
})

describe('PeerLink dead-connection evidence', () => {
  it('flags steady unanswered writes, not sparse one-way traffic, and forgets on any reply', async () => {
    const { PeerLink } = await import('../src/net/peer-link.js')
    const { peerIdFromString } = await import('@libp2p/peer-id')
    const id = '12D3KooWEeTErA5SypEW3xCEgwwhX4ZPzXL43QoNQL6q7XoLgzE8'
    const limits = { swim: { maxFrames: 10, maxBytes: 1000 }, sync: { maxFrames: 10, maxBytes: 1000 } }
    const steady = new PeerLink(id, peerIdFromString(id), limits)
    for (let t = 0; t <= 30_000; t += 1000) steady.noteSent(t, 30_000)
    expect(steady.presumedDead(30_000, 30_000, 3)).toBe(true)
    steady.noteReceived()
    expect(steady.presumedDead(30_000, 30_000, 3)).toBe(false)
    const sparse = new PeerLink(id, peerIdFromString(id), limits)
    for (let t = 0; t <= 200_000; t += 40_000) sparse.noteSent(t, 30_000) // gossip every 40 s, never answered
    expect(sparse.presumedDead(200_000, 30_000, 3)).toBe(false)
    const few = new PeerLink(id, peerIdFromString(id), limits)
    few.noteSent(0, 30_000)
    few.noteSent(29_000, 30_000)
    expect(few.presumedDead(31_000, 30_000, 3)).toBe(false) // two writes are not evidence
  })
})
