/**
 * What the soak's faults cost the peers (issue 14): security handshakes started, timed out and failed
 * (and connections skipped in line because their dialler gave up, and duplicate connections of simultaneous dials),
 * and the worst event-loop delay, read from each peer's `/metrics`. A peer's counters restart with its
 * process, so each process is read once more before it is killed, and a slot's figures add up all of its
 * processes. Around each heal, the mesh-wide handshake counts from the heal until the members re-merged.
 */
import { availableParallelism } from 'node:os'
import type { Mesh, Slot } from './mesh.ts'

export interface LoadFigures {
  /** Handshakes started, both directions. */
  started: number
  /** Handshakes that ran out of time, both directions. */
  timedOut: number
  /** Handshakes that failed otherwise, both directions. */
  failed: number
  /** Inbound connections skipped in the handshake line: their dialler gave up before their turn. */
  abandoned: number
  /**
   * Connections closed as duplicates: both peers dialled each other at once, both handshakes ran, and one of
   * the two connections was then retired — a handshake at each end spent for nothing.
   */
  duplicates: number
  /** Dials started, by reason (murmur_dials_started_total: swim, sync, presence, ahead, address, discovery). */
  dials: Record<string, number>
  /** Replication messages sent with no open connection, by kind (murmur_sync_messages_unconnected_total): what made the sync dials. */
  unconnected: Record<string, number>
  /** Worst event-loop delay of any of the slot's processes, ms. */
  worstLoopDelayMs: number
  /** CPU time of the slot's processes, s. */
  cpuS: number
}

const zero = (): LoadFigures => ({ started: 0, timedOut: 0, failed: 0, abandoned: 0, duplicates: 0, dials: {}, unconnected: {}, worstLoopDelayMs: 0, cpuS: 0 })

/** The samples of `name` by the value of their label `label` (samples without it are left out). */
export function metricByLabel (text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {}
  const pattern = new RegExp(`^${name}\\{[^}]*\\b${label}="([^"]*)"[^}]*\\} (\\S+)$`)
  for (const line of text.split('\n')) {
    const m = pattern.exec(line)
    if (m !== null) out[m[1] as string] = (out[m[1] as string] ?? 0) + Number(m[2])
  }
  return out
}

/** `b − a` by key (counters read twice). */
export function subtractCounts (b: Readonly<Record<string, number>>, a: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(b)) out[k] = v - (a[k] ?? 0)
  return out
}

function addCounts (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = { ...a }
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v
  return out
}

/** Counts by key, largest first, as text: "dials 412 (sync 300, swim 80, ahead 32)". */
export function countsText (what: string, counts: Readonly<Record<string, number>>): string {
  const parts = Object.entries(counts).filter(([, n]) => n > 0).sort((x, y) => y[1] - x[1])
  const total = parts.reduce((sum, [, n]) => sum + n, 0)
  return parts.length === 0 ? `${what} 0` : `${what} ${total} (${parts.map(([k, n]) => `${k} ${n}`).join(', ')})`
}

/** Dials by reason, and the sync messages sent with no connection by kind, as text. */
export function dialsText (dials: Readonly<Record<string, number>>, unconnected: Readonly<Record<string, number>> = {}): string {
  const sync = Object.keys(unconnected).length === 0 ? '' : `; ${countsText('sync messages sent unconnected', unconnected)}`
  return countsText('dials', dials) + sync
}

/** Sums the samples of a Prometheus text exposition whose name is `name` and whose labels include `match`. */
export function metricSum (text: string, name: string, match: Record<string, string> = {}): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const labels = new Map([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(x => [x[1], x[2]]))
    if (Object.entries(match).every(([k, v]) => labels.get(k) === v)) sum += Number(m[4])
  }
  return sum
}

export function parseLoad (text: string): LoadFigures {
  const cpuName = /^(\S*process_cpu_seconds_total) /m.exec(text)?.[1] ?? 'process_cpu_seconds_total'
  return {
    started: metricSum(text, 'murmur_handshakes_started_total'),
    timedOut: metricSum(text, 'murmur_handshakes_ended_total', { result: 'timed_out' }),
    failed: metricSum(text, 'murmur_handshakes_ended_total', { result: 'failed' }),
    abandoned: metricSum(text, 'murmur_handshakes_abandoned_in_line_total'),
    duplicates: metricSum(text, 'murmur_duplicate_connections_closed_total'),
    dials: metricByLabel(text, 'murmur_dials_started_total', 'reason'),
    unconnected: metricByLabel(text, 'murmur_sync_messages_unconnected_total', 'kind'),
    worstLoopDelayMs: 1000 * metricSum(text, 'murmur_event_loop_delay_max_seconds'),
    cpuS: metricSum(text, cpuName)
  }
}

/** Cores the peers kept busy over a heal (CPU seconds per second of it), to two decimals. */
export function coresOf (h: { cpuS: number, seconds: number }): number {
  return Math.round(100 * h.cpuS / Math.max(0.001, h.seconds)) / 100
}

/** The same as text, beside this machine's cores: near all of them, the heal waited for CPU. */
export function coresBusy (h: { cpuS: number, seconds: number }): string {
  return `peers busy ${coresOf(h).toFixed(2)} of ${availableParallelism()} cores`
}

export class LoadWatch {
  /** Figures of each slot's earlier (killed) processes, added up. */
  private readonly past = new Map<string, LoadFigures>()
  /** The last reading of each slot's current process. */
  private readonly current = new Map<string, { pid: number | undefined, figures: LoadFigures }>()

  private readonly mesh: Mesh

  constructor (mesh: Mesh) {
    this.mesh = mesh
  }

  /** Reads the slot's current process (before a kill, at the end). Errors leave the last reading. */
  async sample (slot: Slot): Promise<void> {
    const proc = slot.proc
    if (proc === undefined) return
    const r = await this.mesh.api<string>(slot, 'GET', '/metrics').catch(() => undefined)
    if (r === undefined || r.status !== 200 || typeof r.body !== 'string') return
    const last = this.current.get(slot.name)
    if (last !== undefined && last.pid !== proc.proc.pid) this.past.set(slot.name, add(this.past.get(slot.name) ?? zero(), last.figures))
    this.current.set(slot.name, { pid: proc.proc.pid, figures: parseLoad(r.body) })
  }

  async sampleAll (slots: readonly Slot[]): Promise<void> {
    await Promise.all(slots.map(async s => { await this.sample(s) }))
  }

  /** All of the slot's processes so far. */
  of (slot: Slot): LoadFigures {
    const cur = this.current.get(slot.name)?.figures ?? zero()
    return add(this.past.get(slot.name) ?? zero(), cur)
  }

  /** The whole mesh, as last read. */
  total (): LoadFigures {
    return this.mesh.slots.map(s => this.of(s)).reduce(add, zero())
  }
}

function add (a: LoadFigures, b: LoadFigures): LoadFigures {
  return {
    started: a.started + b.started,
    timedOut: a.timedOut + b.timedOut,
    failed: a.failed + b.failed,
    abandoned: a.abandoned + b.abandoned,
    duplicates: a.duplicates + b.duplicates,
    dials: addCounts(a.dials, b.dials),
    unconnected: addCounts(a.unconnected, b.unconnected),
    worstLoopDelayMs: Math.max(a.worstLoopDelayMs, b.worstLoopDelayMs),
    cpuS: a.cpuS + b.cpuS
  }
}
