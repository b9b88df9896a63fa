/**
 * The page's own modules type-check as the app README says (`npx tsc -p examples/chat-counter/public`),
 * also after `npm run build` put the esbuild bundle of the notes pad (public/notes.js) beside them: the
 * bundle is not the page's source (web/notes.ts is, checked with the tests) and used to fail the check
 * with thousands of errors.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { expect, test } from 'vitest'
import { NODE, ROOT } from '../helpers/procs.js'

test('npx tsc -p examples/chat-counter/public passes with the built notes.js present', () => {
  expect(existsSync(path.join(ROOT, 'examples/chat-counter/public/notes.js')), 'run npm run build first').toBe(true)
  const tsc = path.join(ROOT, 'node_modules', '.bin', 'tsc')
  const r = spawnSync(NODE, [tsc, '-p', 'examples/chat-counter/public'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  expect(r.status, `${r.stdout.slice(0, 2000)}${r.stderr.slice(0, 2000)}`).toBe(0)
}, 70_000)
