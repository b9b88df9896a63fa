/**
 * Flags of `npm run partition-heal`, parsed and validated into RunOptions. Pure (no I/O), so every bad input
 * maps to one clear line and exit code 2.
 */

/** Fault kinds the nemesis can apply; `--mode` picks one, a comma-separated subset, or `mix` (all of them). */
export const FAULT_KINDS = ['halves', 'isolate-one', 'grudges', 'kill'] as const
export type FaultKind = typeof FAULT_KINDS[number]

export interface RunOptions {
  peers: number
  rounds: number
  /** Writes per peer per round (counter increments and chat messages, mixed). */
  writes: number
  /** Seeds every random choice: faults, victims, deltas, write kinds. */
  seed: number
  /** True when `--seed` was not given (a random one was drawn; it is printed for replay). */
  seedDrawn: boolean
  /** The fault kinds to draw from, one per round; `mode` is how it was written (for the report). */
  faults: FaultKind[]
  mode: string
  /** One network namespace per peer, partitions by cutting real links (root only). */
  netns: boolean
  /** Membership/replication timing preset of the peers. */
  profile: 'local' | 'lan'
  /** Entry of the app to run (relative to the repository root). */
  app: string
  /** Keep the temp dir (data dirs and peer logs) even when the run passes. */
  keep: boolean
}

export type ParsedFlags =
  | { kind: 'run', options: RunOptions }
  | { kind: 'help' }
  | { kind: 'error', message: string }

export const DEFAULT_APP = 'examples/chat-counter/server.ts'

/** Defaults sized so that a run with no flags finishes in well under 2 minutes on 2 shared cores. */
export const DEFAULTS = { peers: 5, rounds: 4, writes: 20 } as const

/** Bounds: ≥ 2 peers to partition anything; ≤ 16 because every peer is a Node process on a small machine. */
const RANGES = {
  peers: [2, 16],
  rounds: [1, 100],
  writes: [1, 1000],
  seed: [0, 0xffff_ffff]
} as const

export const HELP = `Usage: npm run partition-heal -- [options]

Real peer processes running the chat-counter app; continuous writes on every peer; random partitions,
grudges and kills; then a checker: every replica converged and no acknowledged write lost.
The last line of output is one JSON object. Exit 0 = converged and nothing lost, 1 = not, 2 = bad flags.

Options:
  --peers N          peer processes (${RANGES.peers[0]}–${RANGES.peers[1]}, default ${DEFAULTS.peers})
  --rounds R         fault rounds: fault → hold → heal → settle (${RANGES.rounds[0]}–${RANGES.rounds[1]}, default ${DEFAULTS.rounds})
  --writes W         writes per peer per round (${RANGES.writes[0]}–${RANGES.writes[1]}, default ${DEFAULTS.writes})
  --seed S           seed of every random choice (0–${RANGES.seed[1]}, default: random, printed)
  --mode M           mix (default), or one or more of ${FAULT_KINDS.join(', ')} (comma-separated)
  --netns            one network namespace per peer; partitions cut real links (root only)
  --profile P        peers' timing preset: local (default) or lan
  --app FILE         app entry to run (default ${DEFAULT_APP})
  --keep             keep the temp dir (data dirs, peer logs) even when the run passes
  --help             show this help
`

class FlagError extends Error {}

function integer (flag: keyof typeof RANGES, value: string): number {
  if (!/^\d+$/.test(value)) throw new FlagError(`--${flag} ${value}: not a non-negative integer`)
  const n = Number(value)
  const [min, max] = RANGES[flag]
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new FlagError(`--${flag} ${value}: out of range ${min}–${max}`)
  return n
}

function faultList (value: string): FaultKind[] {
  if (value === 'mix') return [...FAULT_KINDS]
  const parts = value.split(',').map(s => s.trim()).filter(s => s !== '')
  if (parts.length === 0) throw new FlagError('--mode needs a value: mix or ' + FAULT_KINDS.join(', '))
  for (const p of parts) {
    if (!(FAULT_KINDS as readonly string[]).includes(p)) throw new FlagError(`--mode ${p}: unknown mode (mix, ${FAULT_KINDS.join(', ')})`)
  }
  return [...new Set(parts)] as FaultKind[]
}

const BOOLEAN = new Set(['--netns', '--keep', '--help', '-h'])
const VALUED = new Set(['--peers', '--rounds', '--writes', '--seed', '--mode', '--profile', '--app'])

/**
 * Parses argv (without node and the script). `drawSeed` supplies the seed when `--seed` is absent, so the
 * parser itself stays deterministic.
 */
export function parseFlags (argv: readonly string[], drawSeed: () => number): ParsedFlags {
  try {
    return parse(argv, drawSeed)
  } catch (err) {
    if (err instanceof FlagError) return { kind: 'error', message: err.message }
    throw err
  }
}

function parse (argv: readonly string[], drawSeed: () => number): ParsedFlags {
  const o: RunOptions = {
    ...DEFAULTS,
    seed: 0,
    seedDrawn: true,
    faults: [...FAULT_KINDS],
    mode: 'mix',
    netns: false,
    profile: 'local',
    app: DEFAULT_APP,
    keep: false
  }
  let seed: number | undefined
  /** Single-value flags seen: one given twice kept the last, silently (`--peers 3 --peers 4` ran 4). */
  const given = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const eq = arg.indexOf('=')
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    let value = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined
    if (BOOLEAN.has(flag)) {
      if (value !== undefined) throw new FlagError(`${flag} takes no value`)
      if (flag === '--help' || flag === '-h') return { kind: 'help' }
      if (flag === '--netns') o.netns = true
      if (flag === '--keep') o.keep = true
      continue
    }
    if (!VALUED.has(flag)) throw new FlagError(arg.startsWith('-') ? `unknown flag ${flag} (see --help)` : `unexpected argument "${arg}" (see --help)`)
    if (given.has(flag)) throw new FlagError(`${flag} given twice: it takes one value (see --help)`)
    given.add(flag)
    if (value === undefined) {
      value = argv[++i]
      if (value === undefined || value.startsWith('--')) throw new FlagError(`${flag} needs a value (see --help)`)
    }
    switch (flag) {
      case '--peers': o.peers = integer('peers', value); break
      case '--rounds': o.rounds = integer('rounds', value); break
      case '--writes': o.writes = integer('writes', value); break
      case '--seed': seed = integer('seed', value); break
      case '--mode': o.faults = faultList(value); o.mode = value; break
      case '--profile':
        if (value !== 'local' && value !== 'lan') throw new FlagError(`--profile ${value}: expected local or lan`)
        o.profile = value
        break
      case '--app':
        if (value.trim() === '') throw new FlagError('--app needs a file')
        o.app = value
        break
    }
  }
  o.seedDrawn = seed === undefined
  o.seed = seed ?? (drawSeed() >>> 0)
  return { kind: 'run', options: o }
}
