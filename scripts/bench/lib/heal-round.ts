/**
 * The heal benchmark's procedure on real peers (`dist/peer.js --profile local` on 127.0.0.1): start a
 * mesh; then per round cut it into two halves through every peer's `/admin/partition`, wait until each
 * half lists the other dead, heal, and time how long each peer takes to list every member alive again,
 * with the peers' CPU over the heal and their counters over the heal and the 15 s after it.
 */
import path from 'node:path'
import { api, cleanup, members, sleep, spawnPeer, waitForStates } from '../../lib/peers.ts'
import type { PeerProcess } from '../../lib/peers.ts'
import { busyCores, cpuSeconds, machineCpu } from './netns-stats.ts'
import { parseProm, sumProm, sumPromBy } from './prom.ts'
import type { PromSample } from './prom.ts'
import { median, progress, round } from './report.ts'
import { benchTempDir, killOnTeardown, onTeardown } from './teardown.ts'

/** The seed first, then the others this many at a time (all at once overloads 2 cores). */
export const START_BATCH = 5
/** Start-up loads libp2p; 30 peers starting on 2 cores take tens of seconds. */
const START_TIMEOUT_MS = 120_000
/** Bound on forming the mesh, and on it being whole again before a round's cut. */
export const FORM_TIMEOUT_MS = 180_000
/** Bound on each half listing the other dead after the cut. */
const CUT_TIMEOUT_MS = 120_000
/** Quiet time before each cut (after all alive everywhere) and between the last death and the heal. */
export const SETTLE_MS = 5_000
export const CUT_SETTLE_MS = 2_000
/** A peer that does not list all N alive within this long after the heal counts as not healed. */
export const HEAL_TIMEOUT_MS = 60_000
/** Each peer's /members is read this often during the heal, by its own loop. */
export const POLL_MS = 150
/** The counters are read before the heal and this long after it (later if the heal itself takes longer). */
export const COUNT_WINDOW_MS = 15_000
const PROGRESS_EVERY_MS = 5_000
const SCRAPE_ATTEMPTS = 3

export interface HealRound {
  /** Cut → every peer lists every member of the other half dead, s. */
  cutS: number
  /** The DELETEs of the heal, first sent to last answered, ms: the heal's clock starts at the last answer. */
  unblockMs: number
  /** Per peer, in start order: s from the heal until it listed all N alive; null if not within HEAL_TIMEOUT_MS. */
  perPeerS: Array<number | null>
  /** Heal → all alive everywhere (the slowest peer), s; null if a peer did not within HEAL_TIMEOUT_MS. */
  healS: number | null
  /** The median peer, s; null if half or more did not heal in time. */
  medianPeerS: number | null
  /** The peers' CPU (user + system, /proc) over the heal: its start to the slowest peer's all-alive, s. */
  cpuS: number
  /** cpuS per second of the heal: how many cores the peers kept busy. */
  cores: number
  /** The whole machine over the heal, cores (other processes and this benchmark included). */
  machineCores: number
  /** The counters' window (the heal and COUNT_WINDOW_MS after it, scrapes included), s. */
  countS: number
  handshakesOut: number
  handshakesIn: number
  /** Handshakes that overran their deadline (an overloaded end), both directions. */
  handshakeTimeouts: number
  /** null: the build measured has no such counter. */
  duplicates: number | null
  staleVerdicts: number | null
  suspicions: number
  /** Frames received in the counters' window, all peers, by `swim.<type>` and `sync.<type>`. */
  framesIn: Record<string, number>
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)
const tag = (p: PeerProcess): string => p.id.slice(-6)

/** Starts n peers from `entry` (a build's dist/peer.js), each registered for teardown; in start order. */
export async function startMesh (n: number, entry: string): Promise<PeerProcess[]> {
  const root = benchTempDir('murmur-heal-')
  // Registered after the temp dir, so it runs before the dir is removed: peers.ts SIGKILLs (synchronously)
  // every process it spawned, the ones still starting (not yet handed to killOnTeardown) included.
  onTeardown('peers still starting', () => { void cleanup() })
  const peers: PeerProcess[] = []
  const start = async (i: number): Promise<void> => {
    const name = `p${String(i).padStart(2, '0')}`
    const seed = peers[0]?.addrs[0]
    const p = await spawnPeer({ entry, dataDir: path.join(root, name), args: ['--profile', 'local', '--name', name], bootstrap: seed === undefined ? [] : [seed], startTimeoutMs: START_TIMEOUT_MS })
    killOnTeardown(`peer ${name}`, p.proc)
    peers[i] = p
  }
  await start(0)
  for (let i = 1; i < n; i += START_BATCH) {
    await Promise.all(Array.from({ length: Math.min(START_BATCH, n - i) }, async (_, k) => { await start(i + k) }))
    progress(`  ${Math.min(n, i + START_BATCH)}/${n} peers started`)
  }
  return peers
}

/** Waits (bounded) until every peer lists every peer alive; returns how long that took, s. */
export async function waitWhole (peers: readonly PeerProcess[]): Promise<number> {
  return await waitForStates(peers, peers.map(p => p.id), 'alive', FORM_TIMEOUT_MS) / 1000
}

async function partition (p: PeerProcess, block: readonly PeerProcess[] | undefined): Promise<void> {
  const method = block === undefined ? 'DELETE' : 'POST'
  const r = await api(p, method, '/admin/partition', block === undefined ? undefined : { block: block.map(b => b.id) })
  if (r.status < 200 || r.status > 299) throw new Error(`${method} /admin/partition on ${tag(p)}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`)
}

async function scrape (p: PeerProcess): Promise<PromSample[]> {
  let last: unknown
  for (let attempt = 0; attempt < SCRAPE_ATTEMPTS; attempt++) {
    try {
      const r = await api<string>(p, 'GET', '/metrics')
      if (r.status === 200) return parseProm(String(r.body))
      last = `HTTP ${r.status}`
    } catch (err) {
      last = err
    }
  }
  throw new Error(`/metrics of ${tag(p)} not read in ${SCRAPE_ATTEMPTS} attempts: ${last instanceof Error ? last.message : String(last)}`)
}

/** The peers' CPU seconds so far, summed; throws if one is gone (its CPU would silently drop out). */
function peersCpu (peers: readonly PeerProcess[]): number {
  return sum(peers.map(p => {
    const s = cpuSeconds(p.proc.pid ?? -1)
    if (s === undefined) throw new Error(`peer ${tag(p)} exited during the run:\n${p.log().slice(-2000)}`)
    return s
  }))
}

/** ms from `t0` until `p` lists n members alive, read every POLL_MS; null if not within HEAL_TIMEOUT_MS. */
async function untilAllAlive (p: PeerProcess, n: number, t0: number): Promise<number | null> {
  for (;;) {
    try {
      if ((await members(p)).filter(m => m.state === 'alive').length === n) return performance.now() - t0
    } catch { /* a read timed out on a busy peer: read again */ }
    if (performance.now() - t0 > HEAL_TIMEOUT_MS) return null
    await sleep(POLL_MS)
  }
}

/** Median where null (not in time) ranks above every number; null if the median itself is one. */
export function medianOrNull (xs: ReadonlyArray<number | null>): number | null {
  const m = median(xs.map(x => x ?? Number.POSITIVE_INFINITY))
  return Number.isFinite(m) ? m : null
}

/** Cut the mesh into its first and second half, wait for each to list the other dead, heal, measure. */
export async function healRound (peers: readonly PeerProcess[], label: string): Promise<HealRound> {
  const n = peers.length
  await waitWhole(peers)
  await sleep(SETTLE_MS)
  const a = peers.slice(0, n / 2)
  const b = peers.slice(n / 2)
  progress(`${label}: cut ${a.length} | ${b.length}`)
  const cutAt = performance.now()
  await Promise.all(peers.map(async (p, i) => { await partition(p, i < n / 2 ? b : a) }))
  await Promise.all([
    waitForStates(a, b.map(p => p.id), 'dead', CUT_TIMEOUT_MS),
    waitForStates(b, a.map(p => p.id), 'dead', CUT_TIMEOUT_MS)
  ])
  const cutS = (performance.now() - cutAt) / 1000
  progress(`${label}: each half lists the other dead after ${round(cutS, 1)} s; heal in ${CUT_SETTLE_MS / 1000} s`)
  await sleep(CUT_SETTLE_MS)

  // Counters before the CPU at the start: the scrapes' own CPU stays outside the heal's.
  const m0 = await Promise.all(peers.map(scrape))
  const cpu0 = peersCpu(peers)
  const machine0 = machineCpu()
  const sent = performance.now()
  await Promise.all(peers.map(async p => { await partition(p, undefined) }))
  const t0 = performance.now()
  let healed = 0
  const ticker = setInterval(() => { progress(`${label}:   ${healed}/${n} peers list all ${n} alive`) }, PROGRESS_EVERY_MS)
  let perPeerMs: Array<number | null>
  try {
    perPeerMs = await Promise.all(peers.map(async p => {
      const ms = await untilAllAlive(p, n, t0)
      if (ms !== null) healed++
      return ms
    }))
  } finally {
    clearInterval(ticker)
  }
  const healEnd = performance.now()
  const cpuS = peersCpu(peers) - cpu0
  const machineCores = busyCores(machine0, machineCpu())
  const perPeerS = perPeerMs.map(ms => ms === null ? null : ms / 1000)
  const healS = perPeerS.includes(null) ? null : Math.max(...perPeerS as number[])
  const wallS = (healEnd - t0) / 1000
  progress(`${label}: heal → all alive everywhere ${healS === null ? `not within ${HEAL_TIMEOUT_MS / 1000} s (${healed}/${n} peers)` : `${round(healS, 2)} s`}; peers' CPU ${round(cpuS, 1)} s (${round(cpuS / wallS, 2)} cores); counters at heal + ${COUNT_WINDOW_MS / 1000} s`)

  await sleep(Math.max(0, t0 + COUNT_WINDOW_MS - performance.now()))
  const m1 = await Promise.all(peers.map(scrape))
  const countS = (performance.now() - sent) / 1000
  const has = (name: string): boolean => m1.some(s => s.some(x => x.name === name))
  const delta = (name: string, match: Record<string, string> = {}): number =>
    sum(peers.map((_, i) => sumProm(m1[i] ?? [], name, match) - sumProm(m0[i] ?? [], name, match)))
  const framesIn: Record<string, number> = {}
  for (const channel of ['swim', 'sync']) {
    const name = `murmur_${channel}_messages_total`
    for (let i = 0; i < n; i++) {
      const before = sumPromBy(m0[i] ?? [], name, 'type', { direction: 'in' })
      for (const [type, v] of Object.entries(sumPromBy(m1[i] ?? [], name, 'type', { direction: 'in' }))) {
        const key = `${channel}.${type}`
        framesIn[key] = (framesIn[key] ?? 0) + v - (before[type] ?? 0)
      }
    }
  }
  return {
    cutS: round(cutS, 2),
    unblockMs: round(t0 - sent),
    perPeerS: perPeerS.map(s => s === null ? null : round(s, 2)),
    healS: healS === null ? null : round(healS, 2),
    medianPeerS: (m => m === null ? null : round(m, 2))(medianOrNull(perPeerS)),
    cpuS: round(cpuS, 2),
    cores: round(cpuS / wallS, 2),
    machineCores: round(machineCores, 2),
    countS: round(countS, 1),
    handshakesOut: delta('murmur_handshakes_started_total', { direction: 'outbound' }),
    handshakesIn: delta('murmur_handshakes_started_total', { direction: 'inbound' }),
    handshakeTimeouts: delta('murmur_handshakes_ended_total', { result: 'timed_out' }),
    duplicates: has('murmur_duplicate_connections_closed_total') ? delta('murmur_duplicate_connections_closed_total') : null,
    staleVerdicts: has('murmur_stale_verdicts_total') ? delta('murmur_stale_verdicts_total') : null,
    suspicions: delta('murmur_suspicions_total'),
    framesIn: Object.fromEntries(Object.entries(framesIn).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]))
  }
}
