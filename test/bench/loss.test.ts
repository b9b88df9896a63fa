/**
 * `npm run bench -- loss` options: a value the run cannot use is refused by the parser (one line, exit 2)
 * before a namespace exists. Nothing here builds a lab.
 */
import { describe, expect, test } from 'vitest'
import { parse } from '../../scripts/bench/loss.ts'
import { refusal as refusalOf } from './helpers.js'

const refusal = (args: string[]): string => refusalOf(parse, args)

describe('loss bench options', () => {
  test('the defaults parse', () => {
    expect(parse([])).toMatchObject({ peers: 10, loss: 0.05, minutes: 2, settleSeconds: 10, seed: 1, hook: 'input', simLongMinutes: 60 })
  })

  test('the bounds that were there stay', () => {
    expect(refusal(['--peers', '61'])).toMatch(/^--peers must be an integer in \[\d+, 60\], got 61$/)
    expect(refusal(['--loss', '1'])).toBe('--loss must be in (0, 1) and at least 0.0001')
    expect(refusal(['--minutes', '0'])).toBe('--minutes must be in (0, 60]')
    expect(refusal(['--sim-long-minutes', '601'])).toBe('--sim-long-minutes must be a number in [0, 600], got 601')
  })

  test('a settle wait past what a timer holds, or a seed that is no uint32, is refused', () => {
    // 1e7 s is past what setTimeout holds (2^31 ms): the wait would end at once, silently.
    expect(refusal(['--settle-seconds', '1e7'])).toBe('--settle-seconds must be a number in [0, 600], got 10000000')
    expect(refusal(['--seed', '-1'])).toMatch(/^--seed must be an integer in \[0, 4294967295\]/)
    expect(refusal(['--seed', '1e20'])).toMatch(/^--seed must be an integer in \[0, 4294967295\]/)
  })
})
