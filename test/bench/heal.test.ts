/**
 * `npm run bench -- heal` options: the defaults and --quick parse; an odd, too small or too large mesh, a
 * round count out of range and an unknown flag are refused as a bad option (one line, exit 2) before any
 * peer starts. And the bench stopped while its peers start (SIGTERM, or SIGHUP from a closed terminal) leaves
 * no peer and no temp dir behind.
 */
import { describe, expect, test } from 'vitest'
import { parse } from '../../scripts/bench/heal.ts'
import { expectCleanStopWhileStarting, refusal as refusalOf } from './helpers.js'

const refusal = (args: string[]): string => refusalOf(parse, args)

describe('heal bench options', () => {
  test('the defaults, --quick, and explicit values over --quick in either order', () => {
    expect(parse([])).toEqual({ peers: 30, rounds: 2 })
    expect(parse(['--quick'])).toEqual({ peers: 6, rounds: 1 })
    expect(parse(['--peers', '10', '--quick'])).toEqual({ peers: 10, rounds: 1 })
    expect(parse(['--quick', '--rounds', '3'])).toEqual({ peers: 6, rounds: 3 })
    expect(parse(['--peers', '60', '--rounds', '10'])).toEqual({ peers: 60, rounds: 10 })
  })

  test('an odd mesh cannot be cut in halves of one size: refused', () => {
    expect(refusal(['--peers', '31'])).toBe('--peers must be even (two halves of the same size), got 31')
    expect(refusal(['--quick', '--peers', '7'])).toMatch(/^--peers must be even/)
  })

  test('sizes and round counts out of range, and unknown flags, are refused on one line', () => {
    expect(refusal(['--peers', '2'])).toBe('--peers must be an integer in [4, 60], got 2')
    expect(refusal(['--peers', '1e9'])).toBe('--peers must be an integer in [4, 60], got 1000000000')
    expect(refusal(['--rounds', '0'])).toBe('--rounds must be an integer in [1, 10], got 0')
    expect(refusal(['--rounds', '1.5'])).toMatch(/^--rounds must be an integer in \[1, 10\]/)
    expect(refusal(['--seed', '1'])).toMatch(/^unknown option --seed /)
    for (const args of [['--peers', '31'], ['--rounds', '11'], ['--nope']]) expect(refusal(args)).not.toContain('\n')
  })
})

describe('heal bench teardown', () => {
  // The seed, then the other five at once: signalled while those start.
  test('SIGTERM while the peers start: every peer stopped, exit 143, its temp dirs removed', async () => {
    await expectCleanStopWhileStarting('heal', 3)
  }, 60_000)

  // A closed terminal (or a dropped ssh session) sends SIGHUP to the whole foreground group. The bench died
  // of it at once, skipping its teardown, and the peers, which take SIGHUP as "reload config", ran on.
  test('SIGHUP to the process group (the terminal closed): every peer stopped, exit 129, its temp dirs removed', async () => {
    await expectCleanStopWhileStarting('heal', 3, { signal: 'SIGHUP', code: 129, group: true })
  }, 60_000)
})
