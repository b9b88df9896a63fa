/**
 * The naive baseline peers (baseline/gossip-peer.ts: Yjs updates over gossipsub, no anti-entropy), one
 * per namespace like the murmur peers, driven over their small HTTP API on the management network.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import path from 'node:path'
import { NODE, ROOT } from '../../lib/peers.ts'
import type { NetnsLab } from '../../lib/netns.ts'
import { waitForOutput } from './child.ts'
import { killOnTeardown } from './teardown.ts'

const PEER_TS = path.join(ROOT, 'scripts', 'bench', 'baseline', 'gossip-peer.ts')
const PORT = 4101
const HTTP_PORT = 8181
const START_TIMEOUT_MS = 60_000
const REQUEST_TIMEOUT_MS = 10_000

export interface BaselinePeer {
  readonly name: string
  readonly ns: number
  readonly id: string
  readonly addr: string
  readonly http: string
  readonly proc: ChildProcess
}

export interface BaselineState {
  id: string
  digest: string
  keys: number
  connected: string[]
  topicPeers: number
}

export async function spawnBaseline (lab: NetnsLab, ns: number): Promise<BaselinePeer> {
  const args = [PEER_TS, '--listen', `${lab.dataIp(ns)}:${PORT}`, '--http', `${lab.mgmtIp(ns)}:${HTTP_PORT}`]
  const proc = spawn('ip', ['netns', 'exec', lab.names[ns] as string, NODE, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  killOnTeardown(`baseline g${ns}`, proc)
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  proc.stderr?.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-8192) })
  if (!await waitForOutput(proc, () => /^ {2}http +\S+/m.test(out), START_TIMEOUT_MS)) {
    proc.kill('SIGKILL')
    throw new Error(`baseline peer g${ns} did not start:\n${out.slice(-2000)}`)
  }
  const id = /^baseline peer (\S+)/m.exec(out)?.[1] ?? ''
  return { name: `g${ns}`, ns, id, addr: `/ip4/${lab.dataIp(ns)}/tcp/${PORT}/p2p/${id}`, http: /^ {2}http +(\S+)/m.exec(out)?.[1] ?? '', proc }
}

async function call (p: BaselinePeer, method: string, route: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${p.http}${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  })
  if (res.status !== 200) throw new Error(`${p.name} ${method} ${route}: HTTP ${res.status}`)
  return await res.json()
}

export async function baselineState (p: BaselinePeer): Promise<BaselineState> {
  return await call(p, 'GET', '/state') as BaselineState
}

export async function baselineKeys (p: BaselinePeer): Promise<string[]> {
  return await call(p, 'GET', '/keys') as string[]
}

export async function baselinePut (p: BaselinePeer, key: string, value: unknown): Promise<void> {
  await call(p, 'PUT', `/kv/${encodeURIComponent(key)}`, value)
}

/** Tells every peer the addresses of all the others (each keeps re-dialling them). */
export async function connectAll (peers: readonly BaselinePeer[]): Promise<void> {
  await Promise.all(peers.map(async p => await call(p, 'POST', '/peers', { addrs: peers.filter(q => q !== p).map(q => q.addr) })))
}
