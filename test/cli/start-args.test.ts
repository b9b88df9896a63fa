/**
 * `npm start`'s options (scripts/start.ts) refused before anything starts. Only what needs no peer: each
 * case ends in --help, which would print the usage and exit 0 had the option before it been taken.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { NODE, ROOT } from '../helpers/procs.js'

const START = path.join(ROOT, 'scripts', 'start.ts')

describe('npm start --dir', () => {
  // The shell leaves ~ alone after `=`: `npm start -- --dir=~/demo` made a directory named ~ in the
  // working directory and ran the demo there.
  test('a --dir that starts with ~ is refused (exit 2, one line), in both forms', () => {
    for (const args of [['--dir=~/demo', '--help'], ['--dir', '~/demo', '--help']]) {
      const r = spawnSync(NODE, [START, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, args.join(' ')).toEqual({ status: 2, stdout: '', stderr: 'start: --dir ~/demo: ~ is not expanded here; write the full path (try --help)\n' })
    }
  })
})
