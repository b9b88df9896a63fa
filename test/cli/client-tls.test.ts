/**
 * murmur against an HTTPS agent it cannot verify, or with the wrong scheme: the error named only
 * OpenSSL's code ("cannot reach the agent at https://…: DEPTH_ZERO_SELF_SIGNED_CERT", "…: EPROTO",
 * "…: ECONNRESET"), and nothing said what to do. Against stand-in servers with a certificate made by
 * openssl.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { readFileSync, writeFileSync } from 'node:fs'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { NODE, ROOT, cleanup, tempDir } from '../helpers/procs.js'
import { murmur } from './helpers.js'

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0

/** A self-signed certificate for `san`, and its key. */
function selfSigned (san: string): { cert: Buffer, key: Buffer } {
  const dir = tempDir()
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=murmur-test',
    '-addext', `subjectAltName=${san}`, '-keyout', key, '-out', cert], { encoding: 'utf8' })
  if (made.status !== 0) throw new Error(made.stderr)
  return { cert: readFileSync(cert), key: readFileSync(key) }
}

let server: Server | undefined
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise<void>((resolve) => { if (server?.listening === true) server.close(() => { resolve() }); else resolve() })
  server = undefined
})
afterAll(cleanup)

async function listen (s: Server): Promise<number> {
  server = s
  await new Promise<void>((resolve) => { s.listen(0, '127.0.0.1', resolve) })
  return (s.address() as AddressInfo).port
}
const members = (_req: unknown, res: { writeHead: (s: number, h: Record<string, string>) => void, end: (b: string) => void }): void => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end('[]')
}

describe.skipIf(!openssl)('murmur and an agent\'s TLS', () => {
  test('a certificate from a CA this machine does not trust: the error says NODE_EXTRA_CA_CERTS', async () => {
    const port = await listen(createTlsServer(selfSigned('IP:127.0.0.1'), members))
    const r = await murmur(['members', '--http-addr', `https://127.0.0.1:${port}`])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^murmur: cannot reach the agent at https:\/\/127\.0\.0\.1:\d+: DEPTH_ZERO_SELF_SIGNED_CERT \(.*NODE_EXTRA_CA_CERTS=<ca\.pem>.*\)\n$/)
  })

  test('a change refused at the TLS handshake says nothing was sent, not that it may have been applied', async () => {
    const port = await listen(createTlsServer(selfSigned('IP:127.0.0.1'), members))
    const r = await murmur(['tags', 'set', 'role=db', '--http-addr', `https://127.0.0.1:${port}`])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^murmur: cannot reach the agent at https:\/\/127\.0\.0\.1:\d+: DEPTH_ZERO_SELF_SIGNED_CERT \(.*NODE_EXTRA_CA_CERTS=<ca\.pem>.*\) \(nothing was sent: not applied\)\n$/)
  })

  test('a trusted certificate for another host name: the error says so', async () => {
    const dir = tempDir()
    const pair = selfSigned('DNS:other.example')
    writeFileSync(path.join(dir, 'ca.pem'), pair.cert)
    const port = await listen(createTlsServer(pair, members))
    // NODE_EXTRA_CA_CERTS is read when a process starts: the real command, spawned (not spawnSync: the
    // server it asks runs in this process).
    const proc = spawn(NODE, [path.join(ROOT, 'dist', 'murmur.js'), 'members', '--http-addr', `https://127.0.0.1:${port}`], { cwd: ROOT, env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'), MURMUR_HTTP_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const code = await new Promise<number | null>((resolve) => { proc.on('exit', (c) => { resolve(c) }) })
    expect(code).toBe(1)
    expect(stderr).toMatch(/: ERR_TLS_CERT_ALTNAME_INVALID \(the agent's certificate is for another host name: use one it names in --http-addr\)\n$/)
  }, 20_000)

  test('https:// to an agent serving plain HTTP: the error suggests http://', async () => {
    const port = await listen(createServer(members))
    const r = await murmur(['members', '--http-addr', `https://127.0.0.1:${port}`])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(new RegExp(`: EPROTO \\(.*plain HTTP, use --http-addr http://127\\.0\\.0\\.1:${port}\\)\\n$`))
  })

  test('plain HTTP to an agent serving HTTPS: the error suggests https://', async () => {
    const port = await listen(createTlsServer(selfSigned('IP:127.0.0.1'), members))
    const r = await murmur(['members', '--http-addr', `127.0.0.1:${port}`])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(new RegExp(`: ECONNRESET \\(if the agent serves HTTPS, use --http-addr https://127\\.0\\.0\\.1:${port}; if that is a peer's --listen port, give its --http address\\)\\n$`))
  })

  test('an unreachable port says nothing about TLS', async () => {
    const port = await listen(createServer(members))
    await new Promise<void>((resolve) => { server?.close(() => { resolve() }) })
    const r = await murmur(['members', '--http-addr', `127.0.0.1:${port}`])
    expect(r.stderr).toMatch(/: ECONNREFUSED\n$/)
  })
})
