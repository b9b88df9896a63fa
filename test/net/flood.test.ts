/**
 * Inbound rate limits: a flooding peer is throttled (excess dropped), then disconnected and refused for a
 * cooldown; a well-behaved peer talking to the same node at the same time loses nothing. The same holds
 * for bytes: large frames within the frame rate are limited by the byte rate.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { PeerEvent } from '../../src/core/transport.js'
import type { Libp2pTransport } from '../../src/net/index.js'
import { captureLog, sleep, startTransport, waitFor } from './helpers.js'

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

  it('limits inbound bytes: large frames within the frame rate are dropped past the byte rate, counted, and a sustained excess disconnects', async () => {
    const BYTES = { bytesPerSec: 64 * 1024, burstBytes: 128 * 1024 }
    const FRAME = 32 * 1024
    const log = captureLog('a')
    // Frames of 32 KiB at ~100/s: far under the default frame rate (200/s), 50× over 64 KiB/s.
    const a = await startTransport({ maxFrameBytes: { swim: 64 * 1024 }, inboundByteRate: { swim: BYTES }, flood: { windowMs: 5000, dropThreshold: 100 }, floodCooldownMs: COOLDOWN_MS, logger: log.logger }, 'a')
    const big = await startTransport({}, 'big')
    const small = await startTransport({}, 'small')
    started.push(a, big, small)
    let bigBytes = 0
    let fromSmall = 0
    a.onFrame('swim', (from, f) => {
      if (from === big.localId) bigBytes += f.byteLength
      else if (from === small.localId) fromSmall++
    })
    const toA = { id: a.localId, addrs: a.addresses() }
    let smallSent = 0
    const smallLoop = setInterval(() => { small.send('swim', toA, new Uint8Array(100)); smallSent++ }, 50)
    try {
      const t0 = Date.now()
      while (a.stats().flooders.disconnected === 0 && Date.now() - t0 < 5000) {
        for (let i = 0; i < 2; i++) big.send('swim', toA, new Uint8Array(FRAME))
        await sleep(20)
      }
      const elapsedS = (Date.now() - t0) / 1000
      const stats = a.stats()
      expect(stats.rateLimitedBytes.frames).toBeGreaterThan(100)
      expect(stats.rateLimitedBytes.bytes).toBe(stats.rateLimitedBytes.frames * (FRAME + 3))
      // Every byte-rate drop is also a rate-limited frame; the frame bucket itself never ran dry.
      expect(stats.rejectedFrames.rateLimited).toBe(stats.rateLimitedBytes.frames)
      expect(stats.flooders.throttled).toBeGreaterThanOrEqual(1)
      expect(stats.flooders.disconnected).toBe(1)
      expect(bigBytes).toBeLessThanOrEqual(BYTES.burstBytes + BYTES.bytesPerSec * elapsedS + FRAME)
      expect(log.lines.some(l => /WARN net peer exceeds its inbound byte rate: dropping excess frames/.test(l) && l.includes('bytesPerSec=65536'))).toBe(true)
      // The small peer has its own buckets: everything it sent arrived.
      const sent = smallSent
      await waitFor(() => fromSmall >= sent, 2000, 'all of the small peer\'s frames arrive')
    } finally {
      clearInterval(smallLoop)
    }
  })
})
