/**
 * `npm run bench -- <name> [options]`: runs one benchmark. Each prints progress on stderr, figures on
 * stdout, updates its section of BENCHMARKS.md, and prints one JSON object as its last line.
 */
const BENCHES: Record<string, string> = {
  membership: './membership.ts',
  detection: './detection.ts',
  replication: './replication.ts'
}

const [name, ...rest] = process.argv.slice(2)
if (name === undefined || name === '--help' || !(name in BENCHES)) {
  const list = Object.keys(BENCHES).join(', ')
  if (name !== undefined && name !== '--help') process.stderr.write(`unknown benchmark "${name}"\n`)
  process.stderr.write(`usage: npm run bench -- <name> [options]\nbenchmarks: ${list}\n`)
  process.exit(name === '--help' ? 0 : 2)
}
const mod = await import(BENCHES[name] as string) as { main: (args: string[]) => Promise<void> }
await mod.main(rest)
