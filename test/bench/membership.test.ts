/**
 * `npm run bench -- membership` options: an absurd size or count is refused in one line (exit 2 from
 * run.ts) instead of a run that never ends — N = 100,000,000 sat silent building its cluster, 10¹²
 * failures would take forever. Nothing here simulates anything.
 */
import { describe, expect, test } from 'vitest'
import { parse } from '../../scripts/bench/membership.ts'
import { refusal as refusalOf } from './helpers.js'

const refusal = (args: string[]): string => refusalOf(parse, args)

describe('membership bench options', () => {
  test('the defaults and the documented sizes parse', () => {
    expect(parse([])).toMatchObject({ sizes: [10, 100, 1000], failures: 20, lossMinutes: 1, dropMinutes: 1 })
    expect(parse(['--sizes', '4,2000', '--failures', '1000', '--drop-minutes', '0']).sizes).toEqual([4, 2000])
  })

  test('sizes below 4, above 2,000 or not integers are refused', () => {
    for (const sizes of ['3', '100000000', '2001', '10,1e9', '10.5', '10,,100']) expect(refusal(['--sizes', sizes])).toMatch(/^--sizes must be integers in \[4, 2000\]/)
  })

  test('failures and loss minutes beyond any run\'s length, or not whole failures, are refused', () => {
    for (const f of ['0', '1e12', '2.5']) expect(refusal(['--failures', f])).toMatch(/^--failures must be an integer in \[1, 1000\]/)
    expect(refusal(['--loss-minutes', '1e9'])).toMatch(/--loss-minutes/)
    expect(refusal(['--loss-minutes', '0'])).toMatch(/--loss-minutes/)
    expect(refusal(['--drop-minutes', '61'])).toMatch(/--drop-minutes/)
  })

  test('--idle-only takes --idle-minutes (1–10); --idle-minutes alone is refused', () => {
    expect(parse(['--idle-only', '--sizes', '1000', '--idle-minutes', '3'])).toMatchObject({ idleOnly: true, idleMinutes: 3, sizes: [1000] })
    expect(parse([])).toMatchObject({ idleOnly: false, idleMinutes: 1 })
    for (const m of ['0', '11', '2.5']) expect(refusal(['--idle-only', '--idle-minutes', m])).toMatch(/^--idle-minutes must be an integer in \[1, 10\]/)
    expect(refusal(['--idle-minutes', '2'])).toMatch(/^--idle-minutes goes with --idle-only/)
  })

  test('the simulator\'s datagram model is on by default, as in the simulator; --no-datagrams puts every frame on a stream', () => {
    expect(parse([])).toMatchObject({ datagrams: true })
    expect(parse(['--no-datagrams', '--idle-only'])).toMatchObject({ datagrams: false, idleOnly: true })
    expect(parse(['--datagrams'])).toMatchObject({ datagrams: true }) // the old switch, quoted in BENCHMARKS.md
    expect(refusal(['--no-datagrams=yes'])).toMatch(/--no-datagrams/)
  })
})
