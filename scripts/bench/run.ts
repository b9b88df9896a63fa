/**
 * `npm run bench -- <name> [options]`: runs one benchmark. Each prints progress on stderr, figures on
 * stdout, updates its section of BENCHMARKS.md, and prints one JSON object as its last line.
 */
import { UsageError } from './lib/report.ts'

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
  'hot-paths': './hot-paths.ts'
}

interface BenchModule { main: (args: string[]) => Promise<void>, USAGE: string }

const [name, ...rest] = process.argv.slice(2)
// Own keys only: `constructor`, `toString`, `__proto__` are in every object and are no benchmarks.
if (name === undefined || name === '--help' || name === '-h' || !Object.hasOwn(BENCHES, name)) {
  const list = Object.keys(BENCHES).join(', ')
  if (name !== undefined && name !== '--help' && name !== '-h') process.stderr.write(`unknown benchmark "${name}"\n`)
  process.stderr.write(`usage: npm run bench -- <name> [options]\nbenchmarks: ${list}\n`)
  process.exit(name === '--help' || name === '-h' ? 0 : 2)
}
const mod = await import(BENCHES[name] as string) as BenchModule
if (rest.includes('--help') || rest.includes('-h')) {
  process.stdout.write(`usage: npm run bench -- ${name} [options]\n${mod.USAGE}\n`)
  process.exit(0)
}
try {
  await mod.main(rest)
} catch (err) {
  // One clear line, not a stack trace: a bad option exits 2, anything else 1.
  process.stderr.write(`bench ${name}: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(err instanceof UsageError ? 2 : 1)
}
