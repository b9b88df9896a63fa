/**
 * The benches' option reader: walks `--flag value` (or `--flag=value`) and `--switch` arguments and hands each to its handler.
 * An unknown flag, a number or value flag given twice, a missing value or, for a number flag, a value that is not a finite number throws a
 * UsageError whose one line ends with the bench's usage (run.ts prints it and exits 2). Ranges are each
 * bench's own (`inRange` handlers; checks across options after the loop); every number flag has one, below
 * and above: 0 s windows measure nothing, and a huge count or duration exhausts memory or never ends.
 */
import { decimal } from '../../lib/decimal.ts'
import { UsageError } from './report.ts'

export interface FlagHandlers {
  /** Flags that take a number; the handler gets it as a finite number. */
  numbers?: Record<string, (n: number, flag: string) => void>
  /** Flags that take any other value, as written. */
  values?: Record<string, (value: string, flag: string) => void>
  /** Flags without a value. */
  switches?: Record<string, () => void>
}

/** The handler for `flag`, looked up as an own key only (`--constructor` is no flag). */
function handler<T> (table: Record<string, T> | undefined, flag: string): T | undefined {
  return table !== undefined && Object.hasOwn(table, flag) ? table[flag] : undefined
}

/** What takes `flag`'s value, numbers checked on the way; undefined when `flag` takes none or is unknown. */
function taker (handlers: FlagHandlers, flag: string, usage: string): ((value: string) => void) | undefined {
  const onValue = handler(handlers.values, flag)
  if (onValue !== undefined) return value => { onValue(value, flag) }
  const onNumber = handler(handlers.numbers, flag)
  if (onNumber === undefined) return undefined
  return value => {
    const n = decimal(value)
    if (n === undefined || !Number.isFinite(n)) throw new UsageError(`${flag} needs a number, got ${JSON.stringify(value.slice(0, 40))} (${usage})`)
    onNumber(n, flag)
  }
}

/** Reads `args` in order, calling each flag's handler; throws a UsageError on the first bad one. */
export function readFlags (args: readonly string[], usage: string, handlers: FlagHandlers): void {
  /** Number and value flags seen: one given twice kept the last, silently (`--peers 12 … --peers 5` ran 5). */
  const given = new Set<string>()
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    // `--peers=6` as `--peers 6`, as partition-heal and soak read it (it was "unknown option --peers=6").
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined
    const onSwitch = handler(handlers.switches, flag)
    if (onSwitch !== undefined) {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value (${usage})`)
      onSwitch()
      continue
    }
    const take = taker(handlers, flag, usage)
    if (take === undefined) throw new UsageError(`unknown option ${flag} (${usage})`)
    if (given.has(flag)) throw new UsageError(`${flag} given twice: it takes one value (${usage})`)
    given.add(flag)
    const value = inline ?? args[++i]
    // No value of these benches starts with "--": one that does is the next flag, and this one's value is missing.
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${flag} needs a value (${usage})`)
    take(value)
  }
}

/**
 * A number flag's handler that passes values in [min, max] (integers only, if `integer`) to `set` and
 * refuses any other with a one-line UsageError naming the range: `--rate must be a number in [0.01, 20], got 1000`.
 */
export function inRange (min: number, max: number, integer: boolean, set: (n: number) => void): (n: number, flag: string) => void {
  return (n, flag) => {
    if ((integer && !Number.isInteger(n)) || n < min || n > max) throw new UsageError(`${flag} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${n}`)
    set(n)
  }
}

/** Seeds are uint32 (SeededRandom takes `seed >>> 0`: 2 ** 32 + 1 would replay seed 1). */
export const MAX_SEED = 0xffff_ffff
