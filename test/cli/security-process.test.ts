/**
 * Safe defaults of `node dist/peer.js`, as real processes: secret files others can read are refused
 * (PSK, token file, TLS key); the token comes from a file or MURMUR_HTTP_TOKEN; HTTPS; the data dir and
 * everything in it owner-only; a warning when the mesh is open beyond loopback.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { generatePsk } from '../../src/net/index.js'
import { NODE, PEER_JS, ROOT, api, cleanup, http, spawnPeer, stopPeer, tempDir } from '../helpers/procs.js'

const LOCAL = ['--profile', 'local', '--listen', '/ip4/127.0.0.1/tcp/0']
const TOKEN = 'security-process-token-0123456789'
const isRoot = process.getuid?.() === 0

/** Runs the CLI to completion (for start-up refusals): status and stderr. */
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(NODE, [PEER_JS, '--data-dir', tempDir(), ...LOCAL, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } })

function file (name: string, content: string, mode: number): string {
  const f = path.join(tempDir(), name)
  writeFileSync(f, content, { mode })
  chmodSync(f, mode) // writeFileSync's mode is filtered by the umask
  return f
}

/** Every entry under `dir` with its permission bits. */
function modes (dir: string): Array<[string, number, boolean]> {
  const out: Array<[string, number, boolean]> = [[dir, statSync(dir).mode & 0o777, true]]
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(e.parentPath, e.name)
    out.push([full, statSync(full).mode & 0o777, e.isDirectory()])
  }
  return out
}

describe('secret files', () => {
  afterAll(cleanup)

  test('a world-readable --psk file is refused: exit 1, one line saying how to fix it', () => {
    const psk = file('swarm.key', generatePsk(), 0o644)
    const r = run(['--psk', psk])
    expect(r.status).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(new RegExp(`^murmur: --psk file ${psk} is accessible to every user .*mode 0644.*chmod 600`))
  })

  test.skipIf(!isRoot)('a group-readable --psk file owned by another user is refused; root-owned 0640 is accepted', async () => {
    const psk = file('swarm.key', generatePsk(), 0o640)
    chownSync(psk, 65534, 65534)
    const r = run(['--psk', psk])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/accessible to its group \(mode 0640/)
    chownSync(psk, 0, 0)
    const p = await spawnPeer({ args: ['--profile', 'local', '--psk', psk] })
    expect(p.log()).not.toMatch(/mesh is open/)
    await stopPeer(p)
  })

  test('--http-token-file: the token from a private file; a readable one or a short token is refused', async () => {
    const tokenFile = file('token', `${TOKEN}\n`, 0o600)
    const p = await spawnPeer({ args: ['--profile', 'local', '--http-token-file', tokenFile] })
    expect((await http(p.http, 'GET', '/members')).status).toBe(401)
    expect((await http(p.http, 'GET', '/members', undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(200)
    await stopPeer(p)
    const loose = file('token', TOKEN, 0o604)
    expect(run(['--http-token-file', loose]).stderr).toMatch(/^murmur: --http-token-file .* is accessible to every user/)
    const short = file('token', 'short\n', 0o600)
    const r = run(['--http-token-file', short])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/the token must be at least 16 characters/)
    const accented = file('token', `${'é'.repeat(20)}\n`, 0o600)
    const a = run(['--http-token-file', accented])
    expect(a.status).toBe(1)
    expect(a.stderr).toMatch(/^murmur: --http-token-file .*: the token must be printable ASCII, no spaces/)
    expect(run(['--http-token-file', '/nonexistent/token']).stderr).toMatch(/cannot read --http-token-file .*ENOENT/)
  })

  test('MURMUR_HTTP_TOKEN: the token without a flag (nothing in ps)', async () => {
    const p = await spawnPeer({ args: ['--profile', 'local'], env: { MURMUR_HTTP_TOKEN: TOKEN } })
    expect((await http(p.http, 'GET', '/members')).status).toBe(401)
    expect((await http(p.http, 'GET', '/members', undefined, { authorization: `Bearer ${TOKEN}` })).status).toBe(200)
    expect(p.args.join(' ')).not.toContain(TOKEN)
    await stopPeer(p)
  })
})

describe('HTTPS', () => {
  afterAll(cleanup)
  const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0

  test.skipIf(!openssl)('--https-cert/--https-key: served over TLS only; a readable key is refused', async () => {
    const dir = tempDir()
    const cert = path.join(dir, 'cert.pem')
    const key = path.join(dir, 'key.pem')
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' })
    expect(made.status, made.stderr).toBe(0)
    chmodSync(key, 0o600)
    const p = await spawnPeer({ args: ['--profile', 'local', '--https-cert', cert, '--https-key', key], token: TOKEN })
    expect(p.http).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const url = new URL(p.http)
    const answer = await new Promise<{ status: number, body: string }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/members', ca: [readFileSync(cert)], headers: { authorization: `Bearer ${TOKEN}` }, timeout: 5_000 }, (res) => {
        let body = ''
        res.on('data', (d: Buffer) => { body += d.toString() })
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
      })
      req.on('error', reject)
      req.end()
    })
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toHaveLength(1)
    // Plain HTTP on the TLS port gets no answer.
    await expect(http(`http://127.0.0.1:${url.port}`, 'GET', '/health')).rejects.toThrow()
    await stopPeer(p)
    chmodSync(key, 0o644)
    const r = run(['--https-cert', cert, '--https-key', key])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/--https-key file .* is accessible to every user/)
  })

  test.skipIf(!openssl)('a certificate or key file that is not one, or a key of another certificate: refused before the peer starts, naming the file', () => {
    const pair = (name: string): { cert: string, key: string } => {
      const dir = tempDir()
      const cert = path.join(dir, `${name}-cert.pem`)
      const key = path.join(dir, `${name}-key.pem`)
      const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' })
      expect(made.status, made.stderr).toBe(0)
      chmodSync(key, 0o600)
      return { cert, key }
    }
    const a = pair('a')
    const b = pair('b')
    const notPem = file('not-pem', 'this is no certificate\n', 0o600)
    // A key of another type: OpenSSL loaded it beside the certificate without a word, and every handshake failed.
    const ed25519 = path.join(tempDir(), 'ed25519-key.pem')
    const made = spawnSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', ed25519], { encoding: 'utf8' })
    expect(made.status, made.stderr).toBe(0)
    chmodSync(ed25519, 0o600)
    const fifo = path.join(tempDir(), 'cert-fifo')
    execFileSync('mkfifo', ['-m', '600', fifo]) // nobody writes it: reading it waited forever
    for (const [args, why] of [
      [['--https-cert', fifo, '--https-key', a.key], new RegExp(`^murmur: --https-cert file ${fifo} is not a regular file`)],
      [['--https-cert', a.key, '--https-key', a.key], new RegExp(`^murmur: --https-cert file ${a.key} holds no certificate \\(`)],
      [['--https-cert', a.cert, '--https-key', notPem], new RegExp(`^murmur: --https-key file ${notPem} holds no usable private key \\(`)],
      [['--https-cert', a.cert, '--https-key', b.key], new RegExp(`^murmur: --https-cert file ${a.cert} and --https-key file ${b.key} are not a certificate and its key \\(.*mismatch`)],
      [['--https-cert', a.cert, '--https-key', ed25519], new RegExp(`^murmur: --https-cert file ${a.cert} and --https-key file ${ed25519} are not a certificate and its key \\(the key is ed25519, the certificate's ec\\)\n$`)]
    ] as const) {
      const r = run([...args, '--http', '127.0.0.1:0'])
      expect(r.status, r.stderr).toBe(1)
      // One line, and nothing before it: the peer never opened its store nor joined a mesh.
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1)
      expect(r.stderr).toMatch(why)
    }
  })
})

describe('data directory', () => {
  afterAll(cleanup)

  test('created 0700, everything in it 0700/0600 (documents included); a loose existing dir is tightened', async () => {
    const parent = tempDir()
    const dataDir = path.join(parent, 'new', 'peer')
    const p = await spawnPeer({ dataDir, args: ['--profile', 'local'] })
    expect((await api(p, 'PUT', '/docs/d/kv/k', { v: 1 })).status).toBe(200)
    await stopPeer(p)
    const entries = modes(dataDir)
    expect(entries.length).toBeGreaterThan(4) // peer.key, docs/, LevelDB's files
    for (const [name, mode, isDir] of entries) expect(mode, name).toBe(isDir ? 0o700 : 0o600)
    expect(statSync(path.join(parent, 'new')).mode & 0o777).toBe(0o700)

    const old = path.join(parent, 'old')
    mkdirSync(old, { mode: 0o755 })
    chmodSync(old, 0o755)
    const q = await spawnPeer({ dataDir: old, args: ['--profile', 'local'] })
    expect(statSync(old).mode & 0o777).toBe(0o700)
    expect(q.log()).toMatch(/WARN .*data directory was open to other users; restricted it to its owner/)
    await stopPeer(q)
  })
})

describe('open mesh warning', () => {
  afterAll(cleanup)

  test('one warning line when listening beyond loopback with no PSK and no allow-list; none otherwise', async () => {
    const open = await spawnPeer({ args: ['--profile', 'local', '--listen', '/ip4/0.0.0.0/tcp/0'] })
    const warnings = open.log().split('\n').filter(l => /the mesh is open/.test(l))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/WARN .*listening on \/ip4\/0\.0\.0\.0\/tcp\/0 with no --psk and no --allow-peer/)
    const loopback = await spawnPeer({ args: LOCAL })
    const keyed = await spawnPeer({ args: ['--profile', 'local', '--listen', '/ip4/0.0.0.0/tcp/0', '--psk', file('swarm.key', generatePsk(), 0o600)] })
    expect(loopback.log()).not.toMatch(/mesh is open/)
    expect(keyed.log()).not.toMatch(/mesh is open/)
    await Promise.all([open, loopback, keyed].map(async p => await stopPeer(p)))
  })
})
