/**
 * The scripts run with `node scripts/…` in a checkout that was never built (no dist/): one line saying to
 * build, exit 1 — not an ERR_MODULE_NOT_FOUND stack trace. The checks start.ts and partition-heal.ts had
 * for this never ran: a static import of dist/ fails before the first line of the script. A copy of
 * scripts/ in a temp "checkout" beside the real node_modules, so the real dist/ is left alone.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { NODE, ROOT } from '../helpers/procs.js'

const checkout = mkdtempSync(path.join(os.tmpdir(), 'murmur-unbuilt-'))
cpSync(path.join(ROOT, 'scripts'), path.join(checkout, 'scripts'), { recursive: true })
symlinkSync(path.join(ROOT, 'node_modules'), path.join(checkout, 'node_modules'))
afterAll(() => { rmSync(checkout, { recursive: true, force: true }) })

function run (script: string, args: string[]): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(NODE, [path.join(checkout, 'scripts', script), ...args], { cwd: checkout, encoding: 'utf8', timeout: 20_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('a script run before npm run build', () => {
  test.each([
    ['start.ts', [], 'start', 'npm start'],
    ['partition-heal.ts', ['--peers', '2'], 'partition-heal', 'npm run partition-heal'],
    ['soak.ts', ['--peers', '3'], 'soak', 'npm run soak'],
    ['bench/run.ts', ['heal', '--quick'], 'bench', 'npm run bench -- heal']
  ])('%s %j: one line saying to build, exit 1', (script, args, tool, npm) => {
    const r = run(script, args)
    expect(r.status, r.stderr).toBe(1)
    expect(r.stderr).toBe(`${tool}: dist/ is not built (no dist/index.js, dist/peer.js): run \`npm run build\` first, or \`${npm}\`, which builds before it runs\n`)
    expect(r.stdout).toBe('')
  })

  test.each(['start.ts', 'partition-heal.ts', 'soak.ts'])('%s --help needs no build', (script) => {
    const r = run(script, ['--help'])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^Usage: /)
  })
})
