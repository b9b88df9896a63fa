/**
 * Private mesh: peers with the same pre-shared key talk; a peer without the key, or with another one,
 * never gets a frame through — and both sides say why in one log line.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { PeerEvent } from '../../src/core/transport.js'
import { generatePsk } from '../../src/net/index.js'
import type { Libp2pTransport } from '../../src/net/index.js'
import { createGater } from '../../src/net/gater.js'
import { HandshakeWatch } from '../../src/net/handshake-watch.js'
import { PeerPolicy } from '../../src/net/peer-policy.js'
import { PrivateMeshGuard } from '../../src/net/private-mesh.js'
import { parsePsk } from '../../src/net/psk.js'
import { createCounters } from '../../src/net/stats.js'
import { RateLimitedLog, silentLogger } from '../../src/core/logger.js'
import { captureLog, sleep, startTransport, waitFor, TEST_DIAL_TIMEOUT_MS } from './helpers.js'
import type { CapturedLog } from './helpers.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { MultiaddrConnection } from '@libp2p/interface'

const KEY = generatePsk()
const OTHER_KEY = generatePsk()

describe('private mesh (pre-shared key)', () => {
  const started: Libp2pTransport[] = []
  afterEach(async () => { await Promise.all(started.splice(0).map(async t => { await t.close(500) })) })

  async function peer (psk: string | undefined, name: string): Promise<{ t: Libp2pTransport, log: CapturedLog, frames: Uint8Array[], events: PeerEvent[] }> {
    const log = captureLog(name)
    const t = await startTransport({ ...(psk === undefined ? {} : { psk }), logger: log.logger }, name)
    started.push(t)
    const frames: Uint8Array[] = []
    const events: PeerEvent[] = []
    t.onFrame('swim', (_from, f) => { frames.push(f) })
    t.onPeerEvent((e) => { events.push(e) })
    return { t, log, frames, events }
  }

  it('lets peers with the same key exchange frames', async () => {
    const a = await peer(KEY, 'a')
    const b = await peer(KEY, 'b')
    a.t.send('swim', { id: b.t.localId, addrs: b.t.addresses() }, Uint8Array.of(1))
    await waitFor(() => b.frames.length === 1, 15_000, 'b receives')
    b.t.send('swim', { id: a.t.localId, addrs: [] }, Uint8Array.of(2))
    await waitFor(() => a.frames.length === 1, 15_000, 'a receives the reply')
    expect(a.log.lines.some(l => /listening.*psk=[0-9a-f]{8}/.test(l))).toBe(true)
  })

  // Each case: `dialler` sends to `listener`; nothing may arrive, and both must log the reason.
  it.each([
    { label: 'keyless peer dials a keyed one', dialler: undefined, listener: KEY },
    { label: 'keyed peer dials a keyless one', dialler: KEY, listener: undefined },
    { label: 'peers with different keys', dialler: KEY, listener: OTHER_KEY }
  ])('$label: nothing delivered, both sides log why', async ({ dialler, listener }) => {
    const d = await peer(dialler, 'dialler')
    const l = await peer(listener, 'listener')
    // Only the dialler sends: the listener must notice (and explain) an inbound attempt it never made.
    for (let i = 0; i < 2; i++) d.t.send('swim', { id: l.t.localId, addrs: l.t.addresses() }, Uint8Array.of(i))
    await waitFor(() => d.events.some(e => e.type === 'unreachable'), 15_000, 'the dialler gives up')
    const dialLine = /WARN net dial .* failed: the security handshake .*(may require a pre-shared key|no pre-shared key or a different one)/
    const inboundLine = /WARN net (rejected inbound connection|inbound connection) from \/ip4\/127\.0\.0\.1\/tcp\/\d+( failed)?: .*(pre-shared key mismatch or missing|may be using a pre-shared key)/
    await waitFor(() => d.log.lines.some(x => dialLine.test(x)) && l.log.lines.some(x => inboundLine.test(x)), 15_000,
      'both sides log the handshake failure')
    await sleep(100)
    expect(d.frames).toHaveLength(0)
    expect(l.frames).toHaveLength(0)
    expect(d.events.some(e => e.type === 'connected')).toBe(false)
    expect(l.t.stats().rejectedConnections.handshakeFailed).toBeGreaterThan(0)
    // The keyed side names the key problem as most likely; the keyless side suggests it may need one.
    if (listener !== undefined) expect(l.log.lines.some(x => /rejected inbound connection .*pre-shared key mismatch or missing/.test(x))).toBe(true)
    if (dialler === undefined) expect(d.log.lines.some(x => /the remote did not open like a libp2p peer, so it may require a pre-shared key/.test(x))).toBe(true)
  })

  it('refuses a malformed key file with PskError before listening', async () => {
    await expect(startTransport({ psk: '/key/swarm/psk/1.0.0/\n/base16/\nnot-a-key\n' })).rejects.toMatchObject({ name: 'PskError' })
  })

  it('fails closed: the gater refuses a connection the pnet protector never saw', async () => {
    const guard = new PrivateMeshGuard(parsePsk(KEY), 1000)
    const counters = createCounters()
    const gater = createGater({
      policy: new PeerPolicy(undefined, () => 0),
      watch: new HandshakeWatch({ warnings: new RateLimitedLog(silentLogger, () => 0), pskConfigured: true, now: () => 0, onFailed: () => {} }),
      guard,
      counters,
      warnings: new RateLimitedLog(silentLogger, () => 0),
      log: silentLogger
    })
    const peerId = peerIdFromString('12D3KooWEeTErA5SypEW3xCEgwwhX4ZPzXL43QoNQL6q7XoLgzE8')
    const unprotected = { addEventListener: () => {} } as unknown as MultiaddrConnection
    expect(await gater.denyInboundEncryptedConnection?.(peerId, unprotected)).toBe(true)
    expect(await gater.denyOutboundEncryptedConnection?.(peerId, unprotected)).toBe(true)
    expect(counters.rejectedConnections.unprotected).toBe(2)
  })
})
