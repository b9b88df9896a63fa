/**
 * The round driver: start the mesh, then R rounds of fault → hold → heal → settle with the workload writing
 * throughout, then the final convergence wait and the checker. Owns no process or namespace lifetimes: the
 * entry (scripts/partition-heal.ts) creates and always tears down the cluster and the lab.
 */
import { SeededRandom } from '../../dist/core/random.js'
import type { Random } from '../../dist/core/random.js'
import { check } from './checker.ts'
import type { Baseline, Verdict } from './checker.ts'
import type { Cluster } from './cluster.ts'
import { describeFault, expectedDeaths, planFault, set, sidesOf } from './faults.ts'
import type { Fault } from './faults.ts'
import type { RunOptions } from './flags.ts'
import { tally } from './history.ts'
import type { WriteOp } from './history.ts'
import { Nemesis } from './nemesis.ts'
import type { PartitionDriver } from './nemesis.ts'
import { deathsDeclared, docsKey, fullMembership, pollUntil, readReplica, replicasConverged, viewCounts } from './observe.ts'
import type { Replica } from './observe.ts'
import { progress, writesBySide } from './report.ts'
import type { RoundRecord } from './report.ts'
import { Workload } from './workload.ts'

/**
 * Timing per profile. `hold` bounds the wait for deaths: local suspicion is 3 s with one confirmation and up
 * to 18 s without (lan: 4–24 s), plus a probe round to notice. `spread` is what a phase's writes are paced
 * over, so they keep arriving while the fault holds. `rejoin` bounds heal → everyone alive again.
 */
const TIMING = {
  local: { holdMinMs: 2_000, holdMaxMs: 25_000, grudgeHoldMs: 5_000, spreadMs: 4_000, rejoinMs: 30_000 },
  lan: { holdMinMs: 3_000, holdMaxMs: 45_000, grudgeHoldMs: 8_000, spreadMs: 8_000, rejoinMs: 60_000 }
} as const
type Timing = typeof TIMING[keyof typeof TIMING]
/** Start-up: every peer sees all N alive within this. */
const JOIN_TIMEOUT_MS = 45_000
/** Queued writes of a phase are done within this after the phase's own wait (they are paced, not stuck). */
const DRAIN_TIMEOUT_MS = 20_000
/** Final heal → converged, or the run fails. Generous: a restarted peer may still be catching up. */
const CONVERGE_TIMEOUT_MS = 60_000
const CONVERGE_POLL_MS = 250
/** Converged means: still converged (same digests, everyone alive) this long later. */
const CONVERGE_STABLE_MS = 1_000

export interface RunContext {
  options: RunOptions
  cluster: Cluster
  driver: PartitionDriver
  signal: AbortSignal
}

export interface RunResult {
  baseline: Baseline
  converged: boolean
  convergeMs: number | undefined
  verdict: Verdict
  replicas: Replica[]
  ops: WriteOp[]
  rounds: RoundRecord[]
}

export async function run (ctx: RunContext): Promise<RunResult> {
  const { options: o, cluster, signal } = ctx
  const timing = TIMING[o.profile]
  // One stream for the nemesis, one per writer, forked in a fixed order: a seed replays the same choices.
  const root = new SeededRandom(o.seed)
  const nemesisRng = root.fork()
  const writerRngs: Random[] = Array.from({ length: o.peers }, () => root.fork())

  await cluster.startAll()
  progress(`started ${o.peers} peers: ${cluster.nodes.map(n => `p${n.index}=${n.id.slice(-6)}`).join(' ')}`)
  // A peer that dies while the mesh forms ends the wait: its crash is the finding (on a loaded machine one
  // that crashed 1.5 s after its start was reported, 45 s later, as a mesh that never formed).
  const joinMs = await pollUntil(async () => cluster.nodes.some(n => n.crashed !== undefined) || await fullMembership(cluster), JOIN_TIMEOUT_MS, signal)
  cluster.assertNoCrash()
  if (joinMs === undefined) throw new Error(`the ${o.peers} peers did not all see each other alive within ${JOIN_TIMEOUT_MS} ms`)
  progress(`membership: all ${o.peers} alive on every peer after ${joinMs} ms`)
  const baseline = await readBaseline(cluster)

  const workload = new Workload({ cluster, rngs: writerRngs, runTag: `ph${o.seed}`, signal })
  const nemesis = new Nemesis(cluster, ctx.driver, async (peer, timeoutMs) => await workload.nextWriteStart(peer, timeoutMs))
  const rounds: RoundRecord[] = []
  workload.start()
  let finalHealAt = Date.now()
  try {
    for (let k = 1; k <= o.rounds; k++) {
      const fault = planFault(nemesisRng, o.faults, o.peers)
      const final = k === o.rounds
      const record = await runRound(ctx, workload, nemesis, fault, k, final, timing)
      cluster.assertNoCrash()
      rounds.push(record.round)
      finalHealAt = record.healAt
    }
    // Writes of peers that were down in the last round go out now; then nothing more is issued.
    const drained = await pollUntil(async () => workload.pending() === 0, DRAIN_TIMEOUT_MS, signal)
    if (drained === undefined) progress(`writes: ${workload.pending()} still queued after ${DRAIN_TIMEOUT_MS} ms; stopping the workload`)
  } finally {
    await workload.stop()
  }
  const t = tally(workload.ops)
  progress(`workload stopped: ${t.attempted} writes, ${t.ok} acknowledged, ${t.unknown} unknown, ${t.failed} failed`)

  const { converged, convergeMs, replicas } = await awaitConvergence(cluster, finalHealAt, signal)
  progress(converged
    ? `converged ${convergeMs ?? 0} ms after the final heal: identical digests, all ${o.peers} alive everywhere`
    : `NOT converged within ${CONVERGE_TIMEOUT_MS} ms of the final heal`)
  const verdict = check(workload.ops, replicas, baseline)
  progress(`checker: ${verdict.lostWrites} lost write(s), ${verdict.anomalies.length} anomaly(ies)`)
  return { baseline, converged, convergeMs, verdict, replicas, ops: workload.ops, rounds }
}

async function runRound (ctx: RunContext, workload: Workload, nemesis: Nemesis, fault: Fault, k: number, final: boolean, timing: Timing): Promise<{ round: RoundRecord, healAt: number }> {
  const { options: o, cluster, signal } = ctx
  const tag = `round ${k}/${o.rounds}`
  const victims = fault.kind === 'kill' ? fault.victims : []
  // Half the round's writes while the fault holds, half racing the heal. The last round writes them all
  // during the fault, so that convergeMs measures the heal alone (except for peers it killed).
  const faultShare = final ? o.writes : Math.ceil(o.writes / 2)
  progress(`${tag} fault: ${describeFault(fault)}`)
  const faultAt = Date.now()
  const releaseFaultWrites = (): void => {
    for (const side of sidesOf(fault, o.peers)) {
      for (const i of side.peers) workload.release(i, faultShare, { round: k, phase: 'fault', side: side.label }, timing.spreadMs)
    }
  }
  // A partition is in place before its writes start; a kill lands while its victims are writing.
  if (fault.kind === 'kill') releaseFaultWrites()
  await nemesis.apply(fault)
  if (fault.kind !== 'kill') releaseFaultWrites()

  const { deathsMs, holdMs } = await hold(ctx, workload, fault, faultAt, timing)
  progress(`${tag} hold ${holdMs} ms: ${await holdReport(cluster, fault, deathsMs, timing.holdMaxMs)}; writes ${writesBySide(workload.ops, k)}`)

  const healAt = Date.now()
  await nemesis.heal(fault)
  progress(`${tag} heal${victims.length > 0 ? `: restarted ${set(victims)} with their data dirs` : ''}`)
  const healTicket = { round: k, phase: 'heal', side: 'healed' } as const
  // In the last round only a killed peer has writes left; sent at full speed, they hold up convergeMs little.
  const spreadMs = final ? 0 : timing.spreadMs
  for (let i = 0; i < o.peers; i++) {
    // What a killed peer did not get to write before its crash goes out now that it is back.
    if (victims.includes(i)) workload.retag(i, healTicket, spreadMs)
    workload.release(i, o.writes - faultShare, healTicket, spreadMs)
  }
  if (final) return { round: { round: k, fault, holdMs, ...(deathsMs === undefined ? {} : { deathsMs }) }, healAt }

  // Settle: everyone alive everywhere again, and the heal-phase writes done, before the next fault.
  const rejoinMs = await pollUntil(async () => await fullMembership(cluster), timing.rejoinMs, signal)
  await pollUntil(async () => workload.pending() === 0, DRAIN_TIMEOUT_MS, signal)
  const t = tally(workload.ops)
  progress(`${tag} settled: ${rejoinMs === undefined ? `membership NOT whole within ${timing.rejoinMs} ms` : `all ${o.peers} alive everywhere ${rejoinMs} ms after heal`}; writes so far ${t.ok} acked, ${t.unknown} unknown, ${t.failed} failed`)
  return {
    round: { round: k, fault, holdMs, ...(deathsMs === undefined ? {} : { deathsMs }), ...(rejoinMs === undefined ? {} : { rejoinMs }) },
    healAt
  }
}

/**
 * Hold: until membership has declared the deaths this fault should cause (bounded: not declaring them is
 * reported, not failed — the checker judges the outcome), for at least a minimum, and until this phase's
 * writes on reachable peers are done.
 */
async function hold (ctx: RunContext, workload: Workload, fault: Fault, faultAt: number, timing: Timing): Promise<{ deathsMs: number | undefined, holdMs: number }> {
  const { options: o, cluster, signal } = ctx
  const expected = expectedDeaths(fault, o.peers)
  const deathsMs = expected.length === 0 ? undefined : await pollUntil(async () => await deathsDeclared(cluster, expected), timing.holdMaxMs, signal)
  const minHold = fault.kind === 'grudges' ? timing.grudgeHoldMs : timing.holdMinMs
  await pollUntil(async () => workload.pendingOnUpPeers() === 0, DRAIN_TIMEOUT_MS, signal, Math.max(0, minHold - (Date.now() - faultAt)))
  return { deathsMs, holdMs: Date.now() - faultAt }
}

async function holdReport (cluster: Cluster, fault: Fault, deathsMs: number | undefined, holdMaxMs: number): Promise<string> {
  const deaths = expectedDeaths(fault, cluster.size).length === 0
    ? 'deaths not awaited'
    : deathsMs === undefined ? `deaths NOT all declared within ${holdMaxMs} ms` : `deaths declared after ${deathsMs} ms`
  const views = Object.entries(await viewCounts(cluster)).sort(([a], [b]) => a.localeCompare(b)).map(([state, count]) => `${count} ${state}`).join(', ')
  return `${deaths} (member views now: ${views})`
}

async function readBaseline (cluster: Cluster): Promise<Baseline> {
  const r = await readReplica(cluster, 0)
  if (r.error !== undefined || r.counter === undefined) throw new Error(`cannot read the app's state on p0 before writing: ${r.error ?? 'no counter'}`)
  return { counter: r.counter, chatIds: new Set((r.chat ?? []).map(m => m.id)) }
}

async function readAll (cluster: Cluster): Promise<Replica[]> {
  return await Promise.all(cluster.nodes.map(async n => n.proc === undefined ? { peer: n.index, error: 'down' } : await readReplica(cluster, n.index)))
}

/**
 * Polls every replica until all are identical and see everyone alive, and stay so for CONVERGE_STABLE_MS
 * (a late suspicion timeout after the heal must not slip past a single lucky poll). convergeMs counts from
 * the final heal to the first poll of that stable stretch.
 */
async function awaitConvergence (cluster: Cluster, healAt: number, signal: AbortSignal): Promise<{ converged: boolean, convergeMs: number | undefined, replicas: Replica[] }> {
  const ids = cluster.nodes.map(n => n.id)
  const deadline = Date.now() + CONVERGE_TIMEOUT_MS
  let since: number | undefined
  let stableKey = ''
  for (;;) {
    signal.throwIfAborted()
    cluster.assertNoCrash()
    const replicas = await readAll(cluster)
    const now = Date.now()
    const key = replicasConverged(replicas, ids) ? docsKey(replicas[0]?.docs ?? []) : ''
    if (key === '' || key !== stableKey) since = key === '' ? undefined : now
    stableKey = key
    if (since !== undefined && now - since >= CONVERGE_STABLE_MS) return { converged: true, convergeMs: since - healAt, replicas }
    if (now > deadline) return { converged: false, convergeMs: undefined, replicas }
    await new Promise(resolve => setTimeout(resolve, CONVERGE_POLL_MS))
  }
}
