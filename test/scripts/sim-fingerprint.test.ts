/**
 * `node scripts/sim-fingerprint.ts` flags: a `--dist` that holds no build (a typo, the other checkout not
 * built yet) is one line naming it and exit 2, not a module-resolution stack trace. Nothing is simulated.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { NODE, ROOT } from '../helpers/procs.js'

const SCRIPT = path.join(ROOT, 'scripts', 'sim-fingerprint.ts')

describe('sim-fingerprint flags', () => {
  test.each([['a path that does not exist', '/nonexistent/dist'], ['a directory without a build', 'EMPTY']])('--dist at %s: one line, exit 2', (_what, dist) => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'murmur-fingerprint-test-'))
    try {
      const dir = dist === 'EMPTY' ? empty : dist
      const r = spawnSync(NODE, [SCRIPT, '--dist', dir, '--sizes', '', '--faults', ''], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
      expect(r.status, r.stderr).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toContain(`--dist ${dir}: no sim/index.js there`)
      expect(r.stdout).toBe('')
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  // Every other script README lists (npm start, partition-heal, soak, bench) answers --help with its usage
  // on stdout and exit 0; this one said "unknown option --help" and exited 2.
  test.each(['--help', '-h'])('%s: the usage on stdout, exit 0, nothing simulated', (flag) => {
    const r = spawnSync(NODE, [SCRIPT, flag], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^usage: node scripts\/sim-fingerprint\.ts \[--dist DIR\] /)
    expect(r.stdout).toContain('--faults 0,1,2,3')
    expect(r.stdout).not.toMatch(/^(idle|faults) /m)
  })
})
