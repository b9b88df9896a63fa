/**
 * How `murmur` finds a local agent through the http-addr file of its data dir (src/cli/client.ts), when
 * that file is missing or unreadable.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
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
  // The shell leaves ~ alone after `--data-dir=` and in a variable: murmur looked in a directory named ~ and
  // said only that ~/…/http-addr does not exist (exit 1), where the agent refuses such a path (exit 2).
  test('a --data-dir, MURMUR_DATA_DIR or token file that starts with ~ is a usage error naming it', async () => {
    const flag = await murmur(['members', '--data-dir=~/murmur'])
    expect(flag).toMatchObject({ status: 2, stderr: 'murmur: --data-dir "~/murmur": ~ is not expanded here; write the full path\n' })
    const env = await murmur(['members'], undefined, { MURMUR_DATA_DIR: '~/murmur' })
    expect(env).toMatchObject({ status: 2, stderr: 'murmur: MURMUR_DATA_DIR "~/murmur": ~ is not expanded here; write the full path\n' })
    const token = await murmur(['members', '--http-addr', '127.0.0.1:1', '--http-token-file=~/token'])
    expect(token).toMatchObject({ status: 2, stderr: 'murmur: --http-token-file "~/token": ~ is not expanded here; write the full path\n' })
  })

  test('missing: says it does not exist', async () => {
    const dir = dataDir()
    const r = await murmur(['members', '--data-dir', dir])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`murmur: no agent address: pass --http-addr <host:port> or set MURMUR_HTTP_ADDR (a local agent records it in ${path.join(dir, 'http-addr')}, which does not exist)\n`)
  })

  // README's example ran `murmur agent --data-dir ./a`, then `murmur members`, which looked in .murmur and
  // said only that .murmur/http-addr does not exist; `npm start`'s demo peers record theirs in .murmur/demo-N.
  test('missing from the default data dir: says how to point murmur at another, naming those found below it', async () => {
    const cwd = dataDir()
    const inCwd = async (): Promise<string> => {
      const before = process.cwd()
      process.chdir(cwd) // the default data dir is relative to it
      try { return (await murmur(['members'])).stderr } finally { process.chdir(before) }
    }
    expect(await inCwd()).toBe('murmur: no agent address: pass --http-addr <host:port> or set MURMUR_HTTP_ADDR (a local agent records it in .murmur/http-addr, which does not exist; an agent started with --data-dir <dir> records it there: give murmur the same --data-dir)\n')
    for (const demo of ['demo-2', 'demo-1', 'empty']) mkdirSync(path.join(cwd, '.murmur', demo), { recursive: true })
    for (const demo of ['demo-2', 'demo-1']) writeFileSync(path.join(cwd, '.murmur', demo, 'http-addr'), 'http://127.0.0.1:1\n')
    expect(await inCwd()).toBe('murmur: no agent address: pass --http-addr <host:port> or set MURMUR_HTTP_ADDR (a local agent records it in .murmur/http-addr, which does not exist; agents record it in .murmur/demo-1/http-addr, .murmur/demo-2/http-addr: pass --data-dir .murmur/demo-1)\n')
  })

  test('there but unreadable: says so and why, not that it does not exist', async () => {
    const dir = dataDir()
    mkdirSync(path.join(dir, 'http-addr'))
    const r = await murmur(['members', '--data-dir', dir])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/http-addr, which cannot be read \(EISDIR\)\)\n$/)
  })

  // An agent removes the file when it stops; one killed (kill -9, OOM) or crashed leaves it, and the
  // error was only "cannot reach the agent at http://127.0.0.1:34799: ECONNREFUSED", an address the
  // operator never gave.
  test('left behind, naming an agent that is gone: says where the address came from', async () => {
    const dir = dataDir()
    writeFileSync(path.join(dir, 'http-addr'), 'http://127.0.0.1:1\n')
    const r = await murmur(['members', '--data-dir', dir])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`murmur: cannot reach the agent at http://127.0.0.1:1: ECONNREFUSED (the address ${path.join(dir, 'http-addr')} records: is the agent running? One killed or crashed leaves that file behind)\n`)
    // Given by the operator, the address needs no such note.
    expect((await murmur(['members', '--http-addr', '127.0.0.1:1'])).stderr).toBe('murmur: cannot reach the agent at http://127.0.0.1:1: ECONNREFUSED\n')
  })
})

// The agent trims every MURMUR_ value (a ConfigMap or Secret made from a file ends in a newline); murmur did
// not, so `murmur ready` — the Kubernetes readiness probe — looked for "/data\n/http-addr" next to an agent
// that used /data, and MURMUR_HTTP_ADDR " 127.0.0.1:8080" was "expected host:port".
describe('MURMUR_ values murmur reads are trimmed as the agent trims them', () => {
  test('MURMUR_DATA_DIR, MURMUR_HTTP_ADDR and MURMUR_HTTP_TOKEN_FILE with surrounding whitespace', async () => {
    const dir = dataDir()
    writeFileSync(path.join(dir, 'http-addr'), 'http://127.0.0.1:1\n')
    const viaDir = await murmur(['members'], undefined, { MURMUR_DATA_DIR: `${dir}\n` })
    expect(viaDir.stderr).toMatch(/^murmur: cannot reach the agent at http:\/\/127\.0\.0\.1:1: ECONNREFUSED \(the address .*http-addr records/)
    const viaAddr = await murmur(['members'], undefined, { MURMUR_HTTP_ADDR: ' 127.0.0.1:1\n' })
    expect(viaAddr.stderr).toMatch(/^murmur: cannot reach the agent at http:\/\/127\.0\.0\.1:1: ECONNREFUSED\n$/)
    const tokenFile = path.join(dir, 'token')
    writeFileSync(tokenFile, 'a-long-enough-test-token\n', { mode: 0o600 })
    const viaToken = await murmur(['members', '--http-addr', '127.0.0.1:1'], undefined, { MURMUR_HTTP_TOKEN_FILE: `${tokenFile}\n` })
    expect(viaToken.stderr).toMatch(/^murmur: cannot reach the agent at http:\/\/127\.0\.0\.1:1: ECONNREFUSED\n$/)
  })
})
