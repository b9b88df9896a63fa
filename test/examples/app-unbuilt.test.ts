/**
 * The app run by hand on a checkout not built yet (the example's README: `npm run build` first; a newcomer
 * skips it). Before, the server's static import of dist/ failed before any of its lines ran, as an
 * ERR_MODULE_NOT_FOUND stack trace; now one line says to build, exit 1. The example is copied, without
 * dist/ beside it, into a temp checkout layout, so the real dist/ is never touched.
 */
import { spawnSync } from 'node:child_process'
import { cpSync } from 'node:fs'
import path from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { NODE, ROOT, cleanup, tempDir } from '../helpers/procs.js'

afterAll(cleanup)

test('node examples/chat-counter/server.ts without dist/: one line naming npm run build, exit 1', () => {
  const checkout = tempDir('murmur-unbuilt-')
  cpSync(path.join(ROOT, 'examples', 'chat-counter'), path.join(checkout, 'examples', 'chat-counter'), { recursive: true })
  const run = spawnSync(NODE, [path.join('examples', 'chat-counter', 'server.ts'), '--http', '0'], { cwd: checkout, encoding: 'utf8', timeout: 20_000 })
  expect(run.stderr).toMatch(/^chat-counter: dist\/ is not built .*npm run build/)
  expect(run.stderr.trim().split('\n')).toHaveLength(1)
  expect(run.status).toBe(1)
  expect(run.stdout).toBe('')
})
