/**
 * Private mesh at process level (issue: private mesh): the `--allow-peer` allowlist (alone and together
 * with `--psk`), and the HTTP API's exposure rules: loopback by default, a non-loopback `--http` refused
 * without `--http-token` (exit 2, one line), and with a token every route 401 without it.
 * The pre-shared-key-only cases are in test/peer-process.test.ts and test/net-psk.test.ts.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { connect } from 'node:net'
import os from 'node:os'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { generatePsk } from '../../src/net/index.js'
import { NODE, PEER_JS, ROOT, cleanup, http, members, spawnPeer, tempDir, waitFor, waitForStates } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'

const LOCAL = ['--profile', 'local']
const TOKEN = 'private-mesh-token-0123456789'

/** Metric samples `name{labels} value` → labels → value. */
async function metric (p: PeerProcess, name: string): Promise<Map<string, number>> {
  const text = String((await http(p.http, 'GET', '/metrics', undefined, p.token === undefined ? {} : { authorization: `Bearer ${p.token}` })).body)
  const out = new Map<string, number>()
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) out.set(m[1] ?? '', Number(m[2]))
  return out
}

const ids = async (p: PeerProcess): Promise<string[]> => (await members(p)).map(m => m.peerId)

describe('allowlist (--allow-peer)', () => {
  afterAll(cleanup)

  test('an allowed peer joins; one outside the list is refused and it is logged on both sides', async () => {
    const friend = await spawnPeer({ args: LOCAL })
    const hub = await spawnPeer({ args: [...LOCAL, '--allow-peer', friend.id], bootstrap: [friend.addrs[0] as string] })
    const stranger = await spawnPeer({ args: LOCAL, bootstrap: [hub.addrs[0] as string] })
    await waitForStates([hub, friend], [hub.id, friend.id], 'alive', 15_000)
    await waitFor('the hub to refuse the stranger and log it', () => new RegExp(`refused inbound connection: peer is not in allowPeers.*${stranger.id}`).test(hub.log()), 15_000)
    await waitFor('the stranger to log why it is alone', () => /may not accept us|closed the connection right after the handshake|no bootstrap peer answered/.test(stranger.log()), 15_000)
    expect(await ids(hub)).not.toContain(stranger.id)
    expect(await ids(stranger)).toEqual([stranger.id])
    expect((await metric(hub, 'murmur_rejected_connections_total')).get('{reason="unauthorized"}')).toBeGreaterThan(0)
    console.log('hub:', hub.log().split('\n').find(l => /not in allowPeers/.test(l)))
    console.log('stranger:', stranger.log().split('\n').find(l => /may not accept us|right after the handshake|no bootstrap peer answered/.test(l)))
  }, 60_000)

  test('with a pre-shared key: a key holder outside the allowlist is refused, a keyless peer fails the handshake', async () => {
    const keyFile = path.join(tempDir(), 'swarm.key')
    writeFileSync(keyFile, generatePsk(), { mode: 0o600 })
    const psk = ['--psk', keyFile]
    const friend = await spawnPeer({ args: [...LOCAL, ...psk] })
    const hub = await spawnPeer({ args: [...LOCAL, ...psk, '--allow-peer', friend.id], bootstrap: [friend.addrs[0] as string] })
    const keyedStranger = await spawnPeer({ args: [...LOCAL, ...psk], bootstrap: [hub.addrs[0] as string] })
    const keyless = await spawnPeer({ args: LOCAL, bootstrap: [hub.addrs[0] as string] })
    await waitForStates([hub, friend], [hub.id, friend.id], 'alive', 15_000)
    await waitFor('the hub to refuse the key holder by id', () => new RegExp(`not in allowPeers.*${keyedStranger.id}`).test(hub.log()), 15_000)
    await waitFor('the hub to fail the keyless handshake', () => /pre-shared key/i.test(hub.log()), 15_000)
    const rejected = await metric(hub, 'murmur_rejected_connections_total')
    expect(rejected.get('{reason="unauthorized"}')).toBeGreaterThan(0)
    expect(rejected.get('{reason="handshakeFailed"}')).toBeGreaterThan(0)
    for (const outsider of [keyedStranger, keyless]) {
      expect(await ids(hub)).not.toContain(outsider.id)
      expect(await ids(friend)).not.toContain(outsider.id)
      expect(await ids(outsider)).toEqual([outsider.id])
    }
  }, 60_000)
})

// ── HTTP exposure ────────────────────────────────────────────────────────────────────────────────

interface Run { proc: ChildProcess, stdout: () => string, stderr: () => string, exited: Promise<number | null> }
const runs: ChildProcess[] = []

/** `node dist/peer.js <args>` exactly as given (spawnPeer always adds --http). */
function run (args: string[]): Run {
  const proc = spawn(NODE, [PEER_JS, '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', tempDir(), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  runs.push(proc)
  let stdout = ''
  let stderr = ''
  proc.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<number | null>((resolve) => { proc.on('exit', (code) => { resolve(code) }) })
  return { proc, stdout: () => stdout, stderr: () => stderr, exited }
}

/** First non-internal IPv4 address of this machine, if any. */
function lanAddress (): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address
  }
  return undefined
}

function canConnect (host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 2_000 })
    s.on('connect', () => { s.destroy(); resolve(true) })
    s.on('error', () => { resolve(false) })
    s.on('timeout', () => { s.destroy(); resolve(false) })
  })
}

describe('HTTP exposure', () => {
  afterAll(async () => {
    for (const p of runs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL')
    await cleanup()
  })

  test.each([['0.0.0.0:0'], ['[::]:0'], ['192.0.2.7:8080'], ['example.com:80']])('--http %s without --http-token: refused at start, exit 2, one line', async (where) => {
    const r = run(['--http', where])
    const code = await Promise.race([r.exited, new Promise<'hung'>(resolve => setTimeout(() => { resolve('hung') }, 10_000))])
    expect(code).toBe(2)
    const lines = r.stderr().trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/reachable from other machines: also pass --http-token-file/)
    expect(r.stdout()).toBe('')
  })

  test('the HTTP API is loopback by default', async () => {
    const r = run([])
    await waitFor('the banner', () => /^ {2}http +\S+/m.test(r.stdout()), 20_000)
    const url = new URL(/^ {2}http +(\S+)/m.exec(r.stdout())?.[1] ?? '')
    expect(url.hostname).toBe('127.0.0.1')
    expect((await http(url.origin, 'GET', '/health')).status).toBe(200)
    const lan = lanAddress()
    if (lan !== undefined) expect(await canConnect(lan, Number(url.port))).toBe(false)
    r.proc.kill('SIGTERM')
    expect(await r.exited).toBe(0)
  })

  test('a public --http with a token: every route 401 without it or with a wrong one; works with it', async () => {
    const peer = await spawnPeer({ host: '0.0.0.0', token: TOKEN })
    expect(peer.http).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/)
    const base = peer.http.replace('0.0.0.0', '127.0.0.1')
    const routes: Array<[string, string, unknown]> = [
      ['GET', '/ready', undefined], ['GET', '/members', undefined], ['GET', '/metrics', undefined], ['GET', '/events', undefined],
      ['GET', '/docs', undefined], ['GET', '/docs/d', undefined], ['GET', '/docs/d/kv/k', undefined], ['PUT', '/docs/d/kv/k', 1],
      ['DELETE', '/docs/d/kv/k', undefined], ['POST', '/admin/partition', { block: [] }], ['GET', '/admin/partition', undefined], ['DELETE', '/admin/partition', undefined]
    ]
    const wrong: Array<Record<string, string>> = [{}, { authorization: `Bearer ${TOKEN}-wrong` }, { authorization: `Basic ${TOKEN}` }]
    for (const [method, route, body] of routes) {
      for (const headers of wrong) {
        const r = await http<{ error?: string }>(base, method, route, body, headers)
        expect(r.status, `${method} ${route} ${JSON.stringify(headers)}`).toBe(401)
        expect(r.body.error).toMatch(/bearer token/)
      }
      if (route === '/events') continue // a stream: it would stay open
      const ok = await http(base, method, route, body, { authorization: `Bearer ${TOKEN}` })
      // Reads of a doc nobody has written yet are 404 (reads never create docs); everything else is 200
      // (/ready included: a peer started without bootstrap peers or mDNS is alone on purpose).
      expect(ok.status, `${method} ${route} with the token`).toBe(method === 'GET' && route.startsWith('/docs/d') ? 404 : 200)
    }
    const rejected = await metric(peer, 'murmur_http_rejected_total')
    expect(rejected.get('{code="unauthorized"}')).toBe(routes.length * wrong.length)
    // Liveness needs no token and tells nothing.
    expect(await http(base, 'GET', '/health')).toEqual({ status: 200, body: { ok: true } })
  }, 60_000)
})
