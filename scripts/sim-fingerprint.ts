/**
 * `node scripts/sim-fingerprint.ts [--dist DIR] [--sizes 100,300] [--faults 0,1,2,3] [--loss-minutes 1]`
 *
 * A fingerprint of deterministic simulations, to show that a change to the simulator or to membership
 * (a speed-up, a refactor) leaves every run exactly as it was (issue 11): run it on two builds (`--dist`
 * points at another checkout's dist/, built with `npm run build`) and compare the lines.
 *
 * Each line hashes every frame sent (sender, receiver, channel, virtual time, bytes), the traffic, drop
 * and connection counters, the events run, every recorded membership event, and every running member's
 * counters and view. Two kinds of run:
 * - `idle N`: the membership benchmark's cluster (scripts/bench/membership.ts: seed 1000 + N, start
 *   window min(30 s, 30 ms · N)) formed and drained, an idle minute, then minutes at 5 % packet loss.
 * - `faults K`: 30 or 60 members under crashes, restarts, stalls, slow receivers, partitions, leaves,
 *   replay, loss and packet loss, small connection budgets, tight inbound limits and the CPU model.
 * N = 1,000 costs about two minutes and 1 GB (run it under the heavy-run lock).
 */
import { createHash } from 'node:crypto'
import type { Hash } from 'node:crypto'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { readFlags } from './bench/lib/flags.ts'
import { ROOT, UsageError } from './bench/lib/report.ts'

type SimModule = typeof import('../dist/sim/index.js')
type SimCluster = InstanceType<SimModule['SimCluster']>
type SimClusterOptions = ConstructorParameters<SimModule['SimCluster']>[0]

const USAGE = 'options: --dist DIR  --sizes 100,300  --faults 0,1,2,3  --loss-minutes 1'

interface Options {
  dist: string
  sizes: number[]
  faults: number[]
  lossMinutes: number
}

function parse (args: string[]): Options {
  const o: Options = { dist: path.join(ROOT, 'dist'), sizes: [100, 300], faults: [0, 1, 2, 3], lossMinutes: 1 }
  const list = (v: string): number[] => v === '' ? [] : v.split(',').map(Number)
  readFlags(args, USAGE, {
    values: {
      '--dist': v => { o.dist = path.resolve(v) },
      '--sizes': v => { o.sizes = list(v) },
      '--faults': v => { o.faults = list(v) }
    },
    numbers: { '--loss-minutes': n => { o.lossMinutes = n } }
  })
  if (o.sizes.some(n => !Number.isInteger(n) || n < 4 || n > 10_000)) throw new UsageError(`--sizes must be integers in [4, 10000] (${USAGE})`)
  if (o.faults.some(k => !Number.isInteger(k) || k < 0 || k >= FAULTS.length)) throw new UsageError(`--faults must be integers in [0, ${FAULTS.length - 1}] (${USAGE})`)
  if (!(o.lossMinutes >= 0 && o.lossMinutes <= 10)) throw new UsageError(`--loss-minutes must be in [0, 10] (${USAGE})`)
  // A typo, or the other checkout not built yet: say so, rather than a module-resolution stack trace.
  if (!existsSync(path.join(o.dist, 'sim', 'index.js'))) throw new UsageError(`--dist ${o.dist}: no sim/index.js there (is it a checkout's dist/, built with npm run build?)`)
  return o
}

/** Every frame sent, with its time, into `hash`. */
function tapInto (cluster: SimCluster, hash: Hash): void {
  const net = cluster.network
  net.tap((from, to, channel, frame) => {
    hash.update(`${from}>${to ?? ''}:${channel}:${net.now}:`)
    hash.update(frame)
  })
}

/** The run's counters, recorded events, and every running member's counters and view. */
function stateDigest (cluster: SimCluster): string {
  const net = cluster.network
  const h = createHash('sha256')
  h.update(JSON.stringify({ traffic: net.traffic, drops: net.drops, connections: net.connectionStats, events: net.eventsRun, retransmits: net.retransmits, duplicated: net.duplicated, now: net.now }))
  h.update(JSON.stringify(cluster.events))
  for (const id of cluster.runningIds()) {
    const m = cluster.membership(id)
    h.update(JSON.stringify(m.stats()))
    h.update(JSON.stringify(m.members()))
  }
  return h.digest('hex').slice(0, 16)
}

function idleRun (sim: SimModule, n: number, lossMinutes: number): string {
  const cluster = new sim.SimCluster({ size: n, seed: 1000 + n, startWindowMs: Math.min(30_000, n * 30), record: ['suspect', 'dead'] })
  const net = cluster.network
  const wire = createHash('sha256')
  tapInto(cluster, wire)
  if (cluster.runUntilEvery(m => m.aliveCount === n - 1, 600_000, 500) === undefined) throw new Error(`N=${n}: the cluster did not form`)
  net.runUntil(() => cluster.runningIds().every(id => cluster.membership(id).stats().broadcastQueue === 0), 600_000, 1000)
  net.runFor(60_000)
  if (lossMinutes > 0) {
    net.setDefaultLink({ packetLoss: 0.05 })
    net.runFor(lossMinutes * 60_000)
    net.setDefaultLink({ loss: 0, packetLoss: 0 })
  }
  const line = `idle ${n}: events ${net.eventsRun}, state ${stateDigest(cluster)}, wire ${wire.digest('hex').slice(0, 16)}`
  cluster.stopAll()
  return line
}

/** Fault-heavy runs: cluster size, transport model, link faults. */
const FAULTS: ReadonlyArray<{ size: number, network: NonNullable<SimClusterOptions['network']>, link: NonNullable<SimClusterOptions['link']> }> = [
  { size: 60, network: { maxConnections: 8 }, link: { duplicate: 0.05 } },
  { size: 30, network: { maxConnections: 6, cpu: { handshakeMs: 8, frameMs: 0.2 }, inboundRate: { swim: { ratePerSec: 4, burst: 6 } } }, link: { packetLoss: 0.03 } },
  { size: 60, network: { maxConnections: 16, pruneGraceMs: 500 }, link: { loss: 0.02, duplicate: 0.02 } },
  { size: 60, network: {}, link: { packetLoss: 0.05, duplicate: 0.05 } }
]

function faultRun (sim: SimModule, k: number): string {
  const spec = FAULTS[k]
  if (spec === undefined) throw new Error(`no fault run ${k}`)
  const n = spec.size
  const cluster = new sim.SimCluster({ size: n, seed: 4242 + k, startWindowMs: 3000, network: spec.network, link: spec.link, record: ['suspect', 'alive', 'dead', 'left', 'updated'] })
  const net = cluster.network
  const wire = createHash('sha256')
  tapInto(cluster, wire)
  const r = net.random.fork()
  const candidates = cluster.ids.slice(3)
  const pick = (): string => candidates[r.int(candidates.length)] as string
  net.runFor(20_000)
  for (let round = 0; round < 6; round++) {
    const a = pick()
    if (cluster.isRunning(a)) cluster.crash(a)
    net.runFor(3000)
    cluster.stall(pick(), 1500 + r.int(2000))
    cluster.slowDown(pick(), 300, 4000)
    if (round % 2 === 0) {
      net.partition(cluster.ids.slice(0, 10), cluster.ids.slice(n / 2, n / 2 + 10))
      net.runFor(5000)
      net.heal()
    }
    net.runFor(4000)
    if (!cluster.isRunning(a)) cluster.restart(a)
    const b = pick()
    if (cluster.isRunning(b) && round % 3 === 1) cluster.leave(b)
    net.runFor(6000)
    for (const id of cluster.ids) if (!cluster.isRunning(id) && r.next() < 0.5) cluster.restart(id)
    net.runFor(5000)
  }
  net.runFor(30_000)
  const line = `faults ${k}: events ${net.eventsRun}, state ${stateDigest(cluster)}, wire ${wire.digest('hex').slice(0, 16)}`
  cluster.stopAll()
  return line
}

async function main (): Promise<void> {
  const args = process.argv.slice(2)
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`usage: node scripts/sim-fingerprint.ts [--dist DIR] [--sizes 100,300] [--faults 0,1,2,3] [--loss-minutes 1]\n${USAGE}\n`)
    return
  }
  const o = parse(args)
  const sim = await import(pathToFileURL(path.join(o.dist, 'sim', 'index.js')).href) as SimModule
  for (const n of o.sizes) console.log(idleRun(sim, n, o.lossMinutes))
  for (const k of o.faults) console.log(faultRun(sim, k))
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(err.message)
    process.exit(2)
  }
  console.error(err)
  process.exit(1)
})
