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
})
