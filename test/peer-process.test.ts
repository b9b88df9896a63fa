/**
 * Real peer processes on 127.0.0.1 (issue: real peers): membership over libp2p end to end, through the
 * CLI and the HTTP API only. Every wait is bounded. Peers use `--profile local` to keep the suite short;
 * the lan profile is measured by `npm run bench -- detection`.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanup, http, members, spawnPeer, stopPeer, tempDir, waitFor, waitForStates } from './helpers/procs.js'
import type { PeerProcess } from './helpers/procs.js'

const LOCAL = ['--profile', 'local']
/** Local profile at N = 5: detection ≈ a probe period + a 3–18 s suspicion (shrinking with confirmations). */
const DETECT_MS = 25_000

describe('five peer processes', () => {
  const peers: PeerProcess[] = []
  const ids = (): string[] => peers.map(p => p.id)

  beforeAll(async () => {
    const seed = await spawnPeer({ args: LOCAL })
    peers.push(seed)
    peers.push(...await Promise.all([1, 2, 3, 4].map(() => spawnPeer({ args: LOCAL, bootstrap: [seed.addrs[0] as string] }))))
  }, 60_000)
  afterAll(cleanup)

  test('join through one bootstrap: 5 alive on every /members', async () => {
    const took = await waitForStates(peers, ids(), 'alive', 15_000)
    console.log(`5 peers alive everywhere ${took} ms after start`)
    const ready = await http<{ ready: boolean, peerId: string, alive: number }>(peers[3]!.http, 'GET', '/ready')
    expect(ready.body).toEqual({ ready: true, peerId: peers[3]!.id, alive: 5 })
    const m = (await members(peers[2]!)).find(x => x.peerId === peers[0]!.id)
    expect(m?.addrs[0]).toContain(`/p2p/${peers[0]!.id}`)
  })

  test('SIGKILL one: dead on all others', async () => {
    const victim = peers.splice(4, 1)[0]!
    victim.proc.kill('SIGKILL')
    const took = await waitForStates(peers, [victim.id], 'dead', DETECT_MS)
    console.log(`SIGKILL → dead on all: ${took} ms`)
    // Nobody alive was declared dead on the way.
    expect((await members(peers[0]!)).filter(m => m.state !== 'alive').map(m => m.peerId)).toEqual([victim.id])
  })

  test('SIGTERM one: left on all others, and it exits 0 within 3 s', async () => {
    const leaver = peers.splice(3, 1)[0]!
    const t0 = Date.now()
    const exit = await stopPeer(leaver, 'SIGTERM')
    const exitMs = Date.now() - t0
    expect(exit.code).toBe(0)
    expect(exitMs).toBeLessThan(3_000)
    const took = await waitForStates(peers, [leaver.id], 'left', 10_000)
    console.log(`SIGTERM → exit in ${exitMs} ms, left on all in ${took} ms`)
    peers.push(leaver) // keep it around (stopped) for the restart test
  })

  test('restart with the same data dir: same peer id, alive everywhere with a higher incarnation', async () => {
    const old = peers.pop()!
    const restarted = await spawnPeer({ dataDir: old.dataDir, args: LOCAL, bootstrap: [peers[0]!.addrs[0] as string] })
    expect(restarted.id).toBe(old.id)
    peers.push(restarted)
    await waitForStates(peers, ids(), 'alive', 15_000)
    const seen = (await members(peers[0]!)).find(m => m.peerId === restarted.id)
    expect(seen?.incarnation).toBeGreaterThan(0)
  })

  test('/admin/partition into 2 + 3: each side sees the other dead; heal: all alive with nothing restarted', async () => {
    // Bring the group back to five (the SIGKILLed one stays dead; a fresh peer takes its place).
    peers.push(await spawnPeer({ args: LOCAL, bootstrap: [peers[0]!.addrs[0] as string] }))
    await waitForStates(peers, ids(), 'alive', 15_000)
    const a = peers.slice(0, 2)
    const b = peers.slice(2)
    for (const p of a) expect((await http(p.http, 'POST', '/admin/partition', { block: b.map(x => x.id) })).status).toBe(200)
    for (const p of b) expect((await http(p.http, 'POST', '/admin/partition', { block: a.map(x => x.id) })).status).toBe(200)
    const split = Date.now()
    await waitForStates(a, b.map(p => p.id), 'dead', DETECT_MS)
    await waitForStates(b, a.map(p => p.id), 'dead', DETECT_MS)
    console.log(`partition 2 | 3: both sides see the other dead after ${Date.now() - split} ms`)
    for (const p of peers) expect((await http(p.http, 'DELETE', '/admin/partition')).status).toBe(200)
    const healed = await waitForStates(peers, ids(), 'alive', 20_000)
    console.log(`heal → 5 alive everywhere in ${healed} ms`)
    for (const p of peers) expect(p.proc.exitCode).toBeNull()
  })
})

describe('private mesh (--psk)', () => {
  afterAll(cleanup)
  const key = (hex: string): string => {
    const file = path.join(tempDir(), 'swarm.key')
    writeFileSync(file, `/key/swarm/psk/1.0.0/\n/base16/\n${hex}\n`, { mode: 0o600 })
    return file
  }

  test('peers without the key or with another key are never admitted, and both sides say why', async () => {
    const k1 = key('a'.repeat(64))
    const k2 = key('b'.repeat(64))
    const seed = await spawnPeer({ args: [...LOCAL, '--psk', k1] })
    const friend = await spawnPeer({ args: [...LOCAL, '--psk', k1], bootstrap: [seed.addrs[0] as string] })
    const stranger = await spawnPeer({ args: [...LOCAL, '--psk', k2], bootstrap: [seed.addrs[0] as string] })
    const keyless = await spawnPeer({ args: LOCAL, bootstrap: [seed.addrs[0] as string] })
    await waitForStates([seed, friend], [seed.id, friend.id], 'alive', 15_000)
    // Give the outsiders time to try (they re-try their seed while alone).
    // (Not just /key/: every log names the peer.key file.) The keyed side logs once the inbound handshake
    // fails, which can come a little after the dialler gave up.
    const saysWhy = (p: PeerProcess, re: RegExp): boolean => p.log().split('\n').some(l => /WARN/.test(l) && re.test(l))
    await waitFor('the outsiders and the keyed seed to log why the connection failed',
      () => saysWhy(stranger, /pre-shared key/i) && saysWhy(keyless, /pre-shared key/i) && saysWhy(seed, /pre-shared key/i), 15_000)
    for (const p of [seed, friend]) {
      const ids = (await members(p)).map(m => m.peerId)
      expect(ids).not.toContain(stranger.id)
      expect(ids).not.toContain(keyless.id)
    }
    expect((await members(stranger)).map(m => m.peerId)).toEqual([stranger.id])
    expect((await members(keyless)).map(m => m.peerId)).toEqual([keyless.id])
    expect(seed.log()).toMatch(/pre-shared key/i)
    console.log('keyed side:', seed.log().split('\n').filter(l => /pre-shared key/i.test(l))[0])
    console.log('stranger side:', stranger.log().split('\n').filter(l => /WARN/.test(l) && /pre-shared key/i.test(l))[0])
    console.log('keyless side:', keyless.log().split('\n').filter(l => /WARN/.test(l) && /pre-shared key/i.test(l))[0])
  })
})
