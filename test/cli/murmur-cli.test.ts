/**
 * The operator CLI against real agents (`murmur agent`, i.e. dist/murmur.js, and dist/peer.js on
 * 127.0.0.1): members (= GET /members), join, tags, docs, monitor, leave, keygen; how it finds the agent
 * and its token; its exit codes.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runOperator } from '../../src/cli/operator.js'
import { parsePsk } from '../../src/net/psk.js'
import { NODE, ROOT, api, cleanup, spawnPeer, stopPeer, tempDir, waitFor, waitForStates } from '../helpers/procs.js'
import type { MemberJson, PeerProcess } from '../helpers/procs.js'

const MURMUR = path.join(ROOT, 'dist', 'murmur.js')
const LOCAL = ['--profile', 'local']
const TOKEN = 'operator-cli-token-0123456789'

interface Run { status: number | null, stdout: string, stderr: string }

/** `murmur <args>` in-process: runOperator is what dist/murmur.js runs for every command but agent. */
async function murmur (args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Run> {
  let stdout = ''
  let stderr = ''
  const before = process.cwd()
  if (cwd !== undefined) process.chdir(cwd) // the default data dir is relative to it
  try {
    const status = await runOperator(args, {
      env: { MURMUR_HTTP_ADDR: '', MURMUR_HTTP_TOKEN: '', ...env },
      out: (t) => { stdout += t },
      err: (t) => { stderr += t },
      interrupted: new AbortController().signal
    })
    return { status, stdout, stderr }
  } finally {
    process.chdir(before)
  }
}

/** The real process, for what only a process shows: the agent command, exit codes, one-line stderr. */
const murmurProcess = (args: string[]): Run => {
  const r = spawnSync(NODE, [MURMUR, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, MURMUR_HTTP_ADDR: '', MURMUR_HTTP_TOKEN: '' } })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}
const at = (p: PeerProcess): string[] => ['--http-addr', p.http]

/** A port nothing listens on (bound, then released). */
const closedPort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as AddressInfo
    s.close(() => { resolve(port) })
  })
})
const byId = (ms: MemberJson[]): MemberJson[] => [...ms].sort((a, b) => a.peerId < b.peerId ? -1 : 1)

describe('murmur <command> against a mesh of agents', () => {
  let seed: PeerProcess
  let others: PeerProcess[]
  beforeAll(async () => {
    seed = await spawnPeer({ entry: MURMUR, entryArgs: ['agent'], args: [...LOCAL, '--tag', 'role=seed'] })
    others = await Promise.all([0, 1].map(async () => await spawnPeer({ args: LOCAL, bootstrap: [seed.addrs[0] as string] })))
    await waitForStates([seed, ...others], [seed, ...others].map(p => p.id), 'alive', 15_000)
    // Each peer tags itself with its HTTP address once it serves (a new incarnation, gossiped): until the seed
    // has every such tag its member list can change between two reads (one CI run compared a member at
    // incarnation 0 with the same member at 1).
    await waitFor('the seed lists every member with its HTTP tag', async () => {
      const members = (await api<MemberJson[]>(seed, 'GET', '/members')).body
      return members.length === 3 && members.every(m => m.tags?.['murmur.http'] !== undefined)
    }, 15_000)
  }, 60_000)
  afterAll(cleanup)

  test('`murmur agent` is dist/peer.js: same banner, same API; `murmur ready` once in a mesh', async () => {
    expect(seed.id).toMatch(/^12D3KooW/)
    expect(seed.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await murmur(['ready', ...at(seed)]))).toMatchObject({ status: 0, stdout: 'ready: 3 alive member(s)\n' })
  })

  test('members --json equals GET /members; the table has one row per member; --status filters by state', async () => {
    const r = await murmur(['members', '--json', ...at(seed)])
    expect(r.status, r.stderr).toBe(0)
    expect(byId(JSON.parse(r.stdout) as MemberJson[])).toEqual(byId((await api<MemberJson[]>(seed, 'GET', '/members')).body))
    const rows = (await murmur(['members', ...at(seed)])).stdout.trim().split('\n')
    expect(rows).toHaveLength(3)
    expect(rows.find(l => l.includes(seed.id))).toMatch(/alive .*role=seed(,|$)/)
    expect((await murmur(['members', '--status', 'left|dead', ...at(seed)])).stdout).toBe('')
    expect(JSON.parse((await murmur(['members', '--json', '--status', 'alive', ...at(seed)])).stdout)).toHaveLength(3)
    const bad = await murmur(['members', '--status', '(', ...at(seed)])
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/^murmur: members: --status \(: not a regular expression\n$/)
  })

  test('the agent is found through MURMUR_HTTP_ADDR or the http-addr file of its data dir', async () => {
    expect((await murmur(['members'], { MURMUR_HTTP_ADDR: seed.http })).status).toBe(0)
    expect(readFileSync(path.join(seed.dataDir, 'http-addr'), 'utf8').trim()).toBe(seed.http)
    expect(statSync(path.join(seed.dataDir, 'http-addr')).mode & 0o777).toBe(0o600)
    expect((await murmur(['members', '--data-dir', seed.dataDir])).status).toBe(0)
    const lost = await murmur(['members'], {}, tempDir())
    expect(lost.status).toBe(1)
    expect(lost.stderr).toMatch(/no agent address: pass --http-addr/)
    const port = await closedPort()
    const down = await murmur(['members', '--http-addr', `127.0.0.1:${port}`])
    expect(down.status).toBe(1)
    expect(down.stderr).toBe(`murmur: cannot reach the agent at http://127.0.0.1:${port}: ECONNREFUSED\n`)
  })

  test('tags set/del change this agent\'s tags, gossiped to the others', async () => {
    const set = await murmur(['tags', 'set', 'zone=eu', 'tier=gold', ...at(seed)])
    expect(set.status, set.stderr).toBe(0)
    expect(JSON.parse((await murmur(['tags', 'del', 'tier', '--json', ...at(seed)])).stdout)).toEqual({ role: 'seed', zone: 'eu', 'murmur.http': seed.http }) // murmur.http: the agent's advertised API
    await waitFor('the new tags on another peer', async () => (await api<MemberJson[]>(others[0] as PeerProcess, 'GET', '/members')).body.find(m => m.peerId === seed.id)?.tags.zone === 'eu', 15_000)
    expect((await murmur(['tags', 'set', 'novalue', ...at(seed)])).status).toBe(2)
    expect((await murmur(['tags', 'frob', 'x', ...at(seed)])).stderr).toMatch(/usage: murmur tags set/)
  })

  test('docs put, get, ls', async () => {
    // One replica wrote (the value and its idempotency record, in one transaction): {"<replica id>": <clock>}.
    const put = await murmur(['docs', 'put', 'ops', 'greeting', '"hello"', ...at(seed)])
    expect(put.stdout).toMatch(/^\{"version":\{"\d+":\d+\}\}\n$/)
    // The same put again under its key is answered like the first, not applied twice.
    const key = ['--idempotency-key', 'cli-test-greeting']
    const first = await murmur(['docs', 'put', 'ops', 'again', '"once"', ...key, ...at(seed)])
    const retry = await murmur(['docs', 'put', 'ops', 'again', '"once"', ...key, ...at(seed)])
    expect(retry.stdout).toBe(first.stdout)
    const reused = await murmur(['docs', 'put', 'ops', 'again', '"other"', ...key, ...at(seed)])
    expect(reused.status).toBe(1)
    expect(reused.stderr).toMatch(/422 idempotency_key_reused/)
    await waitFor('the doc on another peer', async () => (await murmur(['docs', 'get', 'ops', 'greeting', ...at(others[1] as PeerProcess)])).stdout === '"hello"\n', 15_000)
    expect(JSON.parse((await murmur(['docs', 'get', 'ops', ...at(seed)])).stdout)).toMatchObject({ name: 'ops', content: { kv: { greeting: 'hello' } } })
    expect((await murmur(['docs', 'ls', ...at(seed)])).stdout).toMatch(/^ops +[0-9a-f]{16} +1 writer\(s\)\n$/)
    const notJson = await murmur(['docs', 'put', 'ops', 'k', 'hello', ...at(seed)])
    expect(notJson.status).toBe(2)
    const missing = await murmur(['docs', 'get', 'nope', ...at(seed)])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/^murmur: 404 doc_not_found: /)
  })

  test('monitor prints one line per event until Ctrl-C (exit 0)', async () => {
    const proc = spawn(NODE, [MURMUR, 'monitor', ...at(seed)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    proc.stdout.on('data', (d: Buffer) => { out += d.toString() })
    const exited = new Promise<number | null>((resolve) => { proc.on('exit', resolve) })
    try {
      await waitFor('the hello line', () => /connected to \S+: 3 member\(s\) known/.test(out), 15_000)
      await murmur(['tags', 'set', 'monitor=yes', ...at(others[0] as PeerProcess)])
      await waitFor('the tag change as a member event', () => new RegExp(`member updated \\S+ ${(others[0] as PeerProcess).id}`).test(out), 15_000)
      for (const line of out.trim().split('\n')) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\S+Z (member|doc|connected) /)
    } finally {
      proc.kill('SIGINT')
    }
    expect(await exited).toBe(0)
  })

  test('join: a lone agent joins the mesh; nobody answering is exit 1', async () => {
    const lone = await spawnPeer({ entry: MURMUR, entryArgs: ['agent'], args: [...LOCAL, '--mdns', `none-${process.pid}`] })
    const notYet = (await murmur(['ready', ...at(lone)])) // not alone by configuration (it looks for peers): not ready
    expect(notYet.status).toBe(1)
    expect(notYet.stderr).toMatch(/^murmur: 503 not_ready: /)
    const r = await murmur(['join', seed.addrs[0] as string, ...at(lone)])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe('joined: 1 peer(s) answered\n')
    await waitForStates([seed, lone], [seed.id, lone.id, ...others.map(o => o.id)], 'alive', 15_000)
    expect((await murmur(['ready', ...at(lone)])).status).toBe(0)
    expect((await murmur(['join', ...at(lone)])).status).toBe(2)
    const bad = await murmur(['join', 'not-a-multiaddr', ...at(lone)])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/400 invalid_body: .*not a TCP multiaddr/)
    const badId = await murmur(['join', '/ip4/127.0.0.1/tcp/4001/p2p/notapeerid', ...at(lone)])
    expect(badId.status).toBe(1)
    expect(badId.stderr).toMatch(/400 invalid_body: .*\/p2p\/"notapeerid" is not a peer id/)
    // Addresses no transport here can dial are refused like --bootstrap refuses them, not dialled and
    // answered "0 peer(s) answered" (nor kept and re-dialled).
    const port = (seed.addrs[0] as string).split('/')[4] as string
    for (const [addr, why] of [
      [`/ip4/127.0.0.1/tcp/${port}/ws`, /has \/ws after the TCP port: murmur speaks plain TCP only/],
      [`/ip4/127.0.0.1/tcp/${port}/wss/p2p/${seed.id}`, /has \/wss after the TCP port/],
      [`/ip4/127.0.0.1/udp/${port}/tcp/${port}`, /needs \/tcp\/<port> right after the host/],
      ['/ip4/127.0.0.1/tcp/0', /port 0 is for --listen/]
    ] as const) {
      const undialable = await murmur(['join', addr, ...at(lone)])
      expect(undialable.status, addr).toBe(1)
      expect(undialable.stderr, addr).toMatch(/^murmur: 400 invalid_body: /)
      expect(undialable.stderr, addr).toMatch(why)
    }
    // The agent's own address (pasted from its own banner): skipped, and the output says why none answered.
    for (const own of [lone.addrs[0] as string, (lone.addrs[0] as string).replace(/\/p2p\/.*$/, '')]) {
      const r = await murmur(['join', own, ...at(lone)])
      expect(r.status, own).toBe(1)
      expect(r.stdout, own).toBe('joined: 0 peer(s) answered; 1 address(es) are this agent\'s own (skipped): give another peer\'s address\n')
    }
    await stopPeer(lone)
  })

  test('leave: the agent leaves gracefully, exits 0, and removes its http-addr file', async () => {
    const leaver = others[1] as PeerProcess
    const r = await murmur(['leave', ...at(leaver)])
    expect(r.status, r.stderr).toBe(0)
    expect((await leaver.exited).code).toBe(0)
    await waitForStates([seed], [leaver.id], 'left', 10_000)
    expect(existsSync(path.join(leaver.dataDir, 'http-addr'))).toBe(false)
  })
})

describe('murmur with a token', () => {
  afterAll(cleanup)

  test('no token: 401 and exit 1; --http-token-file, MURMUR_HTTP_TOKEN and MURMUR_HTTP_TOKEN_FILE work', async () => {
    const p = await spawnPeer({ entry: MURMUR, entryArgs: ['agent'], args: LOCAL, token: TOKEN })
    const none = await murmur(['members', ...at(p)])
    expect(none.status).toBe(1)
    expect(none.stderr).toMatch(/^murmur: 401 unauthorized: missing or wrong bearer token \(no token was given: pass --http-token-file <file>, or set MURMUR_HTTP_TOKEN or MURMUR_HTTP_TOKEN_FILE\)\n$/)
    const file = path.join(tempDir(), 'token')
    writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 })
    expect((await murmur(['members', '--http-token-file', file, ...at(p)])).status).toBe(0)
    expect((await murmur(['members', ...at(p)], { MURMUR_HTTP_TOKEN: TOKEN })).status).toBe(0)
    expect((await murmur(['members', ...at(p)], { MURMUR_HTTP_TOKEN_FILE: file })).status).toBe(0)
    const loose = path.join(tempDir(), 'token')
    writeFileSync(loose, TOKEN, { mode: 0o644 })
    expect((await murmur(['members', '--http-token-file', loose, ...at(p)])).stderr).toMatch(/is accessible to every user/)
    // A token no agent can hold (agents refuse it at start) is named as the problem: it was reported as
    // 'cannot reach the agent … Invalid character in header content'.
    const euro = await murmur(['members', ...at(p)], { MURMUR_HTTP_TOKEN: '€'.repeat(16) })
    expect(euro.status).toBe(1)
    expect(euro.stderr).toMatch(/^murmur: MURMUR_HTTP_TOKEN must be printable ASCII, no spaces/)
    const accented = path.join(tempDir(), 'token')
    writeFileSync(accented, `${'é'.repeat(16)}\n`, { mode: 0o600 })
    expect((await murmur(['members', '--http-token-file', accented, ...at(p)])).stderr).toMatch(/--http-token-file .*: the token must be printable ASCII/)
  })
})

describe('murmur keygen and usage', () => {
  test('keygen prints a swarm key, or writes it 0600 and never over an existing file', async () => {
    const printed = (await murmur(['keygen'])).stdout
    expect(() => parsePsk(printed)).not.toThrow()
    const file = path.join(tempDir(), 'swarm.key')
    const r = await murmur(['keygen', file])
    expect(r.status, r.stderr).toBe(0)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(() => parsePsk(readFileSync(file, 'utf8'))).not.toThrow()
    const before = readFileSync(file, 'utf8')
    const again = await murmur(['keygen', file])
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/exists; not overwriting a key/)
    expect(readFileSync(file, 'utf8')).toBe(before)
  })

  // A directory was "exists; not overwriting a key (remove it first if you mean to)": no key was there.
  test('keygen given a directory says so and how to name the file, exit 1', async () => {
    const dir = tempDir()
    for (const given of [dir, `${dir}/`]) {
      expect(await murmur(['keygen', given])).toEqual({ status: 1, stdout: '', stderr: `murmur: ${given} is a directory: give the key file's path, e.g. murmur keygen ${path.join(dir, 'swarm.key')}\n` })
    }
  })

  // `murmur keygen "$KEYFILE"` with the variable unset: a usage error (2), as an empty doc name or key is,
  // not "cannot write : ENOENT" (1, the class of an agent or a file that refused).
  test('keygen with an empty file name is a usage error, exit 2', async () => {
    expect(await murmur(['keygen', ''])).toEqual({ status: 2, stdout: '', stderr: 'murmur: keygen: the file name cannot be empty (omit it to print the key)\n' })
  })

  test('help, version, unknown commands and flags', async () => {
    const help = await murmur(['--help'])
    for (const c of ['agent', 'members', 'join', 'leave', 'tags', 'keygen', 'monitor', 'docs', '--http-addr', 'MURMUR_HTTP_ADDR', '--http-token-file']) expect(help.stdout).toContain(c)
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
    expect((await murmur(['--version'])).stdout).toBe(`murmur ${pkg.version}\n`)
    expect(murmurProcess(['agent', '--version']).stdout).toBe(`murmur ${pkg.version}\n`)
    const agentHelp = murmurProcess(['agent', '--help']).stdout
    expect(agentHelp).toMatch(/^Usage: murmur agent \[options\]/)
    expect(agentHelp).toMatch(/^ {2}murmur agent --listen /m) // the examples too
    expect(agentHelp).not.toContain('dist/peer.js')
    // As a process: the exit code and the one line on stderr.
    expect(murmurProcess(['frobnicate'])).toMatchObject({ status: 2, stdout: '', stderr: 'murmur: unknown command "frobnicate" (see murmur --help)\n' })
    for (const args of [['frobnicate'], ['members', '--frob'], ['members', 'extra']]) {
      const r = await murmur(args)
      expect(r.status, args.join(' ')).toBe(2)
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
    }
  })
})
