/**
 * createPeer as a library user calls it: options it cannot use are a ConfigError naming the option, thrown
 * before anything opens, and a start-up that fails after the transport listens closes what it opened, so
 * the program still exits by itself. Real libp2p, in-process peers, and a child Node running dist/.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo, Server } from 'node:net'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { ConfigError, createPeer } from '../src/index.js'
import type { PeerOptions } from '../src/index.js'
import { NODE, ROOT, cleanup, tempDir, waitFor } from './helpers/procs.js'

const LISTEN = ['/ip4/127.0.0.1/tcp/0']
/** `n` distinct ports nothing listens on (each bound, then released). */
async function closedPorts (n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<Server>((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { resolve(s) }) })))
  const ports = servers.map(s => (s.address() as AddressInfo).port)
  await Promise.all(servers.map(s => new Promise<void>((resolve) => { s.close(() => { resolve() }) })))
  return ports
}

/** What a JavaScript caller (no type checking) may pass. */
const loose = (o: Record<string, unknown>): PeerOptions => o as PeerOptions

describe('createPeer options', () => {
  afterAll(cleanup)

  test.each([
    ['listen', { listen: ['garbage'] }, /^listen "garbage": not a valid multiaddr/],
    ['listen /udp', { listen: ['/ip4/127.0.0.1/udp/0'] }, /^listen "\/ip4\/127.0.0.1\/udp\/0": needs a TCP address/],
    ['bootstrap', { bootstrap: ['not-a-multiaddr'] }, /^bootstrap "not-a-multiaddr": not a valid multiaddr/],
    ['bootstrap /ws', { bootstrap: ['/ip4/127.0.0.1/tcp/4001/ws'] }, /^bootstrap ".*": has \/ws after the TCP port/],
    ['bootstrap bad /p2p', { bootstrap: ['/ip4/127.0.0.1/tcp/4001/p2p/xyz'] }, /^bootstrap ".*": \/p2p\/"xyz" is not a peer id/],
    ['advertise', { advertise: ['nope'] }, /^advertise "nope": not a valid multiaddr/],
    ['allowPeers', { allowPeers: ['nope'] }, /^allowPeers "nope": not a peer id/],
    ['profile', loose({ profile: 'wan' }), /^profile must be "lan" or "local", got "wan"/],
    ['mdns cluster', { mdns: { cluster: 'Blue Team' } }, /^mdns\.cluster "Blue Team": a cluster name is 1–55 lowercase letters/],
    ['tags', loose({ tags: { role: 5 } }), /^tags\.role must be a string, got number/],
    // A newline or an escape in the peer's own name or tags was gossiped as it was (the CLI refuses them now).
    ['tags control character', { tags: { role: 'db\nweb' } }, /^tags\.role holds a control character \(\\u000a\)/],
    ['tag key control character', { tags: { 'r\u001bole': 'db' } }, /^tags key "r\\u001bole" holds a control character \(\\u001b\)/],
    ['name control character', { name: 'web\r1' }, /^name "web\\r1" holds a control character \(\\u000d\)/],
    ['dataDir ~', { dataDir: '~/murmur-data' }, /^dataDir "~\/murmur-data": ~ is not expanded here; write the full path/],
    // The value was quoted twice: got "\"/ip4/127.0.0.1/tcp/0\"".
    ['dataDir empty', { dataDir: '' }, /^dataDir must be a non-empty path, got ""$/],
    ['listen not a list', loose({ listen: '/ip4/127.0.0.1/tcp/0' }), /^listen must be an array of multiaddr strings, got "\/ip4\/127\.0\.0\.1\/tcp\/0"$/],
    ['bootstrap not strings', loose({ bootstrap: [4001] }), /^bootstrap must be an array of multiaddr strings, got \[4001\]$/]
  ])('%s: a ConfigError naming the option, before anything opens', async (_, options, message) => {
    const err: unknown = await createPeer({ listen: LISTEN, ...options }).then(async (p) => { await p.stop(); return 'started' }, (e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toMatch(message)
  })

  test('psk given a key file\'s path (what --psk and the config file take) is a ConfigError saying it takes the contents', async () => {
    const file = path.join(tempDir('murmur-psk-'), 'swarm.key')
    writeFileSync(file, `/key/swarm/psk/1.0.0/\n/base16/\n${'ab'.repeat(32)}\n`, { mode: 0o600 })
    await expect(createPeer({ listen: LISTEN, psk: file })).rejects.toThrow(/^psk ".*swarm\.key" is a file's path: psk takes the key itself, the file's contents/)
    const peer = await createPeer({ listen: LISTEN, psk: readFileSync(file, 'utf8') })
    await peer.stop()
  })

  // At most 64 join requests wait for an answer at once (docs/LIMITS.md row 35): the addresses past them
  // were never asked, and were reported "no answer within 5 s", as if they had been and had kept silent.
  test('join: addresses past the cap on requests waiting at once are reported not tried, not as silent', async () => {
    const ports = await closedPorts(70)
    const peer = await createPeer({ listen: LISTEN, profile: 'local' })
    try {
      const out = await peer.join(ports.map(p => `/ip4/127.0.0.1/tcp/${p}`))
      expect(out.contacted).toBe(0)
      expect(out.failed).toHaveLength(70)
      const reasons = new Map<string, number>()
      for (const f of out.failed) reasons.set(f.reason, (reasons.get(f.reason) ?? 0) + 1)
      expect(Object.fromEntries(reasons)).toEqual({
        'connection refused (nothing listening there: peer stopped?)': 64,
        'not tried: 64 requests were already waiting for answers (ask fewer addresses at once)': 6
      })
      // The ones not tried are the last given, each named.
      expect(out.failed.filter(f => f.reason.startsWith('not tried')).map(f => f.addr)).toEqual(ports.slice(64).map(p => `/ip4/127.0.0.1/tcp/${p}`))
    } finally {
      await peer.stop()
    }
  }, 30_000)

  // `murmur join A A` (or a list with a repeat) answered "joined: 2 peer(s) answered" for one peer, and
  // listed a dead address twice: each address counted once per time it was given.
  test('join: an address given twice is asked and counted once', async () => {
    const [closed] = await closedPorts(1)
    const a = await createPeer({ listen: LISTEN, profile: 'local' })
    const b = await createPeer({ listen: LISTEN, profile: 'local' })
    try {
      const bAddr = b.addresses()[0] as string
      const bare = bAddr.replace(/\/p2p\/.*$/, '')
      expect(await a.join([bAddr, bAddr])).toEqual({ contacted: 1, self: 0, failed: [] })
      expect(await a.join([bare, bare])).toEqual({ contacted: 1, self: 0, failed: [] })
      const dead = `/ip4/127.0.0.1/tcp/${closed as number}`
      const out = await a.join([dead, dead])
      expect(out.failed.map(f => f.addr)).toEqual([dead])
    } finally {
      await b.stop()
      await a.stop()
    }
  }, 30_000)

  test('join: an address that is no multiaddr, or one no transport here can dial, is a ConfigError and nothing is dialled', async () => {
    const peer = await createPeer({ listen: LISTEN, profile: 'local' })
    try {
      await expect(peer.join(['garbage'])).rejects.toThrow(ConfigError)
      await expect(peer.join(['garbage'])).rejects.toThrow(/^join "garbage": not a valid multiaddr/)
      const started = performance.now()
      await expect(peer.join(['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/4001/ws'])).rejects.toThrow(/^join ".*\/ws": has \/ws after the TCP port/)
      expect(performance.now() - started).toBeLessThan(500) // refused before dialling, not after a join timeout
    } finally {
      await peer.stop()
    }
  })

  test('setTags: 32 of the user\'s own on a peer serving HTTP is a ConfigError naming murmur.http, and the tags stay', async () => {
    // Before: the peer added murmur.http as the 33rd and the codec refused "meta.tags: 33 entries exceeds 32".
    const a = await createPeer({ listen: LISTEN, profile: 'local' })
    try {
      a.advertiseHttp('http://127.0.0.1:8080')
      const tags = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))
      expect(() => { a.setTags(tags(32)) }).toThrow(new ConfigError('tags: at most 31 tags, got 32 (a member has 32, and murmur.http, the peer\'s HTTP API address, which it adds itself, is the last)'))
      a.setTags(tags(31))
      const own = a.members().find(m => m.peerId === a.id)?.tags ?? {}
      expect(Object.keys(own)).toHaveLength(32)
      expect(own['murmur.http']).toBe('http://127.0.0.1:8080')
    } finally {
      await a.stop()
    }
  })

  test('setAllowedPeers: an entry that is no peer id is a ConfigError, and the allowlist stays as it was', async () => {
    const a = await createPeer({ listen: LISTEN, profile: 'local' })
    const b = await createPeer({ listen: LISTEN, profile: 'local', bootstrap: a.addresses() })
    try {
      await waitFor('b alive on a', () => a.members().some(m => m.peerId === b.id && m.state === 'alive'), 10_000)
      expect(() => { a.setAllowedPeers([b.id, 'nope']) }).toThrow(/^setAllowedPeers "nope": not a peer id/)
      expect(() => { a.setAllowedPeers([b.id, 'nope']) }).toThrow(ConfigError)
      a.setAllowedPeers([b.id])
      await b.write('d', d => { d.getMap('kv').set('k', 1) })
      await waitFor('b\'s write on a', () => a.read('d', d => d.getMap('kv').get('k')), 10_000)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  test('a start-up that fails once the transport listens (a bad replication setting) closes it: the process exits by itself', () => {
    const script = [
      `import { createPeer } from ${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))}`,
      "const err = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], replication: { replicas: 0 } }).catch(e => e)",
      'console.log(err.name)'
    ].join('\n')
    const run = spawnSync(NODE, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 })
    expect(run.signal, 'still running 10 s after createPeer failed').toBeNull()
    expect(run.stdout.trim()).toBe('ConfigError')
    expect(run.status).toBe(0)
  })

  // libp2p's address manager debounces its address updates by 1 s and, having no stop(), left the timer
  // that closing the listeners starts: every program whose peer had stopped waited a second more to exit.
  test('a program whose peer has stopped exits at once, not a second later', () => {
    const dir = tempDir('exit-after-stop')
    const script = [
      `import { createPeer } from ${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))}`,
      `const peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], dataDir: ${JSON.stringify(dir)}, mdns: false })`,
      'await peer.stop()',
      'const stoppedAt = performance.now()',
      "process.on('exit', () => { console.log(Math.round(performance.now() - stoppedAt)) })"
    ].join('\n')
    const run = spawnSync(NODE, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 })
    expect(run.signal, 'still running 20 s after stop()').toBeNull()
    expect(run.status, run.stderr).toBe(0)
    expect(Number(run.stdout.trim()), 'ms from stop() resolving to the exit').toBeLessThan(500)
  })
})
