/**
 * `npm run partition-heal` flags (scripts/partition-heal/flags.ts, pure). A flag that takes one value,
 * given twice, is a usage error naming it, as for the peer and `murmur`: `--peers 3 --peers 4` ran 4 peers,
 * the first value dropped without a word.
 */
import { describe, expect, test } from 'vitest'
import { parseFlags } from '../../../scripts/partition-heal/flags.ts'

const parse = (...argv: string[]): ReturnType<typeof parseFlags> => parseFlags(argv, () => 7)

describe('partition-heal flags', () => {
  test.each([
    ['--peers', '3', '4'],
    ['--rounds', '1', '2'],
    ['--writes', '5', '5'],
    ['--seed', '1', '2'],
    ['--mode', 'kill', 'halves'],
    ['--profile', 'local', 'lan'],
    ['--app', 'a.ts', 'b.ts']
  ])('%s given twice: one line naming it, not the last one kept', (flag, first, second) => {
    expect(parse(flag, first, flag, second)).toEqual({ kind: 'error', message: `${flag} given twice: it takes one value (see --help)` })
    expect(parse(`${flag}=${first}`, flag, second)).toEqual({ kind: 'error', message: `${flag} given twice: it takes one value (see --help)` })
  })

  test('switches may repeat; each single-value flag once is fine', () => {
    const r = parse('--keep', '--keep', '--peers', '3', '--rounds', '2', '--writes', '4', '--seed', '9', '--mode', 'kill', '--profile', 'lan')
    expect(r).toEqual({ kind: 'run', options: expect.objectContaining({ peers: 3, rounds: 2, writes: 4, seed: 9, seedDrawn: false, faults: ['kill'], profile: 'lan', keep: true }) })
  })
})
