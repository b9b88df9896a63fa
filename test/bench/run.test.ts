/**
 * `npm run bench -- <name>` (scripts/bench/run.ts) as a child process: a name that is no benchmark is
 * refused with the list of benchmarks and exit 2 — also a name that happens to be a property every object
 * inherits (`constructor`, `toString`, `__proto__`), which is no benchmark either. Nothing here runs one.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { NODE, ROOT } from '../helpers/procs.js'

const RUN = path.join(ROOT, 'scripts', 'bench', 'run.ts')

function bench (...args: string[]): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(NODE, [RUN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('npm run bench -- <name>', () => {
  test.each(['nosuch', 'constructor', 'toString', '__proto__', 'hasOwnProperty'])('"%s" is no benchmark: the list, exit 2, no stack trace', (name) => {
    const r = bench(name)
    expect(r.status).toBe(2)
    expect(r.stderr).toContain(`unknown benchmark "${name}"`)
    expect(r.stderr).toMatch(/^benchmarks: membership, detection, /m)
    expect(r.stderr).not.toMatch(/Error|\n\s+at /)
  })

  test('no name: the list on stderr, exit 2; --help: the list on stdout (it is the output asked for, `| less` sees it), exit 0', () => {
    const none = bench()
    expect(none.status).toBe(2)
    expect(none.stderr).toMatch(/^usage: npm run bench -- <name> \[options\]$/m)
    for (const flag of ['--help', '-h']) {
      const help = bench(flag)
      expect(help.status).toBe(0)
      expect(help.stdout).toMatch(/^usage: npm run bench -- <name> \[options\]\nbenchmarks: membership, /)
      expect(help.stderr).toBe('')
    }
  })
})
