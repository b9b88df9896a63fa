/**
 * The event-loop delay is measured on the real clock's own timers (no sampling monitor waking an idle
 * process): a stall that holds a due timer shows in the worst delay, and the percentile reads its bucket.
 */
import { describe, expect, it } from 'vitest'
import { SystemClock } from '../../src/core/clock.js'
import { eventLoopDelay, recordTimerLateness } from '../../src/core/event-loop.js'

function busy (ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) { /* hold the thread, as a long GC or a burst of handshakes does */ }
}

describe('event-loop delay', () => {
  it('a timer held up by a 150 ms stall reports it; timers on an idle loop report little', async () => {
    const clock = new SystemClock()
    const before = eventLoopDelay().samples
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => { clock.setTimeout(resolve, 5) })
    const idle = eventLoopDelay()
    expect(idle.samples).toBe(before + 5)
    expect(idle.maxMs).toBeLessThan(100)
    await new Promise<void>((resolve) => {
      clock.setTimeout(resolve, 5)
      busy(150)
    })
    const stalled = eventLoopDelay()
    expect(stalled.samples).toBe(before + 6)
    expect(stalled.maxMs).toBeGreaterThanOrEqual(140)
    expect(stalled.meanMs).toBeGreaterThan(idle.meanMs)
  })

  it('p99 is the bucket of the 99th percentile (within 19 %), never above the worst', () => {
    const start = eventLoopDelay().samples
    for (let i = 0; i < 10_000 - start; i++) recordTimerLateness(2)
    recordTimerLateness(5_000)
    const d = eventLoopDelay()
    expect(d.p99Ms).toBeGreaterThanOrEqual(2)
    expect(d.p99Ms).toBeLessThan(2 * 1.19)
    expect(d.maxMs).toBe(5_000)
    for (let i = 0; i < 500; i++) recordTimerLateness(700)
    const tail = eventLoopDelay()
    expect(tail.p99Ms).toBeGreaterThanOrEqual(700)
    expect(tail.p99Ms).toBeLessThan(700 * 1.19)
    recordTimerLateness(Number.NaN)
    recordTimerLateness(-1)
    expect(eventLoopDelay().samples).toBe(tail.samples)
  })
})
