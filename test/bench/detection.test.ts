/**
 * `npm run bench -- detection` options: kills and leaves whose joiners do not fit in one network-namespace
 * lab are refused as a bad option (one line naming them, exit 2), not as "a lab holds 1–250 members", exit
 * 1, from deep inside the run. Nothing here builds a lab.
 */
import { describe, expect, test } from 'vitest'
import { parse } from '../../scripts/bench/detection.ts'
import { refusal as refusalOf } from './helpers.js'

const refusal = (args: string[]): string => refusalOf(parse, args)

describe('detection bench options', () => {
  test('the defaults, --quick and the largest documented size parse', () => {
    expect(parse([])).toMatchObject({ sizes: [5, 10, 20], kills: 5, leaves: 3 })
    expect(parse(['--quick']).sizes).toEqual([5])
    expect(parse(['--sizes', '60']).sizes).toEqual([60])
  })

  test('more kills and leaves than a lab has namespaces for: refused, naming them', () => {
    expect(refusal(['--kills', '1e9'])).toMatch(/^--kills 1000000000 and --leaves 3 at N = 5 need \d+ network namespaces; a lab holds at most 250/)
    // N = 60 with Serf: (60 + 60 + 3) × 2 + 60 encrypted = 306; without Serf 123 fit.
    expect(refusal(['--sizes', '60', '--kills', '60'])).toMatch(/at N = 60 need 306 network namespaces.*--no-serf/)
    expect(parse(['--sizes', '60', '--kills', '60', '--no-serf']).kills).toBe(60)
  })

  test('partitions, windows and the seed out of range are refused (a run that never ends, a sleep past what a timer holds)', () => {
    expect(refusal(['--partitions', '1e9'])).toBe('--partitions must be an integer in [0, 20], got 1000000000')
    expect(refusal(['--kills', '2.5'])).toBe('--kills and --leaves must be integers ≥ 0')
    expect(refusal(['--idle-seconds', '0'])).toMatch(/^--idle-seconds must be a number in \[1, 3600\]/)
    expect(refusal(['--idle-seconds', '1e9'])).toMatch(/^--idle-seconds must be a number in \[1, 3600\]/)
    expect(refusal(['--settle-seconds', '1e9'])).toMatch(/^--settle-seconds must be a number in \[0, 600\]/)
    expect(refusal(['--hold-seconds', '1e7'])).toMatch(/^--hold-seconds must be a number in \[0, 600\]/)
    expect(refusal(['--seed', '1.5'])).toMatch(/^--seed must be an integer in \[0, 4294967295\]/)
    expect(parse(['--partitions', '0', '--settle-seconds', '0', '--hold-seconds', '600'])).toMatchObject({ partitions: 0, settleSeconds: 0, holdSeconds: 600 })
  })
})
