/** The dependency-free latency histogram (src/core/histogram.ts): bucket edges, +Inf, ignored values. */
import { describe, expect, test } from 'vitest'
import { Histogram } from '../../src/core/histogram.js'

describe('Histogram', () => {
  test('each value lands in the first bucket whose bound is ≥ it; above the last bound is +Inf', () => {
    const h = new Histogram([1, 10, 100])
    for (const v of [0, 1, 1.01, 10, 99, 100, 101, 1e9]) h.observe(v)
    expect(h.snapshot()).toEqual({ bounds: [1, 10, 100], counts: [2, 2, 2, 2], sum: 0 + 1 + 1.01 + 10 + 99 + 100 + 101 + 1e9, count: 8 })
  })

  test('negative, NaN and infinite durations are ignored (a clock step must not poison the sum)', () => {
    const h = new Histogram([1])
    for (const v of [-1, Number.NaN, Number.POSITIVE_INFINITY]) h.observe(v)
    expect(h.snapshot()).toMatchObject({ counts: [0, 0], sum: 0, count: 0 })
  })

  test('a snapshot is a copy', () => {
    const h = new Histogram([1])
    const before = h.snapshot()
    h.observe(0.5)
    expect(before.counts).toEqual([0, 0])
    expect(h.snapshot().counts).toEqual([1, 0])
  })
})
