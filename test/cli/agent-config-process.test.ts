/**
 * The agent's settings as processes: a --config file under MURMUR_* variables under flags, SIGHUP
 * reloading tags, the peer allowlist and the HTTP allowed hosts (and nothing on a bad file), and
 * --advertise (the address other members see and dial instead of the listen one).
 */
import { request } from 'node:http'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { api, cleanup, spawnPeer, tempDir, waitFor, waitForStates } from '../helpers/procs.js'
import type { MemberJson, PeerProcess } from '../helpers/procs.js'

const LOCAL = ['--profile', 'local']
const OTHER_ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'

const membersOf = async (p: PeerProcess): Promise<MemberJson[]> => (await api<MemberJson[]>(p, 'GET', '/members')).body

/** GET with a chosen Host header (and Origin): its status. */
const statusWithHost = (p: PeerProcess, host: string, origin?: string): Promise<number> => new Promise((resolve, reject) => {
  const url = new URL(p.http)
  request({ host: url.hostname, port: url.port, path: '/members', headers: { host, ...(origin === undefined ? {} : { origin }) }, agent: false, timeout: 5_000 }, (res) => {
    res.resume()
    resolve(res.statusCode ?? 0)
  }).on('error', reject).end()
})

const freePort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as AddressInfo
    s.close(() => { resolve(port) })
  })
})

describe('agent settings', () => {
  afterAll(cleanup)

  test('flags > MURMUR_* > --config file; SIGHUP applies changed tags, allowed hosts and origins, and ignores a bad file', async () => {
    const config = path.join(tempDir(), 'murmur.json')
    writeFileSync(config, JSON.stringify({ name: 'from-file', tag: { role: 'db', zone: 'a' }, profile: 'lan' }))
    const a = await spawnPeer({ args: ['--config', config, '--profile', 'local'], env: { MURMUR_NAME: 'from-env', MURMUR_TGA: 'role=typo' } })
    const b = await spawnPeer({ args: LOCAL, bootstrap: [a.addrs[0] as string] })
    await waitForStates([a, b], [a.id, b.id], 'alive', 15_000)
    const self = (await membersOf(a)).find(m => m.peerId === a.id)
    expect(self).toMatchObject({ name: 'from-env', tags: { role: 'db', zone: 'a' } })
    expect(a.log()).toMatch(/WARN .*MURMUR_TGA is not a setting and is ignored: did you mean MURMUR_TAG\?/)
    expect(await statusWithHost(a, 'murmur.test')).toBe(403)
    const loopback = new URL(a.http).host
    expect(await statusWithHost(a, loopback, 'http://app.test:5173')).toBe(403)

    writeFileSync(config, JSON.stringify({ name: 'renamed', tag: { role: 'db', zone: 'b' }, profile: 'lan', 'http-allow-host': ['murmur.test'], 'http-allow-origin': ['http://app.test:5173'] }))
    a.proc.kill('SIGHUP')
    // The file's new name is masked by MURMUR_NAME (env > file), so nothing needs a restart.
    await waitFor('the reload logged', () => /SIGHUP: configuration reloaded applied=tags,http-allow-host,http-allow-origin$/m.test(a.log()), 10_000)
    await waitFor('the new tag on the other peer', async () => (await membersOf(b)).find(m => m.peerId === a.id)?.tags.zone === 'b', 15_000)
    expect(await statusWithHost(a, 'murmur.test')).toBe(200)
    expect(await statusWithHost(a, loopback, 'http://app.test:5173')).toBe(200)

    writeFileSync(config, '{"tag": ')
    a.proc.kill('SIGHUP')
    await waitFor('the refusal logged', () => /WARN .*SIGHUP: configuration not reloaded error=.*not valid JSON/.test(a.log()), 10_000)
    // The reloads replaced the user's tags; the advertised HTTP address (murmur.http, for /mesh) stayed.
    expect((await membersOf(a)).find(m => m.peerId === a.id)?.tags).toEqual({ role: 'db', zone: 'b', 'murmur.http': a.http })
    expect(a.proc.exitCode).toBeNull()
  }, 60_000)

  // Secret files are read once, at start. One whose contents changed (a renewed certificate, a rotated
  // key or token: written in place, or a Kubernetes Secret's symlink swapped) was not noticed at all: the
  // reload said "nothing changed" while the old secret stayed in force until a restart.
  test('SIGHUP after a secret file named in the settings changed: logged as needing a restart', async () => {
    const dir = tempDir()
    const psk = path.join(dir, 'swarm.key')
    const newKey = (): string => `/key/swarm/psk/1.0.0/\n/base16/\n${randomBytes(32).toString('hex')}\n`
    writeFileSync(psk, newKey(), { mode: 0o600 })
    const config = path.join(dir, 'murmur.json')
    writeFileSync(config, JSON.stringify({ psk }))
    const a = await spawnPeer({ args: [...LOCAL, '--config', config] })
    a.proc.kill('SIGHUP')
    await waitFor('the first reload logged', () => /SIGHUP: configuration reloaded applied="nothing changed"$/m.test(a.log()), 10_000)
    writeFileSync(psk, newKey())
    a.proc.kill('SIGHUP')
    await waitFor('the second reload logged', () => a.log().match(/SIGHUP: configuration reloaded .*$/gm)?.length === 2, 10_000)
    expect(a.log().match(/SIGHUP: configuration reloaded .*$/gm)?.[1]).toBe('SIGHUP: configuration reloaded applied="nothing changed" needsRestart=pskFile')
  }, 60_000)

  test('SIGHUP with a new --allow-peer list disconnects a member that is no longer allowed', async () => {
    const config = path.join(tempDir(), 'murmur.json')
    writeFileSync(config, '{}')
    const a = await spawnPeer({ args: [...LOCAL, '--config', config] })
    const b = await spawnPeer({ args: LOCAL, bootstrap: [a.addrs[0] as string] })
    await waitForStates([a, b], [a.id, b.id], 'alive', 15_000)
    // Only someone else may connect now. (With a third member, b would stay alive in a's view: SWIM's
    // indirect probes through the third one vouch for it. The allowlist governs connections, not views.)
    writeFileSync(config, JSON.stringify({ 'allow-peer': [OTHER_ID] }))
    a.proc.kill('SIGHUP')
    await waitFor('the allowlist replaced', () => /allowlist replaced allowed=1 disconnected=1/.test(a.log()), 10_000)
    await waitFor('b no longer alive on a', async () => (await membersOf(a)).find(m => m.peerId === b.id)?.state !== 'alive', 20_000)
    expect(a.log()).toMatch(new RegExp(`refused (inbound|outbound) connection: peer is not in allowPeers.*${b.id}`))
  }, 60_000)

  test('--advertise: members see and dial the advertised address; a /dns4 bootstrap is resolved and joined', async () => {
    const port = await freePort()
    const a = await spawnPeer({ tcpPort: port, args: [...LOCAL, '--advertise', `/dns4/localhost/tcp/${port}`] })
    expect(a.addrs).toEqual([`/dns4/localhost/tcp/${port}/p2p/${a.id}`])
    const b = await spawnPeer({ args: LOCAL, bootstrap: [`/dns4/localhost/tcp/${port}`] })
    await waitForStates([a, b], [a.id, b.id], 'alive', 15_000)
    expect((await membersOf(b)).find(m => m.peerId === a.id)?.addrs).toEqual([`/dns4/localhost/tcp/${port}/p2p/${a.id}`])
    expect(b.log()).toMatch(/joining through addresses from DNS names=localhost addresses=/)
  }, 60_000)
})
