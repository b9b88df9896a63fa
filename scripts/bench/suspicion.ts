/**
 * `npm run bench -- suspicion [--sizes 50] [--mults 4,3] [--seeds 8] [--stalls 5,6,7,8,9,10,11]`
 *
 * What the suspicion multiplier buys and costs, in the deterministic simulator (issue 11). The minimum
 * suspicion timeout is `suspicionMult · log10(N) · probe interval`; it bounds how fast a crashed member is
 * declared dead, and how long a live member may stop answering (a GC pause, a swapped-out or
 * CPU-starved process, a VM migration) before it is declared dead. One number sets both:
 * - **host gone → dead on all**: a member of a formed, quiet mesh stops answering anything, dials
 *   included (a host that lost power or its network: no refusal); simulated ms until every running member
 *   lists it dead (median over the seeds). A process killed on a live host is another matter: its host
 *   refuses dials, which is evidence of its own and ends the suspicion within two probe intervals whatever
 *   the multiplier (member-table.ts noteRefused); the multiplier only governs crashes with no such answer.
 * - **frozen for D s → declared dead**: a member stops handling anything for D seconds (its frames wait
 *   in its queues, as a stopped process's kernel buffers them); in how many of the seeds anyone declared
 *   it dead. The largest D never declared dead is the multiplier's tolerance.
 * Profile `sim` (LAN timing: probe 1 s, timeout 500 ms, Lifeguard, three suspect verifiers).
 */
import { SimCluster } from '../../dist/sim/index.js'
import { inRange, readFlags } from './lib/flags.ts'
import { UsageError, median, progress, round, table, writeSection } from './lib/report.ts'

export const USAGE = 'options: --sizes 50 (members, 5-500)  --mults 4,3 (suspicionMult, 1-10)  --seeds 8 (1-50)  --stalls 5,6,7,8,9,10,11 (seconds frozen, 1-60)'

interface Options { sizes: number[], mults: number[], seeds: number, stalls: number[] }

function list (value: string, flag: string, min: number, max: number): number[] {
  const out = value.split(',').map(Number)
  if (value === '' || out.some(n => !Number.isInteger(n) || n < min || n > max)) throw new UsageError(`${flag} must be a comma-separated list of integers in [${min}, ${max}], got ${JSON.stringify(value.slice(0, 40))} (${USAGE})`)
  return out
}

export function parse (args: string[]): Options {
  const o: Options = { sizes: [50], mults: [4, 3], seeds: 8, stalls: [5, 6, 7, 8, 9, 10, 11] }
  readFlags(args, USAGE, {
    values: {
      '--sizes': (v, flag) => { o.sizes = list(v, flag, 5, 500) },
      '--mults': (v, flag) => { o.mults = list(v, flag, 1, 10) },
      '--stalls': (v, flag) => { o.stalls = list(v, flag, 1, 60) }
    },
    numbers: { '--seeds': inRange(1, 50, true, n => { o.seeds = n }) }
  })
  return o
}

/** A formed mesh of `n`, quiet for a while (so Lifeguard's scores have settled). */
function formed (n: number, mult: number, seed: number): SimCluster {
  // A crashed node's dials time out instead of being refused: see "host gone" above.
  const cluster = new SimCluster({ size: n, seed, startWindowMs: n * 30, config: { suspicionMult: mult }, record: ['dead'], network: { refuseWhenCrashed: false } })
  if (cluster.runUntilEvery(m => m.aliveCount === n - 1, 600_000, 500) === undefined) throw new Error(`N=${n}, seed ${seed}: the mesh did not form`)
  cluster.network.runFor(20_000 + (seed % 7) * 137)
  return cluster
}

/** Simulated ms from a crash of the victim's host (no refusal) until every running member lists it dead. */
export function detection (n: number, mult: number, seed: number): number {
  const cluster = formed(n, mult, seed)
  const victim = cluster.runningIds()[seed % n] as string
  cluster.crash(victim)
  const elapsed = cluster.runUntilEvery((_, observer) => cluster.stateOf(observer, victim) === 'dead', 180_000, 50)
  cluster.stopAll()
  if (elapsed === undefined) throw new Error(`N=${n}, suspicionMult ${mult}, seed ${seed}: the crash was not detected within 180 s`)
  return elapsed
}

/** Whether anyone declared a member frozen for `stallS` seconds dead. */
export function declaredDead (n: number, mult: number, seed: number, stallS: number): boolean {
  const cluster = formed(n, mult, seed)
  const victim = cluster.runningIds()[seed % n] as string
  const from = cluster.events.length
  cluster.stall(victim, stallS * 1000)
  cluster.network.runFor(stallS * 1000 + 15_000)
  const dead = cluster.events.slice(from).some(e => e.subject === victim && e.type === 'dead')
  cluster.stopAll()
  return dead
}

interface Row { n: number, mult: number, detectionMs: number[], deadOfStall: Record<string, number>, toleratedS: number | undefined }

export async function main (args: string[]): Promise<void> {
  const o = parse(args)
  const rows: Row[] = []
  for (const n of o.sizes) {
    for (const mult of o.mults) {
      const detectionMs: number[] = []
      const deadOfStall: Record<string, number> = {}
      for (let s = 1; s <= o.seeds; s++) detectionMs.push(detection(n, mult, 7000 + s))
      progress(`N=${n}, suspicionMult ${mult}: host gone → dead on all, median ${round(median(detectionMs))} ms (${detectionMs.join(', ')})`)
      for (const d of o.stalls) {
        let dead = 0
        for (let s = 1; s <= o.seeds; s++) if (declaredDead(n, mult, 7000 + s, d)) dead++
        deadOfStall[`${d}`] = dead
        progress(`N=${n}, suspicionMult ${mult}: frozen ${d} s → declared dead in ${dead} of ${o.seeds} seeds`)
      }
      const tolerated = o.stalls.filter(d => o.stalls.every(e => e > d || deadOfStall[`${e}`] === 0))
      rows.push({ n, mult, detectionMs, deadOfStall, toleratedS: tolerated.length === 0 ? undefined : Math.max(...tolerated) })
    }
  }
  const header = ['N', 'suspicionMult', 'host gone → dead on all, ms: median (min–max)', ...o.stalls.map(d => `frozen ${d} s: declared dead`), 'longest freeze never declared dead']
  const body = [
    `Simulated (profile sim: LAN timing, Lifeguard, three suspect verifiers), seeds 7001–${7000 + o.seeds} per cell; a formed mesh, quiet 20 s, then one member's host gone (it answers nothing, dials included; a process killed on a live host is refused instead, which ends a suspicion within two probe intervals whatever the multiplier) or frozen (it handles nothing for the time given, its frames waiting in its queues). "Declared dead" counts the seeds in which anyone declared the frozen member dead.`,
    '',
    table(header, rows.map(r => [
      r.n, r.mult,
      `${round(median(r.detectionMs))} (${Math.min(...r.detectionMs)}–${Math.max(...r.detectionMs)})`,
      ...o.stalls.map(d => `${r.deadOfStall[`${d}`]} of ${o.seeds}`),
      r.toleratedS === undefined ? '–' : `${r.toleratedS} s`
    ]))
  ].join('\n')
  process.stdout.write(`${body}\n`)
  writeSection('suspicion', 'Suspicion timeout: detection against a frozen member (simulated, issue 11)', `npm run bench -- suspicion${args.length > 0 ? ` ${args.join(' ')}` : ''}`, body)
  process.stdout.write(`${JSON.stringify({ rows: rows.map(r => ({ peers: r.n, suspicionMult: r.mult, detectionMedianMs: median(r.detectionMs), deadOfStall: r.deadOfStall, toleratedS: r.toleratedS ?? null })) })}\n`)
}
