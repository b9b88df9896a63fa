/**
 * The package's exports map as Node resolves it for a consumer, without packing: the checkout linked as
 * node_modules/murmur of an empty folder. `import` works on every entry; so does `require`, which Node 22
 * (the version murmur needs) serves from the same ES module — a CommonJS program or a TypeScript project
 * compiled to CommonJS got "No exports main defined" before.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { NODE, ROOT, cleanup, tempDir } from '../helpers/procs.js'

describe('package exports', () => {
  afterAll(cleanup)
  const app = tempDir('murmur-exports-')
  mkdirSync(path.join(app, 'node_modules'))
  symlinkSync(ROOT, path.join(app, 'node_modules', 'murmur'))
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }))

  const run = (file: string, code: string): { status: number | null, out: string } => {
    writeFileSync(path.join(app, file), code)
    const r = spawnSync(NODE, [file], { cwd: app, encoding: 'utf8', timeout: 20_000 })
    return { status: r.status, out: `${r.stdout}${r.stderr}` }
  }

  test('import: murmur, murmur/cli, murmur/package.json', () => {
    const r = run('check.mjs', [
      "import { createPeer } from 'murmur'",
      "import { runPeerCli } from 'murmur/cli'",
      "import pkg from 'murmur/package.json' with { type: 'json' }",
      'console.log(typeof createPeer, typeof runPeerCli, pkg.name)'
    ].join('\n'))
    expect(r).toEqual({ status: 0, out: 'function function murmur\n' })
  })

  test('require: murmur and murmur/cli load the same ES modules (Node 22 require(esm))', () => {
    const r = run('check.cjs', [
      "const { createPeer, ConfigError } = require('murmur')",
      "const { runPeerCli } = require('murmur/cli')",
      "console.log(typeof createPeer, typeof runPeerCli, new ConfigError('x') instanceof Error)"
    ].join('\n'))
    expect(r.out).toBe('function function true\n')
    expect(r.status).toBe(0)
  })
})

describe('error classes', () => {
  test('every error class the public API\'s doc comments name is exported from murmur, as the class thrown', async () => {
    const murmur: Record<string, unknown> = await import('../../src/index.js')
    const named = new Set(['src/api.ts', 'src/peer-node.ts'].flatMap(f => [...readFileSync(path.join(ROOT, f), 'utf8').matchAll(/\b([A-Z][A-Za-z]+Error)\b/g)].map(m => m[1] as string)))
    // JavaScript's own (a RangeError for a bad option) are no classes of murmur's to export.
    const builtin = (n: string): boolean => typeof (globalThis as Record<string, unknown>)[n] === 'function'
    const missing = [...named].filter(n => !builtin(n) && typeof murmur[n] !== 'function')
    expect(missing).toEqual([])
    const { createPeer, InvalidDocNameError, DocNotFoundError } = await import('../../src/index.js')
    const peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'] })
    try {
      await expect(peer.write('', () => {})).rejects.toBeInstanceOf(InvalidDocNameError)
      await expect(peer.delete('nobody-has-this')).rejects.toBeInstanceOf(DocNotFoundError)
    } finally {
      await peer.stop()
    }
  })
})
