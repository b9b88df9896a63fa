/**
 * Inbound rate limits: a flooding peer is throttled (excess dropped), then disconnected and refused for a
 * cooldown; a well-behaved peer talking to the same node at the same time loses nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { PeerEvent } from '../src/core/transport.js'
import type { Libp2pTransport } from '../src/net/index.js'
import { captureLog, sleep, startTransport, waitFor } from './net-helpers.js'

const RATE = { ratePerSec: 50, burst: 50 }
const FLOOD = { windowMs: 2000, dropThreshold: 200 }
const COOLDOWN_MS = 3000

describe('flood protection', () => {
  const started: Libp2pTransport[] = []
  afterEach(async () => { await Promise.all(started.splice(0).map(async t => { await t.close(500) })) })

  it('throttles then disconnects a flooder while another peer is unaffected', async () => {
    const log = captureLog('a')
    const a = await startTransport({ inboundRate: { swim: RATE }, flood: FLOOD, floodCooldownMs: COOLDOWN_MS, logger: log.logger }, 'a')
    const flooder = await startTransport({}, 'flooder')
    const good = await startTransport({}, 'good')
    started.push(a, flooder, good)
    const fromFlooder: number[] = []
    const fromGood: number[] = []
    a.onFrame('swim', (from, f) => {
      if (from === flooder.localId) fromFlooder.push(f[0] ?? -1)
      else if (from === good.localId) fromGood.push((f[0] ?? 0) * 256 + (f[1] ?? 0))
    })
    const flooderEvents: PeerEvent[] = []
    flooder.onPeerEvent((e) => { flooderEvents.push(e) })
    const toA = { id: a.localId, addrs: a.addresses() }

    // The good peer sends 20 frames/s (under the 50/s limit) for the whole test.
    let goodSent = 0
    const goodLoop = setInterval(() => {
      good.send('swim', toA, Uint8Array.of(goodSent >> 8, goodSent & 0xff))
      goodSent++
    }, 50)
    try {
      // The flooder sends 100 frames every 20 ms (5,000/s).
      const started = Date.now()
      while (a.stats().flooders.disconnected === 0 && Date.now() - started < 4000) {
        for (let i = 0; i < 100; i++) flooder.send('swim', toA, Uint8Array.of(1))
        await sleep(20)
      }
      const stats = a.stats()
      expect(stats.flooders.throttled).toBeGreaterThanOrEqual(1)
      expect(stats.flooders.disconnected).toBe(1)
      expect(stats.rejectedFrames.rateLimited).toBeGreaterThan(FLOOD.dropThreshold)
      // Only what the bucket allowed got through: the burst plus the rate over the elapsed time.
      const elapsedS = (Date.now() - started) / 1000
      expect(fromFlooder.length).toBeLessThanOrEqual(RATE.burst + Math.ceil(RATE.ratePerSec * elapsedS) + 1)
      expect(log.lines.some(l => /WARN net peer exceeds its inbound frame rate/.test(l))).toBe(true)
      expect(log.lines.some(l => /WARN net disconnected flooding peer/.test(l) && l.includes(flooder.localId))).toBe(true)

      // During the cooldown the flooder gets nothing through, and its re-dials are refused.
      await waitFor(() => flooderEvents.some(e => e.type === 'disconnected'), 2000, 'the flooder is disconnected')
      const delivered = fromFlooder.length
      for (let i = 0; i < 5; i++) {
        flooder.send('swim', toA, Uint8Array.of(2))
        await sleep(100)
      }
      expect(fromFlooder.length).toBe(delivered)
      expect(a.stats().rejectedConnections.cooldown).toBeGreaterThan(0)

      // The good peer lost nothing, throughout.
      const sent = goodSent
      await waitFor(() => fromGood.length >= sent, 2000, 'all of the good peer\'s frames arrive')
      expect(fromGood.slice(0, sent)).toEqual(Array.from({ length: sent }, (_, i) => i))
    } finally {
      clearInterval(goodLoop)
    }
  })
})
