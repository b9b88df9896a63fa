/**
 * `--listen` addresses that cannot all be bound (one port twice on one host, or under the family's
 * wildcard): refused before anything starts, in one line naming both, where libp2p's bare EADDRINUSE read
 * as if another program held the port.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { parseArgs } from '../../src/cli/args.js'
import { NODE, PEER_JS, ROOT, cleanup, tempDir } from '../helpers/procs.js'

const listen = (...addrs: string[]): string[] => addrs.flatMap(a => ['--listen', a])

describe('parseArgs: --listen addresses that clash', () => {
  test.each([
    [['/ip4/0.0.0.0/tcp/4001', '/ip4/127.0.0.1/tcp/4001'], /^--listen \/ip4\/0\.0\.0\.0\/tcp\/4001 and \/ip4\/127\.0\.0\.1\/tcp\/4001 clash \(0\.0\.0\.0 takes port 4001 on every IPv4 address, 127\.0\.0\.1 included\): keep one, or give them different ports$/],
    [['/ip4/10.0.0.5/tcp/4001', '/ip4/127.0.0.1/tcp/4002', '/ip4/0.0.0.0/tcp/4001'], /^--listen \/ip4\/10\.0\.0\.5\/tcp\/4001 and \/ip4\/0\.0\.0\.0\/tcp\/4001 clash/],
    [['/ip6/::1/tcp/4001', '/ip6/0:0::0/tcp/4001'], /^--listen \/ip6\/::1\/tcp\/4001 and \/ip6\/::\/tcp\/4001 clash \(:: takes port 4001 on every IPv6 address, ::1 included\)/],
    [['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'], /clash \(both take port 4001 on 127\.0\.0\.1\)/]
  ])('%j is refused, naming both', (addrs, message) => {
    expect(parseArgs(listen(...addrs))).toEqual({ kind: 'error', message: expect.stringMatching(message) as unknown })
  })

  test('addresses that can all be bound are taken: other ports, other hosts, port 0, IPv4 beside IPv6 (libp2p binds IPv6 only)', () => {
    for (const addrs of [
      ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002'],
      ['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.2/tcp/4001'],
      ['/ip4/0.0.0.0/tcp/0', '/ip4/127.0.0.1/tcp/0'],
      ['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/4001'],
      ['/ip6/::/tcp/4001', '/ip4/127.0.0.1/tcp/4001'],
      ['/dns4/localhost/tcp/4001', '/ip4/127.0.0.2/tcp/4001']
    ]) {
      expect(parseArgs(listen(...addrs)), addrs.join(' ')).toMatchObject({ kind: 'run', options: { listen: addrs.map(a => a.replace('0:0::0', '::')) } })
    }
  })

  test('from a config file, the message says so', () => {
    const file = path.join(tempDir(), 'murmur.json')
    writeFileSync(file, JSON.stringify({ listen: ['/ip4/0.0.0.0/tcp/4001', '/ip4/127.0.0.1/tcp/4001'] }))
    const r = parseArgs(['--config', file], {}, { readFile: (f: string) => readFileSync(f, 'utf8') })
    expect(r).toMatchObject({ kind: 'error', message: expect.stringContaining(file) as unknown })
  })
})

describe('the peer process', () => {
  afterAll(cleanup)

  test('exits non-zero with one line naming both addresses, before it creates an identity or opens the store', () => {
    const dataDir = tempDir()
    const r = spawnSync(NODE, [PEER_JS, ...listen('/ip4/0.0.0.0/tcp/4731', '/ip4/127.0.0.1/tcp/4731'), '--data-dir', dataDir, '--no-http'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })
    expect(r.status).not.toBe(0)
    expect(r.status).not.toBeNull()
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/\/ip4\/0\.0\.0\.0\/tcp\/4731 and \/ip4\/127\.0\.0\.1\/tcp\/4731 clash \(0\.0\.0\.0 takes port 4731/) as unknown])
    expect(existsSync(path.join(dataDir, 'peer.key'))).toBe(false)
  })
})
