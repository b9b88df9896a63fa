/** The per-peer send pace of the sync channel (replication/pacer.ts), on a manual clock. */
import { describe, expect, it } from 'vitest'
import { Pacer } from '../../src/replication/pacer.js'
import { ManualClock } from '../helpers/manual-clock.js'

const frame = (bytes: number): Uint8Array => new Uint8Array(bytes)

describe('Pacer', () => {
  it('sends at once within the burst, then at the frame rate, in order, per destination', () => {
    const clock = new ManualClock()
    const sent: Array<{ to: string, at: number, n: number }> = []
    const pacer = new Pacer({ framesPerSec: 100, burstFrames: 5, bytesPerSec: 1e9, burstBytes: 1e9, maxQueuedBytes: 1e9 }, clock, (to, f) => { sent.push({ to, at: clock.now(), n: f[0] ?? 0 }) })
    for (let i = 0; i < 25; i++) pacer.send('a', Uint8Array.of(i))
    pacer.send('b', Uint8Array.of(99))
    expect(sent.filter(s => s.to === 'a')).toHaveLength(5) // the burst
    expect(sent.filter(s => s.to === 'b')).toHaveLength(1) // another peer has its own budget
    clock.advance(100) // 10 ms per frame at 100/s
    expect(sent.filter(s => s.to === 'a').length).toBeGreaterThanOrEqual(14)
    clock.advance(1_000)
    const a = sent.filter(s => s.to === 'a')
    expect(a.map(s => s.n)).toEqual(Array.from({ length: 25 }, (_, i) => i))
    // Sustained: 20 frames past the burst take ≥ 200 ms.
    expect((a.at(-1)?.at ?? 0) - (a[5]?.at ?? 0)).toBeGreaterThanOrEqual(190)
    expect(pacer.delayed).toBe(20)
    expect(pacer.queuedBytes).toBe(0)
  })

  it('paces bytes too: a large frame waits for its bytes, never for more than a full bucket', () => {
    const clock = new ManualClock()
    const at: number[] = []
    const pacer = new Pacer({ framesPerSec: 1e6, burstFrames: 1e6, bytesPerSec: 1000, burstBytes: 1000, maxQueuedBytes: 1e9 }, clock, () => { at.push(clock.now()) })
    pacer.send('a', frame(1000))
    pacer.send('a', frame(500))
    pacer.send('a', frame(5000)) // larger than the burst: it needs a full bucket, not 5 s
    clock.advance(5_000)
    expect(at).toHaveLength(3)
    expect(at[1]).toBeGreaterThanOrEqual(500)
    expect((at[2] ?? 0) - (at[1] ?? 0)).toBeLessThanOrEqual(1_001)
  })

  it('drops new frames for a peer whose queue is full, and forgets a peer that left', () => {
    const clock = new ManualClock()
    let sent = 0
    const pacer = new Pacer({ framesPerSec: 1, burstFrames: 1, bytesPerSec: 1e9, burstBytes: 1e9, maxQueuedBytes: 300 }, clock, () => { sent++ })
    for (let i = 0; i < 10; i++) pacer.send('a', frame(100))
    expect(sent).toBe(1)
    expect(pacer.dropped).toBe(6) // 3 × 100 bytes wait, the rest is dropped
    expect(pacer.queuedBytes).toBe(300)
    pacer.forget('a')
    expect(pacer.queuedBytes).toBe(0)
    expect(pacer.dropped).toBe(9)
    clock.advance(10_000)
    expect(sent).toBe(1)
  })
})
