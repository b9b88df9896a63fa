/**
 * The datagram path (src/net/datagrams.ts) between real libp2p transports on 127.0.0.1: small swim frames
 * travel over UDP once a connection has exchanged keys and a hello was answered; what is larger, asked to go
 * by stream, or bound for a blocked peer does not; keys outlive a connection closed for a budget (at both
 * ends: the closing end says so first) and not one the remote closed otherwise; a restarted process resets
 * the keys of its previous life, and only it can; and whatever arrives at the UDP port that is not an
 * authentic datagram is dropped and counted.
 */
import { createSocket } from 'node:dgram'
import { randomBytes } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { DATAGRAM_MAX_FRAME_BYTES, FORGET_QUIET_MS } from '../../src/core/transport.js'
import type { PeerId } from '../../src/core/transport.js'
import type { Libp2pTransport } from '../../src/net/index.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { DATAGRAM_VERSION, HEADER_BYTES, KEY_BYTES, KEY_ID_BYTES, encodeReset, resetSecretOf, resetToken } from '../../src/net/datagram-seal.js'
import { DATAGRAM_KEY_PROTOCOL } from '../../src/net/datagrams.js'
import { captureLog, sleep, startTransport, waitFor } from './helpers.js'

const open: Libp2pTransport[] = []
async function start (init: Parameters<typeof startTransport>[0] = {}, name = 'peer'): Promise<Libp2pTransport> {
  const t = await startTransport(init, name)
  open.push(t)
  return t
}
afterEach(async () => {
  await Promise.all(open.splice(0).map(async t => { await t.close(500) }))
})

function inbox (t: Libp2pTransport): Array<{ from: PeerId, text: string, viaDatagram: boolean }> {
  const got: Array<{ from: PeerId, text: string, viaDatagram: boolean }> = []
  t.onFrame('swim', (from, frame, viaDatagram) => { got.push({ from, text: new TextDecoder().decode(frame), viaDatagram: viaDatagram === true }) })
  return got
}
const frame = (text: string): Uint8Array => new TextEncoder().encode(text)
const dest = (t: Libp2pTransport): { id: PeerId, addrs: string[] } => ({ id: t.localId, addrs: t.addresses() })
const udpPort = (t: Libp2pTransport): number => Number(/\/tcp\/(\d+)/.exec(t.addresses()[0] ?? '')?.[1])

/** Connects a and b (a frame over the stream) and waits until each has a confirmed datagram path to the other. */
async function paired (a: Libp2pTransport, b: Libp2pTransport): Promise<void> {
  a.send('swim', dest(b), frame('hello over the stream'))
  await waitFor(() => a.datagramPath(b.localId) && b.datagramPath(a.localId), 5_000, 'datagram paths confirmed both ways')
}

/** A TCP port free on 127.0.0.1 right now. */
async function freePort (): Promise<number> {
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
  return port
}

/** Whether something on this machine holds UDP `port` on 127.0.0.1 (a bind there fails with EADDRINUSE). */
async function udpTaken (port: number): Promise<boolean> {
  const probe = createSocket('udp4')
  try {
    await new Promise<void>((resolve, reject) => { probe.once('error', reject); probe.bind(port, '127.0.0.1', resolve) })
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
  } finally {
    probe.close()
  }
}

describe('a peer that advertises another address than it listens on (--advertise)', () => {
  // Datagrams took their port from the advertised addresses: a /dns4 one (every service of the compose file)
  // turned them off, and an advertised port (a NAT's) was where UDP was bound, not the TCP port a container publishes.
  it('binds UDP on its TCP listen port and pairs, whether the advertised address is a DNS name or another port', async () => {
    for (const advertised of [(port: number): string => `/dns4/murmur-a.example/tcp/${port}`, (_port: number): string => '/ip4/127.0.0.1/tcp/5555']) {
      const port = await freePort()
      const a = await start({ listen: [`/ip4/127.0.0.1/tcp/${port}`], announce: [advertised(port)] }, 'a')
      const b = await start({}, 'b')
      expect(await udpTaken(port), `UDP ${port} is bound (advertising ${advertised(port)})`).toBe(true)
      a.send('swim', dest(b), frame('hello over the stream'))
      await waitFor(() => a.datagramPath(b.localId) && b.datagramPath(a.localId), 5_000, `datagram paths confirmed both ways (advertising ${advertised(port)})`)
      await Promise.all(open.splice(0).map(async t => { await t.close(500) }))
    }
  })
})

describe('datagrams between two peers', () => {
  it('carry a small swim frame once the connection exchanged keys, and nothing else', async () => {
    const a = await start({}, 'a')
    const b = await start({}, 'b')
    const got = inbox(b)
    expect(a.datagramPath(b.localId)).toBe(false)
    await paired(a, b)
    const before = b.stats().datagrams.received
    const streamFramesBefore = b.stats().channels.swim.framesIn
    a.send('swim', dest(b), frame('ping by datagram'))
    await waitFor(() => got.some(g => g.text === 'ping by datagram'), 2_000, 'the datagram frame arrives')
    expect(got.find(g => g.text === 'ping by datagram')?.from).toBe(a.localId)
    // The handler is told how it came (membership answers a ping the way it came).
    expect(got.find(g => g.text === 'ping by datagram')?.viaDatagram).toBe(true)
    expect(got.find(g => g.text === 'hello over the stream')?.viaDatagram).toBe(false)
    expect(b.stats().datagrams.received).toBe(before + 1)
    // Counted as swim traffic like any frame.
    expect(b.stats().channels.swim.framesIn).toBe(streamFramesBefore + 1)

    // Larger than a datagram, asked to go by stream, or on another channel: not a datagram.
    const big = 'x'.repeat(DATAGRAM_MAX_FRAME_BYTES + 1)
    a.send('swim', dest(b), frame(big))
    a.send('swim', dest(b), frame('fallback ping'), { stream: true })
    await waitFor(() => got.some(g => g.text === big) && got.some(g => g.text === 'fallback ping'), 3_000, 'the stream frames arrive')
    expect(b.stats().datagrams.received).toBe(before + 1)
    expect(a.stats().datagrams.rejected).toEqual({ malformed: 0, unknownKey: 0, unauthenticated: 0, replayed: 0 })
  })

  it('sent just before close() still leave (a leave\'s last gossip)', async () => {
    const a = await start({}, 'a')
    const b = await start({}, 'b')
    const got = inbox(b)
    await paired(a, b)
    for (let i = 0; i < 5; i++) a.send('swim', dest(b), frame(`left ${i}`))
    await a.close(500)
    await waitFor(() => got.filter(g => g.text.startsWith('left')).length === 5, 2_000, 'the last datagrams arrive')
  })

  it('are not used when turned off', async () => {
    const a = await start({ datagrams: false }, 'a')
    const b = await start({}, 'b')
    const got = inbox(b)
    a.send('swim', dest(b), frame('one'))
    await waitFor(() => got.length === 1, 3_000, 'the stream frame arrives')
    await sleep(500)
    expect(a.datagramPath(b.localId)).toBe(false)
    // b issued a key to a, but a never answers hellos (it has no socket): b's path is never confirmed.
    expect(b.datagramPath(a.localId)).toBe(false)
    b.send('swim', dest(a), frame('back'))
    expect(b.stats().datagrams.sent).toBeLessThanOrEqual(3)
  })

  it('stop when the remote closes the connection (it may be gone), and a refused dial follows', async () => {
    const a = await start({}, 'a')
    const b = await start({}, 'b')
    await paired(a, b)
    const events: string[] = []
    a.onPeerEvent(e => { events.push(e.type + (e.type === 'unreachable' && e.refused === true ? ':refused' : '')) })
    await b.close(500)
    await waitFor(() => !a.datagramPath(b.localId), 3_000, 'a drops the key b issued')
    a.send('swim', dest(b), frame('are you there?'))
    await waitFor(() => events.includes('unreachable:refused'), 3_000, 'the dial is refused')
  })

  it('go with a refused dial: the process that issued the key is gone (as the simulator has it)', async () => {
    const a = await start({}, 'a')
    const b = await start({}, 'b')
    await paired(a, b)
    // a closes the connection itself (a dead verdict after a quiet spell): it keeps b's key, and no close of
    // b's will reach it.
    await sleep(FORGET_QUIET_MS + 100)
    a.forget(b.localId)
    await waitFor(() => a.stats().openConnections === 0 && b.stats().openConnections === 0, 3_000, 'the connection closed at both ends')
    expect(a.datagramPath(b.localId)).toBe(true)
    const events: string[] = []
    a.onPeerEvent(e => { events.push(e.type + (e.type === 'unreachable' && e.refused === true ? ':refused' : '')) })
    await b.close(500)
    a.send('swim', dest(b), frame('are you there?'), { stream: true })
    await waitFor(() => events.includes('unreachable:refused'), 3_000, 'the dial is refused')
    // Its next ping dials (and is refused at once) instead of going, lost without a word, as a datagram.
    expect(a.datagramPath(b.localId)).toBe(false)
  })

  it('outlive a connection closed for a budget, at both ends: the closing end says so first', async () => {
    const a = await start({ maxConnections: 1, pruneGraceMs: 0 }, 'a')
    const b = await start({}, 'b')
    const c = await start({}, 'c')
    const gotA = inbox(a)
    const gotB = inbox(b)
    await paired(a, b)
    await paired(a, c)
    await waitFor(() => !a.isConnected(b.localId) || !a.isConnected(c.localId), 5_000, 'the budget closes one connection')
    const pruned = a.isConnected(b.localId) ? c : b
    await waitFor(() => !pruned.isConnected(a.localId), 3_000, 'the pruned peer sees the connection close')
    expect(a.datagramPath(pruned.localId)).toBe(true)
    // The remote closed it, but said first that it did so for its budget: the key a issued stays good.
    // (Before the keep notice, the pruned end dropped it and dialled a for its next ping.)
    await sleep(200)
    expect(pruned.datagramPath(a.localId)).toBe(true)
    const dialsBefore = a.stats().dials.ok
    const prunedDialsBefore = pruned.stats().dials.ok
    a.send('swim', dest(pruned), frame('still reachable'))
    pruned.send('swim', dest(a), frame('and back'))
    if (pruned === b) await waitFor(() => gotB.some(g => g.text === 'still reachable'), 2_000, 'the datagram reaches the pruned peer')
    else await waitFor(() => c.stats().datagrams.received > 1, 2_000, 'the datagram reaches the pruned peer')
    await waitFor(() => gotA.some(g => g.text === 'and back'), 2_000, 'the pruned peer\'s datagram reaches a')
    expect(a.stats().dials.ok).toBe(dialsBefore)
    expect(pruned.stats().dials.ok).toBe(prunedDialsBefore)
    expect(a.isConnected(pruned.localId)).toBe(false)
  })

  it('stop for a blocked peer both ways, and come back after the heal without a handshake', async () => {
    const a = await start({}, 'a')
    const b = await start({}, 'b')
    const got = inbox(a)
    await paired(a, b)
    const gotB = inbox(b)
    a.block([b.localId])
    expect(a.datagramPath(b.localId)).toBe(false)
    await waitFor(() => b.stats().openConnections === 0, 3_000, 'b sees the connection aborted')
    // A partition takes no keys with it: b was told to keep its key, and a drops what b sends meanwhile.
    const dropped = a.stats().rejectedFrames.blocked
    b.send('swim', dest(a), frame('during the partition'))
    await waitFor(() => a.stats().rejectedFrames.blocked > dropped, 2_000, 'a drops the blocked peer\'s datagram')
    a.heal()
    const dials = { a: a.stats().dials.ok, b: b.stats().dials.ok }
    b.send('swim', dest(a), frame('after the heal'))
    a.send('swim', dest(b), frame('and back'))
    await waitFor(() => got.some(g => g.text === 'after the heal') && gotB.some(g => g.text === 'and back'), 2_000, 'datagrams flow again both ways')
    expect(got.map(g => g.text)).not.toContain('during the partition')
    expect(got.find(g => g.text === 'after the heal')?.viaDatagram).toBe(true)
    expect(gotB.find(g => g.text === 'and back')?.viaDatagram).toBe(true)
    expect({ a: a.stats().dials.ok, b: b.stats().dials.ok }).toEqual(dials)
  })
})

describe('datagrams to a peer blocked while its key waits for confirmation', () => {
  it('no more hellos go to it, and no warning blames the path', async () => {
    const log = captureLog('a')
    const a = await start({ logger: log.logger }, 'a')
    // A peer whose UDP port is a socket of ours that never answers: its key stays unconfirmed.
    const raw = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    const udp = createSocket('udp4')
    let hellos = 0
    udp.on('message', () => { hellos++ })
    await new Promise<void>(resolve => { udp.bind(0, '127.0.0.1', resolve) })
    try {
      const message = new Uint8Array(1 + 2 + KEY_ID_BYTES + KEY_BYTES)
      message[0] = 1
      new DataView(message.buffer).setUint16(1, udp.address().port)
      message.set(randomBytes(KEY_ID_BYTES + KEY_BYTES), 3)
      const s = await raw.dialProtocol(multiaddr(a.addresses()[0] as string), DATAGRAM_KEY_PROTOCOL, { signal: AbortSignal.timeout(2000) })
      s.send(message)
      await s.close().catch(() => {})
      await waitFor(() => hellos === 1, 3_000, 'a says hello to the new key')
      a.block([raw.peerId.toString()])
      await sleep(3_500)
      expect(hellos, 'hellos after the block').toBe(1)
      expect(log.lines.filter(l => l.includes('no answer to datagrams'))).toEqual([])
    } finally {
      udp.close()
      await raw.stop()
    }
  })
})

describe('hostile datagrams', () => {
  it('from a peer over its swim rate are dropped like stream frames over it', async () => {
    const a = await start({ inboundRate: { swim: { ratePerSec: 5, burst: 5 } } }, 'a')
    const b = await start({}, 'b')
    const got = inbox(a)
    await paired(a, b)
    const received = a.stats().datagrams.received
    for (let i = 0; i < 40; i++) b.send('swim', dest(a), frame(`flood ${i}`))
    await waitFor(() => a.stats().datagrams.received >= received + 40, 2_000, 'all 40 datagrams arrive')
    expect(a.stats().rejectedFrames.rateLimited).toBeGreaterThanOrEqual(30)
    expect(got.filter(g => g.text.startsWith('flood')).length).toBeLessThanOrEqual(10)
  })

  it('are dropped and counted, logged rate-limited, and the path keeps working', async () => {
    const log = captureLog('a')
    const a = await start({ logger: log.logger }, 'a')
    const b = await start({}, 'b')
    const got = inbox(a)
    await paired(a, b)
    const raw = createSocket('udp4')
    const send = async (bytes: Uint8Array): Promise<void> => {
      await new Promise<void>((resolve, reject) => { raw.send(bytes, udpPort(a), '127.0.0.1', (err) => { err === null ? resolve() : reject(err) }) })
    }
    try {
      for (let i = 0; i < 20; i++) await send(randomBytes(100))
      await send(new Uint8Array(4000))
      await send(new Uint8Array(0))
      const unknown = new Uint8Array(60)
      unknown[0] = DATAGRAM_VERSION
      unknown.set(randomBytes(59), 1)
      await send(unknown)
      await waitFor(() => a.stats().datagrams.rejected.malformed + a.stats().datagrams.rejected.unknownKey >= 22, 2_000, 'the junk is counted')
    } finally {
      raw.close()
    }
    const rejected = a.stats().datagrams.rejected
    expect(rejected.unknownKey).toBeGreaterThanOrEqual(1)
    // Random bytes start with the version byte 1 time in 256: those count as unknown keys.
    expect(rejected.malformed + rejected.unknownKey).toBe(23)
    // 22 malformed datagrams, at most the rate-limited log's burst (5 in 10 s) of lines about them.
    const lines = log.lines.filter(l => l.includes('not murmur')).length
    expect(lines).toBeGreaterThan(0)
    expect(lines).toBeLessThanOrEqual(5)
    b.send('swim', dest(a), frame('still fine'))
    await waitFor(() => got.some(g => g.text === 'still fine'), 2_000, 'an authentic datagram still arrives')
  })

  it('key messages that are malformed or oversized are refused with a warning, and hold nothing', async () => {
    const log = captureLog('a')
    const a = await start({ logger: log.logger }, 'a')
    const raw = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
    try {
      const keyMessage = async (bytes: Uint8Array): Promise<void> => {
        const s = await raw.dialProtocol(multiaddr(a.addresses()[0] as string), DATAGRAM_KEY_PROTOCOL, { signal: AbortSignal.timeout(2000) })
        s.send(bytes)
        await s.close().catch(() => {})
        await waitFor(() => s.status !== 'open', 5_000, 'the key stream ends')
      }
      await keyMessage(new Uint8Array(43 + 1).fill(1))
      await keyMessage(new Uint8Array(10).fill(1))
      const wrongVersion = new Uint8Array(43)
      wrongVersion[0] = 9
      await keyMessage(wrongVersion)
      await waitFor(() => log.lines.filter(l => l.includes('datagram key message')).length >= 3, 3_000, 'three warnings')
      // A key stream closed with nothing in it is a connection that was closing, not a malformed key: no warning.
      await keyMessage(new Uint8Array(0))
      await sleep(200)
      expect(log.lines.filter(l => l.includes('datagram key message'))).toHaveLength(3)
      expect(a.datagramPath(raw.peerId.toString())).toBe(false)
      expect(a.stats().datagrams.sent).toBe(0)
    } finally {
      await raw.stop()
    }
  })
})

describe('a key of a process that restarted', () => {
  /** a holds a confirmed key from b and no connection to it (a closed it: a dead verdict after a quiet spell). */
  async function keyWithoutConnection (a: Libp2pTransport, b: Libp2pTransport): Promise<void> {
    await paired(a, b)
    await sleep(FORGET_QUIET_MS + 100)
    a.forget(b.localId)
    await waitFor(() => a.stats().openConnections === 0 && b.stats().openConnections === 0, 3_000, 'the connection closed at both ends')
    expect(a.datagramPath(b.localId)).toBe(true)
  }

  it('is reset by the new process at the first datagram sealed with it: the next frame goes by stream and arrives', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    const port = await freePort()
    const listen = [`/ip4/127.0.0.1/tcp/${port}`]
    const a = await start({}, 'a')
    const b = await start({ privateKey, listen }, 'b')
    await keyWithoutConnection(a, b)
    await b.close(500)
    const b2 = await start({ privateKey, listen }, 'b2')
    expect(b2.localId).toBe(b.localId)
    expect(udpPort(b2)).toBe(port)
    const got = inbox(b2)
    const resets: string[] = []
    a.onPeerEvent(e => { if (e.type === 'datagramKeyReset') resets.push(e.id) })
    // Sealed with the key b issued: b2 cannot open it, and answers with a reset only b's identity can make.
    a.send('swim', dest(b2), frame('lost: sealed for the previous process'))
    await waitFor(() => !a.datagramPath(b2.localId), 3_000, 'a drops the key of b\'s previous life')
    expect(b2.stats().datagrams.resetsSent).toBe(1)
    expect(a.stats().datagrams.keysReset).toBe(1)
    expect(resets, 'membership is told (its probe moves on to the stream at once)').toEqual([b.localId])
    expect(got).toEqual([])
    a.send('swim', dest(b2), frame('by stream'))
    await waitFor(() => got.some(g => g.text === 'by stream'), 5_000, 'the next frame arrives over a new connection')
    // …which brings fresh keys: the path is back.
    await waitFor(() => a.datagramPath(b2.localId), 5_000, 'a new key from b2')
  })

  it('is not reset by anyone else: a reset with a wrong token, or from another address, changes nothing', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    const port = await freePort()
    const a = await start({}, 'a')
    const b = await start({ privateKey, listen: [`/ip4/127.0.0.1/tcp/${port}`] }, 'b')
    await keyWithoutConnection(a, b)
    await b.close(500)
    // Someone at b's UDP port (as a restarted b would be), catching what a seals with b's key.
    const impostor = createSocket('udp4')
    const other = createSocket('udp4')
    try {
      await new Promise<void>((resolve) => { impostor.bind(port, '127.0.0.1', resolve) })
      await new Promise<void>((resolve) => { other.bind(0, '127.0.0.1', resolve) })
      const caught = new Promise<Uint8Array>((resolve) => { impostor.once('message', (msg) => { resolve(new Uint8Array(msg)) }) })
      a.send('swim', dest(b), frame('sealed with b\'s key'))
      const packet = await caught
      expect(packet.byteLength).toBeGreaterThan(HEADER_BYTES)
      const keyId = packet.slice(1, 1 + KEY_ID_BYTES)
      const reply = async (socket: ReturnType<typeof createSocket>, bytes: Uint8Array): Promise<void> => {
        await new Promise<void>((resolve, reject) => { socket.send(bytes, udpPort(a), '127.0.0.1', (err) => { err === null ? resolve() : reject(err) }) })
      }
      const rightToken = resetToken(resetSecretOf(privateKey.raw), keyId)
      const rejected0 = a.stats().datagrams.rejected.unauthenticated
      await reply(impostor, encodeReset(keyId, randomBytes(16)))
      await reply(impostor, encodeReset(keyId, resetToken(resetSecretOf((await generateKeyPair('Ed25519')).raw), keyId)))
      await reply(other, encodeReset(keyId, rightToken))
      await waitFor(() => a.stats().datagrams.rejected.unauthenticated - rejected0 >= 3, 2_000, 'three bad resets counted')
      expect(a.datagramPath(b.localId)).toBe(true)
      expect(a.stats().datagrams.keysReset).toBe(0)
      // The right token from where b's datagrams go: only b's identity key could have made it.
      await reply(impostor, encodeReset(keyId, rightToken))
      await waitFor(() => !a.datagramPath(b.localId), 2_000, 'the verified reset drops the key')
      expect(a.stats().datagrams.keysReset).toBe(1)
    } finally {
      impostor.close()
      other.close()
    }
  })
})
