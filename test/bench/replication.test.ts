/**
 * `npm run bench -- replication` options: every value the run cannot use is refused by the parser — one
 * line, exit 2 (run.ts) — before a namespace or a peer exists, not minutes into the run or as a table of
 * NaN written into BENCHMARKS.md. Nothing here starts a peer.
 */
import { describe, expect, test } from 'vitest'
import { parse } from '../../scripts/bench/replication.ts'
import { refusal as refusalOf } from './helpers.js'

const refusal = (args: string[]): string => refusalOf(parse, args)

describe('replication bench options', () => {
  test('the defaults and --quick parse', () => {
    expect(parse([])).toMatchObject({ peers: 10, partitionWrites: 100, concurrency: 4, loadSeconds: 20 })
    expect(parse(['--quick', '--peers', '4'])).toMatchObject({ peers: 4, partitionWrites: 30 })
  })

  test('fewer partition writes than peers: refused up front (the partition phase needs every peer to write)', () => {
    expect(refusal(['--peers', '4', '--partition-writes', '3'])).toMatch(/--partition-writes must be ≥ --peers \(4\)/)
    expect(parse(['--peers', '4', '--partition-writes', '4']).partitionWrites).toBe(4)
  })

  test('--replicas outside what a peer starts with (an integer in [1, 64]) is refused up front', () => {
    for (const r of ['0', '2.5', '65']) expect(refusal(['--replicas', r])).toMatch(/--replicas/)
    expect(parse(['--replicas', '3']).replicas).toBe(3)
  })

  test('zero load, zero writers or a zero idle window measure nothing: refused', () => {
    expect(refusal(['--concurrency', '0'])).toMatch(/--concurrency/)
    expect(refusal(['--load-seconds', '0'])).toMatch(/--load-seconds/)
    expect(refusal(['--idle-seconds', '0'])).toMatch(/--idle-seconds/)
  })

  test('counts and durations without an upper bound are refused (memory, a run that never ends, a sleep past what a timer holds)', () => {
    expect(refusal(['--concurrency', '1e9'])).toBe('--concurrency must be an integer in [1, 64], got 1000000000')
    expect(refusal(['--writes', '1e9'])).toMatch(/^--writes must be an integer in \[1, 10000\]/)
    expect(refusal(['--writes', '2.5'])).toMatch(/^--writes must be an integer/)
    expect(refusal(['--warmup', '1e9'])).toMatch(/^--warmup must be an integer in \[0, 1000\]/)
    expect(refusal(['--load-seconds', '1e9'])).toMatch(/^--load-seconds must be a number in \[1, 600\]/)
    expect(refusal(['--partition-writes', '1e9'])).toMatch(/^--partition-writes must be an integer in \[1, 10000\]/)
    expect(refusal(['--value-chars', '1e9'])).toMatch(/^--value-chars must be an integer in \[0, 100000\]/)
    // 1e7 s is past what setTimeout holds (2^31 ms): the hold would end at once, silently.
    expect(refusal(['--hold-seconds', '1e7'])).toMatch(/^--hold-seconds must be a number in \[0, 600\]/)
    expect(refusal(['--idle-docs', '1e9'])).toMatch(/^--idle-docs must be an integer in \[0, 1000\]/)
    expect(refusal(['--idle-seconds', '1e9'])).toMatch(/^--idle-seconds must be a number in \[1, 3600\]/)
    expect(refusal(['--observe-seconds', '1e9'])).toMatch(/^--observe-seconds must be a number in \[0, 600\]/)
    expect(refusal(['--seed', '-1'])).toMatch(/^--seed must be an integer in \[0, 4294967295\]/)
    expect(parse(['--writes', '10000', '--poll-check', '10000', '--hold-seconds', '0', '--idle-docs', '0'])).toMatchObject({ writes: 10_000, holdSeconds: 0, idleDocs: 0 })
  })
})
