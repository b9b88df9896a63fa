/**
 * `npm run bench -- yjs` options: a rate, a duration or a seed the run cannot use is refused by the parser
 * (one line, exit 2) before any peer starts — not a typing loop that never yields and dies out of memory,
 * leaving its peers running. And the bench stopped (SIGTERM, or Ctrl-C) while its murmur peers are starting: those are
 * stopped too and their data dirs are gone — no peer left running, nothing left in the temp dir. (spawnPeer's
 * own temp dirs are removed only by an awaited cleanup, which a signal's exit never reaches.)
 */
import { describe, expect, test } from 'vitest'
import { parse } from '../../scripts/bench/yjs.ts'
import { expectCleanStopWhileStarting, refusal as refusalOf } from './helpers.js'

const refusal = (args: string[]): string => refusalOf(parse, args)

describe('yjs bench options', () => {
  test('the defaults, --quick and the bounds themselves parse', () => {
    expect(parse([])).toMatchObject({ peers: 10, clients: 50, seconds: 30, rate: 0.2 })
    expect(parse(['--quick'])).toMatchObject({ peers: 4, clients: 12, seconds: 8 })
    expect(parse(['--rate', '20', '--seconds', '600', '--clients', '2'])).toMatchObject({ rate: 20, seconds: 600 })
  })

  test('a keystroke rate, a duration or a seed out of range is refused', () => {
    expect(refusal(['--rate', '1e9'])).toBe('--rate must be a number in [0.01, 20], got 1000000000')
    expect(refusal(['--rate', '0'])).toMatch(/^--rate must be a number in \[0.01, 20\]/)
    expect(refusal(['--seconds', '1e9'])).toMatch(/^--seconds must be a number in \[1, 600\]/)
    expect(refusal(['--seed', '2.5'])).toMatch(/^--seed must be an integer in \[0, 4294967295\]/)
    expect(refusal(['--clients', '501'])).toMatch(/^--clients must be an integer in \[2, 500\]/)
  })

  test('a run whose keystrokes, each timed at every client, would not fit in memory, or that types none, is refused', () => {
    expect(refusal(['--clients', '500', '--rate', '20', '--seconds', '600'])).toMatch(/^--seconds × --rate × --clients is 6000000 keystrokes, each timed at 500 clients: at most 20000000 timings/)
    expect(refusal(['--clients', '2', '--rate', '0.01', '--seconds', '1'])).toMatch(/types no keystroke/)
  })
})

describe('yjs bench teardown', () => {
  // The first peer, then the other three at once: signalled while those start.
  test('SIGTERM while the murmur peers start: every peer stopped, exit 143, their data dirs removed', async () => {
    await expectCleanStopWhileStarting('yjs', 3)
  }, 60_000)
})
