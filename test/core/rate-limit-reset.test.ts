/**
 * InboundLimit.reset / TokenBucket.reset: the simulator reuses a link's inbound limits across
 * connections (issue 11), so a reset limit must admit exactly what a new one made at that time would.
 */
import { describe, expect, it } from 'vitest'
import { InboundLimit, TokenBucket } from '../../src/core/rate-limit.js'

const rate = { ratePerSec: 5, burst: 3 }
const byteRate = { bytesPerSec: 1000, burstBytes: 1500 }

/** Admissions of a run of frames (time ms, bytes) that runs both buckets dry and lets them refill partly. */
function admissions (limit: InboundLimit, start: number): string[] {
  const out: string[] = []
  for (let i = 0; i < 40; i++) out.push(limit.admit(start + i * 37.5, 100 + (i * 97) % 900))
  return out
}

describe('rate limits reset as new', () => {
  it('a drained InboundLimit reset at t admits what a new one made at t admits', () => {
    const used = new InboundLimit(rate, byteRate, 0)
    const first = admissions(used, 0)
    expect(first).toContain('frames')
    expect(first).toContain('bytes')
    used.reset(10_000)
    expect(admissions(used, 10_000)).toEqual(admissions(new InboundLimit(rate, byteRate, 10_000), 10_000))
  })

  it('a drained TokenBucket reset at t is full from t, as a new one', () => {
    const used = new TokenBucket(rate, 0)
    while (used.take(0)) { /* drain */ }
    expect(used.has(1)).toBe(false)
    used.reset(500)
    const fresh = new TokenBucket(rate, 500)
    const a: boolean[] = []
    const b: boolean[] = []
    for (let i = 0; i < 10; i++) {
      a.push(used.take(500 + i * 50))
      b.push(fresh.take(500 + i * 50))
    }
    expect(a).toEqual(b)
    expect(a).toContain(false)
  })
})
