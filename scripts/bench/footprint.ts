/**
 * `npm run bench -- footprint`: an idle peer's memory (issue 11: ≤ 70 MB RSS) and CPU. N peers of
 * dist/peer.js on 127.0.0.1 (HTTP API on, as a peer runs by default), bootstrapped through the first; once
 * every peer lists N alive members and a settle time has passed, they idle, and each peer's resident memory
 * is read from /proc/<pid>/status (VmRSS, and its parts: RssAnon, the process's own pages — V8's heap,
 * malloc, stacks — and RssFile, pages of the node binary and libraries it maps) every 10 s, and its CPU
 * time (utime + stime of /proc/<pid>/stat) over the idle window. Only then is each peer's /metrics read
 * (V8's heap as the process reports it), so that no scrape falls inside the window.
 *
 * `--compare <peer.js>` runs a second mesh of the same size from another build beside this one, in the same
 * window (before/after figures on one machine at one time): e.g. main's dist/peer.js copied into a directory
 * beside a node_modules (it loads classic-level from there).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { PEER_JS, api, cleanup, members, sleep, spawnPeer, waitFor } from '../lib/peers.ts'
import type { PeerProcess } from '../lib/peers.ts'
import { readFlags } from './lib/flags.ts'
import { killOnTeardown, teardownAll } from './lib/teardown.ts'
import { UsageError, median, progress, round, table, writeSection } from './lib/report.ts'

export const USAGE = 'options: --peers 5  --idle-seconds 60  --settle-seconds 10  --profile lan  --compare <another build\'s peer.js>  --compared-first  --one-at-a-time'

/** The issue's bound on an idle peer's RSS. */
export const TARGET_RSS_MB = 70
/** How often RSS is read during the idle window. */
const SAMPLE_EVERY_MS = 10_000
/** Clock ticks a second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100
const MB = 1024 * 1024

interface Options { peers: number, idleSeconds: number, settleSeconds: number, profile: string, compare?: string, comparedFirst: boolean, oneAtATime: boolean }

function parse (args: readonly string[]): Options {
  const o: Options = { peers: 5, idleSeconds: 60, settleSeconds: 10, profile: 'lan', comparedFirst: false, oneAtATime: false }
  readFlags(args, USAGE, {
    numbers: {
      '--peers': n => { o.peers = n },
      '--idle-seconds': n => { o.idleSeconds = n },
      '--settle-seconds': n => { o.settleSeconds = n }
    },
    switches: {
      '--compared-first': () => { o.comparedFirst = true },
      '--one-at-a-time': () => { o.oneAtATime = true }
    },
    values: {
      '--profile': v => { o.profile = v },
      '--compare': v => { o.compare = path.resolve(v) }
    }
  })
  if (!Number.isInteger(o.peers) || o.peers < 1 || o.peers > 100) throw new UsageError('--peers must be an integer in [1, 100]')
  if (!Number.isInteger(o.idleSeconds) || o.idleSeconds < 10 || o.idleSeconds > 3600) throw new UsageError('--idle-seconds must be an integer in [10, 3600]')
  if (!Number.isInteger(o.settleSeconds) || o.settleSeconds < 0 || o.settleSeconds > 600) throw new UsageError('--settle-seconds must be an integer in [0, 600]')
  if ((o.comparedFirst || o.oneAtATime) && o.compare === undefined) throw new UsageError('--compared-first and --one-at-a-time need --compare')
  if (!['lan', 'local', 'wan'].includes(o.profile)) throw new UsageError('--profile must be lan, local or wan')
  return o
}

/** Resident memory of a process and its two parts, MB (MiB), from /proc/<pid>/status. */
export interface Resident { rss: number, anon: number, file: number }

/** Parses the VmRSS, RssAnon and RssFile lines of a /proc/<pid>/status text (kB) into MB. */
export function parseStatus (text: string): Resident {
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)
    if (m === null) throw new Error(`no ${key} line in /proc/<pid>/status`)
    return Number(m[1]) / 1024
  }
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') }
}

/** CPU time of a process so far, in clock ticks (utime + stime), from a /proc/<pid>/stat text. */
export function parseCpuTicks (text: string): number {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the line; fields[0] here is field 3 (state).
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unreadable /proc/<pid>/stat')
  return utime + stime
}

/** Proportional set size, MB, from a /proc/<pid>/smaps_rollup text: pages shared with other processes (the node binary's, among peers on one host) count a share each. */
export function parsePss (text: string): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(text)
  if (m === null) throw new Error('no Pss line in /proc/<pid>/smaps_rollup')
  return Number(m[1]) / 1024
}

const resident = (pid: number): Resident => parseStatus(readFileSync(`/proc/${pid}/status`, 'utf8'))
const pss = (pid: number): number => parsePss(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))
const cpuTicks = (pid: number): number => parseCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'))

/** The value of an unlabelled sample `name` in a Prometheus text, if it is there. */
export function promValue (text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm').exec(text)
  return m === null ? undefined : Number(m[1])
}

interface Mesh { label: string, entry: string, peers: PeerProcess[] }

async function startMesh (label: string, entry: string, o: Options): Promise<Mesh> {
  const args = ['--profile', o.profile]
  const spawnOne = async (bootstrap: string[]): Promise<PeerProcess> => {
    const p = await spawnPeer({ entry, args, bootstrap, faultInjection: false })
    killOnTeardown(`${label} peer`, p.proc)
    return p
  }
  const first = await spawnOne([])
  const peers = [first]
  const seed = first.addrs[0]
  if (seed === undefined) throw new Error(`${label}: the first peer printed no address`)
  for (let i = 1; i < o.peers; i++) peers.push(await spawnOne([seed]))
  return { label, entry, peers }
}

interface PeerFigures { last: Resident, pss: number, maxRss: number, cpuPercent: number, heapUsedMB?: number, heapTotalMB?: number, externalMB?: number }

interface MeshFigures {
  label: string
  entry: string
  peers: PeerFigures[]
}

const pidOf = (p: PeerProcess): number => {
  if (p.proc.pid === undefined) throw new Error('a peer has no pid')
  return p.proc.pid
}

function summary (m: MeshFigures): Record<string, number> {
  const of = (f: (p: PeerFigures) => number | undefined): number => round(median(m.peers.map(f).filter((x): x is number => x !== undefined)), 1)
  return {
    rssMedian: of(p => p.last.rss),
    rssMax: round(Math.max(...m.peers.map(p => p.last.rss)), 1),
    rssMaxOverWindow: round(Math.max(...m.peers.map(p => p.maxRss)), 1),
    anonMedian: of(p => p.last.anon),
    fileMedian: of(p => p.last.file),
    pssMedian: of(p => p.pss),
    heapUsedMedian: of(p => p.heapUsedMB),
    heapTotalMedian: of(p => p.heapTotalMB),
    externalMedian: of(p => p.externalMB),
    cpuPercentMean: round(m.peers.reduce((s, p) => s + p.cpuPercent, 0) / m.peers.length, 3)
  }
}

/** Starts the meshes, lets them idle, and reads them; the peers are left to the caller to stop. */
async function measure (o: Options, builds: ReadonlyArray<[string, string]>): Promise<{ figures: MeshFigures[], seconds: number }> {
  const meshes: Mesh[] = []
  // The mesh started first forms while the other starts (CPU-heavy on a small machine): --compared-first
  // swaps the order, to tell a difference between builds from one between first and second.
  for (const [label, entry] of o.comparedFirst ? [...builds].reverse() : builds) {
    progress(`${label}: starting ${o.peers} peers of ${path.relative(process.cwd(), entry) || entry}`)
    meshes.push(await startMesh(label, entry, o))
  }
  for (const m of meshes) {
    await waitFor(`${m.label}: ${o.peers} alive members on every peer`, async () => {
      for (const p of m.peers) if ((await members(p)).filter(x => x.state === 'alive').length !== o.peers) return false
      return true
    }, 60_000 + 2_000 * o.peers, 500)
  }
  progress(`formed; settling ${o.settleSeconds} s, then idle ${o.idleSeconds} s`)
  await sleep(o.settleSeconds * 1000)
  const all = meshes.flatMap(m => m.peers)
  const startTicks = all.map(p => cpuTicks(pidOf(p)))
  const started = Date.now()
  const maxRss = all.map(() => 0)
  const sample = (): Resident[] => all.map((p, i) => {
    const r = resident(pidOf(p))
    maxRss[i] = Math.max(maxRss[i] ?? 0, r.rss)
    return r
  })
  let last = sample()
  while (Date.now() - started < o.idleSeconds * 1000) {
    await sleep(Math.min(SAMPLE_EVERY_MS, o.idleSeconds * 1000 - (Date.now() - started)))
    last = sample()
  }
  const seconds = (Date.now() - started) / 1000
  const endTicks = all.map(p => cpuTicks(pidOf(p)))
  const pssNow = all.map(p => pss(pidOf(p)))
  // After the window: a scrape is work (and, before issue 11, loaded modules) that must not count in it.
  const scrapes = await Promise.all(all.map(async p => String((await api(p, 'GET', '/metrics')).body)))
  const figures: MeshFigures[] = []
  let k = 0
  for (const m of meshes) {
    const peers: PeerFigures[] = m.peers.map(() => {
      const i = k++
      const text = scrapes[i] ?? ''
      const mb = (name: string): number | undefined => { const v = promValue(text, name); return v === undefined ? undefined : v / MB }
      const used = mb('nodejs_heap_size_used_bytes')
      const total = mb('nodejs_heap_size_total_bytes')
      const external = mb('nodejs_external_memory_bytes')
      return {
        last: last[i] as Resident,
        pss: pssNow[i] ?? 0,
        maxRss: maxRss[i] ?? 0,
        cpuPercent: 100 * ((endTicks[i] ?? 0) - (startTicks[i] ?? 0)) / TICKS_PER_SECOND / seconds,
        ...(used === undefined ? {} : { heapUsedMB: used }),
        ...(total === undefined ? {} : { heapTotalMB: total }),
        ...(external === undefined ? {} : { externalMB: external })
      }
    })
    figures.push({ label: m.label, entry: m.entry, peers })
  }
  // Reported in the order of `builds`, whichever started first.
  figures.sort((a, b) => builds.findIndex(x => x[0] === a.label) - builds.findIndex(x => x[0] === b.label))
  return { figures, seconds }
}

export async function main (args: string[]): Promise<void> {
  const o = parse(args)
  if (process.platform !== 'linux') throw new UsageError('footprint reads /proc: Linux only')
  const builds: Array<[string, string]> = [['this build', PEER_JS], ...(o.compare === undefined ? [] : [['compared', o.compare] as [string, string]])]
  // Side by side (one window for both), or --one-at-a-time: each mesh alone on the machine, in turn.
  const runs = o.oneAtATime ? (o.comparedFirst ? [...builds].reverse() : builds).map(b => [b]) : [builds]
  const figures: MeshFigures[] = []
  let seconds = 0
  for (const run of runs) {
    try {
      const measured = await measure(o, run)
      figures.push(...measured.figures)
      seconds = measured.seconds
    } finally {
      // Every peer stopped (and its data dir removed), or the bench's process waits on them and never exits.
      teardownAll()
      await cleanup()
    }
  }
  figures.sort((a, b) => builds.findIndex(x => x[0] === a.label) - builds.findIndex(x => x[0] === b.label))
  const rows = figures.map((f) => {
    const s = summary(f)
    return [`${f.label} (${path.relative(process.cwd(), f.entry) || f.entry})`, s.rssMedian ?? '', s.rssMax ?? '', s.rssMaxOverWindow ?? '', s.anonMedian ?? '', s.fileMedian ?? '', s.pssMedian ?? '', `${s.heapUsedMedian ?? ''} / ${s.heapTotalMedian ?? ''}`, s.cpuPercentMean ?? '']
  })
  const perPeer = figures.map(f => `- ${f.label}, RSS per peer at the end of the window (MB): ${f.peers.map(p => round(p.last.rss, 1)).join(', ')}`)
  const body = [
    `${o.peers} peers per build on 127.0.0.1 (\`--profile ${o.profile}\`, HTTP API on, bootstrapped through the first; ${builds.length === 1 ? 'one build' : `${o.oneAtATime ? 'one mesh at a time, ' : 'both meshes at once, '}${o.comparedFirst ? 'the compared build\'s' : 'this build\'s'} first`}), all members alive, settled ${o.settleSeconds} s, then idle ${round(seconds)} s. RSS from /proc/<pid>/status every 10 s (MB = MiB): at the end of the window (median and max over peers) and the highest any peer reached in it; RssAnon is the process's own memory (V8's heap, malloc, stacks), RssFile the pages of the node binary and libraries it maps; PSS (/proc/<pid>/smaps_rollup, at the end) counts each shared page a share, what a peer adds on a host running all ${o.oneAtATime ? o.peers : o.peers * builds.length}. V8 heap from each peer's /metrics, read after the window. CPU: utime + stime over the window, mean over peers, % of one core. Target: ≤ ${TARGET_RSS_MB} MB RSS.`,
    '',
    table(['build', 'RSS median', 'RSS max', 'RSS max in window', 'RssAnon median', 'RssFile median', 'PSS median', 'V8 heap used / total median', 'CPU % per peer'], rows),
    '',
    ...perPeer
  ].join('\n')
  process.stdout.write(`${body}\n`)
  writeSection('footprint', 'Idle peer footprint, measured (issue 11)', `npm run bench -- footprint${args.length > 0 ? ` ${args.join(' ')}` : ''}`, body)
  process.stdout.write(`${JSON.stringify({ peers: o.peers, idleSeconds: round(seconds), builds: figures.map(f => ({ label: f.label, entry: f.entry, ...summary(f), rss: f.peers.map(p => round(p.last.rss, 1)) })) })}\n`)
}
