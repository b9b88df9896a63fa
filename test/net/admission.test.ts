/**
 * Inbound admission before any key or allowlist check: connections that never finish their handshake
 * hold one of libp2p's pending-upgrade slots until the upgrade timeout closes them; past
 * `maxIncomingPendingConnections` libp2p refuses new ones, and murmur counts and says so. And a remote
 * that merely hangs up (it is stopping) is not reported as a pre-shared-key problem when no key is set.
 */
import { connect, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import type { PeerEvent } from '../../src/core/transport.js'
import type { Libp2pTransport } from '../../src/net/index.js'
import { captureLog, sleep, startTransport, waitFor } from './helpers.js'

const MAX_PENDING = 4
const UPGRADE_TIMEOUT_MS = 500

function portOf (t: Libp2pTransport): number {
  return Number(/\/tcp\/(\d+)/.exec(t.addresses()[0] ?? '')?.[1])
}

/** A TCP connection that says nothing; resolves `closedAt` (performance.now) when the far end closes it. */
function silent (port: number, sockets: Socket[]): { socket: Socket, openedAt: number, closed: Promise<number> } {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  sockets.push(socket)
  const openedAt = performance.now()
  const closed = new Promise<number>(resolve => { socket.on('close', () => { resolve(performance.now()) }) })
  return { socket, openedAt, closed }
}

describe('inbound admission (transport)', () => {
  const started: Libp2pTransport[] = []
  const sockets: Socket[] = []
  const servers: Server[] = []
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy()
    for (const s of servers.splice(0)) s.close()
    await Promise.all(started.splice(0).map(async t => { await t.close(500) }))
  })

  it('closes silent connections after the upgrade timeout; past maxIncomingPendingConnections refuses and counts them', async () => {
    const log = captureLog('victim')
    const victim = await startTransport({ maxIncomingPendingConnections: MAX_PENDING, inboundUpgradeTimeoutMs: UPGRADE_TIMEOUT_MS, logger: log.logger }, 'victim')
    const friend = await startTransport({}, 'friend')
    started.push(victim, friend)
    const port = portOf(victim)
    const holders = Array.from({ length: MAX_PENDING }, () => silent(port, sockets))
    await sleep(100)
    // Every slot is held: three more are refused on arrival (closed at once, not after the timeout).
    const extra = Array.from({ length: 3 }, () => silent(port, sockets))
    await waitFor(() => victim.stats().rejectedConnections.pendingFull === 3, 15_000, 'three refusals counted as pendingFull')
    for (const e of extra) expect(await e.closed - e.openedAt).toBeLessThan(UPGRADE_TIMEOUT_MS)
    expect(victim.stats().rejectedConnections.inboundLimit).toBe(0)
    expect(log.lines.some(l => /WARN net refused inbound connection: too many connections still in their handshake/.test(l) && l.includes(`limit=${MAX_PENDING}`))).toBe(true)
    // The holders are closed by the upgrade timeout — not earlier, not much later — and said to be silent,
    // not a pre-shared-key problem (no key is configured here).
    for (const h of holders) {
      const heldMs = await h.closed - h.openedAt
      expect(heldMs).toBeGreaterThanOrEqual(UPGRADE_TIMEOUT_MS - 50)
      expect(heldMs).toBeLessThan(UPGRADE_TIMEOUT_MS + 1000)
    }
    await waitFor(() => victim.stats().rejectedConnections.handshakeFailed === MAX_PENDING, 15_000, 'the timed-out handshakes are counted')
    expect(log.lines.some(l => /WARN net inbound connection from .* failed: the security handshake did not complete within \d+ ms: .*silent connections/.test(l))).toBe(true)
    expect(log.lines.some(l => /pre-shared key/.test(l))).toBe(false)
    // Slots free again: a legitimate peer gets in on its first dial.
    const got: number[] = []
    victim.onFrame('swim', (_from, f) => { got.push(f[0] ?? 0) })
    friend.send('swim', { id: victim.localId, addrs: victim.addresses() }, Uint8Array.of(7))
    await waitFor(() => got.length === 1, 15_000, 'the friend gets through')
    expect(friend.stats().dials).toEqual({ ok: 1, failed: 0 })
  })

  it('a connection whose remote hangs up while it waits for a handshake slot leaves the line: no handshake is started for it', async () => {
    // One inbound handshake at a time. A holder takes the slot and stalls in it (it sent multistream-select's
    // header, then nothing) until the upgrade deadline; meanwhile five connections join the line and hang
    // up, as diallers that gave up waiting do. libp2p does not abort an upgrade when its socket closes:
    // before the fix each of the five took the slot in turn and began a handshake nobody was waiting for.
    const victim = await startTransport({ maxConcurrentInboundHandshakes: 1, inboundUpgradeTimeoutMs: 1_500 }, 'victim')
    const friend = await startTransport({}, 'friend')
    started.push(victim, friend)
    const port = portOf(victim)
    const header = Uint8Array.from([19, ...new TextEncoder().encode('/multistream/1.0.0\n')])
    const holder = silent(port, sockets)
    holder.socket.write(header)
    await waitFor(() => victim.stats().handshakes.inbound.started === 1, 5_000, 'the holder takes the only slot')
    const quitters = Array.from({ length: 5 }, () => silent(port, sockets))
    for (const q of quitters) q.socket.write(header)
    await waitFor(() => victim.stats().handshakesQueued.inbound === 5, 5_000, 'five connections wait in line')
    for (const q of quitters) q.socket.end()
    await Promise.all(quitters.map(async q => await q.closed))
    await waitFor(() => victim.stats().handshakes.inbound.abandonedInLine === 5, 5_000, 'the five leave the line as they hang up')
    expect(victim.stats().handshakesQueued.inbound).toBe(0)
    // The holder's deadline frees the slot; a real peer then gets in on its first dial.
    await holder.closed
    const got: number[] = []
    victim.onFrame('swim', (_from, f) => { got.push(f[0] ?? 0) })
    friend.send('swim', { id: victim.localId, addrs: victim.addresses() }, Uint8Array.of(9))
    await waitFor(() => got.length === 1, 15_000, 'the friend gets through')
    // Started: the holder and the friend, never the five that left.
    const inbound = victim.stats().handshakes.inbound
    expect(inbound.started).toBe(2)
    expect(inbound.abandonedInLine).toBe(5)
    expect(friend.stats().dials).toEqual({ ok: 1, failed: 0 })
  })

  it('without a key, a remote that hangs up mid-handshake is routine (debug, counted), not a key problem', async () => {
    const log = captureLog('victim')
    const victim = await startTransport({ logger: log.logger }, 'victim')
    started.push(victim)
    const { socket, closed } = silent(portOf(victim), sockets)
    await sleep(50)
    socket.end()
    await closed
    await waitFor(() => victim.stats().rejectedConnections.handshakeFailed === 1, 15_000, 'the failed handshake is counted')
    expect(log.lines.some(l => /^DEBUG net inbound connection from .* failed: the remote hung up after \d+ ms .*stopping/.test(l))).toBe(true)
    expect(log.lines.filter(l => /^WARN/.test(l))).toEqual([])
  })

  it('without a key, a dial the remote resets in the handshake is "gone" (debug), not a pre-shared-key warning', async () => {
    // Accepts TCP, then resets at once: what a peer that is stopping, or over its connection limits, does.
    const server = createServer((s) => { s.on('error', () => {}); s.resetAndDestroy() })
    servers.push(server)
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    const log = captureLog('dialler')
    const dialler = await startTransport({ logger: log.logger }, 'dialler')
    started.push(dialler)
    const events: PeerEvent[] = []
    dialler.onPeerEvent((e) => { events.push(e) })
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    dialler.send('swim', { id, addrs: [`/ip4/127.0.0.1/tcp/${address.port}/p2p/${id}`] }, Uint8Array.of(1))
    await waitFor(() => events.some(e => e.type === 'unreachable'), 15_000, 'the dial fails')
    expect(log.lines.some(l => /^DEBUG net dial .* failed: the remote closed the connection during the handshake/.test(l))).toBe(true)
    expect(log.lines.filter(l => /^WARN/.test(l))).toEqual([])
  })
})
