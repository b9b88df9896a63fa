/**
 * `npm run bench -- <name> [options]`: runs one benchmark. Each prints progress on stderr, figures on
 * stdout, updates its section of BENCHMARKS.md, and prints one JSON object as its last line.
 */
import { requireBuild } from '../lib/dist.ts'
import { UsageError } from './lib/report.ts'
import { installSignalHandlers } from './lib/teardown.ts'

const BENCHES: Record<string, string> = {
  membership: './membership.ts',
  detection: './detection.ts',
  replication: './replication.ts',
  yjs: './yjs.ts',
  placement: './placement.ts',
  hostile: './hostile.ts',
  'write-load': './write-load.ts',
  loss: './loss.ts',
  'connection-cost': './connection-cost.ts',
  heal: './heal.ts',
  'hot-paths': './hot-paths.ts',
  suspicion: './suspicion.ts',
  footprint: './footprint.ts'
}

/** How long a failed run waits for a pending Ctrl-C's handler before it reports the failure. */
const SIGNAL_GRACE_MS = 200

interface BenchModule { main: (args: string[]) => Promise<void>, USAGE: string }

const [name, ...rest] = process.argv.slice(2)
// Own keys only: `constructor`, `toString`, `__proto__` are in every object and are no benchmarks.
if (name === undefined || name === '--help' || name === '-h' || !Object.hasOwn(BENCHES, name)) {
  const asked = name === '--help' || name === '-h'
  if (name !== undefined && !asked) process.stderr.write(`unknown benchmark "${name}"\n`)
  // Asked for, the usage is the output (stdout: `| less`, `| grep` see it); else it explains the error.
  const out = asked ? process.stdout : process.stderr
  out.write(`usage: npm run bench -- <name> [options]\nbenchmarks: ${Object.keys(BENCHES).join(', ')}\n`)
  process.exit(asked ? 0 : 2)
}
// Every bench imports dist/: with it missing, that import was a stack trace.
requireBuild('bench', `npm run bench -- ${name}`)
const mod = await import(BENCHES[name] as string) as BenchModule
if (rest.includes('--help') || rest.includes('-h')) {
  process.stdout.write(`usage: npm run bench -- ${name} [options]\n${mod.USAGE}\n`)
  process.exit(0)
}
// Before anything is built: a Ctrl-C from here on tears down what exists (a lab half built included).
installSignalHandlers()
try {
  await mod.main(rest)
} catch (err) {
  // A Ctrl-C reaches the bench's children too (one process group): an `ip` or a peer killed by it fails
  // the run at once, before the signal's own handler had its turn. Give it that turn (it tears down and
  // exits 130), so that the interrupt is not reported as a failure of what it killed.
  if (!(err instanceof UsageError)) await new Promise(resolve => setTimeout(resolve, SIGNAL_GRACE_MS))
  // One clear line, not a stack trace: a bad option exits 2, anything else 1.
  process.stderr.write(`bench ${name}: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(err instanceof UsageError ? 2 : 1)
}
