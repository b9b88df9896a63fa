/**
 * `npm run soak` flags (scripts/soak/options.ts, pure): a flag's missing value is reported as missing,
 * not taken from the next flag or from an empty string — `--dir --keep` is no data dir named "--keep"
 * (without --keep), and `--dir ''` is not the current directory.
 */
import { describe, expect, test } from 'vitest'
import { parseSoakArgs } from '../../../scripts/soak/options.ts'

const parse = (...argv: string[]): ReturnType<typeof parseSoakArgs> => parseSoakArgs(argv, () => 7)

describe('soak options', () => {
  test('--dir takes a directory', () => {
    expect(parse('--dir', '/tmp/x', '--keep')).toEqual({ kind: 'run', options: expect.objectContaining({ dir: '/tmp/x', keep: true }) })
    expect(parse('--dir=/tmp/y')).toEqual({ kind: 'run', options: expect.objectContaining({ dir: '/tmp/y' }) })
  })

  test('--dir followed by another flag, or empty: its value is missing (one line), not "--keep" or the current directory', () => {
    for (const argv of [['--dir', '--keep'], ['--dir', ''], ['--dir='], ['--dir']]) {
      const r = parse(...argv)
      expect(r, argv.join(' ')).toEqual({ kind: 'error', message: '--dir needs a value (see --help)' })
    }
  })

  test('a number flag followed by another flag says the value is missing', () => {
    expect(parse('--peers', '--minutes', '1')).toEqual({ kind: 'error', message: '--peers needs a value (see --help)' })
  })

  test('numbers in decimal only: --peers 0x10 is refused, not 16 peers', () => {
    for (const [flag, v] of [['--peers', '0x10'], ['--peers', '0b101'], ['--minutes', '0o7'], ['--seed', '0x7fffffff'], ['--writes-per-sec', ' 1']] as const) {
      const r = parse(flag, v)
      expect(r.kind === 'error' ? r.message : r.kind, `${flag} ${v}`).toMatch(new RegExp(`^${flag} must be an? (integer|number) in \\[`))
    }
    expect(parse('--peers', '16', '--minutes', '.5')).toEqual({ kind: 'run', options: expect.objectContaining({ peers: 16, minutes: 0.5 }) })
  })

  test('--cpu-prof names peers that exist (p00 to the last), none by default', () => {
    expect(parse()).toEqual({ kind: 'run', options: expect.objectContaining({ cpuProf: [] }) })
    expect(parse('--cpu-prof', 'p14,p11,p14', '--peers', '20')).toEqual({ kind: 'run', options: expect.objectContaining({ cpuProf: ['p14', 'p11'] }) })
    expect(parse('--cpu-prof', 'p3')).toEqual({ kind: 'error', message: '--cpu-prof takes peer names such as p00,p14, got "p3"' })
    expect(parse('--cpu-prof', 'p00,', '--peers', '5')).toEqual({ kind: 'error', message: '--cpu-prof takes peer names such as p00,p14, got ""' })
    expect(parse('--peers', '5', '--cpu-prof', 'p05')).toEqual({ kind: 'error', message: '--cpu-prof p05: there are only p00–p04 (--peers 5)' })
  })

  test('--heal-bound and --rejoin-bound: issue 14\'s 10 s and 5 s by default, seconds in [1, 600]', () => {
    expect(parse()).toEqual({ kind: 'run', options: expect.objectContaining({ healBoundS: 10, rejoinBoundS: 5 }) })
    expect(parse('--heal-bound', '5', '--rejoin-bound=2.5')).toEqual({ kind: 'run', options: expect.objectContaining({ healBoundS: 5, rejoinBoundS: 2.5 }) })
    for (const [flag, bad] of [['--heal-bound', '0'], ['--heal-bound', '601'], ['--rejoin-bound', 'soon']] as const) {
      const r = parse(flag, bad)
      expect(r.kind === 'error' ? r.message : r.kind).toMatch(new RegExp(`^${flag} must be a number in \\[1, 600\\]`))
    }
  })

  test('--keys-per-peer: 100 by default, 0 for a new key every write, integers 0–100000 only', () => {
    expect(parse()).toEqual({ kind: 'run', options: expect.objectContaining({ keysPerPeer: 100 }) })
    expect(parse('--keys-per-peer', '0')).toEqual({ kind: 'run', options: expect.objectContaining({ keysPerPeer: 0 }) })
    for (const bad of ['-1', '2.5', '100001', 'many']) {
      const r = parse('--keys-per-peer', bad)
      expect(r.kind, bad).toBe('error')
      expect(r.kind === 'error' ? r.message : '', bad).toMatch(/^--keys-per-peer must be an integer in \[0, 100000\]/)
    }
  })
})

describe('soak options given twice', () => {
  // `--peers 3 --peers 50` ran 50 peers, the first value dropped without a word; the peer and `murmur` refuse it.
  test.each([
    ['--peers', '3', '4'], ['--minutes', '1', '2'], ['--seed', '1', '2'], ['--writes-per-sec', '1', '2'],
    ['--keys-per-peer', '1', '2'], ['--profile', 'local', 'lan'], ['--dir', '/tmp/a', '/tmp/b'],
    ['--heal-bound', '5', '6'], ['--rejoin-bound', '5', '6']
  ])('%s given twice: one line naming it, not the last one kept', (flag, first, second) => {
    expect(parse(flag, first, flag, second)).toEqual({ kind: 'error', message: `${flag} given twice: it takes one value (see --help)` })
    expect(parse(`${flag}=${first}`, `${flag}=${second}`)).toEqual({ kind: 'error', message: `${flag} given twice: it takes one value (see --help)` })
  })

  test('--keep twice is still --keep', () => {
    expect(parse('--keep', '--keep')).toEqual({ kind: 'run', options: expect.objectContaining({ keep: true }) })
  })
})
