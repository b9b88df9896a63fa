/**
 * Resident memory of every peer process, sampled from /proc/<pid>/status (VmRSS), and the flatness
 * verdict.
 *
 * "RSS flat", precisely: for every peer that was never restarted, the median RSS over the last window of
 * the run is at most FLAT_RATIO × its median over the second window, plus what the growth of its docs'
 * CRDT history explains — where a window is min(60 s, run / 3), the first window being start-up, ignored.
 * The history: every value a write replaces stays in the doc as a deleted Yjs item, so a doc written over
 * and over grows on every peer that holds it, though its content does not (the soak writes one shared doc
 * all run). A peer's /metrics counts those structs (`murmur_doc_structs`); the growth of its median from
 * the second window to the last × STRUCT_RSS_BYTES × STRUCT_MARGIN is allowed on top. A peer whose structs
 * did not grow is held to the ratio alone, and memory growing past both is still a leak.
 * Reported besides: first and last sample, the least-squares slope (MB/min) of the samples after the first
 * window, V8's heap and the structs (second → last window medians), and each peer's allowance.
 */
import { readFileSync } from 'node:fs'
import type { Mesh, Slot } from './mesh.ts'

export const FLAT_RATIO = 1.3
/**
 * RSS a Yjs struct costs a peer, measured in a bare Node 22 process on the soak's pattern (50 writers
 * cycling 100 keys each, values { slot, n, at }): after 50,000 overwrites, 880 B a struct written locally,
 * 772 B applied as remote updates. Of that the struct itself is ~220 B of live V8 heap (196–233 B across
 * patterns: map overwrites, a bounded array log, text typed at random places); the rest is V8 committing
 * its heap ahead of the live data, which RSS counts.
 */
export const STRUCT_RSS_BYTES = 880
/** Slack on STRUCT_RSS_BYTES: V8's heap grows in steps (at 10,000 structs RSS measured 2 KB a struct), and LevelDB and the peer's caches around it. */
export const STRUCT_MARGIN = 1.5

export interface RssSample { t: number, pid: number, mb: number }
/** A peer's `murmur_doc_structs` at time t. */
export interface StructsSample { t: number, pid: number, structs: number }

export interface RssVerdict {
  slot: string
  /** V8 heap in use (MB), second-window and last-window medians: tells data/leaks in JS from native growth. */
  heapSecondMb: number
  heapLastMb: number
  stable: boolean
  starts: number
  firstMb: number
  lastMb: number
  secondWindowMedianMb: number
  lastWindowMedianMb: number
  ratio: number
  slopeMbPerMin: number
  /** Yjs structs of its loaded docs, second-window and last-window medians, and the growth between (≥ 0 counted). */
  structsSecond: number
  structsLast: number
  structsGrowth: number
  /** RSS growth the structs explain (MB), and the most the last window may hold: FLAT_RATIO × second + allowance. */
  allowanceMb: number
  limitMb: number
  /** Whether this peer's RSS stayed within its limit (judged on never-restarted peers only). */
  flat: boolean
}

/** What the soak's JSON says about RSS. */
export interface RssSummary {
  flat: boolean
  ratio: number
  maxRatio: number
  judged: number
  medianFirstMb: number
  medianLastMb: number
  maxSlopeMbPerMin: number
  medianHeapFirstMb: number
  medianHeapLastMb: number
  /** The allowance's terms, and its extremes over the judged peers. */
  structRssBytes: number
  structMargin: number
  maxStructsGrowth: number
  maxAllowanceMb: number
  /** Judged peers over their limit. */
  notFlat: string[]
  /** Every judged peer's figures: why it was judged flat or not. */
  peers: Array<{ slot: string, secondMb: number, lastMb: number, ratio: number, structsGrowth: number, allowanceMb: number, limitMb: number, flat: boolean }>
}

/** The RSS growth (MB) `structsGrowth` more Yjs structs explain. */
export function allowanceMb (structsGrowth: number): number {
  return Math.max(0, structsGrowth) * STRUCT_RSS_BYTES * STRUCT_MARGIN / 1024 / 1024
}

/** One peer's verdict: flat if its last-window RSS is within FLAT_RATIO of its second window, plus what its structs' growth explains. */
export function judgeRss (secondMb: number, lastMb: number, structsGrowth: number): { allowanceMb: number, limitMb: number, flat: boolean } {
  const allowance = allowanceMb(structsGrowth)
  const limitMb = FLAT_RATIO * secondMb + allowance
  // No second-window samples: nothing to compare with (as before the allowance: ratio 0).
  return { allowanceMb: allowance, limitMb, flat: secondMb <= 0 || lastMb <= limitMb }
}

/** One slot's figures from its samples, for a run from `start` to `end` (ms). */
export function verdictOf (slot: Pick<Slot, 'name' | 'starts'>, samples: { rss: readonly RssSample[], heap: readonly RssSample[], structs: readonly StructsSample[] }, start: number, end: number): RssVerdict {
  const window = Math.min(60_000, (end - start) / 3)
  // Judge one process: the last one in the slot (for a never-restarted slot, the only one).
  const pid = samples.rss[samples.rss.length - 1]?.pid
  const list = samples.rss.filter(x => x.pid === pid)
  const windows = <T extends { t: number, pid: number }>(xs: readonly T[], value: (x: T) => number): [number, number] => {
    const own = xs.filter(x => x.pid === pid)
    const inWindow = (from: number, to: number): number[] => own.filter(x => x.t >= from && x.t < to).map(value)
    return [median(inWindow(start + window, start + 2 * window)), median(inWindow(end - window, end + 1))]
  }
  const [second, last] = windows(list, x => x.mb)
  const [heapSecond, heapLast] = windows(samples.heap, x => x.mb)
  // Whole structs: a median of an even count may fall between two.
  const [structsSecond, structsLast] = windows(samples.structs, x => x.structs).map(Math.round) as [number, number]
  const structsGrowth = Math.max(0, structsLast - structsSecond)
  const after = list.filter(x => x.t >= start + window)
  return {
    slot: slot.name,
    heapSecondMb: heapSecond,
    heapLastMb: heapLast,
    stable: slot.starts === 1,
    starts: slot.starts,
    firstMb: list[0]?.mb ?? 0,
    lastMb: list[list.length - 1]?.mb ?? 0,
    secondWindowMedianMb: second,
    lastWindowMedianMb: last,
    ratio: second > 0 ? last / second : 0,
    slopeMbPerMin: slope(after.map(x => [(x.t - start) / 60_000, x.mb])),
    structsSecond,
    structsLast,
    structsGrowth,
    ...judgeRss(second, last, structsGrowth)
  }
}

/** The run's RSS verdict over the never-restarted peers (a restart resets RSS): flat if every one of them is. */
export function rssSummary (verdicts: readonly RssVerdict[]): RssSummary {
  const judged = verdicts.filter(v => v.stable)
  const round = (x: number): number => Math.round(x * 10) / 10
  return {
    flat: judged.length > 0 && judged.every(v => v.flat),
    ratio: FLAT_RATIO,
    maxRatio: Math.max(0, ...judged.map(v => v.ratio)),
    judged: judged.length,
    medianFirstMb: median(judged.map(v => v.secondWindowMedianMb)),
    medianLastMb: median(judged.map(v => v.lastWindowMedianMb)),
    maxSlopeMbPerMin: Math.max(0, ...judged.map(v => v.slopeMbPerMin)),
    medianHeapFirstMb: median(judged.map(v => v.heapSecondMb)),
    medianHeapLastMb: median(judged.map(v => v.heapLastMb)),
    structRssBytes: STRUCT_RSS_BYTES,
    structMargin: STRUCT_MARGIN,
    maxStructsGrowth: Math.max(0, ...judged.map(v => v.structsGrowth)),
    maxAllowanceMb: Math.max(0, ...judged.map(v => v.allowanceMb)),
    notFlat: judged.filter(v => !v.flat).map(v => v.slot),
    peers: judged.map(v => ({ slot: v.slot, secondMb: round(v.secondWindowMedianMb), lastMb: round(v.lastWindowMedianMb), ratio: Math.round(v.ratio * 100) / 100, structsGrowth: v.structsGrowth, allowanceMb: round(v.allowanceMb), limitMb: round(v.limitMb), flat: v.flat }))
  }
}

export class RssSampler {
  readonly samples = new Map<string, RssSample[]>()
  readonly heap = new Map<string, RssSample[]>()
  readonly structs = new Map<string, StructsSample[]>()
  private readonly mesh: Mesh

  constructor (mesh: Mesh) {
    this.mesh = mesh
  }

  sample (now = Date.now()): void {
    for (const s of this.mesh.live()) {
      const pid = s.proc?.proc.pid
      if (pid === undefined) continue
      const kb = readRssKb(pid)
      if (kb === undefined) continue
      push(this.samples, s.name, { t: now, pid, mb: kb / 1024 })
    }
  }

  /** V8 heap in use and Yjs structs held of every live peer, from its /metrics (prom-client's default process metrics, murmur_doc_structs). */
  async sampleHeap (now = Date.now()): Promise<void> {
    await Promise.all(this.mesh.live().map(async (s) => {
      const pid = s.proc?.proc.pid
      const r = await this.mesh.api<string>(s, 'GET', '/metrics').catch(() => undefined)
      if (r === undefined || pid === undefined) return
      const heap = metric(String(r.body), 'nodejs_heap_size_used_bytes')
      if (heap !== undefined) push(this.heap, s.name, { t: now, pid, mb: heap / 1024 / 1024 })
      const structs = metric(String(r.body), 'murmur_doc_structs')
      if (structs !== undefined) push(this.structs, s.name, { t: now, pid, structs })
    }))
  }

  /** The median RSS of all live peers right now (MB), for progress lines. */
  currentMedianMb (): number {
    const latest = [...this.samples.values()].map(l => l[l.length - 1]?.mb ?? 0).filter(x => x > 0)
    return median(latest)
  }

  /** Per-slot figures for a run from `start` to `end` (ms). */
  verdicts (start: number, end: number): RssVerdict[] {
    return this.mesh.slots.map(slot => verdictOf(slot, { rss: this.samples.get(slot.name) ?? [], heap: this.heap.get(slot.name) ?? [], structs: this.structs.get(slot.name) ?? [] }, start, end))
  }
}

function push<T> (map: Map<string, T[]>, key: string, x: T): void {
  const list = map.get(key) ?? []
  list.push(x)
  map.set(key, list)
}

/** An unlabelled sample's value in Prometheus text, if there. */
function metric (text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  return m === null ? undefined : Number(m[1])
}

function readRssKb (pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? undefined : Number(m[1])
  } catch {
    return undefined // exited meanwhile
  }
}

export function median (xs: readonly number[]): number {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] as number : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/** Least-squares slope of y over x. */
function slope (points: ReadonlyArray<readonly [number, number]>): number {
  if (points.length < 2) return 0
  const n = points.length
  const mx = points.reduce((a, [x]) => a + x, 0) / n
  const my = points.reduce((a, [, y]) => a + y, 0) / n
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0)
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0)
  return den === 0 ? 0 : num / den
}
