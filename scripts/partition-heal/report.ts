/**
 * Output: one progress line per phase while running, a summary table at the end, and the last line one JSON
 * object (the contract of DESIGN.md "Fixed: scripts"). Everything goes to stdout, in order.
 */
import type { Verdict } from './checker.ts'
import { MAX_LISTED } from './checker.ts'
import type { Fault } from './faults.ts'
import { describeFault } from './faults.ts'
import { tally } from './history.ts'
import type { Tally, WriteOp } from './history.ts'
import type { Replica } from './observe.ts'

const t0 = Date.now()
/** Width of the fault column of the summary table (longer descriptions just push the row). */
const FAULT_COLUMN = 36

export function progress (line: string): void {
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`)
}

export interface RoundRecord {
  round: number
  fault: Fault
  /** Fault applied → the expected deaths declared (undefined: not within the bound, or none expected). */
  deathsMs?: number
  holdMs: number
  /** Heal → every peer up and seeing all N alive (undefined: not within the bound). */
  rejoinMs?: number
}

export interface Summary {
  converged: boolean
  lostWrites: number
  convergeMs: number | null
  peers: number
  rounds: number
  writesPerPeerPerRound: number
  seed: number
  mode: string
  netns: boolean
  app: string
  profile: string
  writes: Tally & { counter: Tally, chat: Tally }
  faults: Array<{ round: number, kind: string, detail: string, deathsMs: number | null, holdMs: number, rejoinMs: number | null, writes: SideWrites[] }>
  counter: { expected: string, values: Array<number | null> }
  chat: { acked: number, unknownApplied: number }
  /**
   * No write took effect twice though unknown ones were retried with their idempotency key (no
   * `counted-twice` or `duplicate` anomaly), and the counter check was exact (no write left unknown).
   */
  exactlyOnce: boolean
  exact: boolean
  anomalies: number
  durationMs: number
  /** The temp dir kept for inspection, or null when it was removed. */
  keptDir: string | null
}

export function buildSummary (o: {
  converged: boolean
  convergeMs: number | undefined
  verdict: Verdict
  ops: readonly WriteOp[]
  rounds: readonly RoundRecord[]
  options: { peers: number, rounds: number, writes: number, seed: number, mode: string, netns: boolean, app: string, profile: string }
  replicas: readonly Replica[]
  keptDir: string | null
}): Summary {
  const { verdict, ops, options } = o
  return {
    converged: o.converged,
    lostWrites: verdict.lostWrites,
    convergeMs: o.convergeMs ?? null,
    peers: options.peers,
    rounds: options.rounds,
    writesPerPeerPerRound: options.writes,
    seed: options.seed,
    mode: options.mode,
    netns: options.netns,
    app: options.app,
    profile: options.profile,
    writes: { ...tally(ops), counter: tally(ops.filter(op => op.kind === 'counter')), chat: tally(ops.filter(op => op.kind === 'chat')) },
    faults: o.rounds.map(r => ({ round: r.round, kind: r.fault.kind, detail: describeFault(r.fault), deathsMs: r.deathsMs ?? null, holdMs: r.holdMs, rejoinMs: r.rejoinMs ?? null, writes: sideWrites(ops, r.round) })),
    counter: { expected: verdict.counter.expected, values: o.replicas.map(r => r.counter ?? null) },
    chat: { acked: verdict.chat.acked, unknownApplied: verdict.chat.unknownPresentOnAll },
    exactlyOnce: !verdict.anomalies.some(a => a.kind === 'counted-twice' || a.kind === 'duplicate'),
    exact: verdict.counter.exact,
    anomalies: verdict.anomalies.length,
    durationMs: Date.now() - t0,
    keptDir: o.keptDir
  }
}

export interface SideWrites { side: string, peers: number[], acked: number, attempted: number }

/** Per round and side of its fault (writes after the heal apart): writes acknowledged / attempted. */
export function sideWrites (ops: readonly WriteOp[], round: number): SideWrites[] {
  const bySide = new Map<string, { peers: Set<number>, acked: number, attempted: number }>()
  for (const op of ops) {
    if (op.round !== round) continue
    const key = op.phase === 'heal' ? 'after heal' : op.side
    const s = bySide.get(key) ?? { peers: new Set<number>(), acked: 0, attempted: 0 }
    s.peers.add(op.peer)
    s.attempted++
    if (op.outcome === 'ok') s.acked++
    bySide.set(key, s)
  }
  // Sides of the fault in label order, writes after the heal last.
  const order = (side: string): string => side === 'after heal' ? '\uffff' : side
  return [...bySide]
    .sort(([a], [b]) => order(a).localeCompare(order(b)))
    .map(([side, s]) => ({ side, peers: [...s.peers].sort((a, b) => a - b), acked: s.acked, attempted: s.attempted }))
}

/** As "side A {0,3} 19/20, side B {1,2,4} 30/30". */
export function writesBySide (ops: readonly WriteOp[], round: number): string {
  return sideWrites(ops, round).map(s => `${s.side} {${s.peers.join(',')}} ${s.acked}/${s.attempted}`).join(', ')
}

export function printSummary (s: Summary, verdict: Verdict, rounds: readonly RoundRecord[], ops: readonly WriteOp[], replicas: readonly Replica[]): void {
  const out: string[] = ['', `round  ${'fault'.padEnd(FAULT_COLUMN)}  deaths    hold  rejoin  writes acked/attempted by side`]
  for (const r of rounds) {
    out.push(`${String(r.round).padStart(5)}  ${describeFault(r.fault).padEnd(FAULT_COLUMN)}  ${ms(r.deathsMs).padStart(6)} ${ms(r.holdMs).padStart(7)} ${ms(r.rejoinMs).padStart(7)}  ${writesBySide(ops, r.round)}`)
  }
  const w = s.writes
  out.push('')
  out.push(`writes      ${w.attempted} attempted: ${w.ok} acknowledged, ${w.unknown} unknown, ${w.refused} refused, ${w.failed} failed (never reached a peer)`)
  out.push(`  retried   ${w.retried} with their idempotency key after an unknown outcome: ${w.resolvedByRetry} acknowledged by a retry`)
  out.push(`  counter   ${w.counter.attempted} attempted: ${w.counter.ok} ok, ${w.counter.unknown} unknown, ${w.counter.refused} refused, ${w.counter.failed} failed; expected ${verdict.counter.expected}`)
  out.push(`  chat      ${w.chat.attempted} attempted: ${w.chat.ok} ok, ${w.chat.unknown} unknown (${verdict.chat.unknownPresentOnAll} of them applied), ${w.chat.refused} refused, ${w.chat.failed} failed`)
  out.push(`exactly once ${s.exactlyOnce ? 'yes' : 'NO'}: no write took effect twice${s.exact ? ' (exact: no write left unknown)' : ''}`)
  out.push('')
  out.push('peer  counter  counter ok  chat msgs  alive seen  docs')
  for (const r of replicas) {
    if (r.error !== undefined) {
      out.push(`${`p${r.peer}`.padEnd(4)}  could not be read: ${r.error}`)
      continue
    }
    const ok = verdict.counter.replicas.find(v => v.peer === r.peer)?.ok === true
    const alive = (r.members ?? []).filter(m => m.state === 'alive').length
    const docs = (r.docs ?? []).map(d => `${d.name}=${d.digest.slice(0, 10)}`).sort().join(' ')
    out.push(`${`p${r.peer}`.padEnd(4)}  ${String(r.counter).padStart(7)}  ${(ok ? 'yes' : 'NO').padEnd(10)}  ${String(r.chat?.length ?? 0).padStart(9)}  ${String(alive).padStart(10)}  ${docs}`)
  }
  out.push('')
  out.push(`converged   ${s.converged ? `yes, ${s.convergeMs ?? '?'} ms after the final heal` : 'NO'}`)
  out.push(`lost writes ${s.lostWrites}`)
  for (const l of verdict.lost.slice(0, MAX_LISTED)) out.push(`  LOST ${l.what}; missing on ${l.missingOn.map(p => `p${p}`).join(',')}`)
  if (verdict.lost.length > MAX_LISTED) out.push(`  … and ${verdict.lost.length - MAX_LISTED} more`)
  out.push(`anomalies   ${verdict.anomalies.length}`)
  for (const a of verdict.anomalies.slice(0, MAX_LISTED)) out.push(`  ${a.kind.toUpperCase()} on p${a.peer}: ${a.detail}`)
  if (verdict.anomalies.length > MAX_LISTED) out.push(`  … and ${verdict.anomalies.length - MAX_LISTED} more`)
  process.stdout.write(`${out.join('\n')}\n`)
}

function ms (x: number | undefined): string {
  return x === undefined ? '—' : `${(x / 1000).toFixed(1)}s`
}
