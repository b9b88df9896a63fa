/**
 * DNS bootstrap for real, as in Kubernetes: a DNS server (Debian's dnsmasq) in a network namespace
 * answers for a headless-Service-like name with one A record per peer; peer processes in their own
 * namespaces are given that name only (`--bootstrap /dns4/murmur.mesh.test/tcp/4001`) and must form one
 * mesh — which needs every record dialled, not the one libp2p's own /dns4 resolution would dial. Then a
 * "new pod": its address is added to the DNS answer and it joins through the same name. Then `/ready` of
 * a StatefulSet of one (a name answering with the peer's own address: ready alone) and of two with one pod
 * not up yet (the other waits to join; scaled down to one, it is ready alone).
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
import { api, cleanup, sleep, spawnPeer, stopPeer, tempDir, waitFor, waitForStates } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'

const NAME = 'murmur.mesh.test'
/** A StatefulSet of one pod, and one of two: their own headless-Service names. */
const SOLO = 'solo.mesh.test'
const PAIR = 'pair.mesh.test'
const PORT = 4001
const TOKEN = 'dns-bootstrap-netns-token-0123'
const PEERS = 3
/** Namespaces after the DNS server's and the peers' (PEERS + 1 with the late one): the solo pod, the pair. */
const SOLO_NS = PEERS + 2
const PAIR_NS = [PEERS + 3, PEERS + 4]

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
  /** The answer of each name: NAME's records, and those of the StatefulSets of one and two. */
  const records: Record<string, string[]> = {}
  const publish = (ips: readonly string[], name = NAME): void => {
    records[name] = [...ips]
    writeFileSync(hostsFile, Object.entries(records).flatMap(([n, list]) => list.map(ip => `${ip} ${n}\n`)).join(''))
  }

  beforeAll(async () => {
    lab = createNetnsLab(PEERS + 5, `mmdns${process.pid.toString(36).slice(-3)}`)
    hostsFile = path.join(tempDir('murmur-dns-'), 'hosts')
    publish([lab.dataIp(SOLO_NS)], SOLO)
    publish(PAIR_NS.map(i => lab.dataIp(i)), PAIR)
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

  /** Peer `i` (namespace i + 1), given `name` as its only bootstrap address. */
  const start = async (i: number, name = NAME): Promise<PeerProcess> => {
    const p = await spawnPeer({
      netns: lab.names[i + 1] as string,
      host: lab.mgmtIp(i + 1),
      listenHost: lab.dataIp(i + 1),
      tcpPort: PORT,
      token: TOKEN,
      args: ['--profile', 'local'],
      bootstrap: [`/dns4/${name}/tcp/${PORT}`]
    })
    if (name === NAME) peers.push(p)
    return p
  }
  const readyStatus = async (p: PeerProcess): Promise<number> => (await api(p, 'GET', '/ready')).status
  const reload = async (name: string, ips: readonly string[]): Promise<void> => {
    publish(ips, name)
    dnsmasq.kill('SIGHUP') // re-reads the hosts file
    const answer = (): string[] => [...spawnSync('ip', ['netns', 'exec', lab.names[1] as string, 'getent', 'ahostsv4', name], { encoding: 'utf8' }).stdout.matchAll(/^(\S+)\s+STREAM/gm)].map(m => m[1] as string)
    await waitFor(`${name} answering ${ips.join(' ')}`, () => answer().sort().join(' ') === [...ips].sort().join(' '), 10_000)
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

  test('a StatefulSet of one: its name answers with the pod\'s own address, and the pod becomes ready alone', async () => {
    // Before: /ready wanted another member, so a StatefulSet scaled to 1 replica was never ready.
    const solo = await start(SOLO_NS - 1, SOLO)
    await waitFor('/ready 200', async () => await readyStatus(solo) === 200, 20_000)
    expect((await api<{ alive: number }>(solo, 'GET', '/ready')).body).toMatchObject({ ready: true, alive: 1 })
  }, 40_000)

  test('a StatefulSet of two with one pod not up yet: the other waits to join it; scaled down to one, it is ready alone', async () => {
    const [i0, i1] = PAIR_NS.map(i => i - 1) as [number, number]
    const first = await start(i0, PAIR)
    for (let t = 0; t < 12; t++) { // longer than a pod listed alone takes to count as alone
      expect(await readyStatus(first)).toBe(503)
      await sleep(1_000)
    }
    const second = await start(i1, PAIR)
    await waitFor('both ready, in one mesh', async () => await readyStatus(first) === 200 && await readyStatus(second) === 200, 30_000)
    await reload(PAIR, [lab.dataIp(i0 + 1)]) // kubectl scale --replicas=1: the second pod leaves the answer and goes
    await stopPeer(second)
    await waitFor('the remaining pod ready alone', async () => {
      const r = await api<{ alive: number }>(first, 'GET', '/ready')
      return r.status === 200 && r.body.alive === 1
    }, 30_000)
  }, 90_000)
})
