/**
 * The soak's faults, one at a time so that each can be measured: a partition (a random minority of the
 * live peers cut from the rest with /admin/partition on both sides, then healed), then a SIGKILL of a
 * random restartable peer and its restart with the same data dir. After each heal: how long until every
 * live peer sees every live peer alive, and until writes made on both sides during the partition are on
 * every peer. After each restart: how long until the restarted peer and everyone else see each other alive.
 */
import type { Random } from '../../dist/core/random.js'
import type { DeathWatch } from './deaths.ts'
import { coresBusy, dialsText, subtractCounts } from './load.ts'
import type { LoadWatch } from './load.ts'
import type { Mesh, Slot } from './mesh.ts'
import { countFailing, untilEach } from './converge.ts'
import { Sight, seesAlive } from './sight.ts'
import { sleep } from './writer.ts'

export const HEAL_DOC = 'soak-heal'
/** A heal or a rejoin that takes longer than this is recorded as not converged. */
export const CONVERGE_BOUND_MS = 90_000
const POLL_MS = 250
/**
 * Each live peer is polled on its own (converge.ts): one request in flight per peer, so a peer's time is its own
 * answer's. A heal-doc read on a peer that does not hold the doc fetches it from the doc's three homes, 0.5 s
 * median and up to ~2 s on the 50-peer soak's saturated machine; ten at a time, in rounds, the first round over 50
 * peers took 8–10 s and was most of the heal line's writes time.
 */
const perPeer = (peers: readonly Slot[]): number => peers.length

export interface ChaosEvent {
  kind: 'partition' | 'kill'
  at: number
  detail: string
  /** partition: heal → every live peer sees every live peer alive. kill: restart → mutual alive. */
  membershipMs: number | undefined
  /** partition: heal → both sides' writes from the partition on every live peer. */
  docsMs?: number | undefined
  /** partition: peers that no longer saw every peer alive when asked again right after all had. */
  relapsed?: number
  /** partition: handshakes on all peers from the heal until both measures were taken (timed out, failed). */
  handshakes?: { started: number, timedOut: number, failed: number, abandoned: number, duplicates: number, dials: Record<string, number>, unconnected: Record<string, number>, seconds: number, cpuS: number }
}

export interface ChaosTiming { partitionMs: number, downMs: number, pauseMs: number }

/** Fault durations scaled to the run: a 10-minute run gets ~10 cycles, a 1-minute run ~3. */
export function chaosTiming (runMs: number): ChaosTiming {
  const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x))
  return { partitionMs: clamp(runMs / 30, 5_000, 20_000), downMs: clamp(runMs / 60, 3_000, 8_000), pauseMs: clamp(runMs / 60, 2_000, 10_000) }
}

type Log = (line: string) => void

export class Chaos {
  readonly events: ChaosEvent[] = []
  private cycle = 0
  private readonly mesh: Mesh
  private readonly deaths: DeathWatch
  private readonly random: Random
  private readonly timing: ChaosTiming
  private readonly log: Log
  private readonly load: LoadWatch | undefined

  constructor (mesh: Mesh, deaths: DeathWatch, random: Random, timing: ChaosTiming, log: Log, load?: LoadWatch) {
    this.mesh = mesh
    this.load = load
    this.deaths = deaths
    this.random = random
    this.timing = timing
    this.log = log
  }

  /** Runs fault cycles until `deadline` (Date.now() ms); a fault in progress is undone before returning. */
  async run (deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      this.cycle++
      await this.partition(deadline)
      if (Date.now() >= deadline) break
      await sleep(this.timing.pauseMs)
      if (Date.now() >= deadline) break
      await this.killAndRestart()
      await sleep(this.timing.pauseMs)
    }
  }

  private pick<T> (xs: readonly T[]): T {
    return xs[this.random.int(xs.length)] as T
  }

  private async partition (deadline: number): Promise<void> {
    const live = this.mesh.live()
    const size = 1 + this.random.int(Math.max(1, Math.floor(live.length / 4)))
    const shuffled = this.random.shuffle([...live])
    const minority = shuffled.slice(0, size)
    const majority = shuffled.slice(size)
    const at = Date.now()
    this.deaths.cut(minority, majority)
    await Promise.all([
      ...minority.map(async s => await this.block(s, majority)),
      ...majority.map(async s => await this.block(s, minority))
    ])
    this.deaths.phase = `partition ${this.cycle} (${names(minority)} | ${majority.length})`
    this.log(`partition ${this.cycle}: ${names(minority)} | ${majority.length} others, for ${(this.timing.partitionMs / 1000).toFixed(0)} s`)
    await sleep(Math.min(this.timing.partitionMs, Math.max(0, deadline - Date.now())))
    // One write on each side while apart: after the heal, both must reach everyone.
    const markers = [`p${this.cycle}-minority`, `p${this.cycle}-majority`]
    await this.mark(minority[0], markers[0] as string)
    await this.mark(majority[0], markers[1] as string)
    await this.load?.sampleAll(this.mesh.live())
    const loadBefore = this.load?.total()
    await Promise.all(this.mesh.live().map(async s => { await this.mesh.api(s, 'DELETE', '/admin/partition').catch(() => {}) }))
    const healedAt = Date.now()
    this.deaths.healed(minority, majority, healedAt)
    this.deaths.phase = `heal ${this.cycle} (${names(minority)} | ${majority.length})`
    const everyone = this.mesh.live()
    // When each peer's read first held both writes: the last few are named in the heal line.
    const heldAt = new Map<Slot, number>()
    // What each peer's last read before that lacked: one side's write, or both (the doc itself, on a fetch).
    const lacked = new Map<Slot, string>()
    const unread = new Map<Slot, number>()
    const holds = async (s: Slot): Promise<boolean> => {
      const missing = await missingKeys(this.mesh, s, markers).catch((err: unknown) => {
        unread.set(s, (unread.get(s) ?? 0) + 1)
        throw err
      })
      if (missing.length > 0) {
        lacked.set(s, missing.length === markers.length ? 'both' : (missing[0] as string).replace(/^p\d+-/, ''))
        return false
      }
      if (!heldAt.has(s)) heldAt.set(s, Date.now() - healedAt)
      return true
    }
    const docPolls = { count: 0, slowestMs: 0 }
    const sight = new Sight(this.mesh, healedAt)
    const [membershipMs, docsMs] = await Promise.all([
      untilEach(everyone, async o => await sight.seesAlive(o, everyone), { concurrency: perPeer(everyone), intervalMs: POLL_MS, boundMs: CONVERGE_BOUND_MS }),
      untilEach(everyone, holds, { concurrency: perPeer(everyone), intervalMs: POLL_MS, boundMs: CONVERGE_BOUND_MS, polls: docPolls })
    ])
    // Each peer counted once it saw everyone alive; one more round says whether any has since lost sight of someone.
    const relapsed = membershipMs === undefined ? undefined : await countFailing(everyone, async o => await seesAlive(this.mesh, o, everyone), perPeer(everyone))
    const seconds = (Date.now() - healedAt) / 1000
    await this.load?.sampleAll(this.mesh.live())
    const loadAfter = this.load?.total()
    const handshakes = loadBefore === undefined || loadAfter === undefined
      ? undefined
      : { started: loadAfter.started - loadBefore.started, timedOut: loadAfter.timedOut - loadBefore.timedOut, failed: loadAfter.failed - loadBefore.failed, abandoned: loadAfter.abandoned - loadBefore.abandoned, duplicates: loadAfter.duplicates - loadBefore.duplicates, dials: subtractCounts(loadAfter.dials, loadBefore.dials), unconnected: subtractCounts(loadAfter.unconnected, loadBefore.unconnected), seconds, cpuS: loadAfter.cpuS - loadBefore.cpuS }
    this.events.push({ kind: 'partition', at, detail: `${names(minority)} | ${majority.length}`, membershipMs, docsMs, ...(relapsed === undefined ? {} : { relapsed }), ...(handshakes === undefined ? {} : { handshakes }) })
    const cost = handshakes === undefined ? '' : `; handshakes meanwhile ${handshakes.started} started (${(handshakes.started / Math.max(1, seconds)).toFixed(1)}/s), ${handshakes.timedOut} timed out, ${handshakes.failed} failed, ${handshakes.abandoned} skipped in line (dialler gone), ${handshakes.duplicates} duplicate connections closed (simultaneous dials); ${dialsText(handshakes.dials, handshakes.unconnected)}; ${coresBusy(handshakes)}`
    const last = [...heldAt].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([s, ms]) => `${s.name} ${(ms / 1000).toFixed(1)} s${lackedText(lacked.get(s), unread.get(s))}`).join(', ')
    const polled = `; ${docPolls.count} reads, the slowest ${(docPolls.slowestMs / 1000).toFixed(1)} s`
    this.log(`heal ${this.cycle}: all alive everywhere ${show(membershipMs)}${sight.lastText()}${relapsed === undefined || relapsed === 0 ? '' : ` (${relapsed} peer(s) lost sight of someone again right after)`}, both sides' writes everywhere ${show(docsMs)}${last === '' ? '' : ` (last: ${last}${polled})`}${cost}`)
    this.deaths.phase = 'idle'
  }

  private async killAndRestart (): Promise<void> {
    const candidates = this.mesh.live().filter(s => !s.stable)
    if (candidates.length === 0) return
    const victim = this.pick(candidates)
    const at = Date.now()
    await this.load?.sample(victim)
    await this.mesh.kill(victim)
    this.deaths.phase = `kill ${this.cycle} (${victim.name})`
    this.log(`kill ${this.cycle}: SIGKILL ${victim.name}, down for ${(this.timing.downMs / 1000).toFixed(0)} s`)
    await sleep(this.timing.downMs)
    await this.mesh.start(victim)
    this.deaths.follow(victim)
    const everyone = this.mesh.live()
    const sight = new Sight(this.mesh, Date.now())
    const membershipMs = await untilEach(everyone, async o => await sight.seesAlive(o, o === victim ? everyone : [victim]), { concurrency: perPeer(everyone), intervalMs: POLL_MS, boundMs: CONVERGE_BOUND_MS })
    this.events.push({ kind: 'kill', at, detail: victim.name, membershipMs })
    this.log(`restart ${this.cycle}: ${victim.name} (same data dir) alive everywhere ${show(membershipMs)}${sight.lastText()}`)
    this.deaths.phase = 'idle'
  }

  private async block (slot: Slot, others: readonly Slot[]): Promise<void> {
    await this.mesh.api(slot, 'POST', '/admin/partition', { block: others.map(o => o.id) }).catch(() => {})
  }

  private async mark (slot: Slot | undefined, key: string): Promise<void> {
    if (slot === undefined) return
    await this.mesh.api(slot, 'PUT', `/docs/${HEAL_DOC}/kv/${key}`, { at: Date.now() }).catch(() => {})
  }
}

function lackedText (lacked: string | undefined, unread: number | undefined): string {
  const parts = [...(lacked === undefined ? [] : [`had lacked ${lacked}`]), ...(unread === undefined ? [] : [`${unread} read(s) unanswered`])]
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`
}

/** Which of `keys` a read of the heal doc on `slot` lacks (a read on a peer that does not hold the doc fetches it from its homes). */
async function missingKeys (mesh: Mesh, slot: Slot, keys: readonly string[]): Promise<string[]> {
  const r = await mesh.api<{ content?: { kv?: Record<string, unknown> } }>(slot, 'GET', `/docs/${HEAL_DOC}`)
  const kv = r.body.content?.kv ?? {}
  return keys.filter(k => !(k in kv))
}

/** Milliseconds until `check` holds (polled every 250 ms), or undefined after CONVERGE_BOUND_MS. */
export async function measure (check: () => Promise<boolean>, boundMs = CONVERGE_BOUND_MS): Promise<number | undefined> {
  const start = Date.now()
  while (Date.now() - start < boundMs) {
    if (await check().catch(() => false)) return Date.now() - start
    await sleep(250)
  }
  return undefined
}

function names (slots: readonly Slot[]): string {
  return slots.map(s => s.name).join(',')
}

export function show (ms: number | undefined): string {
  return ms === undefined ? `NOT within ${CONVERGE_BOUND_MS / 1000} s` : `in ${(ms / 1000).toFixed(1)} s`
}
