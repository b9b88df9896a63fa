/**
 * The entry points' Node check (src/node-guard.ts) on an older Node: one line, exit 1, and a hint that fits
 * where the entry point runs from — the checkout's own Node after `npm install`, or, for an installed package
 * (`npx murmur-peer`), which has no node_modules/.bin/node of its own, to install a Node 22.
 */
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { oldNodeProblem } from '../src/node-guard.js'
import { ROOT, cleanup, tempDir } from './helpers/procs.js'

const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find(p => existsSync(p) && Number(spawnSync(p, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout) < 22)

describe('Node version guard', () => {
  afterAll(cleanup)

  test('the line: nothing on Node 22+, the own Node when there is one, else how to get one', () => {
    expect(oldNodeProblem('v22.18.0', undefined, 'x')).toBeUndefined()
    expect(oldNodeProblem('v20.20.2', '/repo/node_modules/.bin/node', 'dist/peer.js')).toBe('murmur: Node v20.20.2 is too old; murmur needs Node 22 or newer (npm install put one in this checkout: /repo/node_modules/.bin/node dist/peer.js; npm start and npm test use it)')
    expect(oldNodeProblem('v20.20.2', undefined, '/usr/lib/node_modules/murmur/dist/peer.js')).toBe('murmur: Node v20.20.2 is too old; murmur needs Node 22 or newer (https://nodejs.org, or: nvm install 22)')
  })

  test.skipIf(OLD_NODE === undefined).each(['peer.js', 'murmur.js'])('dist/%s on an older Node, in the checkout and installed as a package: one line naming a Node that exists', (entry) => {
    const run = (script: string): { status: number | null, lines: string[] } => {
      const r = spawnSync(OLD_NODE as string, [script, '--help'], { encoding: 'utf8', timeout: 20_000 })
      return { status: r.status, lines: r.stderr.trim().split('\n') }
    }
    const inCheckout = run(path.join(ROOT, 'dist', entry))
    expect(inCheckout.status).toBe(1)
    expect(inCheckout.lines).toEqual([expect.stringContaining(`npm install put one in this checkout: ${path.join(ROOT, 'node_modules', '.bin', 'node')}`)])
    // An installed package: the bundle in node_modules/murmur/dist, its one external dependency beside it,
    // and no node_modules/.bin/node.
    const modules = path.join(tempDir('murmur-guard-'), 'node_modules')
    const dist = path.join(modules, 'murmur', 'dist')
    mkdirSync(dist, { recursive: true })
    symlinkSync(path.join(ROOT, 'node_modules', 'classic-level'), path.join(modules, 'classic-level'))
    writeFileSync(path.join(dist, '..', 'package.json'), JSON.stringify({ name: 'murmur', type: 'module' }))
    copyFileSync(path.join(ROOT, 'dist', entry), path.join(dist, entry))
    const installed = run(path.join(dist, entry))
    expect(installed.status).toBe(1)
    expect(installed.lines).toHaveLength(1)
    expect(installed.lines[0]).toMatch(/too old; murmur needs Node 22 or newer \(https:\/\/nodejs\.org, or: nvm install 22\)$/)
    expect(installed.lines[0]).not.toContain('node_modules/.bin')
  })
})
