/**
 * How `murmur` finds a local agent through the http-addr file of its data dir (src/cli/client.ts), when
 * that file is missing or unreadable.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { murmur } from './helpers.js'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

function dataDir (): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'murmur-addr-file-'))
  dirs.push(dir)
  return dir
}

describe('the http-addr file', () => {
  test('missing: says it does not exist', async () => {
    const dir = dataDir()
    const r = await murmur(['members', '--data-dir', dir])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`murmur: no agent address: pass --http-addr <host:port> or set MURMUR_HTTP_ADDR (a local agent records it in ${path.join(dir, 'http-addr')}, which does not exist)\n`)
  })

  test('there but unreadable: says so and why, not that it does not exist', async () => {
    const dir = dataDir()
    mkdirSync(path.join(dir, 'http-addr'))
    const r = await murmur(['members', '--data-dir', dir])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/http-addr, which cannot be read \(EISDIR\)\)\n$/)
  })
})
