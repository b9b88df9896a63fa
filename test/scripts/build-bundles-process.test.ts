/**
 * dist/peer.js and dist/murmur.js are one bundled file each (scripts/build-bundles.ts). What a module-per-file
 * build found by its own location must still be found from the bundle: the /mesh page and its script
 * (dist/web/mesh/), and the version in package.json. Real `dist/peer.js` processes.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { ROOT, cleanup, spawnPeer, stopPeer } from '../helpers/procs.js'

afterAll(cleanup)

describe('the bundled entry points', () => {
  test.each(['peer.js', 'murmur.js'])('dist/%s is one file: it imports no module of dist/ beside it', (file) => {
    const code = readFileSync(path.join(ROOT, 'dist', file), 'utf8')
    expect(code).not.toMatch(/import\(\s*["']\.\/cli\//)
    expect(code).not.toMatch(/from\s*["']\.\/[^"']+["']/)
  })

  test('serves the /mesh page with its built script, and reports package.json\'s version', async () => {
    const p = await spawnPeer()
    try {
      const page = await fetch(`${p.http}/mesh`)
      expect(page.status).toBe(200)
      expect(await page.text()).toMatch(/<script type="module" src="\/mesh\/mesh.js">/)
      const script = await fetch(`${p.http}/mesh/mesh.js`)
      expect(script.status).toBe(200)
      expect((await script.text()).length).toBeGreaterThan(1000)
      const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
      const metrics = await (await fetch(`${p.http}/metrics`)).text()
      expect(metrics).toContain(`version="${version}"`)
    } finally {
      await stopPeer(p)
    }
  })
})
