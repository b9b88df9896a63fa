/**
 * `npm run bench -- write-load`: the CPU one acknowledged write costs the mesh, on N real murmur peers
 * (`dist/peer.js --profile local`, on 127.0.0.1 like the soak) that all write one doc at a steady rate —
 * the soak's workload without its faults.
 *
 * Why (issue 14): the 30-peer soak is CPU-bound. Every peer writes the soak doc and so holds it open, so
 * every write is applied by every peer, and the doc's homes also get each write pushed directly; at 30
 * peers × 2 writes/s that leaves a heal no CPU. This bench puts a number on it per write, so a change to the
 * write path can be judged by the figure it moves.
 *
 * After the mesh formed and `--warmup` seconds of writes, it measures `--window` seconds: each peer's CPU
 * from /proc/<pid>/stat (utime + stime) at the window's two ends, the peers' counters from /metrics
 * scraped just outside them (before the start, after the end, so the scrapes' own CPU is not counted),
 * and the writes whose HTTP 200 arrived inside the window. The doc's homes are the peers whose own gauge
 * `murmur_docs_held{kind="homed"}` is ≥ 1 (the soak doc is the only doc).
 */
import os from 'node:os'
import path from 'node:path'
import { PEER_JS, ROOT, api, cleanup, spawnPeer, waitForStates } from '../lib/peers.ts'
import type { PeerProcess } from '../lib/peers.ts'
import { buildName } from './lib/build-name.ts'
import { keepRun, keptRuns, runsComment } from './lib/kept-runs.ts'
import type { KeptRun } from './lib/kept-runs.ts'
import { MURMUR_PEER_JS } from './lib/murmur-mesh.ts'
import { busyCores, cpuSeconds, machineCpu } from './lib/netns-stats.ts'
import type { MachineCpu } from './lib/netns-stats.ts'
import { parseProm, sumProm } from './lib/prom.ts'
import type { PromSample } from './lib/prom.ts'
import { inRange, readFlags } from './lib/flags.ts'
import { UsageError, machine, median, percentile, progress, round, table, writeSection } from './lib/report.ts'
import { SteadyWriters } from './lib/steady-writers.ts'
import type { WriteTarget } from './lib/steady-writers.ts'
import { benchTempDir, killOnTeardown, onTeardown, teardownAll } from './lib/teardown.ts'

interface Options {
  peers: number
  /** Writes per second per peer. */
  rate: number
  warmup: number
  window: number
}

export const USAGE = 'options: --peers 20 (3–50)  --rate 2 (writes/s per peer, 0.1–20)  --warmup 20 (s, 0–600)  --window 40 (s, 5–3600)'

function parse (args: readonly string[]): Options {
  const o: Options = { peers: 20, rate: 2, warmup: 20, window: 40 }
  const within = (key: keyof Options, min: number, max: number, integer: boolean) => inRange(min, max, integer, n => { o[key] = n })
  readFlags(args, USAGE, {
    numbers: {
      '--peers': within('peers', 3, 50, true),
      '--rate': within('rate', 0.1, 20, false),
      '--warmup': within('warmup', 0, 600, false),
      '--window': within('window', 5, 3600, false)
    }
  })
  return o
}

const DOC = 'soak'
/** Start-up loads libp2p; 30 peers starting on 2 cores take tens of seconds. */
const START_TIMEOUT_MS = 120_000
/** The seed first, then the others this many at a time (all at once overloads 2 cores). */
const START_BATCH = 5
const FORM_TIMEOUT_MS = 180_000
const PROGRESS_EVERY_MS = 10_000
/** Other processes using more than this many cores during the window make the figures doubtful (said in the report). */
const OTHER_CORES_WARN = 0.15
/** Bump when Figures changes shape: runs kept in BENCHMARKS.md with another schema are dropped. */
const SCHEMA = 1

/** The series counted per acknowledged write, summed over the peers. */
const COUNTERS = {
  syncFramesIn: { label: 'sync frames in', name: 'murmur_transport_frames_total', match: { channel: 'sync', direction: 'in' } },
  updateFramesIn: { label: '… of which update frames', name: 'murmur_sync_messages_total', match: { direction: 'in', type: 'update' } },
  syncDocFramesIn: { label: '… of which syncDoc frames (anti-entropy)', name: 'murmur_sync_messages_total', match: { direction: 'in', type: 'syncDoc' } },
  pushes: { label: 'pushes (update frames sent for local writes)', name: 'murmur_pushes_total', match: {} },
  forwards: { label: 'forwards (update frames sent on for remote pushes)', name: 'murmur_forwards_total', match: {} },
  applied: { label: 'remote updates applied', name: 'murmur_remote_updates_total', match: { result: 'applied' } },
  duplicate: { label: 'remote updates duplicate', name: 'murmur_remote_updates_total', match: { result: 'duplicate' } },
  pending: { label: 'remote updates pending (a dependency missing)', name: 'murmur_remote_updates_total', match: { result: 'pending' } },
  storeBatches: { label: 'store batches (one fsync each)', name: 'murmur_store_batches_total', match: {} }
} as const satisfies Record<string, { label: string, name: string, match: Record<string, string> }>
type CounterKey = keyof typeof COUNTERS

/** A per-write figure: mesh-wide, and the part of it at the doc's homes and at the others. */
interface Split { total: number, homes: number, others: number }

interface Figures {
  peers: number
  ratePerPeer: number
  warmupS: number
  windowS: number
  startupS: number
  formedS: number
  writes: { acked: number, ackedPerS: number, attemptedPerS: number, targetPerS: number, failedInWindow: number, failuresWholeRun: Record<string, number>, latencyMs: { p50: number, p99: number, max: number } }
  cpu: {
    /** Peers' CPU (core-ms) per acknowledged write, all peers, then split. */
    msPerAck: number
    homesMsPerAck: number
    othersMsPerAck: number
    /** % of one core over the window. */
    peerMedianPct: number
    homesMeanPct: number
    othersMedianPct: number
    maxPct: number
    peersCores: number
    machineBusyCores: number
    cores: number
    toolPct: number
    /** The same CPU by the peers' own process_cpu_seconds_total, and by /proc (s). */
    promSeconds: number
    procSeconds: number
  }
  homes: { names: string[], source: string, fromApi: string[] | undefined }
  perAck: Record<CounterKey, Split | null>
  perPeer: Array<{ name: string, home: boolean, cpuPct: number }>
  warnings: string[]
}

interface LoadPeer extends WriteTarget {
  readonly proc: PeerProcess
  readonly pid: number
}

interface CpuSnap { at: number, peers: Array<number | undefined>, machine: MachineCpu, self: NodeJS.CpuUsage }

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)
const mean = (xs: readonly number[]): number => xs.length === 0 ? Number.NaN : sum(xs) / xs.length

function cpuSnap (peers: readonly LoadPeer[]): CpuSnap {
  return { at: performance.now(), peers: peers.map(p => cpuSeconds(p.pid)), machine: machineCpu(), self: process.cpuUsage() }
}

async function scrape (p: LoadPeer): Promise<PromSample[] | undefined> {
  try {
    const r = await api<string>(p.proc, 'GET', '/metrics')
    return r.status === 200 ? parseProm(String(r.body)) : undefined
  } catch {
    return undefined
  }
}

async function scrapeAll (peers: readonly LoadPeer[]): Promise<Array<PromSample[] | undefined>> {
  return await Promise.all(peers.map(scrape))
}

/** One line on stderr every PROGRESS_EVERY_MS: phase, peers, writes, and the CPU used since the last line. */
class ProgressLine {
  phase = 'starting peers'
  writers: SteadyWriters | undefined
  private last: CpuSnap
  private readonly peers: readonly LoadPeer[]
  private readonly target: number

  constructor (peers: readonly LoadPeer[], target: number) {
    this.peers = peers
    this.target = target
    this.last = cpuSnap(peers)
    const timer = setInterval(() => { this.print() }, PROGRESS_EVERY_MS)
    onTeardown('progress line', () => { clearInterval(timer) })
  }

  private print (): void {
    const now = cpuSnap(this.peers)
    const before = this.last
    const s = (now.at - before.at) / 1000
    // Peers' CPU only once they are all up: a peer started since the last line has no reading to subtract.
    const peerS = before.peers.length === now.peers.length ? sum(now.peers.map((c, i) => (c ?? 0) - (before.peers[i] ?? c ?? 0))) : undefined
    const cpu = `;${peerS === undefined ? '' : ` peers' CPU ${round(peerS / s, 2)} cores,`} machine busy ${round(busyCores(before.machine, now.machine), 2)} of ${os.cpus().length} cores`
    this.last = now
    const exited = this.peers.filter(p => p.proc.proc.exitCode !== null || p.proc.proc.signalCode !== null).length
    const w = this.writers
    const writes = w === undefined ? '' : `; writes ${w.acked} acknowledged of ${w.attempts}, ${w.failed} failed, ${w.inFlight} in flight`
    progress(`${this.phase}: ${this.peers.length}/${this.target} peers${exited > 0 ? ` (${exited} EXITED)` : ''}${writes}${cpu}`)
  }
}

async function startPeers (o: Options, peers: LoadPeer[]): Promise<void> {
  const root = benchTempDir('murmur-write-load-')
  // Registered after the temp dir, so it runs before the dir is removed: peers.ts SIGKILLs (synchronously)
  // every process it spawned, the ones still starting (not yet handed to killOnTeardown) included.
  onTeardown('peers still starting', () => { void cleanup() })
  const start = async (i: number): Promise<void> => {
    const name = `p${String(i).padStart(2, '0')}`
    const seed = peers[0]
    const proc = await spawnPeer({
      entry: MURMUR_PEER_JS,
      dataDir: path.join(root, name),
      args: ['--profile', 'local', '--name', name],
      bootstrap: seed === undefined ? [] : [seed.proc.addrs[0] as string],
      startTimeoutMs: START_TIMEOUT_MS
    })
    killOnTeardown(`peer ${name}`, proc.proc)
    peers.push({ name, proc, pid: proc.proc.pid ?? -1, http: proc.http, headers: {} })
  }
  await start(0)
  for (let i = 1; i < o.peers; i += START_BATCH) {
    await Promise.all(Array.from({ length: Math.min(START_BATCH, o.peers - i) }, async (_, k) => { await start(i + k) }))
  }
  peers.sort((a, b) => a.name.localeCompare(b.name))
}

/** Homes of the doc by the peers' own gauges at the window's end; the seed's GET /docs/soak otherwise. */
function homesOf (peers: readonly LoadPeer[], m1: ReadonlyArray<PromSample[] | undefined>, fromApi: string[] | undefined): { isHome: boolean[], source: string } {
  const gauges = m1.map(s => s?.find(x => x.name === 'murmur_docs_held' && x.labels.kind === 'homed')?.value)
  if (gauges.every(v => v !== undefined)) return { isHome: gauges.map(v => (v ?? 0) >= 1), source: 'murmur_docs_held{kind="homed"} ≥ 1 on each peer' }
  if (fromApi !== undefined) return { isHome: peers.map(p => fromApi.includes(p.proc.id)), source: `GET /docs/${DOC} on ${peers[0]?.name ?? '?'} (a peer's gauge was missing)` }
  return { isHome: peers.map(() => false), source: 'unknown (no gauge, no API answer): all counted as others' }
}

async function homesFromApi (peers: readonly LoadPeer[]): Promise<string[] | undefined> {
  const seed = peers[0]
  if (seed === undefined) return undefined
  try {
    const r = await api<{ homes?: unknown }>(seed.proc, 'GET', `/docs/${DOC}`)
    const homes = r.body.homes
    return Array.isArray(homes) ? homes.filter((h): h is string => typeof h === 'string') : undefined
  } catch {
    return undefined
  }
}

interface Window { c0: CpuSnap, c1: CpuSnap, m0: Array<PromSample[] | undefined>, m1: Array<PromSample[] | undefined>, apiHomes: string[] | undefined }

function figures (o: Options, peers: readonly LoadPeer[], writers: SteadyWriters, w: Window, startupS: number, formedS: number): Figures {
  const { c0, c1, m0, m1 } = w
  const secs = (c1.at - c0.at) / 1000
  const warnings: string[] = []
  const cpuS = peers.map((_, i) => (c1.peers[i] ?? Number.NaN) - (c0.peers[i] ?? Number.NaN))
  const gone = peers.filter((_, i) => !Number.isFinite(cpuS[i])).map(p => p.name)
  if (gone.length > 0) warnings.push(`peers exited during the window (their CPU is not counted): ${gone.join(' ')}`)
  const unscraped = peers.filter((_, i) => m0[i] === undefined || m1[i] === undefined).map(p => p.name)
  if (unscraped.length > 0) warnings.push(`/metrics not read at both ends of the window (their counters are not counted): ${unscraped.join(' ')}`)
  const { isHome, source } = homesOf(peers, m1, w.apiHomes)
  const homeNames = peers.filter((_, i) => isHome[i] === true).map(p => p.name)
  const apiNames = w.apiHomes === undefined ? undefined : peers.filter(p => w.apiHomes?.includes(p.proc.id) === true).map(p => p.name)
  if (apiNames !== undefined && apiNames.join(' ') !== homeNames.join(' ')) warnings.push(`homes by the gauges (${homeNames.join(' ')}) differ from GET /docs/${DOC} (${apiNames.join(' ')})`)

  const acked = writers.window.acked
  if (acked === 0) throw new Error(`no write was acknowledged in the ${round(secs, 1)} s window (failures: ${JSON.stringify(Object.fromEntries(writers.failures))})`)
  const pct = cpuS.map(s => 100 * s / secs)
  const counted = (pick: (i: number) => boolean): number => sum(cpuS.filter((s, i) => pick(i) && Number.isFinite(s)))
  const procSeconds = counted(() => true)
  const delta = (i: number, name: string, match: Record<string, string>): number => {
    const a = m0[i]
    const b = m1[i]
    return a === undefined || b === undefined ? 0 : sumProm(b, name, match) - sumProm(a, name, match)
  }
  const split = (name: string, match: Record<string, string>): Split | null => {
    if (!m1.some(s => s?.some(x => x.name === name) === true)) return null // not in this build
    const at = (pick: (i: number) => boolean): number => round(sum(peers.map((_, i) => pick(i) ? delta(i, name, match) : 0)) / acked, 3)
    return { total: at(() => true), homes: at(i => isHome[i] === true), others: at(i => isHome[i] !== true) }
  }
  const perAck = Object.fromEntries(Object.entries(COUNTERS).map(([k, c]) => [k, split(c.name, c.match)])) as Record<CounterKey, Split | null>
  const lat = writers.window.latenciesMs
  const finite = pct.filter(Number.isFinite)
  const f: Figures = {
    peers: o.peers,
    ratePerPeer: o.rate,
    warmupS: o.warmup,
    windowS: round(secs, 1),
    startupS: round(startupS, 1),
    formedS: round(formedS, 1),
    writes: {
      acked,
      ackedPerS: round(acked / secs, 2),
      attemptedPerS: round(writers.window.attempts / secs, 2),
      targetPerS: round(o.peers * o.rate, 2),
      failedInWindow: writers.window.failed,
      failuresWholeRun: Object.fromEntries(writers.failures),
      latencyMs: { p50: round(percentile(lat, 50), 1), p99: round(percentile(lat, 99), 1), max: round(Math.max(...lat), 1) }
    },
    cpu: {
      msPerAck: round(1000 * procSeconds / acked, 2),
      homesMsPerAck: round(1000 * counted(i => isHome[i] === true) / acked, 2),
      othersMsPerAck: round(1000 * counted(i => isHome[i] !== true) / acked, 2),
      peerMedianPct: round(median(finite), 2),
      homesMeanPct: round(mean(pct.filter((p, i) => isHome[i] === true && Number.isFinite(p))), 2),
      othersMedianPct: round(median(pct.filter((p, i) => isHome[i] !== true && Number.isFinite(p))), 2),
      maxPct: round(Math.max(...finite), 2),
      peersCores: round(procSeconds / secs, 3),
      machineBusyCores: round(busyCores(c0.machine, c1.machine), 3),
      cores: os.cpus().length,
      toolPct: round(100 * ((c1.self.user - c0.self.user) + (c1.self.system - c0.self.system)) / 1e6 / secs, 2),
      promSeconds: round(sum(peers.map((_, i) => delta(i, 'process_cpu_seconds_total', {}))), 2),
      procSeconds: round(procSeconds, 2)
    },
    homes: { names: homeNames, source, fromApi: apiNames },
    perAck,
    perPeer: peers.map((p, i) => ({ name: p.name, home: isHome[i] === true, cpuPct: round(pct[i] as number, 2) })),
    warnings
  }
  const other = otherCores(f)
  if (other > OTHER_CORES_WARN) warnings.push(`other processes kept ${round(other, 2)} cores busy during the window: on shared cores the peers' CPU per write comes out higher`)
  return f
}

async function run (o: Options): Promise<Figures> {
  const peers: LoadPeer[] = []
  const line = new ProgressLine(peers, o.peers)
  const t0 = performance.now()
  await startPeers(o, peers)
  const startupS = (performance.now() - t0) / 1000
  line.phase = 'forming'
  const formedMs = await waitForStates(peers.map(p => p.proc), peers.map(p => p.proc.id), 'alive', FORM_TIMEOUT_MS)
  progress(`${o.peers} peers up in ${round(startupS, 1)} s, all alive everywhere ${round(formedMs / 1000, 1)} s later; writing ${o.rate}/s each into "${DOC}", ${o.warmup} s of warmup`)

  const writers = new SteadyWriters(peers, DOC, o.rate)
  line.writers = writers
  line.phase = 'warmup'
  writers.start()
  try {
    // Every writer has started (each waits < one interval first), then the warmup.
    await sleep(1000 / o.rate + o.warmup * 1000)
    // Counters before the CPU at the start, after it at the end: the scrapes' own CPU stays outside.
    line.phase = 'window'
    const m0 = await scrapeAll(peers)
    const c0 = cpuSnap(peers)
    writers.openWindow(c0.at)
    progress(`window of ${o.window} s starts (${m0.filter(s => s !== undefined).length}/${peers.length} peers' /metrics read)`)
    await sleep(o.window * 1000)
    const c1 = cpuSnap(peers)
    writers.closeWindow(c1.at)
    const m1 = await scrapeAll(peers)
    line.phase = 'stopping'
    progress(`window ends (${m1.filter(s => s !== undefined).length}/${peers.length} peers' /metrics read)`)
    const apiHomes = await homesFromApi(peers)
    return figures(o, peers, writers, { c0, c1, m0, m1, apiHomes }, startupS, formedMs / 1000)
  } finally {
    await writers.stop()
  }
}

// ── report ────────────────────────────────────────────────────────────────────────────────────────

const fmt = (x: number, digits = 2): string => Number.isFinite(x) ? x.toFixed(digits) : '–'
const splitCell = (s: Split | null | undefined): string => s == null ? '–' : `${fmt(s.total)} (homes ${fmt(s.homes)}, others ${fmt(s.others)})`

/** Cores kept busy by neither the peers nor this process: other work on a shared machine. */
const otherCores = (f: Figures): number => f.cpu.machineBusyCores - f.cpu.peersCores - f.cpu.toolPct / 100

function rows (runs: ReadonlyArray<KeptRun<Figures>>): Array<Array<string | number>> {
  const row = (label: string, cell: (f: Figures) => string): Array<string | number> => [label, ...runs.map(r => cell(r.figures))]
  return [
    row('**peer CPU per acknowledged write, ms** (/proc utime + stime over the window, all peers)', f => `**${fmt(f.cpu.msPerAck)}**`),
    row('… at the doc\'s homes / at the others, ms', f => `${fmt(f.cpu.homesMsPerAck)} / ${fmt(f.cpu.othersMsPerAck)} (${f.homes.names.length} homes)`),
    row('acknowledged writes/s (asked: peers × rate); failed in the window', f => `${fmt(f.writes.ackedPerS, 1)} (${fmt(f.writes.targetPerS, 0)}); ${f.writes.failedInWindow}`),
    row('ack latency p50 / p99, ms', f => `${fmt(f.writes.latencyMs.p50, 0)} / ${fmt(f.writes.latencyMs.p99, 0)}`),
    row('CPU per peer, % of a core: homes (mean) / others (median) / busiest', f => `${fmt(f.cpu.homesMeanPct, 1)} / ${fmt(f.cpu.othersMedianPct, 1)} / ${fmt(f.cpu.maxPct, 1)}`),
    row('peers\' CPU / whole machine busy, cores (other processes)', f => `${fmt(f.cpu.peersCores)} / ${fmt(f.cpu.machineBusyCores)} of ${f.cpu.cores} (${fmt(otherCores(f))})`),
    row('this benchmark process, % of a core', f => fmt(f.cpu.toolPct, 1)),
    ...Object.entries(COUNTERS).map(([k, c]) => row(`per acknowledged write: ${c.label}`, f => splitCell(f.perAck[k as CounterKey])))
  ]
}

function runLine (r: KeptRun<Figures>): string {
  const f = r.figures
  return `- ${f.peers} peers × ${f.ratePerPeer}/s: \`${r.command}\` — ${r.at} UTC, build ${r.build}, load average ${r.loadBefore} before; ` +
    `${f.writes.acked} writes acknowledged in a ${f.windowS} s window after ${f.warmupS} s of warmup; peers started in ${f.startupS} s, all alive ${f.formedS} s later; ` +
    `homes ${f.homes.names.join(' ') || 'none'} (by ${f.homes.source}); CPU cross-check, process_cpu_seconds_total ${f.cpu.promSeconds} s vs /proc ${f.cpu.procSeconds} s` +
    `${Object.keys(f.writes.failuresWholeRun).length === 0 ? '' : `; failed writes (whole run): ${JSON.stringify(f.writes.failuresWholeRun)}`}` +
    f.warnings.map(w => `; WARNING: ${w}`).join('')
}

export async function main (args: string[]): Promise<void> {
  const o = parse(args)
  const loadBefore = os.loadavg().map(l => l.toFixed(2)).join(' ')
  const build = buildName(MURMUR_PEER_JS)
  progress(`write-load benchmark on ${machine()}, murmur ${MURMUR_PEER_JS} (${build}): ${o.peers} peers × ${o.rate} writes/s into one doc, warmup ${o.warmup} s, window ${o.window} s; load average ${loadBefore}`)
  let f: Figures
  try {
    f = await run(o)
  } finally {
    teardownAll()
  }
  const command = `npm run bench -- write-load${args.length > 0 ? ' ' + args.join(' ') : ''}`
  const run1: KeptRun<Figures> = { key: `${o.peers}x${o.rate}`, schema: SCHEMA, at: new Date().toISOString().slice(0, 16).replace('T', ' '), command, build, loadBefore, figures: f }
  const runs = keepRun(keptRuns<Figures>('write-load', SCHEMA), run1, (a, b) => a.figures.peers - b.figures.peers || a.figures.ratePerPeer - b.figures.ratePerPeer)
  const header = ['', ...runs.map(r => `${r.figures.peers} peers × ${r.figures.ratePerPeer}/s`)]
  const text = table(header, rows(runs))
  console.log(table(['', header[runs.indexOf(run1) + 1] as string], rows([run1])))
  for (const w of f.warnings) console.log(`WARNING: ${w}`)
  writeSection('write-load', 'CPU per write (real processes, one doc written by every peer)', command, [
    'Why: the 30-peer soak is CPU-bound (issue 14). Every soak peer writes the one soak doc and so holds it, so every write is applied by every peer, and the doc\'s homes also get each write pushed to them directly; 30 peers × 2 writes/s left the machine\'s two cores no room for a heal. This measures what one acknowledged write costs the whole mesh, so a change to the write path shows in one figure.',
    '',
    `How: N peers (\`${MURMUR_PEER_JS === PEER_JS ? 'dist/peer.js' : MURMUR_PEER_JS} --profile local\`, on 127.0.0.1 like the soak; started the seed first, then ${START_BATCH} at a time), each PUTting unique keys into doc "${DOC}" at the given rate (staggered). After the warmup, a window: each peer's CPU from /proc/<pid>/stat (utime + stime) at its two ends; every counter from each peer's /metrics, read just before the start and just after the end; the writes whose HTTP 200 (durable) arrived inside it. Per-write figures are sums over all peers divided by those writes; "homes" are the peers whose own \`murmur_docs_held{kind="homed"}\` is ≥ 1, "others" the rest. Frames are counted where they arrive (\`murmur_transport_frames_total\`, \`murmur_sync_messages_total\` direction in).`,
    '',
    'The CPU per write includes what the peers spend anyway (membership, timers): an idle peer uses 1–2 % of a core, so with few writes per peer that share is large. On a shared machine one run moves by several per cent: compare builds with more than one run each, alternately. Each configuration (peers × rate) keeps its last run: a run replaces only its own column.',
    '',
    table(header, rows(runs)),
    '',
    ...runs.map(runLine),
    runsComment(runs)
  ].join('\n'))
  console.log(JSON.stringify({ bench: 'write-load', options: o, build, loadBefore, ...f }))
}
