/**
 * The trials of the detection benchmark, written once against the Mesh interface and run on murmur and
 * Serf side by side (the same schedule at the same moments, so both see the same background load):
 * form a cluster, SIGKILL a member, join a fresh one, leave gracefully, cut the data network in halves
 * and heal it. Every wait is bounded; a timeout is recorded as such, never waited out silently.
 */
import type { NetnsLab } from '../../lib/netns.ts'
import type { Mesh, MeshMember } from './mesh.ts'
import { progress, round } from './report.ts'
import type { Rng } from './rng.ts'
import type { ViewState } from './views.ts'

/** Members started first; never killed or made to leave, so joins always have a live seed. */
export const SEEDS = 2
export const TIMEOUTS = {
  formMs: 90_000,
  detectMs: 60_000,
  joinMs: 30_000,
  leaveMs: 30_000,
  partitionMs: 90_000,
  /** Serf re-tries failed members every 30 s (ReconnectInterval): allow several rounds. */
  healMs: 150_000,
  /** An API check that disagrees with the event stream is re-asked for this long before it is reported. */
  confirmMs: 5_000
} as const

export interface Figures {
  formedMs: number | undefined
  killMs: number[]
  killTimeouts: number
  joinMs: number[]
  joinTimeouts: number
  leaveMs: number[]
  leaveTimeouts: number
  /** Observers that listed a gracefully leaving member as dead instead of left. */
  leftAsDead: number
  /** Per partition trial: cut → each half lists the other dead. */
  partitionDetectMs: number[]
  partitionTimeouts: number
  /** Per partition trial: heal → every member lists every other alive. */
  healMs: number[]
  healTimeouts: number
  /** Disagreements between a member's API and what its event stream said, after TIMEOUTS.confirmMs. */
  mismatches: string[]
}

/** From the cut to the heal, and on until every member saw every other alive again. */
interface PartitionWindow { start: number, healAt: number, end: number, side: Map<string, number> }

export interface SystemRun {
  readonly mesh: Mesh
  /** Namespace indexes not used yet; each spawn takes the first. */
  readonly slots: number[]
  readonly rng: Rng
  /** key → performance.now() at its kill or leave: dead marks of it after that are expected. */
  readonly departed: Map<string, number>
  readonly partitions: PartitionWindow[]
  readonly figures: Figures
  /** performance.now() when every member first listed every other alive (`form`). */
  formedAt: number | undefined
}

export function newRun (mesh: Mesh, slots: number[], rng: Rng): SystemRun {
  return {
    mesh,
    slots,
    rng,
    departed: new Map(),
    partitions: [],
    formedAt: undefined,
    figures: { formedMs: undefined, killMs: [], killTimeouts: 0, joinMs: [], joinTimeouts: 0, leaveMs: [], leaveTimeouts: 0, leftAsDead: 0, partitionDetectMs: [], partitionTimeouts: 0, healMs: [], healTimeouts: 0, mismatches: [] }
  }
}

const keys = (ms: readonly MeshMember[]): string[] => ms.map(m => m.key)

function slot (run: SystemRun): number {
  const ns = run.slots.shift()
  if (ns === undefined) throw new Error(`${run.mesh.label}: no namespace left for another member`)
  return ns
}

/**
 * Members started at once, at most: 20 Node processes loading libp2p together on 2 shared cores starve
 * each other past the 3 s handshake timeout, and the start-up storm is not what is being measured.
 */
const SPAWN_CONCURRENCY = 4

/** Starts `n` members (a seed, then the rest through it, a few at a time) and waits until all see all alive. */
export async function form (run: SystemRun, n: number): Promise<void> {
  const t0 = performance.now()
  const seed = await run.mesh.spawn(slot(run), [])
  const rest: MeshMember[] = []
  while (rest.length < n - 1) {
    const batch = Math.min(SPAWN_CONCURRENCY, n - 1 - rest.length)
    rest.push(...await Promise.all(Array.from({ length: batch }, async () => await run.mesh.spawn(slot(run), [seed]))))
  }
  const all = keys([seed, ...rest])
  const at = await run.mesh.views.waitAll(all, all, ['alive'], TIMEOUTS.formMs)
  if (at === undefined) throw new Error(`${run.mesh.label}: ${n} members did not all see each other alive within ${TIMEOUTS.formMs} ms`)
  run.figures.formedMs = at - t0
  run.formedAt = at
  progress(`${run.mesh.label}: ${n} members formed in ${round((at - t0) / 1000, 1)} s`)
}

/** SIGKILL a random non-seed member; time until every live member lists it dead. */
export async function killTrial (run: SystemRun): Promise<void> {
  const live = run.mesh.live()
  const victim = run.rng.pick(live.slice(SEEDS))
  const observers = live.filter(m => m !== victim)
  const t0 = run.mesh.kill(victim)
  run.departed.set(victim.key, t0)
  const at = await run.mesh.views.waitAll(keys(observers), [victim.key], ['dead'], TIMEOUTS.detectMs)
  if (at === undefined) run.figures.killTimeouts++
  else run.figures.killMs.push(at - t0)
  progress(`${run.mesh.label}: SIGKILL ${victim.name} → dead on ${observers.length}: ${at === undefined ? 'TIMEOUT' : `${round(at - t0)} ms`}`)
  await confirm(run, observers, [victim], 'dead', `kill ${victim.name}`)
}

/** A fresh member joins through the seeds; time from the start of its join until every other member lists it alive. */
export async function joinTrial (run: SystemRun): Promise<void> {
  const others = run.mesh.live()
  const joiner = await run.mesh.spawn(slot(run), others.slice(0, SEEDS))
  const at = await run.mesh.views.waitAll(keys(others), [joiner.key], ['alive'], TIMEOUTS.joinMs)
  if (at === undefined) run.figures.joinTimeouts++
  else run.figures.joinMs.push(at - joiner.joinAt)
  progress(`${run.mesh.label}: join ${joiner.name} → alive on ${others.length}: ${at === undefined ? 'TIMEOUT' : `${round(at - joiner.joinAt)} ms`}`)
  // The next trial starts from a complete view: the joiner sees everyone too.
  await run.mesh.views.waitAll([joiner.key], keys(others), ['alive'], TIMEOUTS.joinMs)
  await confirm(run, others, [joiner], 'alive', `join ${joiner.name}`)
}

/** Graceful leave of a random non-seed member; time until every live member lists it left (or dead). */
export async function leaveTrial (run: SystemRun): Promise<void> {
  const live = run.mesh.live()
  const leaver = run.rng.pick(live.slice(SEEDS))
  const observers = live.filter(m => m !== leaver)
  const t0 = run.mesh.leave(leaver)
  run.departed.set(leaver.key, t0)
  const at = await run.mesh.views.waitAll(keys(observers), [leaver.key], ['left', 'dead'], TIMEOUTS.leaveMs)
  const asDead = observers.filter(o => run.mesh.views.state(o.key, leaver.key) === 'dead').length
  run.figures.leftAsDead += asDead
  if (at === undefined) run.figures.leaveTimeouts++
  else if (asDead === 0) run.figures.leaveMs.push(at - t0)
  progress(`${run.mesh.label}: leave ${leaver.name} → left on ${observers.length}: ${at === undefined ? 'TIMEOUT' : `${round(at - t0)} ms`}${asDead > 0 ? ` (${asDead} saw it dead instead)` : ''}`)
}

/**
 * Cuts every run's live members into halves on the data network (one split for all runs, so both systems
 * are cut at the same instant), waits until each half lists the other dead, heals, and times until every
 * member lists every other alive again.
 */
export async function partitionTrial (runs: readonly SystemRun[], lab: NetnsLab, holdMs = 0): Promise<void> {
  const halves = runs.map((run) => {
    const live = run.mesh.live()
    const cut = Math.ceil(live.length / 2)
    return { run, a: live.slice(0, cut), b: live.slice(cut) }
  })
  lab.split([halves.flatMap(h => h.a.map(m => m.ns)), halves.flatMap(h => h.b.map(m => m.ns))])
  const t0 = performance.now()
  const windows = halves.map(({ run, a, b }) => {
    const side = new Map<string, number>([...a.map(m => [m.key, 0] as const), ...b.map(m => [m.key, 1] as const)])
    const w: PartitionWindow = { start: t0, healAt: Number.POSITIVE_INFINITY, end: Number.POSITIVE_INFINITY, side }
    run.partitions.push(w)
    return w
  })
  progress(`partition: ${halves.map(h => `${h.run.mesh.label} ${h.a.length}|${h.b.length}`).join(', ')}`)
  await Promise.all(halves.map(async ({ run, a, b }) => {
    const ab = await run.mesh.views.waitAll(keys(a), keys(b), ['dead'], TIMEOUTS.partitionMs)
    const ba = await run.mesh.views.waitAll(keys(b), keys(a), ['dead'], TIMEOUTS.partitionMs)
    const detected = ab === undefined || ba === undefined ? undefined : Math.max(ab, ba) - t0
    if (detected === undefined) run.figures.partitionTimeouts++
    else run.figures.partitionDetectMs.push(detected)
    progress(`${run.mesh.label}: halves see each other dead after ${detected === undefined ? 'TIMEOUT' : `${round(detected)} ms`}`)
  }))
  // Optionally keep the cut past memberlist's gossip-to-the-dead (30 s) and murmur's silent-connection
  // timeout (30 s): then only the reconnect loops (Serf: every 30 s) can bring the halves back together.
  if (holdMs > 0) await new Promise(resolve => setTimeout(resolve, holdMs))
  lab.heal()
  const t1 = performance.now()
  for (const w of windows) w.healAt = t1
  await Promise.all(halves.map(async ({ run }, i) => {
    const all = keys(run.mesh.live())
    const at = await run.mesh.views.waitAll(all, all, ['alive'], TIMEOUTS.healMs)
    if (at === undefined) run.figures.healTimeouts++
    else run.figures.healMs.push(at - t1)
    const w = windows[i] as PartitionWindow
    w.end = at ?? performance.now()
    progress(`${run.mesh.label}: healed → all alive after ${at === undefined ? 'TIMEOUT' : `${round(at - t1)} ms`}`)
    await confirm(run, run.mesh.live(), run.mesh.live(), 'alive', 'heal')
  }))
}

export interface Accusations {
  /** Live members marked dead that nothing in the schedule explains. */
  dead: string[]
  /** Live members suspected outside partitions, once formed (refuted: Lifeguard exists to keep these rare). */
  suspicions: number
  /** The same while the mesh was forming: members starting one after another on a machine busy starting them. */
  suspicionsForming: number
  /**
   * Dead marks between the heal and "all alive": stale verdicts of the other half arriving with the
   * reconnection (SWIM: dead beats alive at the same incarnation until the member refutes). A consequence
   * of the partition, reported apart from false positives.
   */
  afterHeal: number
}

/**
 * Sorts every dead or suspect mark of a member: explained by its kill or leave, by the other half during a
 * partition, by stale verdicts delivered at the heal — or a false positive.
 */
export function accusations (run: SystemRun): Accusations {
  const out: Accusations = { dead: [], suspicions: 0, suspicionsForming: 0, afterHeal: 0 }
  for (const t of run.mesh.views.transitions) {
    if (t.to !== 'dead' && t.to !== 'suspect') continue
    const departed = run.departed.get(t.subject)
    if (departed !== undefined && t.at >= departed) continue
    if (run.partitions.some(w => t.at >= w.start && t.at < w.healAt && w.side.get(t.observer) !== w.side.get(t.subject))) continue
    if (run.partitions.some(w => t.at >= w.healAt && t.at <= w.end)) {
      if (t.to === 'dead') out.afterHeal++
      continue
    }
    if (t.to === 'suspect') {
      if (run.formedAt === undefined || t.at <= run.formedAt) out.suspicionsForming++
      else out.suspicions++
    }
    else out.dead.push(`${t.observer.slice(-8)} marked ${t.subject.slice(-8)} dead at ${round(t.at / 1000, 1)} s`)
  }
  return out
}

/** Asks the members' own APIs (bounded re-tries) whether they agree with what their events said. */
async function confirm (run: SystemRun, observers: readonly MeshMember[], subjects: readonly MeshMember[], state: ViewState, what: string): Promise<void> {
  const deadline = performance.now() + TIMEOUTS.confirmMs
  let problems: string[] = []
  for (;;) {
    try {
      problems = await run.mesh.check(observers, subjects, state)
    } catch (err) {
      problems = [String(err)]
    }
    if (problems.length === 0 || performance.now() > deadline) break
    await new Promise(resolve => setTimeout(resolve, 500))
  }
  if (problems.length > 0) {
    run.figures.mismatches.push(`${what}: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (+${problems.length - 3})` : ''}`)
    progress(`${run.mesh.label}: API check after ${what} disagrees: ${problems.slice(0, 3).join('; ')}`)
  }
}
