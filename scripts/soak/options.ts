/**
 * Flags of `npm run soak`. Pure: a bad flag is one line and exit 2 (the caller prints and exits).
 */
import { decimal } from '../lib/decimal.ts'

export interface SoakOptions {
  peers: number
  minutes: number
  /** Seed of every random choice (partition groups, victims, pauses); printed for replay. */
  seed: number
  /** Acknowledged-write attempts per peer per second. */
  writesPerSec: number
  /** Keys each peer cycles through (0: a new key for every write, so the doc grows all run). */
  keysPerPeer: number
  profile: 'local' | 'lan'
  /** Where peers keep their data (default: a fresh temp dir, removed at the end). */
  dir: string | undefined
  /** Keep the data dir at the end (for post-mortems). */
  keep: boolean
  /** Every heal must have re-merged (all alive everywhere, both sides' writes everywhere) within this, s. */
  healBoundS: number
  /** Every restarted peer must be alive everywhere within this, s. */
  rejoinBoundS: number
  /** Slots (p00, p14, …) whose processes run with V8's CPU profiler. */
  cpuProf: string[]
}

export type ParsedSoakArgs = { kind: 'run', options: SoakOptions } | { kind: 'help' } | { kind: 'error', message: string }

export const HELP = `Usage: npm run soak -- [options]

Long run of real peer processes (dist/peer.js) on 127.0.0.1: continuous acknowledged writes on every peer,
periodic random partitions (/admin/partition) and SIGKILL + restart (same data dir). Reports RSS per peer
over time, false deaths, lost writes and convergence time after each heal. Exit 0 only if RSS stayed flat,
no healthy peer was declared dead, no acknowledged write was lost, every heal re-merged and every restarted
peer was back within its bound, and the mesh converged at the end.

Options:
  --peers <n>            peer processes, 3–50 (default 20)
  --minutes <m>          duration of the chaos phase, 0.5–1440 (default 10)
  --seed <n>             seed of the random schedule (default: random, printed)
  --writes-per-sec <r>   write attempts per peer per second, 0.1–20 (default 1)
  --keys-per-peer <n>    keys each peer writes over and over, 0–100000 (default 100; 0: every write a new key,
                         so the soak doc, and with it every peer's memory, grows all run)
  --profile local|lan    timing preset of the peers (default local: one machine)
  --dir <dir>            data dirs go there (default: a temp dir, removed at the end)
  --keep                 keep the data dirs, and save every peer's log (also on Ctrl-C; saved anyway on a failed run)
  --heal-bound <s>       each heal re-merged (all alive everywhere, both sides' writes everywhere) within, 1–600 (default 10)
  --rejoin-bound <s>     each SIGKILLed and restarted peer alive everywhere within, 1–600 (default 5)
  --cpu-prof <p00,p14>   run these peers under V8's CPU profiler (2 ms samples; the run prints the soak doc's
                         homes, and where the profiles go: one per process that stopped by itself or at the
                         end — a SIGKILLed one writes none). Profiled peers are slower: few, for a replay
  --help                 this help
`

const DEFAULTS: SoakOptions = { peers: 20, minutes: 10, seed: 0, writesPerSec: 1, keysPerPeer: 100, profile: 'local', dir: undefined, keep: false, healBoundS: 10, rejoinBoundS: 5, cpuProf: [] }

class FlagError extends Error {}

function number (flag: string, value: string, min: number, max: number, integer: boolean): number {
  const n = decimal(value)
  if (n === undefined || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new FlagError(`${flag} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(value.slice(0, 40))}`)
  }
  return n
}

export function parseSoakArgs (argv: readonly string[], randomSeed: () => number): ParsedSoakArgs {
  try {
    const o: SoakOptions = { ...DEFAULTS, seed: randomSeed() }
    /** Flags whose value was taken: one given twice kept the last, silently (`--peers 3 --peers 50` ran 50). */
    const given = new Set<string>()
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] as string
      const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
      const flag = eq > 0 ? arg.slice(0, eq) : arg
      const inline = eq > 0 ? arg.slice(eq + 1) : undefined
      // No value of these flags starts with "--": one that does is the next flag, and this one's value is
      // missing (`--dir --keep` is no dir named "--keep"); nor is one empty (`--dir ''` is not the cwd).
      const value = (): string => {
        if (given.has(flag)) throw new FlagError(`${flag} given twice: it takes one value (see --help)`)
        given.add(flag)
        const v = inline ?? argv[++i]
        if (v === undefined || v === '' || (inline === undefined && v.startsWith('--'))) throw new FlagError(`${flag} needs a value (see --help)`)
        return v
      }
      switch (flag) {
        case '--help': case '-h': return { kind: 'help' }
        case '--peers': o.peers = number(flag, value(), 3, 50, true); break
        case '--minutes': o.minutes = number(flag, value(), 0.5, 1440, false); break
        case '--seed': o.seed = number(flag, value(), 0, 2 ** 31 - 1, true); break
        case '--writes-per-sec': o.writesPerSec = number(flag, value(), 0.1, 20, false); break
        case '--keys-per-peer': o.keysPerPeer = number(flag, value(), 0, 100_000, true); break
        case '--profile': {
          const v = value()
          if (v !== 'local' && v !== 'lan') throw new FlagError(`--profile must be local or lan, got ${JSON.stringify(v.slice(0, 40))}`)
          o.profile = v
          break
        }
        case '--dir': o.dir = value(); break
        case '--heal-bound': o.healBoundS = number(flag, value(), 1, 600, false); break
        case '--rejoin-bound': o.rejoinBoundS = number(flag, value(), 1, 600, false); break
        case '--cpu-prof': {
          const names = value().split(',')
          const bad = names.find(n => !/^p\d{2}$/.test(n))
          if (bad !== undefined) throw new FlagError(`--cpu-prof takes peer names such as p00,p14, got ${JSON.stringify(bad.slice(0, 40))}`)
          o.cpuProf = [...new Set(names)]
          break
        }
        case '--keep':
          if (inline !== undefined) throw new FlagError('--keep takes no value')
          o.keep = true
          break
        default:
          throw new FlagError(`unknown argument ${JSON.stringify(arg.slice(0, 40))} (see --help)`)
      }
    }
    const beyond = o.cpuProf.find(n => Number(n.slice(1)) >= o.peers)
    if (beyond !== undefined) throw new FlagError(`--cpu-prof ${beyond}: there are only p00–p${String(o.peers - 1).padStart(2, '0')} (--peers ${o.peers})`)
    return { kind: 'run', options: o }
  } catch (err) {
    if (err instanceof FlagError) return { kind: 'error', message: err.message }
    throw err
  }
}
