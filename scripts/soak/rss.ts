/**
 * Resident memory of every peer process, sampled from /proc/<pid>/status (VmRSS), and the flatness
 * verdict.
 *
 * "RSS flat", precisely: for every peer that was never restarted, the median RSS over the last window of
 * the run is at most FLAT_RATIO × its median over the second window, where a window is
 * min(60 s, run / 3) — the first window is start-up and is ignored. Reported besides: first and last
 * sample, and the least-squares slope (MB/min) of the samples after the first window.
 */
import { readFileSync } from 'node:fs'
import type { Mesh } from './mesh.ts'

export const FLAT_RATIO = 1.3

export interface RssSample { t: number, pid: number, mb: number }

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
}

export class RssSampler {
  readonly samples = new Map<string, RssSample[]>()
  readonly heap = new Map<string, RssSample[]>()
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
      const list = this.samples.get(s.name) ?? []
      list.push({ t: now, pid, mb: kb / 1024 })
      this.samples.set(s.name, list)
    }
  }

  /** V8 heap in use of every live peer, from its /metrics (prom-client's default process metrics). */
  async sampleHeap (now = Date.now()): Promise<void> {
    await Promise.all(this.mesh.live().map(async (s) => {
      const pid = s.proc?.proc.pid
      const r = await this.mesh.api<string>(s, 'GET', '/metrics').catch(() => undefined)
      const m = r === undefined ? null : /^nodejs_heap_size_used_bytes (\S+)$/m.exec(String(r.body))
      if (m === null || pid === undefined) return
      const list = this.heap.get(s.name) ?? []
      list.push({ t: now, pid, mb: Number(m[1]) / 1024 / 1024 })
      this.heap.set(s.name, list)
    }))
  }

  /** The median RSS of all live peers right now (MB), for progress lines. */
  currentMedianMb (): number {
    const latest = [...this.samples.values()].map(l => l[l.length - 1]?.mb ?? 0).filter(x => x > 0)
    return median(latest)
  }

  /** Per-slot figures for a run from `start` to `end` (ms). */
  verdicts (start: number, end: number): RssVerdict[] {
    const window = Math.min(60_000, (end - start) / 3)
    return this.mesh.slots.map((slot) => {
      // Judge one process: the last one in the slot (for a never-restarted slot, the only one).
      const all = this.samples.get(slot.name) ?? []
      const pid = all[all.length - 1]?.pid
      const list = all.filter(x => x.pid === pid)
      const inWindow = (from: number, to: number): number[] => list.filter(x => x.t >= from && x.t < to).map(x => x.mb)
      const second = median(inWindow(start + window, start + 2 * window))
      const last = median(inWindow(end - window, end + 1))
      const after = list.filter(x => x.t >= start + window)
      const heap = (this.heap.get(slot.name) ?? []).filter(x => x.pid === pid)
      const heapIn = (from: number, to: number): number[] => heap.filter(x => x.t >= from && x.t < to).map(x => x.mb)
      return {
        slot: slot.name,
        heapSecondMb: median(heapIn(start + window, start + 2 * window)),
        heapLastMb: median(heapIn(end - window, end + 1)),
        stable: slot.starts === 1,
        starts: slot.starts,
        firstMb: list[0]?.mb ?? 0,
        lastMb: list[list.length - 1]?.mb ?? 0,
        secondWindowMedianMb: second,
        lastWindowMedianMb: last,
        ratio: second > 0 ? last / second : 0,
        slopeMbPerMin: slope(after.map(x => [(x.t - start) / 60_000, x.mb]))
      }
    })
  }
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
