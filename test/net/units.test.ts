/**
 * Table tests for the pure parts of src/net: limits, policies and diagnoses, no sockets.
 */
import { describe, expect, it } from 'vitest'
import { peersToPrune } from '../../src/net/connection-budget.js'
import type { ConnectedPeer } from '../../src/net/connection-budget.js'
import { describeError, isPeerGone, toError } from '../../src/net/describe-error.js'
import { diagnoseDialFailure, diagnoseInboundHandshakeFailure, explainInboundHandshakeFailure } from '../../src/net/diagnose.js'
import { FirstBytesLog, MULTISTREAM_HEADER, classifyFirstBytes } from '../../src/net/first-bytes.js'
import { InboundAdmission, refusalReason } from '../../src/net/inbound-admission.js'
import { FrameQueue } from '../../src/core/frame-queue.js'
import { varintLength } from '../../src/core/codec.js'
import { PeerPolicy } from '../../src/net/peer-policy.js'
import { FloodDetector, TokenBucket } from '../../src/core/rate-limit.js'
import { resolveTransportConfig } from '../../src/net/config.js'
import { generatePsk, parsePsk } from '../../src/net/psk.js'
import { multiaddr } from '@multiformats/multiaddr'
import { HandshakeSlots } from '../../src/core/handshake-slots.js'
import { RateLimitedLog, silentLogger } from '../../src/core/logger.js'
import { Dialer } from '../../src/net/dialer.js'
import type { MurmurNode } from '../../src/net/node.js'
import { createCounters } from '../../src/net/stats.js'

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
  it('a byte bucket charges the frame size, and takes nothing from a frame it refuses', () => {
    const b = TokenBucket.ofBytes({ bytesPerSec: 1000, burstBytes: 1500 }, 0)
    expect(b.take(0, 1000)).toBe(true)
    expect(b.has(0, 600)).toBe(false)
    expect(b.take(0, 600)).toBe(false) // refused: the 500 left stay
    expect(b.take(0, 500)).toBe(true)
    expect(b.take(100, 100)).toBe(true) // 100 bytes per 100 ms
    expect(b.take(100, 1)).toBe(false)
    expect(b.take(60_000, 1500)).toBe(true) // capped at the burst
    expect(b.take(60_000, 1)).toBe(false)
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

const err = (name: string, message: string): Error => Object.assign(new Error(message), { name })

describe('diagnoseDialFailure', () => {
  it.each([
    [err('Error', 'connect ECONNREFUSED 127.0.0.1:1'), false, false, 'refused', /refused/],
    [err('TimeoutError', 'The operation was aborted due to timeout'), false, false, 'timeout', /no connection within/],
    [err('TimeoutError', 'The operation was aborted due to timeout'), true, false, 'handshake-timeout', /did not complete within 1000 ms: the remote or this machine is overloaded/],
    [err('TimeoutError', 'The operation was aborted due to timeout'), true, true, 'handshake', /no pre-shared key or a different one/],
    [err('EncryptionFailedError', 'read ECONNRESET'), true, true, 'handshake', /no pre-shared key or a different one/],
    [err('Error', 'read ECONNRESET'), false, true, 'handshake', /different one/],
    [err('DialDeniedError', 'The dial request is blocked by gater.allowDialPeer'), false, false, 'denied', /gater/],
    [err('InvalidPeerIdError', 'Can not dial self'), true, false, 'self', /this peer's own id/],
    [err('EncryptionFailedError', 'Payload identity key 12D3 does not match expected remote identity key'), true, false, 'wrong-peer', /different peer/]
  ])('%s (handshake started: %s, psk: %s) → %s', (error, handshakeStarted, pskConfigured, kind, explanation) => {
    const d = diagnoseDialFailure({ error, handshakeStarted, pskConfigured, dialTimeoutMs: 1000 })
    expect(d.kind).toBe(kind)
    expect(d.explanation).toMatch(explanation)
  })
  // Without a key here, only evidence names a key: the remote opened with something that is not
  // multistream-select (a keyed listener sends its pnet nonce first). Overload alone never does (issue 14:
  // a soak without any key logged thousands of "may require a pre-shared key" after a heal).
  it.each([
    [err('TimeoutError', 'The operation was aborted due to timeout'), 'other', 'handshake', /did not complete within 1000 ms: the remote did not open like a libp2p peer, so it may require a pre-shared key/],
    [err('Error', 'read ECONNRESET'), 'other', 'handshake', /failed \(read ECONNRESET\): the remote did not open like a libp2p peer, so it may require a pre-shared key/],
    [err('UnexpectedEOFError', 'Unexpected EOF'), 'other', 'handshake', /may require a pre-shared key/],
    [err('TimeoutError', 'The operation was aborted due to timeout'), 'libp2p', 'handshake-timeout', /overloaded/],
    [err('TimeoutError', 'The operation was aborted due to timeout'), 'none', 'handshake-timeout', /accepted the connection and said nothing.*overloaded/],
    [err('Error', 'read ECONNRESET'), 'libp2p', 'gone', /stopping/],
    // A murmur peer's HTTP port given as its libp2p address: the HTTP server answers the multistream header
    // with a 400. Before, that was "may require a pre-shared key".
    [err('EncryptionFailedError', 'Missing newline'), 'http', 'handshake', /failed \(Missing newline\): the remote answered like an HTTP server, not a libp2p peer: is this a peer's --http port\?/],
    [err('TimeoutError', 'The operation was aborted due to timeout'), 'text', 'handshake', /answered in plain text.*another service listens there/]
  ] as const)('no key, %s, remote sent %s first → %s', (error, remoteFirstBytes, kind, explanation) => {
    const d = diagnoseDialFailure({ error, handshakeStarted: true, pskConfigured: false, dialTimeoutMs: 1000, remoteFirstBytes })
    expect(d.kind).toBe(kind)
    expect(d.explanation).toMatch(explanation)
    if (remoteFirstBytes !== 'other') expect(d.explanation).not.toMatch(/pre-shared key/)
  })
  it('explains the listener side honestly', () => {
    expect(explainInboundHandshakeFailure(undefined, 1001, true)).toMatch(/hung up after 1001 ms.*pre-shared key mismatch or missing/)
    expect(explainInboundHandshakeFailure(new Error('Missing newline'), 3, false)).toMatch(/Missing newline.*may be using a pre-shared key/)
  })
  // Without a key here, a reset or EOF is the remote going away (stopping, or refusing us at a limit):
  // a keyless peer never sees a reset caused by a key (diagnose.ts table). With a key, it may be one.
  it.each([
    [err('Error', 'read ECONNRESET'), false, 'gone', /closed the connection during the handshake.*stopping/],
    [err('EncryptionFailedError', 'read ECONNRESET'), false, 'gone', /closed the connection during the handshake/],
    [err('UnexpectedEOFError', 'Unexpected EOF - stream closed while reading 0/2 bytes'), false, 'gone', /closed the connection/],
    [err('StreamResetError', 'stream reset'), false, 'gone', /closed the connection/],
    [err('UnexpectedEOFError', 'Unexpected EOF'), true, 'other', /Unexpected EOF/],
    [err('Error', 'read ECONNRESET'), true, 'handshake', /no pre-shared key or a different one/]
  ])('remote gone: %s (psk: %s)', (error, pskConfigured, kind, explanation) => {
    const d = diagnoseDialFailure({ error, handshakeStarted: true, pskConfigured, dialTimeoutMs: 1000 })
    expect(d.kind).toBe(kind)
    expect(d.explanation).toMatch(explanation)
    if (!pskConfigured) expect(d.explanation).not.toMatch(/pre-shared key/)
  })
  // Without a key here, a hang-up is judged by what the remote sent first (first-bytes.ts): a libp2p
  // peer that went away, or silence, is routine; random bytes are what a keyed dialler sends.
  it.each([
    ['hung up, no key, libp2p first bytes', undefined, false, 'libp2p', 'gone', false, false, /hung up after 12 ms.*stopping/],
    ['hung up, no key, sent nothing', undefined, false, 'none', 'gone', false, false, /hung up after 12 ms.*stopping/],
    ['reset, no key', err('Error', 'read ECONNRESET'), false, 'libp2p', 'gone', false, false, /hung up after 12 ms .*\(read ECONNRESET\)/],
    ['hung up, no key, garbage first', undefined, false, 'other', 'gone', true, true, /what it sent is not libp2p: the remote may be using a pre-shared key/],
    ['upgrade timeout, no key, sent nothing', err('TimeoutError', 'The operation was aborted due to timeout'), false, 'none', 'timeout', true, false, /did not complete within 12 ms: it sent nothing .*silent connections/],
    ['upgrade timeout, no key, garbage first', err('TimeoutError', 'The operation was aborted due to timeout'), false, 'other', 'timeout', true, true, /not libp2p: the remote may be using a pre-shared key/],
    ['upgrade timeout, no key, libp2p stalled', err('TimeoutError', 'The operation was aborted due to timeout'), false, 'libp2p', 'timeout', true, false, /a libp2p peer that stalled/],
    ['upgrade timeout, no key, first bytes unknown', err('TimeoutError', 'The operation was aborted due to timeout'), false, undefined, 'timeout', true, false, /silent connections holding handshake slots/],
    ['garbage, no key', err('EncryptionFailedError', 'Missing newline'), false, 'other', 'failed', true, true, /EncryptionFailedError: Missing newline.*may be using a pre-shared key/],
    ['an HTTP request, no key', err('EncryptionFailedError', 'Missing newline'), false, 'text', 'failed', true, false, /plain text, not libp2p: a client of another protocol \(an HTTP client\?\) pointed at this peer's libp2p port/],
    ['hung up, key', undefined, true, undefined, 'gone', true, true, /pre-shared key mismatch or missing/],
    ['timeout, key', err('TimeoutError', 'The operation was aborted due to timeout'), true, undefined, 'timeout', true, true, /pre-shared key mismatch or missing/]
  ] as const)('inbound handshake: %s', (_label, error, pskConfigured, firstBytes, kind, warn, keyHint, explanation) => {
    const d = diagnoseInboundHandshakeFailure(error, 12, pskConfigured, firstBytes)
    expect(d).toMatchObject({ kind, warn })
    expect(d.explanation).toMatch(explanation)
    expect(d.explanation.includes('pre-shared key')).toBe(keyHint)
  })
})

describe('transport config', () => {
  it('resolves defaults and validates', () => {
    const c = resolveTransportConfig({})
    expect(c.maxFrameBytes).toEqual({ swim: 512 * 1024, sync: 1024 * 1024, presence: 256 * 1024 })
    expect(c.listen).toEqual(['/ip4/0.0.0.0/tcp/0'])
    expect(c.inboundUpgradeTimeoutMs).toBe(c.dialTimeoutMs)
    expect(resolveTransportConfig({ inboundRate: { swim: { ratePerSec: 5, burst: 10 } } }).inboundRate.sync.burst).toBe(2000)
    expect(() => resolveTransportConfig({ dialTimeoutMs: 0 })).toThrow(expect.objectContaining({ name: 'ConfigError' }))
    expect(() => resolveTransportConfig({ maxConnections: 1.5 })).toThrow(expect.objectContaining({ name: 'ConfigError' }))
    expect(() => resolveTransportConfig({ listen: [] })).toThrow(expect.objectContaining({ name: 'ConfigError' }))
    expect(() => resolveTransportConfig({ queueLimits: { sync: { maxFrames: 10, maxBytes: 1000 } } })).toThrow(/must hold one maximal frame/)
  })
  it('resolves the admission and byte-rate limits', () => {
    const c = resolveTransportConfig({})
    expect(c.maxIncomingPendingConnections).toBe(256)
    expect(c.inboundByteRate).toEqual({ swim: { bytesPerSec: 1024 * 1024, burstBytes: 4 * 1024 * 1024 }, sync: { bytesPerSec: 32 * 1024 * 1024, burstBytes: 64 * 1024 * 1024 }, presence: { bytesPerSec: 1024 * 1024, burstBytes: 4 * 1024 * 1024 } })
    expect(resolveTransportConfig({ inboundByteRate: { swim: { bytesPerSec: 10 } } }).inboundByteRate.swim).toEqual({ bytesPerSec: 10, burstBytes: 4 * 1024 * 1024 })
    expect(resolveTransportConfig({ maxIncomingPendingConnections: 16 }).maxIncomingPendingConnections).toBe(16)
    expect(() => resolveTransportConfig({ maxIncomingPendingConnections: 0 })).toThrow(expect.objectContaining({ name: 'ConfigError' }))
    expect(() => resolveTransportConfig({ inboundByteRate: { sync: { bytesPerSec: 0 } } })).toThrow(expect.objectContaining({ name: 'ConfigError' }))
    // A burst smaller than one maximal frame (plus its 3-byte prefix) would refuse that frame forever.
    expect(() => resolveTransportConfig({ inboundByteRate: { swim: { burstBytes: 512 * 1024 } } })).toThrow(/must hold one maximal frame and its prefix \(524291\)/)
    expect(resolveTransportConfig({ maxFrameBytes: { swim: 1000 }, inboundByteRate: { swim: { burstBytes: 1002 } } }).inboundByteRate.swim.burstBytes).toBe(1002)
  })
  it('sizes varint prefixes like lpStream', () => {
    expect([0, 127, 128, 16_383, 16_384, 1024 * 1024].map(varintLength)).toEqual([1, 1, 2, 2, 3, 3])
  })
})

describe('PeerLink dead-connection evidence', () => {
  it('flags steady unanswered writes, not sparse one-way traffic, and forgets on any reply', async () => {
    const { PeerLink } = await import('../../src/net/peer-link.js')
    const { peerIdFromString } = await import('@libp2p/peer-id')
    const id = '12D3KooWEeTErA5SypEW3xCEgwwhX4ZPzXL43QoNQL6q7XoLgzE8'
    const limits = { swim: { maxFrames: 10, maxBytes: 1000 }, sync: { maxFrames: 10, maxBytes: 1000 }, presence: { maxFrames: 10, maxBytes: 1000 } }
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

describe('error text (describe-error.ts)', () => {
  it('describes Events (what p-event rejects with) instead of "[object Event]"', () => {
    const bare = new Event('close')
    const withError = Object.assign(new Event('close'), { error: err('StreamResetError', 'the stream was reset'), local: false })
    expect(String(bare)).toBe('[object Event]') // what the log said before
    expect(describeError(bare)).toBe('close event (the stream or connection closed)')
    expect(describeError(withError)).toBe('remote close event: StreamResetError: the stream was reset')
    expect(describeError(new Error('plain'))).toBe('plain')
    expect(describeError(err('TimeoutError', 'timed out'))).toBe('TimeoutError: timed out')
    expect(describeError('text')).toBe('text')
    expect(describeError({ code: 1 })).toBe('{"code":1}')
    expect(toError(withError)).toBe(withError.error)
    expect(toError(bare).message).toBe('close event (the stream or connection closed)')
  })
  it.each([
    [err('StreamResetError', 'x'), true],
    [err('UnexpectedEOFError', 'Unexpected EOF'), true],
    [err('Error', 'read ECONNRESET'), true],
    [err('Error', 'write EPIPE'), true],
    [Object.assign(new Error('wrapped'), { cause: err('ConnectionClosedError', 'closed') }), true],
    [new Event('close'), true],
    [err('TimeoutError', 'The operation was aborted due to timeout'), false],
    [err('AbortError', 'The operation was aborted'), false],
    [err('EncryptionFailedError', 'Missing newline'), false],
    ['ECONNRESET', false]
  ])('isPeerGone(%s) = %s', (e, gone) => {
    expect(isPeerGone(e)).toBe(gone)
  })
})

describe('inbound admission (inbound-admission.ts)', () => {
  it('tells the pending cap from the other libp2p refusals', () => {
    expect([[0, 10], [9, 10], [10, 10], [11, 10]].map(([p, m]) => refusalReason(p ?? 0, m ?? 0))).toEqual(['inboundLimit', 'inboundLimit', 'pendingFull', 'pendingFull'])
  })
  it('reports ConnectionDeniedError refusals with the upgrades in flight, passes everything else through', async () => {
    const refused: Array<[string, number]> = []
    const admission = new InboundAdmission(2, (reason, _maConn, pending) => { refused.push([reason, pending]) })
    const held: Array<() => void> = []
    const inner = {
      upgradeInbound: async (maConn: { deny: boolean }) => {
        if (maConn.deny) throw Object.assign(new Error('Connection denied'), { name: 'ConnectionDeniedError' })
        await new Promise<void>(resolve => { held.push(resolve) })
      },
      upgradeOutbound: async () => 'out',
      createInboundAbortSignal: () => 'signal',
      getStreamMuxers: () => new Map(),
      getConnectionEncrypters: () => new Map()
    }
    const up = admission.wrapUpgrader(inner as never)
    const a = up.upgradeInbound({ deny: false } as never, {} as never)
    const b = up.upgradeInbound({ deny: false } as never, {} as never)
    expect(admission.pendingUpgrades).toBe(2)
    await expect(up.upgradeInbound({ deny: true } as never, {} as never)).rejects.toMatchObject({ name: 'ConnectionDeniedError' })
    for (const r of held) r()
    await Promise.all([a, b])
    await expect(up.upgradeInbound({ deny: true } as never, {} as never)).rejects.toMatchObject({ name: 'ConnectionDeniedError' })
    expect(refused).toEqual([['pendingFull', 2], ['inboundLimit', 0]])
    expect(admission.pendingUpgrades).toBe(0)
    expect(await up.upgradeOutbound({} as never, {} as never)).toBe('out')
  })
})

describe('first bytes of an inbound connection (first-bytes.ts)', () => {
  const header = MULTISTREAM_HEADER
  it.each([
    ['nothing', new Uint8Array(0), false, 'none'],
    ['the multistream header', header, false, 'libp2p'],
    ['the header and more', Uint8Array.from([...header, 1, 2, 3]), false, 'libp2p'],
    ['a prefix of it, more may come', header.subarray(0, 5), false, undefined],
    ['a prefix of it, final', header.subarray(0, 5), true, 'libp2p'],
    ['one matching byte, final', header.subarray(0, 1), true, 'other'],
    ['a pnet nonce (random bytes)', Uint8Array.of(0xa7, 0x13, 0x2f, 0x6d), false, 'other'],
    ['header-like but wrong', Uint8Array.from([0x13, ...new TextEncoder().encode('/multistream/2.0.0\n')]), false, 'other'],
    // An HTTP server (a murmur peer's --http port given as a libp2p address) or another plain-text service.
    ['an HTTP server\'s answer', new TextEncoder().encode('HTTP/1.1 400 Bad Request\r\n'), false, 'http'],
    ['the start of one, more may come', new TextEncoder().encode('HTT'), false, undefined],
    ['the start of one, final', new TextEncoder().encode('HTT'), true, 'http'],
    ['an HTTP request', new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n'), false, 'text'],
    ['an SSH banner', new TextEncoder().encode('SSH-2.0-OpenSSH_9.2\r\n'), false, 'text'],
    ['a little text, final', new TextEncoder().encode('abc'), true, 'other'],
    ['text, then a binary byte', Uint8Array.of(0x41, 0x42, 0x00, 0x43), false, 'other']
  ] as const)('%s → %s', (_label, bytes, final, verdict) => {
    expect(classifyFirstBytes(bytes, final)).toBe(verdict)
  })
  it('accumulates chunks until it knows, and reports silence only for connections it watched', () => {
    const log = new FirstBytesLog()
    const [a, b, c, d] = [{}, {}, {}, {}]
    expect(log.note(a, header.subarray(0, 3))).toBe(false)
    expect(log.note(a, header.subarray(3))).toBe(true)
    expect(log.get(a)).toBe('libp2p')
    expect(log.note(b, Uint8Array.of(0xff))).toBe(true)
    expect(log.get(b)).toBe('other')
    log.watch(c)
    expect(log.get(c)).toBe('none')
    expect(log.get(d)).toBeUndefined()
  })
})

describe('Dialer deadlines (dialer.ts)', () => {
  // A stand-in for libp2p's dial: the Dialer's own deadline logic is what is under test. `connectAfterMs`:
  // when TCP connects (the upgrade's first progress event), undefined for a SYN that is never answered;
  // `doneAfterMs`: when the handshake completes.
  function stubNode (connectAfterMs: number | undefined, doneAfterMs: number): MurmurNode {
    const dial = async (_target: unknown, options: { signal: AbortSignal, onProgress?: (evt: { type: string, detail?: unknown }) => void }): Promise<unknown> => {
      return await new Promise((resolve, reject) => {
        const timers: Array<ReturnType<typeof setTimeout>> = []
        if (connectAfterMs !== undefined) {
          timers.push(setTimeout(() => { options.onProgress?.({ type: 'upgrader:encrypt-outbound-connection' }) }, connectAfterMs))
          timers.push(setTimeout(() => { resolve({}) }, doneAfterMs))
        }
        options.signal.addEventListener('abort', () => {
          for (const t of timers) clearTimeout(t)
          reject(options.signal.reason)
        })
      })
    }
    return { dial } as unknown as MurmurNode
  }
  const dialer = (node: MurmurNode, scale: number): Dialer => new Dialer({
    node,
    counters: createCounters(),
    log: silentLogger,
    warnings: new RateLimitedLog(silentLogger, () => Date.now()),
    dialTimeoutMs: 200,
    slots: new HandshakeSlots(2, 8),
    timeoutScale: () => scale,
    pskConfigured: false
  })
  const target = [multiaddr('/ip4/127.0.0.1/tcp/9')]

  it('a connect that gets no answer fails at the plain dial timeout, not the one stretched by the local health', async () => {
    // Issue 14: stretched 4×, a dial begun into a partition held its slot and the member's frames for 12 s after the heal.
    const started = performance.now()
    const result = await dialer(stubNode(undefined, 0), 4).dial(target, 'test', 'swim')
    const ms = performance.now() - started
    expect(result.ok).toBe(false)
    expect(result.ok ? undefined : result.diagnosis.kind).toBe('timeout')
    expect(result.ok ? '' : result.diagnosis.explanation).toContain('no connection within 200 ms')
    expect(ms).toBeGreaterThanOrEqual(195)
    expect(ms).toBeLessThan(600)
  })

  it('a handshake under way past the plain timeout gets the stretched one', async () => {
    const result = await dialer(stubNode(20, 500), 4).dial(target, 'test', 'swim')
    expect(result.ok).toBe(true)
  })

  it('reports where each dial stands: in line, connecting, handshaking (what a probe may wait for)', async () => {
    const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
    // Handshakes that connect at once: the third dial waits in line behind two making progress.
    const moving = dialer(stubNode(5, 150), 4)
    const dials = ['a', 'b', 'c'].map(async label => await moving.dial(target, label, 'swim'))
    await sleep(40)
    expect(['a', 'b', 'c', 'z'].map(l => moving.stage(l))).toEqual(['handshaking', 'handshaking', 'queued', 'none'])
    await Promise.all(dials)
    expect(moving.stage('c')).toBe('none')
    // SYNs never answered (a partition): the dials under way are connecting, and a dial in line behind
    // them is no better off — it is not reported as merely queued.
    const stuck = dialer(stubNode(undefined, 0), 1)
    const stuckDials = ['a', 'b', 'c'].map(async label => await stuck.dial(target, label, 'swim'))
    await sleep(40)
    expect(['a', 'b', 'c'].map(l => stuck.stage(l))).toEqual(['connecting', 'connecting', 'connecting'])
    await Promise.all(stuckDials)
  })

  it('a healthy peer keeps the plain timeout for the handshake too', async () => {
    const result = await dialer(stubNode(20, 500), 1).dial(target, 'test', 'swim')
    expect(result.ok).toBe(false)
    expect(result.ok ? '' : result.diagnosis.explanation).toContain('did not complete within 200 ms')
  })
})
