/**
 * `npm run build` (scripts/build.ts) while something uses dist/: every `npm start`, soak, partition-heal
 * and bench builds first, so a second one started beside a running one rebuilds the dist/ the first is
 * still starting peers from. The build used to delete dist/ and write it again: for seconds there was no
 * dist/index.js, and a partition-heal round restarting a killed peer failed with "exited during start-up".
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { NODE, ROOT } from '../helpers/procs.js'

describe('npm run build', () => {
  test('rebuilds dist/ in place: its files are there all the way through, and one the build does not make is gone after', async () => {
    const watched = ['index.js', 'peer.js', 'cli/index.js', 'web/mesh/mesh.js'].map(f => path.join(ROOT, 'dist', f))
    const stale = path.join(ROOT, 'dist', `stale-${process.pid}.js`)
    expect(watched.filter(f => !existsSync(f)), 'dist/ is built before the test (npm test builds first)').toEqual([])
    writeFileSync(stale, '')
    const script = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { build: string } }).scripts.build
    const child = spawn('sh', ['-c', script], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules', '.bin')}:${path.dirname(NODE)}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let output = ''
    child.stdout.on('data', (d: Buffer) => { output += d.toString() })
    child.stderr.on('data', (d: Buffer) => { output += d.toString() })
    const code = new Promise<number | null>((resolve) => { child.on('exit', (c) => { resolve(c) }) })
    const missing = new Set<string>()
    let checks = 0
    while (child.exitCode === null && child.signalCode === null) {
      for (const f of watched) if (!existsSync(f)) missing.add(path.relative(ROOT, f))
      checks++
      await new Promise(resolve => setTimeout(resolve, 1))
    }
    expect(await code, output).toBe(0)
    expect(checks, 'the build ran long enough to be watched').toBeGreaterThan(100)
    expect([...missing], 'files of dist/ missing while the build ran').toEqual([])
    expect(existsSync(stale)).toBe(false)
    expect(readdirSync(ROOT).filter(f => f.startsWith('.dist-build-')), 'staging folders left').toEqual([])
  }, 120_000)
})
