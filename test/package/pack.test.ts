/**
 * The package as a user gets it: `npm pack` (dist is built by npm test's pretest), installed from the
 * tarball into an empty folder, then `import { createPeer } from 'murmur'` run on Node and type-checked
 * with TypeScript, and the `murmur` bin run. Catches what a checkout hides: files missing from "files",
 * an exports map that does not resolve, types that point nowhere, a library that logs by default.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { NODE, ROOT, cleanup, tempDir } from '../helpers/procs.js'

const NPM_TIMEOUT_MS = 120_000
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string, version: string, private?: boolean, license: string }

/** npm as the user has it (it runs on any Node; what it installs runs on the project's). */
function npm (args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', timeout: NPM_TIMEOUT_MS, env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } })
}

describe('npm package', () => {
  afterAll(cleanup)

  test('packs, installs into an empty folder, and `import { createPeer } from "murmur"` works and type-checks', () => {
    expect(pkg.private).toBeUndefined()
    const dir = tempDir('murmur-pack-')
    // dist is fresh (pretest built it); --ignore-scripts skips `prepare`, which would rebuild it.
    const tarball = path.join(dir, npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], ROOT).trim().split('\n').at(-1) as string)
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n')
    for (const f of ['package/LICENSE', 'package/README.md', 'package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/cli/index.js', 'package/dist/murmur.js', 'package/dist/peer.js']) {
      expect(files, f).toContain(f)
    }
    expect(files.filter(f => f.startsWith('package/test/') || f.startsWith('package/node_modules/'))).toEqual([])

    const app = path.join(dir, 'app')
    mkdirSync(app)
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
    npm(['install', tarball, '--prefer-offline', '--no-package-lock'], app)

    writeFileSync(path.join(app, 'check.mjs'), [
      "import { createPeer } from 'murmur'",
      "import { parseArgs } from 'murmur/cli'",
      "const peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'] })",
      "const version = await peer.write('d', d => { d.getMap('kv').set('a', 1) })",
      "console.log(JSON.stringify({ id: peer.id, entries: Object.keys(version).length, cli: parseArgs([]).kind }))",
      'await peer.stop()'
    ].join('\n'))
    const run = spawnSync(NODE, ['check.mjs'], { cwd: app, encoding: 'utf8', timeout: 30_000 })
    expect(run.status, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({ id: expect.stringMatching(/^12D3KooW/), entries: 1, cli: 'run' })
    expect(run.stderr).toBe('') // a library is silent unless asked (DEBUG=murmur)

    writeFileSync(path.join(app, 'check.ts'), [
      "import { createPeer } from 'murmur'",
      "import type { Peer, PeerOptions } from 'murmur'",
      "import { runPeerCli } from 'murmur/cli'",
      "const options: PeerOptions = { listen: ['/ip4/127.0.0.1/tcp/0'], tags: { role: 'db' } }",
      'export const started: Promise<Peer> = createPeer(options)',
      'export const run: typeof runPeerCli = runPeerCli'
    ].join('\n'))
    const tsc = spawnSync(NODE, [path.join(ROOT, 'node_modules', '.bin', 'tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2023',
      '--skipLibCheck', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), '--types', 'node', 'check.ts'], { cwd: app, encoding: 'utf8', timeout: 60_000 })
    expect(tsc.status, `${tsc.stdout}${tsc.stderr}`).toBe(0)

    const bin = spawnSync(NODE, [path.join(app, 'node_modules', '.bin', 'murmur'), '--version'], { cwd: app, encoding: 'utf8', timeout: 20_000 })
    expect(bin.stdout.trim()).toBe(`murmur ${pkg.version}`)
  }, NPM_TIMEOUT_MS * 2)

  test('`npm pack --json` prints JSON alone: the build its `prepare` runs reports on stderr', () => {
    // The real `prepare` (a build of dist/, published atomically: tests running meanwhile see the old or the new).
    const out = npm(['pack', '--json', '--dry-run'], ROOT)
    const listed = JSON.parse(out) as Array<{ name: string, files: Array<{ path: string }> }>
    expect(listed[0]?.name).toBe(pkg.name)
    expect(listed[0]?.files.map(f => f.path)).toContain('dist/peer.js')
  }, NPM_TIMEOUT_MS)
})
