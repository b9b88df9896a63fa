/**
 * `murmur docs` with any doc name or key the store takes. "." and ".." are such names (a client of the
 * HTTP API or the library can create them), but a URL's dot segments were resolved before sending:
 * `docs get ..` asked for GET / (404 no route) and `docs put . k 1` for PUT /docs/kv/k, so `docs ls` listed
 * a doc the CLI could not read. An empty name or key is the operator's mistake: a usage error, not the
 * agent's "no route".
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanup, spawnPeer } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { murmur } from './helpers.js'

describe('murmur docs: every name and key reaches the agent as typed', () => {
  let agent: PeerProcess
  beforeAll(async () => { agent = await spawnPeer({ args: ['--profile', 'local'] }) }, 30_000)
  afterAll(cleanup)
  const at = (): string[] => ['--http-addr', agent.http]

  test.each([['..', 'k'], ['.', 'k'], ['d', '..'], ['d', '.'], ['a.b', '...'], ['%2E%2E', '%2e']])('put then get doc %j key %j', async (name, key) => {
    const put = await murmur(['docs', 'put', name, key, '"v"', ...at()])
    expect(put.status, put.stderr).toBe(0)
    const got = await murmur(['docs', 'get', name, key, ...at()])
    expect(got, got.stderr).toEqual({ status: 0, stdout: '"v"\n', stderr: '' })
    const doc = await murmur(['docs', 'get', name, ...at()])
    expect(doc.status, doc.stderr).toBe(0)
    expect(JSON.parse(doc.stdout)).toMatchObject({ name, content: { kv: { [key]: 'v' } } })
  }, 30_000)

  test('every name docs ls lists, docs get reads', async () => {
    const ls = await murmur(['docs', 'ls', '--json', ...at()])
    const names = (JSON.parse(ls.stdout) as Array<{ name: string }>).map(d => d.name)
    expect(names).toEqual(expect.arrayContaining(['..', '.', 'd', 'a.b', '%2E%2E']))
    for (const name of names) expect((await murmur(['docs', 'get', name, ...at()])).status, name).toBe(0)
  }, 30_000)

  test.each([[['get', '']], [['get', 'd', '']], [['put', '', 'k', '1']], [['put', 'd', '', '1']]])('an empty name or key (docs %j) is a usage error, exit 2', async (args) => {
    const r = await murmur(['docs', ...args, ...at()])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/^murmur: docs: .*empty/)
  })
})
