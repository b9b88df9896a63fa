/**
 * `npm run bench -- suspicion`: its options, and its two measurements on a small simulated mesh — a crash
 * is detected within the bounds the suspicion timeout sets, a short freeze is survived, a long one is not.
 */
import { describe, expect, test } from 'vitest'
import { suspicionTimeoutMs } from '../../src/membership/math.js'
import { declaredDead, detection, parse } from '../../scripts/bench/suspicion.ts'
import { refusal as refusalOf } from './helpers.js'

const refusal = (args: string[]): string => refusalOf(parse, args)

describe('suspicion bench options', () => {
  test('the defaults, and lists as given', () => {
    expect(parse([])).toEqual({ sizes: [50], mults: [4, 3], seeds: 8, stalls: [5, 6, 7, 8, 9, 10, 11] })
    expect(parse(['--sizes', '20,100', '--mults', '5', '--seeds', '2', '--stalls', '3'])).toEqual({ sizes: [20, 100], mults: [5], seeds: 2, stalls: [3] })
  })

  test('values out of range and unknown flags are refused on one line', () => {
    expect(refusal(['--mults', '0'])).toMatch(/^--mults must be a comma-separated list of integers in \[1, 10\], got "0"/)
    expect(refusal(['--sizes', '4'])).toMatch(/^--sizes must be a comma-separated list of integers in \[5, 500\]/)
    expect(refusal(['--stalls', '1,x'])).toMatch(/^--stalls must be/)
    expect(refusal(['--stalls', ''])).toMatch(/^--stalls must be/)
    expect(refusal(['--seeds', '0'])).toMatch(/^--seeds must be an integer in \[1, 50\]/)
    expect(refusal(['--nope'])).toMatch(/^unknown option --nope /)
  })
})

describe('suspicion bench measurements (N = 12, simulated)', () => {
  test('a host gone (no refusal) is declared dead on all after at least the minimum suspicion timeout, and within twice it', () => {
    for (const mult of [4, 3]) {
      const min = suspicionTimeoutMs(mult, 12, 1000)
      const ms = detection(12, mult, 7001)
      expect(ms).toBeGreaterThanOrEqual(min)
      expect(ms).toBeLessThan(2 * min)
    }
  })

  test('a member frozen for 2 s is not declared dead; one frozen for 30 s is', () => {
    expect(declaredDead(12, 4, 7001, 2)).toBe(false)
    expect(declaredDead(12, 4, 7001, 30)).toBe(true)
  })
})
