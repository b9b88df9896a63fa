/**
 * DNS bootstrap for real, as in Kubernetes: a DNS server (Debian's dnsmasq) in a network namespace
 * answers for a headless-Service-like name with one A record per peer; peer processes in their own
 * namespaces are given that name only (`--bootstrap /dns4/murmur.mesh.test/tcp/4001`) and must form one
 * mesh — which needs every record dialled, not the one libp2p's own /dns4 resolution would dial. Then a
 * "new pod": its address is added to the DNS answer and it joins through the same name.
 *
 * Needs root, iproute2 and dnsmasq (apt-get install dnsmasq-base); skips with the reason otherwise.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createNetnsLab, netnsUnavailable } from '../../scripts/lib/netns.ts'
import type { NetnsLab } from '../../scripts/lib/netns.ts'
import { cleanup, spawnPeer, tempDir, waitFor, waitForStates } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'

const NAME = 'murmur.mesh.test'
const PORT = 4001
const TOKEN = 'dns-bootstrap-netns-token-0123'
const PEERS = 3

function unavailable (): string | undefined {
  const netns = netnsUnavailable()
  if (netns !== undefined) return netns
  if (spawnSync('dnsmasq', ['--version'], { stdio: 'ignore' }).status !== 0) return 'dnsmasq is not installed (apt-get install dnsmasq-base)'
  return undefined
}

const why = unavailable()
if (why !== undefined) console.log(`DNS bootstrap namespace test skipped: ${why}`)

describe.skipIf(why !== undefined)('DNS bootstrap through a name with several A records (dnsmasq, network namespaces)', () => {
  let lab: NetnsLab
  let dnsmasq: ChildProcess
  let hostsFile: string
  const resolvDirs: string[] = []
  let createdNetnsDir = false
  const peers: PeerProcess[] = []
  /** Namespace 0 runs the DNS server; peers run in 1..PEERS+1. */
  const peerIps = (n: number): string[] => Array.from({ length: n }, (_, i) => lab.dataIp(i + 1))
  const publish = (ips: readonly string[]): void => { writeFileSync(hostsFile, ips.map(ip => `${ip} ${NAME}\n`).join('')) }

  beforeAll(async () => {
    lab = createNetnsLab(PEERS + 2, `mmdns${process.pid.toString(36).slice(-3)}`)
    hostsFile = path.join(tempDir('murmur-dns-'), 'hosts')
    publish(peerIps(PEERS))
    // Only what the hosts file says, nothing forwarded: the answer is exactly the "pods" listed.
    dnsmasq = spawn('ip', ['netns', 'exec', lab.names[0] as string, 'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
      `--addn-hosts=${hostsFile}`, `--listen-address=${lab.dataIp(0)}`, '--bind-interfaces', '--pid-file', '--user=root', '--local-ttl=1', '--log-facility=-'],
    { stdio: ['ignore', 'pipe', 'pipe'] })
    // `ip netns exec` mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf: each peer asks dnsmasq.
    createdNetnsDir = !existsSync('/etc/netns')
    for (const ns of lab.names.slice(1)) {
      const dir = path.join('/etc/netns', ns)
      mkdirSync(dir, { recursive: true })
      writeFileSync(path.join(dir, 'resolv.conf'), `nameserver ${lab.dataIp(0)}\n`)
      resolvDirs.push(dir)
    }
    await waitFor('dnsmasq answering', () => spawnSync('ip', ['netns', 'exec', lab.names[1] as string, 'getent', 'ahostsv4', NAME], { encoding: 'utf8' }).stdout.includes(lab.dataIp(1)), 10_000)
  }, 60_000)

  afterAll(async () => {
    await cleanup()
    dnsmasq?.kill('SIGTERM')
    for (const dir of resolvDirs) rmSync(dir, { recursive: true, force: true })
    if (createdNetnsDir) try { rmdirSync('/etc/netns') } catch {} // only if empty: another lab may use it
    lab?.close()
  })

  const start = async (i: number): Promise<PeerProcess> => {
    const p = await spawnPeer({
      netns: lab.names[i + 1] as string,
      host: lab.mgmtIp(i + 1),
      listenHost: lab.dataIp(i + 1),
      tcpPort: PORT,
      token: TOKEN,
      args: ['--profile', 'local'],
      bootstrap: [`/dns4/${NAME}/tcp/${PORT}`]
    })
    peers.push(p)
    return p
  }

  test('every peer is given the name only, and all of them form one mesh', async () => {
    const resolved = spawnSync('ip', ['netns', 'exec', lab.names[1] as string, 'getent', 'ahostsv4', NAME], { encoding: 'utf8' }).stdout
    expect(new Set([...resolved.matchAll(/^(\S+)\s+STREAM/gm)].map(m => m[1]))).toEqual(new Set(peerIps(PEERS)))
    const started = await Promise.all(Array.from({ length: PEERS }, async (_, i) => await start(i)))
    const took = await waitForStates(started, started.map(p => p.id), 'alive', 30_000)
    console.log(`${PEERS} peers bootstrapped from ${NAME} (${PEERS} A records): all alive everywhere in ${took} ms`)
    // Each peer dialled the other records of the one name (never itself; fewer if another peer had
    // reached it first): more than one address from a single name, which libp2p's own /dns4 dial is not.
    const counts = started.map((p) => {
      expect(p.args).toContain(`/dns4/${NAME}/tcp/${PORT}`)
      const m = new RegExp(`joining through addresses from DNS names=${NAME.replaceAll('.', '\\.')} addresses=(\\d+)`).exec(p.log())
      expect(m, p.log()).not.toBeNull()
      return Number(m?.[1])
    })
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(2)
  }, 60_000)

  test('a new peer whose address is added to the answer joins through the same name', async () => {
    publish(peerIps(PEERS + 1))
    dnsmasq.kill('SIGHUP') // re-reads the hosts file
    await waitFor('the new address in DNS', () => spawnSync('ip', ['netns', 'exec', lab.names[1] as string, 'getent', 'ahostsv4', NAME], { encoding: 'utf8' }).stdout.includes(lab.dataIp(PEERS + 1)), 10_000)
    const late = await start(PEERS)
    await waitForStates(peers, peers.map(p => p.id), 'alive', 30_000)
    expect(late.log()).toMatch(/joining through addresses from DNS/)
  }, 60_000)
})
