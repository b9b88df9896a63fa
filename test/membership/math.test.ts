/** Table tests for the pure arithmetic of SWIM and Lifeguard (src/membership/math.ts). */
import { describe, expect, test } from 'vitest'
import {
  applyAwarenessDelta, expectedConfirmations, pushPullIntervalMs, remainingSuspicionMs, retransmitLimit,
  scaleByAwareness, suspicionTimeoutMs
} from '../../src/membership/math.js'

describe('suspicionTimeoutMs = mult · max(1, log10 n) · interval', () => {
  test.each([
    // mult, n, interval, expected
    [4, 0, 1000, 4000],
    [4, 1, 1000, 4000],
    [4, 10, 1000, 4000],
    [4, 100, 1000, 8000],
    [4, 1000, 1000, 12000],
    [3, 1000, 200, 1800],
    [4, 50, 1000, 6795]
  ])('mult %i, n %i, interval %i → %i ms', (mult, n, interval, expected) => {
    expect(suspicionTimeoutMs(mult, n, interval)).toBe(expected)
  })
})

describe('remainingSuspicionMs: from max towards min with log(c+1)/log(k+1) of the way per confirmation', () => {
  test.each([
    // confirmations, k, elapsed, min, max, expected
    [0, 3, 0, 2000, 30000, 30000],
    [1, 3, 2000, 2000, 30000, 14000],
    [2, 3, 3000, 2000, 30000, 4810],
    [3, 3, 4000, 2000, 30000, -2000],
    [4, 3, 5000, 2000, 30000, -3000],
    [5, 3, 10000, 2000, 30000, -8000],
    [0, 0, 0, 2000, 30000, 2000],
    [0, 0, 2500, 2000, 30000, -500]
  ])('c=%i k=%i elapsed=%i min=%i max=%i → %i', (c, k, elapsed, min, max, expected) => {
    expect(remainingSuspicionMs(c, k, elapsed, min, max)).toBe(expected)
  })

  test('never waits less than the minimum in total, and never more than the maximum', () => {
    for (let c = 0; c < 10; c++) {
      const total = remainingSuspicionMs(c, 4, 0, 5000, 30000)
      expect(total).toBeGreaterThanOrEqual(5000)
      expect(total).toBeLessThanOrEqual(30000)
    }
  })
})

describe('expectedConfirmations = suspicionMult − 2, or 0 when too few members could confirm', () => {
  test.each([
    [4, 10, 2], [4, 4, 2], [4, 3, 0], [4, 2, 0], [3, 100, 1], [2, 100, 0], [6, 5, 0], [6, 6, 4]
  ])('mult %i, n %i → %i', (mult, n, expected) => {
    expect(expectedConfirmations(mult, n)).toBe(expected)
  })
})

describe('retransmitLimit = mult · ⌈ln(n+1)⌉', () => {
  test.each([
    [4, 0, 0], [4, 1, 4], [4, 2, 8], [4, 10, 12], [4, 19, 12], [4, 20, 16], [4, 100, 20], [4, 1000, 28], [2, 1000, 14]
  ])('mult %i, n %i → %i', (mult, n, expected) => {
    expect(retransmitLimit(mult, n)).toBe(expected)
  })
})

describe('pushPullIntervalMs scales with log2 n beyond 32 members', () => {
  test.each([
    [30000, 1, 30000], [30000, 32, 30000], [30000, 33, 60000], [30000, 64, 60000], [30000, 65, 90000],
    [30000, 100, 90000], [30000, 1000, 180000], [30000, 4096, 240000]
  ])('base %i, n %i → %i', (base, n, expected) => {
    expect(pushPullIntervalMs(base, n)).toBe(expected)
  })
})

describe('Lifeguard awareness', () => {
  test.each([
    [500, 0, 500], [500, 1, 1000], [500, 7, 4000], [1000, 3, 4000]
  ])('scaleByAwareness(%i, score %i) → %i', (t, score, expected) => {
    expect(scaleByAwareness(t, score)).toBe(expected)
  })

  test.each([
    // score, delta, max multiplier, expected
    [0, 1, 8, 1], [0, -1, 8, 0], [6, 3, 8, 7], [7, 1, 8, 7], [3, -1, 8, 2], [0, 5, 1, 0], [2, -5, 8, 0]
  ])('applyAwarenessDelta(%i, %i, max %i) → %i', (score, delta, max, expected) => {
    expect(applyAwarenessDelta(score, delta, max)).toBe(expected)
  })
})
