/**
 * `npm run bench -- placement` options: a value the run cannot use is refused by the parser — one line,
 * exit 2 (run.ts) — before a namespace or a peer exists, not as NaN figures minutes into the run (an idle
 * window of 0 s) or a run that exhausts memory. Nothing here starts a peer.
 */
import { describe, expect, test } from 'vitest'
import { parse } from '../../scripts/bench/placement.ts'
import { refusal as refusalOf } from './helpers.js'

const refusal = (args: string[]): string => refusalOf(parse, args)

describe('placement bench options', () => {
  test('the defaults, --quick and the bounds themselves parse', () => {
    expect(parse([])).toMatchObject({ peers: 20, docs: 10_000, idleSeconds: 30, partitionDocs: 1000 })
    expect(parse(['--quick'])).toMatchObject({ peers: 6, docs: 600, idleSeconds: 10 })
    expect(parse(['--idle-seconds', '1', '--docs', '100000', '--partition-docs', '1', '--concurrency', '1024', '--value-bytes', '10000'])).toMatchObject({ idleSeconds: 1, docs: 100_000, partitionDocs: 1 })
  })

  test('an idle window of 0 s (bytes per second over nothing) or past an hour is refused', () => {
    expect(refusal(['--idle-seconds', '0'])).toBe('--idle-seconds must be an integer in [1, 3600], got 0')
    expect(refusal(['--quick', '--idle-seconds', '0'])).toMatch(/^--idle-seconds must be/)
    expect(refusal(['--idle-seconds', '1e9'])).toMatch(/^--idle-seconds must be an integer in \[1, 3600\]/)
  })

  test('counts and sizes without an upper bound are refused before they exhaust memory or time', () => {
    expect(refusal(['--docs', '1e9'])).toMatch(/^--docs must be an integer in \[20, 100000\]/)
    expect(refusal(['--value-bytes', '1e9'])).toMatch(/^--value-bytes must be an integer in \[1, 10000\]/)
    expect(refusal(['--concurrency', '1e9'])).toMatch(/^--concurrency must be an integer in \[1, 1024\]/)
    expect(refusal(['--partition-docs', '0'])).toMatch(/^--partition-docs must be an integer in \[1, 100000\]/)
    expect(refusal(['--seed', '1e20'])).toMatch(/^--seed must be an integer in \[0, 4294967295\]/)
  })

  test('the checks across options stay', () => {
    expect(refusal(['--peers', '6', '--replicas', '4'])).toMatch(/--replicas must be in \[1, peers − 3\]/)
    expect(refusal(['--docs', '100', '--partition-docs', '101'])).toMatch(/--partition-docs/)
  })

  test('every message is one line', () => {
    for (const args of [['--idle-seconds', '0'], ['--docs', '1e9'], ['--peers', '3']]) expect(refusal(args)).not.toContain('\n')
  })
})
