/**
 * `murmur join` to addresses that do not answer: one line per address saying why (the name did not
 * resolve, the connection was refused), and exit 1 — it printed only "joined: 0 peer(s) answered".
 */
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanup, spawnPeer } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { murmur } from './helpers.js'

/** A port nothing listens on (bound, then released). */
const closedPort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as AddressInfo
    s.close(() => { resolve(port) })
  })
})

describe('murmur join: why each address did not answer', () => {
  let agent: PeerProcess
  beforeAll(async () => {
    agent = await spawnPeer({ args: ['--profile', 'local'] })
  }, 30_000)
  afterAll(cleanup)

  test('a DNS name that does not resolve and a refused port: one line each, exit 1', async () => {
    const refused = `/ip4/127.0.0.1/tcp/${await closedPort()}`
    const unresolvable = '/dns4/no-such-host.invalid/tcp/4001'
    const r = await murmur(['join', unresolvable, refused, '--http-addr', agent.http])
    expect(r.status, r.stderr).toBe(1)
    const lines = r.stdout.split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[0]).toBe('joined: 0 peer(s) answered')
    // ENOTFOUND here; a resolver with no DNS server at all says EAI_AGAIN.
    expect(lines[1]).toMatch(new RegExp(`^not joined ${unresolvable}: the name no-such-host\\.invalid did not resolve \\((ENOTFOUND|EAI_AGAIN|EAI_FAIL)\\)$`))
    expect(lines[2]).toBe(`not joined ${refused}: connection refused (nothing listening there: peer stopped?)`)
    expect(lines[3]).toBe('')
  }, 30_000)
})
