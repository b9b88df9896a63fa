/**
 * The soak's verdict: a summary table on stdout and, as the last line, one JSON object.
 */
import type { ChaosEvent } from './chaos.ts'
import type { DeathRecord } from './deaths.ts'
import { coresBusy, dialsText } from './load.ts'
import type { LoadFigures } from './load.ts'
import { FLAT_RATIO } from './rss.ts'
import type { RssSummary, RssVerdict } from './rss.ts'

export interface SoakResult {
  peers: number
  minutes: number
  seed: number
  profile: string
  durationS: number
  writes: { attempted: number, acknowledged: number, failed: number, keys: number }
  lostWrites: number
  lostExamples: string[]
  falseDeaths: number
  falseDeathExamples: DeathRecord[]
  deadEvents: number
  partitions: number
  kills: number
  crashes: string[]
  healMembershipMs: Array<number | null>
  healDocsMs: Array<number | null>
  rejoinMs: Array<number | null>
  finalConvergeMs: number | null
  /** Security handshakes on all peers over the whole run (issue 14), and the worst event-loop delay of any peer. */
  handshakes: { started: number, timedOut: number, failed: number, abandoned: number, duplicates: number }
  worstLoopDelayMs: number
  /**
   * CPU seconds of every peer process from their start to the end, of this script, over `wallS` seconds, on
   * a machine of `cores` (the peers' share is what the heals competed for), and per heal the cores the
   * peers kept busy from the heal until both measures were taken.
   */
  cpu: { peersS: number, soakS: number, wallS: number, cores: number, healCores: Array<number | null> }
  rss: RssSummary
  /** The bounds every heal and every restart is held to, and how many exceeded them (or never got there). */
  bounds: { healS: number, rejoinS: number, slowHeals: number, slowRejoins: number }
  /** Every check: why the verdict is FAILED (empty: OK). */
  failures: string[]
  ok: boolean
}

/** Heals not re-merged — members or writes — within `boundMs` (or never), and restarts not back within theirs. */
export function overBounds (r: Pick<SoakResult, 'healMembershipMs' | 'healDocsMs' | 'rejoinMs'>, healBoundMs: number, rejoinBoundMs: number): { slowHeals: number, slowRejoins: number } {
  const over = (ms: number | null | undefined, bound: number): boolean => ms === null || ms === undefined || ms > bound
  const slowHeals = r.healMembershipMs.filter((ms, i) => over(ms, healBoundMs) || over(r.healDocsMs[i], healBoundMs)).length
  const slowRejoins = r.rejoinMs.filter(ms => over(ms, rejoinBoundMs)).length
  return { slowHeals, slowRejoins }
}

/** Why a soak with these figures fails, one phrase per check that did not hold (empty: it passed). */
export function failures (r: Omit<SoakResult, 'failures' | 'ok'>, converged: boolean): string[] {
  const out: string[] = []
  if (!r.rss.flat) out.push(`RSS not flat ${r.rss.judged === 0 ? '(no peer judged)' : `on ${r.rss.notFlat.join(', ')}`}`)
  if (r.falseDeaths > 0) out.push(`${r.falseDeaths} false death(s)`)
  if (r.lostWrites > 0) out.push(`${r.lostWrites} lost write(s)`)
  if (r.crashes.length > 0) out.push(`${r.crashes.length} crash(es)`)
  if (!converged) out.push('did not converge')
  if (r.bounds.slowHeals > 0) out.push(`${r.bounds.slowHeals} of ${r.healMembershipMs.length} heals not re-merged within ${r.bounds.healS} s`)
  if (r.bounds.slowRejoins > 0) out.push(`${r.bounds.slowRejoins} of ${r.rejoinMs.length} restarts not alive everywhere within ${r.bounds.rejoinS} s`)
  return out
}

const mb = (x: number): string => x.toFixed(0).padStart(5)

export function summaryTable (result: SoakResult, rss: readonly RssVerdict[], writesBySlot: ReadonlyMap<string, { attempts: number, failures: number }>, events: readonly ChaosEvent[], loadBySlot: ReadonlyMap<string, LoadFigures> = new Map()): string {
  const lines: string[] = []
  lines.push('', 'peer  starts  rss first  2nd-window  last-window  ratio  slope MB/min  last    heap 2nd→last  structs 2nd→last  allowance     limit  writes ok/tried  handshakes/timed out/failed/skipped  worst loop delay  cpu s  judged')
  for (const v of rss) {
    const w = writesBySlot.get(v.slot) ?? { attempts: 0, failures: 0 }
    const l = loadBySlot.get(v.slot)
    const hs = l === undefined ? '?' : `${l.started}/${l.timedOut}/${l.failed}/${l.abandoned}`
    const loop = l === undefined ? '?' : `${l.worstLoopDelayMs.toFixed(0)} ms`
    const cpu = l === undefined ? '?' : l.cpuS.toFixed(0)
    lines.push(`${v.slot.padEnd(5)} ${String(v.starts).padStart(6)}  ${mb(v.firstMb)} MB   ${mb(v.secondWindowMedianMb)} MB     ${mb(v.lastWindowMedianMb)} MB  ${v.ratio.toFixed(2).padStart(5)}  ${v.slopeMbPerMin.toFixed(2).padStart(12)}  ${mb(v.lastMb)} MB  ${`${v.heapSecondMb.toFixed(0)}→${v.heapLastMb.toFixed(0)} MB`.padStart(13)}  ${`${v.structsSecond}→${v.structsLast}`.padStart(16)}  ${v.allowanceMb.toFixed(1).padStart(6)} MB  ${mb(v.limitMb)} MB  ${`${w.attempts - w.failures}/${w.attempts}`.padStart(15)}  ${hs.padStart(35)}  ${loop.padStart(16)}  ${cpu.padStart(5)}  ${v.stable ? (v.flat ? 'yes: flat' : 'yes: NOT flat') : 'no (restarted)'}`)
  }
  lines.push('', 'fault            what                          converged after')
  for (const e of events) {
    const what = e.kind === 'partition' ? `partition ${e.detail}` : `SIGKILL+restart ${e.detail}`
    const hs = e.handshakes === undefined ? '' : `; handshakes ${e.handshakes.started} (${(e.handshakes.started / Math.max(1, e.handshakes.seconds)).toFixed(1)}/s), ${e.handshakes.timedOut} timed out, ${e.handshakes.failed} failed, ${e.handshakes.abandoned} skipped in line, ${e.handshakes.duplicates} duplicates; ${dialsText(e.handshakes.dials, e.handshakes.unconnected)}; ${coresBusy(e.handshakes)}`
    const relapsed = e.relapsed === undefined || e.relapsed === 0 ? '' : ` (${e.relapsed} lost sight again)`
    const after = e.kind === 'partition' ? `members ${fmt(e.membershipMs)}${relapsed}, writes ${fmt(e.docsMs)}${hs}` : `rejoined ${fmt(e.membershipMs)}`
    lines.push(`${e.kind.padEnd(16)} ${what.padEnd(29)} ${after}`)
  }
  const r = result
  lines.push('',
    `writes:        ${r.writes.acknowledged} acknowledged of ${r.writes.attempted} attempted (${r.writes.failed} not acknowledged: peer down or timed out), into ${r.writes.keys} keys`,
    `lost writes:   ${r.lostWrites} (keys whose last acknowledged value, or a later one, is missing somewhere)${r.lostExamples.length > 0 ? ` e.g. ${r.lostExamples.join(', ')}` : ''}`,
    `false deaths:  ${r.falseDeaths} (of ${r.deadEvents} dead events, the rest explained by a partition or a kill)`,
    `crashes:       ${r.crashes.length === 0 ? 'none' : r.crashes.join(', ')}`,
    `cpu:           peers ${r.cpu.peersS.toFixed(0)} s, this script ${r.cpu.soakS.toFixed(0)} s, in ${r.cpu.wallS.toFixed(0)} s: ${((r.cpu.peersS + r.cpu.soakS) / Math.max(1, r.cpu.wallS)).toFixed(2)} of ${r.cpu.cores} cores busy on average; during heals the peers kept ${r.cpu.healCores.map(c => c === null ? '?' : c.toFixed(2)).join(', ')} busy`,
    `handshakes:    ${r.handshakes.started} started on all peers, ${r.handshakes.timedOut} timed out, ${r.handshakes.failed} failed, ${r.handshakes.abandoned} skipped in line (their dialler gave up first), ${r.handshakes.duplicates} duplicate connections of simultaneous dials closed; worst event-loop delay of any peer ${r.worstLoopDelayMs.toFixed(0)} ms`,
    `convergence:   after heals max ${fmt(maxOf(r.healDocsMs))} (writes), ${fmt(maxOf(r.healMembershipMs))} (members); rejoin after restart max ${fmt(maxOf(r.rejoinMs))}; final ${fmt(r.finalConvergeMs)}`,
    `rss:           ${r.rss.flat ? 'flat' : `NOT flat ${r.rss.judged === 0 ? '(no peer judged)' : `on ${r.rss.notFlat.join(', ')}`}`} — last-window median ≤ ${FLAT_RATIO} × second-window median + the growth of the peer's Yjs structs × ${r.rss.structRssBytes} B × ${r.rss.structMargin}, on all ${r.rss.judged} never-restarted peers (max ratio ${r.rss.maxRatio.toFixed(2)}, max structs growth ${r.rss.maxStructsGrowth} → max allowance ${r.rss.maxAllowanceMb.toFixed(1)} MB, max slope ${r.rss.maxSlopeMbPerMin.toFixed(2)} MB/min, median ${r.rss.medianFirstMb.toFixed(0)} → ${r.rss.medianLastMb.toFixed(0)} MB; V8 heap median ${r.rss.medianHeapFirstMb.toFixed(0)} → ${r.rss.medianHeapLastMb.toFixed(0)} MB)`,
    `bounds:        heals re-merged (members and writes) within ${r.bounds.healS} s: ${r.healMembershipMs.length - r.bounds.slowHeals} of ${r.healMembershipMs.length}; restarts alive everywhere within ${r.bounds.rejoinS} s: ${r.rejoinMs.length - r.bounds.slowRejoins} of ${r.rejoinMs.length}`,
    `verdict:       ${r.ok ? 'OK' : `FAILED: ${r.failures.join('; ')}`}`)
  return lines.join('\n')
}

function fmt (ms: number | null | undefined): string {
  return ms === null || ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`
}

function maxOf (xs: ReadonlyArray<number | null>): number | null {
  if (xs.some(x => x === null)) return null
  return xs.length === 0 ? 0 : Math.max(...(xs as number[]))
}
