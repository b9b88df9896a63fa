/** The `node dist/peer.js` command line: help, version, bad flags, the Node guard, start-up errors, signals. */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { NODE, PEER_JS, ROOT, cleanup, members, parseBanner, spawnPeer, stateOf, stopPeer, tempDir, waitFor } from '../helpers/procs.js'

const run = (args: string[], node = NODE) => spawnSync(node, [PEER_JS, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })

interface Ended { code: number | null, signal: NodeJS.Signals | null }
interface Captured { proc: ChildProcess, stdout: () => string, stderr: () => string, exited: Promise<Ended> }

/** `node dist/peer.js <args>` running, its output captured, and how it ended. */
function spawnCaptured (args: string[]): Captured {
  const proc = spawn(NODE, [PEER_JS, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<Ended>((resolve) => { proc.on('exit', (code, signal) => { resolve({ code, signal }) }) })
  return { proc, stdout: () => stdout, stderr: () => stderr, exited }
}

describe('peer CLI', () => {
  afterAll(cleanup)

  test('--help prints usage and exits 0; --version prints the package version', () => {
    const help = run(['--help'])
    expect(help.status).toBe(0)
    for (const flag of ['--listen', '--bootstrap', '--data-dir', '--name', '--tag', '--http', '--psk', '--mdns', '--profile', '--allow-fault-injection']) {
      expect(help.stdout).toContain(flag)
    }
    // Named as it was run: from a checkout `node dist/peer.js`; as the package's bin (npm links
    // `murmur-peer` to dist/peer.js) `murmur-peer`, which used to print "Usage: node dist/peer.js".
    expect(help.stdout).toMatch(/^Usage: node dist\/peer\.js \[options\]\n/)
    const bin = path.join(tempDir(), 'murmur-peer')
    symlinkSync(PEER_JS, bin)
    const asBin = spawnSync(NODE, [bin, '--help'], { cwd: tempDir(), encoding: 'utf8', timeout: 20_000 })
    expect(asBin.status).toBe(0)
    expect(asBin.stdout).toMatch(/^Usage: murmur-peer \[options\]\n/)
    expect(asBin.stdout).toMatch(/^ {2}murmur-peer --listen /m)
    expect(asBin.stdout).not.toContain('node dist/peer.js')
    const version = run(['--version'])
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
    expect(version.status).toBe(0)
    expect(version.stdout.trim()).toBe(`murmur ${pkg.version}`)
  })

  // A --config that never ends (/dev/zero, /dev/urandom) or a huge file named by mistake was read whole
  // before its size was checked: /dev/zero held 1.7 GB after 3 s and never answered.
  test.each(['/dev/zero', '/dev/urandom'])('--config %s: read only as far as a settings file can go, one line, exit 2', (file) => {
    const r = spawnSync(NODE, [PEER_JS, '--config', file], { cwd: ROOT, encoding: 'utf8', timeout: 8_000 })
    expect(r.signal, r.stderr.slice(0, 300)).toBeNull()
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(new RegExp(`^murmur: --config ${file} is over 1048576 characters: not a settings file\\n$`))
  })

  test.each([
    [['--no-such-flag']],
    [['--listen', 'not-a-multiaddr']],
    [['--profile', 'wan']],
    [['--http', '0.0.0.0:1234']],
    [['--tag', 'x']]
  ])('bad flags %j: one clear line on stderr, exit code 2', (args) => {
    const r = run(args)
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^murmur: /)
  })

  const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find(p => existsSync(p) && Number(spawnSync(p, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout) < 22)
  test.skipIf(oldNode === undefined)('an older Node is refused with one clear line and exit code 1', () => {
    const r = run(['--help'], oldNode)
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/Node v\d+.* too old.*22/)
  })

  // Before: the last one was kept silently (`--data-dir a --data-dir b` started a peer on b).
  test.each([[['--data-dir', 'a', '--data-dir', 'b']], [['--http', '1', '--http', '2']], [['--replicas', '2', '--replicas=3']]])('%j: a single-value flag given twice is one line, exit 2, and starts nothing', (args) => {
    const r = run(args)
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(new RegExp(`^murmur: ${args[0] as string} given twice: it takes one value \\(only --listen, [^\n]+ repeat\\)\n$`))
  })

  test('a malformed --psk file stops start-up with a clear error', () => {
    const file = path.join(tempDir(), 'swarm.key')
    writeFileSync(file, 'this is not a swarm key\n')
    const r = run(['--psk', file, '--data-dir', tempDir(), '--listen', '/ip4/127.0.0.1/tcp/0'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/murmur: .*(key|psk)/i)
    const missing = run(['--psk', '/nonexistent/swarm.key', '--data-dir', tempDir()])
    expect(missing.status).toBe(1)
    expect(missing.stderr).toMatch(/cannot read --psk file .*ENOENT/)
  })

  test.each([
    ['/proc/murmur-data', /ENOENT.*\/proc\/murmur-data/], // the kernel answers ENOENT under /proc: Node's recursive mkdir retried forever
    ['/dev/null/data', /ENOTDIR/]
  ])('a data dir that cannot be made (%s): one clear line, exit code 1, at once', (dir, why) => {
    const r = run(['--data-dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0'])
    expect(r.error).toBeUndefined() // not killed by spawnSync's timeout
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^murmur: cannot start: /)
    expect(r.stderr).toMatch(why)
  })

  test('a data dir in use by a running peer is refused, and a busy HTTP port too', async () => {
    const p = await spawnPeer()
    const sameDir = run(['--data-dir', p.dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0'])
    expect(sameDir.status).toBe(1)
    expect(sameDir.stderr).toMatch(/murmur: cannot start: .*(lock|in use)/i)
    const port = new URL(p.http).port
    const busy = run(['--data-dir', tempDir(), '--listen', '/ip4/127.0.0.1/tcp/0', '--http', `127.0.0.1:${port}`])
    expect(busy.status).toBe(1)
    expect(busy.stderr).toMatch(/cannot serve HTTP .*EADDRINUSE/)
    await stopPeer(p)
  })

  // README: start-up failures print one line. With the default --listen (every interface), the warning
  // "the mesh is open: listening on /ip4/0.0.0.0/tcp/0 …" came first, about a peer that never listened.
  test('with the default listen address, a locked data dir or a busy port is still one line', async () => {
    const p = await spawnPeer()
    const port = /\/tcp\/(\d+)\//.exec(p.addrs[0] as string)?.[1] as string
    for (const [args, why] of [
      [['--data-dir', p.dataDir, '--http', '127.0.0.1:0'], /^murmur: cannot start: data dir .* is in use/],
      [['--data-dir', tempDir(), '--listen', `/ip4/0.0.0.0/tcp/${port}`, '--http', '127.0.0.1:0'], /^murmur: cannot start: cannot listen on .*EADDRINUSE/],
      [['--data-dir', tempDir(), '--http', `127.0.0.1:${new URL(p.http).port}`], /^murmur: cannot serve HTTP .*EADDRINUSE/]
    ] as const) {
      const r = run([...args])
      expect(r.status, r.stderr).toBe(1)
      expect(r.stderr.split('\n').filter(l => !/ INFO /.test(l) && l !== ''), r.stderr).toHaveLength(1)
      expect(r.stderr.split('\n').find(l => l.startsWith('murmur:'))).toMatch(why)
    }
    await stopPeer(p)
  })

  test('a peer that joined and then finds its HTTP port taken leaves before it exits: the mesh lists it left, not dead', async () => {
    const seed = await spawnPeer({ args: ['--profile', 'local'] })
    const port = new URL(seed.http).port
    const busy = run(['--data-dir', tempDir(), '--listen', '/ip4/127.0.0.1/tcp/0', '--http', `127.0.0.1:${port}`, '--profile', 'local', '--bootstrap', seed.addrs[0] as string])
    expect(busy.status).toBe(1)
    expect(busy.stderr).toMatch(/cannot serve HTTP .*EADDRINUSE/)
    const gone = await waitFor('the seed to list the peer that failed', async () => (await members(seed)).find(m => m.peerId !== seed.id), 10_000)
    await waitFor(`the seed to list ${gone.peerId} left`, async () => (await stateOf(seed, gone.peerId)) === 'left', 10_000)
    await new Promise(resolve => setTimeout(resolve, 2_000))
    expect(await stateOf(seed, gone.peerId)).toBe('left')
    await stopPeer(seed)
  })

  test('SIGHUP during start-up does not kill the peer: the reload is applied once it runs', async () => {
    const dir = tempDir()
    const config = path.join(dir, 'murmur.json')
    writeFileSync(config, JSON.stringify({ tag: { role: 'before' } }))
    const proc = spawn(NODE, [PEER_JS, '--config', config, '--data-dir', path.join(dir, 'data'), '--listen', '/ip4/127.0.0.1/tcp/0', '--profile', 'local'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => { proc.on('exit', (code, signal) => { resolve({ code, signal }) }) })
    try {
      // The store opens inside createPeer, well before the banner: the peer is starting.
      await waitFor('the store opening', () => /store opened/.test(stderr), 15_000, 5)
      expect(stdout).not.toMatch(/murmur peer/)
      writeFileSync(config, JSON.stringify({ tag: { role: 'after' } }))
      proc.kill('SIGHUP')
      const banner = await waitFor('the banner', () => parseBanner(stdout) ?? (proc.exitCode !== null || proc.signalCode !== null ? 'exited' : undefined), 15_000)
      expect(banner, stderr).not.toBe('exited')
      await waitFor('the reload logged', () => /SIGHUP: configuration reloaded applied=tags/.test(stderr), 10_000)
      const http = (banner as { http?: string }).http as string
      const self = (await (await fetch(`${http}/members`)).json() as Array<{ tags: Record<string, string> }>)[0]
      expect(self?.tags.role).toBe('after')
    } finally {
      proc.kill('SIGTERM')
    }
    expect(await exited).toEqual({ code: 0, signal: null })
  }, 40_000)

  test('SIGTERM during start-up is a graceful shutdown once the peer runs (exit 0), not death by signal', async () => {
    const seed = await spawnPeer({ args: ['--profile', 'local'] })
    const { proc, stderr, exited } = spawnCaptured(['--data-dir', tempDir(), '--listen', '/ip4/127.0.0.1/tcp/0', '--profile', 'local', '--bootstrap', seed.addrs[0] as string])
    try {
      // The store opens inside createPeer, which then listens and starts joining before it returns.
      await waitFor('the store opening', () => /store opened/.test(stderr()), 15_000, 5)
      proc.kill('SIGTERM')
      expect(await exited, stderr()).toEqual({ code: 0, signal: null })
      expect(stderr()).toMatch(/shutting down signal=SIGTERM/)
      expect(stderr()).toMatch(/INFO {2}murmur stopped\n$/)
    } finally {
      proc.kill('SIGKILL')
      await stopPeer(seed)
    }
  }, 40_000)

  test('SIGTERM during a start-up that never finishes (its store blocked in open()) ends the process by the signal, within the deadline', async () => {
    const dataDir = tempDir()
    mkdirSync(path.join(dataDir, 'docs'), { mode: 0o755 })
    chmodSync(dataDir, 0o755) // logged as tightened: the line that says start-up is under way
    // LevelDB reads CURRENT first: a FIFO nobody writes holds that open() in a libuv thread forever.
    execFileSync('mkfifo', ['-m', '600', path.join(dataDir, 'docs', 'CURRENT')])
    const { proc, stderr, exited } = spawnCaptured(['--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0'])
    try {
      await waitFor('start-up under way', () => /restricted it to its owner/.test(stderr()), 15_000, 5)
      proc.kill('SIGTERM')
      // process.exit() waited for the blocked thread: the process stayed until SIGKILL.
      const ended = await Promise.race([exited, new Promise<'still running'>(resolve => setTimeout(() => { resolve('still running') }, 10_000))])
      expect(ended, stderr()).toEqual({ code: null, signal: 'SIGTERM' })
      expect(stderr()).toMatch(/start-up did not finish in time: exiting by the signal/)
    } finally {
      proc.kill('SIGKILL')
    }
  }, 40_000)

  test('a log reader that goes away (2>&1 | head): a graceful leave and exit 0, as SIGPIPE ends other programs', async () => {
    const seed = await spawnPeer({ args: ['--profile', 'local'] })
    const { proc, stdout, exited } = spawnCaptured(['--data-dir', tempDir(), '--listen', '/ip4/127.0.0.1/tcp/0', '--profile', 'local', '--bootstrap', seed.addrs[0] as string])
    try {
      const banner = await waitFor('the banner', () => parseBanner(stdout()), 15_000)
      await waitFor('the seed to list the peer alive', async () => await stateOf(seed, banner.peerId) === 'alive', 15_000)
      proc.stderr?.destroy()
      proc.kill('SIGHUP') // a log line into the closed pipe: EPIPE was an uncaught exception, exit 1, no leave
      expect(await exited).toEqual({ code: 0, signal: null })
      expect(await stateOf(seed, banner.peerId)).toBe('left')
    } finally {
      proc.kill('SIGKILL')
      await stopPeer(seed)
    }
  }, 40_000)

  test('--no-http removes an http-addr file left by a killed run, so murmur does not chase a dead port', async () => {
    const dataDir = tempDir()
    writeFileSync(path.join(dataDir, 'http-addr'), 'http://127.0.0.1:9\n')
    const proc = spawn(NODE, [PEER_JS, '--no-http', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--profile', 'local'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    proc.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    const exited = new Promise<number | null>((resolve) => { proc.on('exit', (code) => { resolve(code) }) })
    try {
      await waitFor('the banner', () => parseBanner(stdout), 15_000)
      expect(existsSync(path.join(dataDir, 'http-addr'))).toBe(false)
      const members = spawnSync(NODE, [path.join(ROOT, 'dist', 'murmur.js'), 'members', '--data-dir', dataDir], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, env: { ...process.env, MURMUR_HTTP_ADDR: '' } })
      expect(members.status).toBe(1)
      expect(members.stderr).toMatch(/^murmur: no agent address: .*http-addr, which does not exist/)
    } finally {
      proc.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  }, 40_000)

  test('an http-addr the peer cannot write or remove (a directory there) is a warning, and SIGTERM still stops the peer: exit 0', async () => {
    const dataDir = tempDir()
    mkdirSync(path.join(dataDir, 'http-addr'))
    const p = await spawnPeer({ dataDir, args: ['--profile', 'local'] })
    expect(p.log()).toMatch(/WARN .*could not record the HTTP address/)
    expect(await stopPeer(p, 'SIGTERM')).toEqual({ code: 0, signal: null })
    expect(p.log()).toMatch(/INFO +murmur stopped/)
    expect(p.log()).not.toMatch(/shutdown failed/)
  })

  test('a bootstrap list naming only this peer (by id and by address) starts a new mesh, and says so instead of waiting for an answer', async () => {
    const first = await spawnPeer({ args: ['--profile', 'local'] })
    const own = first.addrs[0] as string
    const port = Number(/\/tcp\/(\d+)/.exec(own)?.[1])
    await stopPeer(first)
    const p = await spawnPeer({ dataDir: first.dataDir, tcpPort: port, args: ['--profile', 'local'], bootstrap: [own, `/ip4/127.0.0.1/tcp/${port}`] })
    expect(p.id).toBe(first.id)
    await waitFor('the log to say the mesh is new', () => /every bootstrap address is this peer itself: starting a new mesh/.test(p.log()), 10_000)
    await new Promise(resolve => setTimeout(resolve, 2_000))
    expect(p.log()).not.toMatch(/no bootstrap peer answered/)
    expect(await stopPeer(p)).toEqual({ code: 0, signal: null })
  }, 40_000)

  // The banner said "joining through 1 bootstrap peer(s)" while the log said a new mesh was starting.
  test('the banner of a peer whose bootstrap addresses are all its own says it has no other bootstrap peer', async () => {
    const first = await spawnPeer({ args: ['--profile', 'local'] })
    const port = Number(/\/tcp\/(\d+)/.exec(first.addrs[0] as string)?.[1])
    await stopPeer(first)
    const bannerOf = async (bootstrap: string): Promise<string> => {
      const proc = spawn(NODE, [PEER_JS, '--data-dir', first.dataDir, '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--http', '127.0.0.1:0', '--profile', 'local', '--no-rejoin', '--bootstrap', bootstrap], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      let out = ''
      proc.stdout.on('data', (d: Buffer) => { out += d.toString() })
      const exited = new Promise((resolve) => { proc.on('exit', resolve) })
      await waitFor('the banner', () => parseBanner(out) !== undefined, 20_000, 20)
      proc.kill('SIGTERM')
      await exited
      return parseBanner(out)?.profile ?? ''
    }
    expect(await bannerOf(`/ip4/127.0.0.1/tcp/${port}`)).toBe('local, no other bootstrap peer (its bootstrap addresses are its own)')
    expect(await bannerOf('/ip4/127.0.0.1/tcp/1')).toBe('local, joining through 1 bootstrap peer(s)')
    // One list given to every peer: its own address is not counted (it said 2 beside the log's "skipping").
    expect(await bannerOf(`/ip4/127.0.0.1/tcp/${port},/ip4/127.0.0.1/tcp/1`)).toBe('local, joining through 1 bootstrap peer(s)')
  }, 40_000)

  test('a SIGINT sent the moment the banner appears still gets the graceful exit 0 (the handlers come first)', async () => {
    for (let i = 0; i < 5; i++) {
      const proc = spawn(NODE, [PEER_JS, '--data-dir', tempDir(), '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--profile', 'local'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      proc.stdout.once('data', () => { proc.kill('SIGINT') })
      const exit = await new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => { proc.on('exit', (code, signal) => { resolve({ code, signal }) }) })
      expect(exit, `start ${i + 1}`).toEqual({ code: 0, signal: null })
    }
  })

  test('start banner, identity file mode 0600, SIGINT → exit 0 within 3 s', async () => {
    const p = await spawnPeer()
    expect(p.id).toMatch(/^12D3KooW/)
    expect(p.addrs.length).toBeGreaterThan(0)
    for (const a of p.addrs) expect(a).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${p.id}$`))
    expect(p.http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(statSync(path.join(p.dataDir, 'peer.key')).mode & 0o777).toBe(0o600)
    const t0 = Date.now()
    const exit = await stopPeer(p, 'SIGINT')
    expect(exit.code).toBe(0)
    expect(Date.now() - t0).toBeLessThan(3_000)
  })
})
