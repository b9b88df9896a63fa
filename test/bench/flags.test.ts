import { describe, expect, it } from 'vitest'
import { inRange, readFlags } from '../../scripts/bench/lib/flags.ts'
import type { FlagHandlers } from '../../scripts/bench/lib/flags.ts'
import { UsageError } from '../../scripts/bench/lib/report.ts'

const USAGE = 'options: --peers 10  --hook input|output  --quick'

interface Seen { peers?: number, hook?: string, quick: number, calls: string[] }

function read (args: string[]): Seen {
  const seen: Seen = { quick: 0, calls: [] }
  const handlers: FlagHandlers = {
    numbers: { '--peers': (n, flag) => { seen.peers = n; seen.calls.push(`${flag}=${n}`) } },
    values: { '--hook': (v, flag) => { seen.hook = v; seen.calls.push(`${flag}=${v}`) } },
    switches: { '--quick': () => { seen.quick++; seen.calls.push('--quick') } }
  }
  readFlags(args, USAGE, handlers)
  return seen
}

/** The UsageError `read(args)` throws. */
function usageError (args: string[]): UsageError {
  try {
    read(args)
  } catch (err) {
    if (err instanceof UsageError) return err
    throw err
  }
  throw new Error(`no UsageError for ${args.join(' ')}`)
}

describe('bench flag reader', () => {
  it('reads nothing from no arguments', () => {
    expect(read([])).toEqual({ quick: 0, calls: [] })
  })

  it('hands numbers and values to their handlers, in order', () => {
    const seen = read(['--peers', '0.5e1', '--hook', 'output'])
    expect(seen.peers).toBe(5)
    expect(seen.hook).toBe('output')
    expect(seen.calls).toEqual(['--peers=5', '--hook=output'])
  })

  // `--peers 12 … --peers 5` ran 5, the first value dropped without a word; the peer, murmur, partition-heal
  // and soak refuse a single-value flag given twice.
  it('refuses a number or value flag given twice, naming it, before calling its handler again', () => {
    for (const args of [['--peers', '12', '--hook', 'output', '--peers', '5'], ['--peers=12', '--peers=12'], ['--hook', 'a', '--hook=b']]) {
      const flag = args[0]?.split('=')[0] ?? ''
      expect(usageError(args).message, args.join(' ')).toBe(`${flag} given twice: it takes one value (${USAGE})`)
    }
  })

  it('reads --flag=value as --flag value (as partition-heal and soak do); a switch given a value is refused', () => {
    const seen = read(['--peers=12', '--hook=a=b', '--quick'])
    expect(seen.calls).toEqual(['--peers=12', '--hook=a=b', '--quick'])
    expect(usageError(['--peers=']).message).toBe(`--peers needs a number, got "" (${USAGE})`)
    expect(usageError(['--peers=x']).message).toBe(`--peers needs a number, got "x" (${USAGE})`)
    expect(usageError(['--quick=1']).message).toBe(`--quick takes no value (${USAGE})`)
    expect(usageError(['--bogus=1']).message).toBe(`unknown option --bogus (${USAGE})`)
  })

  it('reads switches without taking the next argument as their value', () => {
    const seen = read(['--quick', '--peers', '3', '--quick'])
    expect(seen.quick).toBe(2)
    expect(seen.peers).toBe(3)
  })

  it('passes negative numbers through (ranges are the bench\'s to check)', () => {
    expect(read(['--peers', '-4']).peers).toBe(-4)
  })

  it('says a value is missing at the end, or when the next argument is a flag', () => {
    expect(usageError(['--peers']).message).toBe(`--peers needs a value (${USAGE})`)
    expect(usageError(['--hook']).message).toBe(`--hook needs a value (${USAGE})`)
    expect(usageError(['--peers', '--quick']).message).toBe(`--peers needs a value (${USAGE})`)
  })

  it('rejects a number flag\'s value that is not a finite number', () => {
    expect(usageError(['--peers', 'abc']).message).toBe(`--peers needs a number, got "abc" (${USAGE})`)
    expect(usageError(['--peers', '']).message).toBe(`--peers needs a number, got "" (${USAGE})`)
    expect(usageError(['--peers', ' ']).message).toMatch(/^--peers needs a number, got " "/)
    expect(usageError(['--peers', 'Infinity']).message).toMatch(/^--peers needs a number/)
    expect(usageError(['--peers', '10x']).message).toMatch(/^--peers needs a number/)
  })

  it('reads numbers in decimal only: 0x10, 0b11 and 0o7 are refused, not read as 16, 3 and 7', () => {
    for (const v of ['0x10', '0X1f', '0b11', '0o7', ' 5', '5 ', '+-1', '1e']) expect(usageError(['--peers', v]).message, v).toBe(`--peers needs a number, got ${JSON.stringify(v)} (${USAGE})`)
    for (const [v, n] of [['12', 12], ['-3', -3], ['+4', 4], ['0.5', 0.5], ['.5', 0.5], ['5.', 5], ['2e3', 2000], ['1E-1', 0.1]] as const) expect(read(['--peers', v]).peers, v).toBe(n)
  })

  it('rejects an unknown flag, a stray value and an inherited key, naming it with the usage', () => {
    expect(usageError(['--bogus']).message).toBe(`unknown option --bogus (${USAGE})`)
    expect(usageError(['--bogus', '1']).message).toBe(`unknown option --bogus (${USAGE})`)
    expect(usageError(['--peers', '3', '4']).message).toBe(`unknown option 4 (${USAGE})`)
    expect(usageError(['constructor']).message).toBe(`unknown option constructor (${USAGE})`)
    expect(usageError(['__proto__', '1']).message).toBe(`unknown option __proto__ (${USAGE})`)
  })

  it('keeps each message on one line', () => {
    for (const args of [['--peers'], ['--peers', 'abc'], ['--bogus']]) expect(usageError(args).message).not.toContain('\n')
  })

  it('stops at the first bad flag, after the good ones before it', () => {
    const seen: string[] = []
    expect(() => {
      readFlags(['--a', '--b', '--c'], USAGE, { switches: { '--a': () => { seen.push('a') }, '--c': () => { seen.push('c') } } })
    }).toThrow(UsageError)
    expect(seen).toEqual(['a'])
  })

  it('lets a handler\'s own UsageError through unchanged', () => {
    const handlers: FlagHandlers = { values: { '--hook': v => { throw new UsageError(`--hook must be output or input, got ${v}`) } } }
    expect(() => { readFlags(['--hook', 'sideways'], USAGE, handlers) }).toThrow('--hook must be output or input, got sideways')
  })

  it('inRange: passes values within the bounds, refuses others naming the range on one line', () => {
    const got: number[] = []
    const handlers: FlagHandlers = { numbers: { '--rate': inRange(0.5, 20, false, n => { got.push(n) }), '--peers': inRange(3, 50, true, n => { got.push(n) }) } }
    readFlags(['--rate', '0.5', '--peers', '3'], USAGE, handlers)
    readFlags(['--rate', '20'], USAGE, handlers)
    expect(got).toEqual([0.5, 3, 20])
    expect(() => { readFlags(['--rate', '1e9'], USAGE, handlers) }).toThrow(new UsageError('--rate must be a number in [0.5, 20], got 1000000000'))
    expect(() => { readFlags(['--rate', '0'], USAGE, handlers) }).toThrow(/^--rate must be a number in \[0.5, 20\], got 0$/)
    expect(() => { readFlags(['--peers', '3.5'], USAGE, handlers) }).toThrow('--peers must be an integer in [3, 50], got 3.5')
    expect(got).toEqual([0.5, 3, 20])
  })
})
