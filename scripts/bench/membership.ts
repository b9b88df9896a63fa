/**
 * `npm run bench -- membership`: SWIM + Lifeguard in the deterministic simulator at N = 10, 100, 1,000.
 *
 * Per size: join, wait until dissemination queues drain, run the minutes until the members hold each
 * other's datagram keys (warmKeys: a new cluster's one-off cost, reported apart), measure one idle simulated
 * minute (traffic and the simulator's wall-clock cost), then ≥ 20 crash → detection cycles (each victim restarts and rejoins
 * before the next), then minutes of 5 % packet loss (TCP retransmits what is lost: the transport's own
 * behaviour) and a minute with 5 % of frames dropped outright (a datagram-like stress fault), counting false
 * deaths. Every figure is printed beside what the protocol's analysis predicts.
 *
 * Also per size (issue 11): the simulator's own cost — wall and CPU time of the idle minute and of a minute
 * at 5 % loss (CPU time: on a shared machine wall time counts other processes), and of formation — and the
 * idle push-pull bytes per member per second (digest-first push-pull: flat in N). `--sizes` takes sizes up
 * to MAX_SIZE: memory grows as N² (every member holds every other's record), which bounds what one process
 * can simulate — N = 5,000 held 1.4 GB 35 s into a formation that had not finished, without a line of output.
 */
import { SimCluster } from '../../dist/sim/index.js'
import type { Random } from '../../dist/core/random.js'
import { SIM_PRESET, swimMath } from '../../dist/membership/index.js'
import { readFlags } from './lib/flags.ts'
import { UsageError, machine, median, percentile, progress, round, table, writeSection } from './lib/report.ts'

interface Options {
  sizes: number[]
  failures: number
  lossMinutes: number
  dropMinutes: number
  seed: number
  /**
   * `--idle-only`: per size, only formation and the idle simulated minute (repeated `idleMinutes` times on the
   * same cluster), printed and not written to BENCHMARKS.md: the simulator's cost (issue 11) measured alone.
   */
  idleOnly: boolean
  idleMinutes: number
  /** Small swim frames as datagrams (src/sim/network.ts), as the simulator and peers do by default; `--no-datagrams`: every frame on a stream. */
  datagrams: boolean
}

/** One phase of loss: its cost per simulated minute, and what it made the members believe. */
interface LossResult {
  minutes: number
  wallMs: number
  cpuMs: number
  /** Suspicions recorded (observer × subject) per simulated minute. */
  suspectsPerMin: number
  falseDeaths: number
}

interface SizeResult {
  peers: number
  firstDetectMs: number
  firstDetectP99Ms: number
  allDetectMs: number
  allDetectP99Ms: number
  disseminationRounds: number
  msgsPerMemberPerSec: number
  bytesPerMemberPerSec: number
  dialsPerMemberPerSec: number
  falsePositives: number
  failures: number
  simMinuteWallMs: number
  /** CPU time of the process over that minute (wall time counts other processes on a shared machine). */
  simMinuteCpuMs: number
  /** Wall time per simulated minute at 5 % packet loss (TCP retransmits), and its ratio to the idle minute. */
  lossMinuteWallMs: number
  lossMinuteCpuMs: number
  loss: LossResult
  /** The same with 5 % of frames dropped outright (no retransmission); undefined with --drop-minutes 0. */
  drop: LossResult | undefined
  /** Push-pull bytes (requests and replies) sent per member per second in the idle minute. */
  idlePushPullBytesPerMemberPerSec: number
  formWallMs: number
  /** The minutes after formation until the datagram keys were in place (warmKeys); undefined with --no-datagrams. */
  keyWarmup: KeyWarmupJson | undefined
  /** One member gone for good: reconnect attempts aimed at it per second, mesh-wide, once it is dead everywhere. */
  reconnectsPerSec: number
  /** The same member restarted: ms until every member lists it alive again. */
  returnMs: number
  /** 10 % of the members (not the seeds) restarted at once: ms until every member lists all alive. */
  massRestart: { restarted: number, ms: number }
  predicted: { firstDetectMs: number, allDetectMs: number, disseminationRounds: number, msgsPerMemberPerSec: number }
}

export const USAGE = 'options: --sizes 10,100,1000 (each 4–2000)  --failures 20 (1–1000)  --loss-minutes 1 (≤ 60)  --drop-minutes 1 (≤ 60)  --seed 1  --idle-only [--idle-minutes 1 (1–10)]  --no-datagrams'
/** Largest N: twice the documented 1,000, whose formation alone takes about a minute of wall clock. */
const MAX_SIZE = 2_000
/** Crash → detection cycles per size, and simulated minutes per loss phase: beyond these a run never ends. */
const MAX_FAILURES = 1_000
const MAX_MINUTES = 60

/** The options from `args`; a bad or absurd value is a UsageError (exported for its test). */
export function parse (args: string[]): Options {
  // One minute of packet loss by default: at N = 1,000 it costs ~150 s of wall clock (see BENCHMARKS.md).
  const o: Options = { sizes: [10, 100, 1000], failures: 20, lossMinutes: 1, dropMinutes: 1, seed: 1, idleOnly: false, idleMinutes: 1, datagrams: true }
  let idleMinutesGiven = false
  readFlags(args, USAGE, {
    values: { '--sizes': v => { o.sizes = v.split(',').map(Number) } },
    numbers: {
      '--failures': n => { o.failures = n },
      '--loss-minutes': n => { o.lossMinutes = n },
      '--drop-minutes': n => { o.dropMinutes = n },
      '--seed': n => { o.seed = n },
      '--idle-minutes': n => { o.idleMinutes = n; idleMinutesGiven = true }
    },
    switches: {
      '--idle-only': () => { o.idleOnly = true },
      '--no-datagrams': () => { o.datagrams = false },
      // The default now; kept so that the commands BENCHMARKS.md quotes still run.
      '--datagrams': () => { o.datagrams = true }
    }
  })
  if (!Number.isInteger(o.idleMinutes) || o.idleMinutes < 1 || o.idleMinutes > 10) throw new UsageError('--idle-minutes must be an integer in [1, 10]')
  if (idleMinutesGiven && !o.idleOnly) throw new UsageError('--idle-minutes goes with --idle-only')
  if (o.sizes.some(n => !Number.isInteger(n) || n < 4 || n > MAX_SIZE)) throw new UsageError(`--sizes must be integers in [4, ${MAX_SIZE}] (memory grows as N²)`)
  if (!Number.isInteger(o.failures) || o.failures < 1 || o.failures > MAX_FAILURES) throw new UsageError(`--failures must be an integer in [1, ${MAX_FAILURES}]`)
  if (!(o.lossMinutes > 0 && o.lossMinutes <= MAX_MINUTES) || !(o.dropMinutes >= 0 && o.dropMinutes <= MAX_MINUTES)) throw new UsageError(`--loss-minutes must be in (0, ${MAX_MINUTES}] and --drop-minutes in [0, ${MAX_MINUTES}]`)
  return o
}

function cpuMs (usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000
}

function predictions (n: number) {
  const c = SIM_PRESET
  const T = c.probeIntervalMs
  const firstDetectMs = T * Math.E / (Math.E - 1)
  const k = c.gossipNodes
  // Push gossip with fanout k reaches everyone in log_{k+1} n + ln(n)/k rounds (Pittel 1987).
  const disseminationRounds = Math.log(n) / Math.log(k + 1) + Math.log(n) / k
  const suspicion = swimMath.suspicionTimeoutMs(c.suspicionMult, n, T)
  const allDetectMs = firstDetectMs + suspicion + disseminationRounds * c.gossipIntervalMs
  // Sent per member per second: one ping, one ack, and push-pull (request + reply) once per scaled interval.
  const msgsPerMemberPerSec = 2 + 2 * 1000 / swimMath.pushPullIntervalMs(c.pushPullIntervalMs, n)
  return { firstDetectMs, allDetectMs, disseminationRounds, msgsPerMemberPerSec }
}

/**
 * The bench's cluster of `n` members, formed, its dissemination queues drained; `rnd`, the bench's own
 * random stream, forked before the cluster ran (as it always was: the same seed gives the same run).
 */
function formCluster (n: number, o: Options): { cluster: SimCluster, rnd: Random, formWallMs: number } {
  const seed = o.seed * 1000 + n
  const cluster = new SimCluster({ size: n, seed, startWindowMs: Math.min(30_000, n * 30), record: ['suspect', 'dead'], network: { datagrams: o.datagrams } })
  const net = cluster.network
  const rnd = net.random.fork()
  const form0 = performance.now()
  const joined = cluster.runUntilEvery(m => m.aliveCount === n - 1, 600_000, 500)
  if (joined === undefined) throw new Error(`N=${n}: the cluster did not form`)
  const formWallMs = performance.now() - form0
  progress(`N=${n}: formed in ${round(joined / 1000, 1)} s simulated, ${round(formWallMs / 1000, 1)} s wall`)
  net.runUntil(() => cluster.runningIds().every(id => cluster.membership(id).stats().broadcastQueue === 0), 600_000, 1000)
  return { cluster, rnd, formWallMs }
}

/**
 * The first simulated minutes after formation, until the members hold each other's datagram keys: what a
 * new cluster pays once, not what it costs idle. A small swim frame goes as a datagram only to a member whose
 * key this one holds, and a key comes over a connection; a member learns of the others through push-pull
 * (no connection to each), so its first round-robin rotation dials nearly every member it probes — with more
 * members than the 64-connection budget, a dial and a pruned connection per probe — until each pair has met
 * once (the key outlives the pruned connection). At N = 1,000 that takes ~17 simulated minutes (~N s: one
 * rotation), and those minutes cost the simulator ~1.8× a steady one; the idle minute measured them before.
 */
interface KeyWarmup {
  /** Simulated minutes run until a minute dialled fewer than DIALS_SETTLED per member per second. */
  minutes: number
  /** Whether that happened within the cap (2 rotations). */
  settled: boolean
  wallMs: number
  /** The first of them, as the idle minute was measured before. */
  first: IdleMinute
}

/** Dials per member per second below which the datagram keys are taken as in place. */
const DIALS_SETTLED = 0.01

function warmKeys (cluster: SimCluster, n: number, o: Options): KeyWarmup | undefined {
  if (!o.datagrams) return undefined
  const cap = Math.ceil(2 * n / 60) + 1
  const wall0 = performance.now()
  let first: IdleMinute | undefined
  let minutes = 0
  let settled = false
  while (minutes < cap) {
    const m = idleMinute(cluster, n, minutes === 0 ? 'first minute after formation' : `key warm-up minute ${minutes + 1}`, minutes > 0 && minutes % 5 !== 4)
    first ??= m
    minutes++
    if (m.dialsPerMemberPerSec < DIALS_SETTLED) {
      settled = true
      break
    }
  }
  const wallMs = performance.now() - wall0
  progress(`N=${n}: datagram keys ${settled ? 'in place' : `still being exchanged (cap ${cap} min reached)`} after ${minutes} simulated minute(s), ${round(wallMs / 1000, 1)} s wall`)
  return { minutes, settled, wallMs, first: first as IdleMinute }
}

interface KeyWarmupJson {
  minutes: number
  settled: boolean
  wallMs: number
  firstMinuteWallMs: number
  firstMinuteCpuMs: number
  firstMinuteDialsPerMemberPerSec: number
}

function warmupJson (w: KeyWarmup | undefined): KeyWarmupJson | undefined {
  if (w === undefined) return undefined
  return { minutes: w.minutes, settled: w.settled, wallMs: round(w.wallMs), firstMinuteWallMs: round(w.first.wallMs), firstMinuteCpuMs: round(w.first.cpuMs), firstMinuteDialsPerMemberPerSec: round(w.first.dialsPerMemberPerSec, 2) }
}

interface IdleMinute {
  wallMs: number
  cpuMs: number
  msgsPerMemberPerSec: number
  bytesPerMemberPerSec: number
  dialsPerMemberPerSec: number
  pushPullBytesPerMemberPerSec: number
}

/** One idle simulated minute of a formed cluster: its steady-state traffic and the simulator's cost. */
function idleMinute (cluster: SimCluster, n: number, what = 'idle minute', quiet = false): IdleMinute {
  const net = cluster.network
  const pushPullBytes = (): number => cluster.runningIds().reduce((sum, id) => {
    const s = cluster.membership(id).stats()
    return sum + s.bytesOut.pushPull + s.bytesOut.pushPullReply
  }, 0)
  const before = { ...net.traffic.swim }
  const dialsBefore = net.connectionStats.dials
  const pushPull0 = pushPullBytes()
  const wall0 = performance.now()
  const cpu0 = process.cpuUsage()
  net.runFor(60_000)
  const wallMs = performance.now() - wall0
  const cpu = cpuMs(process.cpuUsage(cpu0))
  const m: IdleMinute = {
    wallMs,
    cpuMs: cpu,
    pushPullBytesPerMemberPerSec: (pushPullBytes() - pushPull0) / n / 60,
    msgsPerMemberPerSec: (net.traffic.swim.frames - before.frames) / n / 60,
    bytesPerMemberPerSec: (net.traffic.swim.bytes - before.bytes) / n / 60,
    dialsPerMemberPerSec: (net.connectionStats.dials - dialsBefore) / n / 60
  }
  if (!quiet) progress(`N=${n}: ${what}: ${round(m.msgsPerMemberPerSec, 2)} msgs, ${round(m.bytesPerMemberPerSec)} B and ${round(m.dialsPerMemberPerSec, 2)} dials per member per s; simulated in ${round(wallMs)} ms wall (${round(cpu)} ms CPU); push-pull ${round(m.pushPullBytesPerMemberPerSec, 1)} B per member per s`)
  return m
}

function runSize (n: number, o: Options): SizeResult {
  const { cluster, rnd, formWallMs } = formCluster(n, o)
  const net = cluster.network
  const warmup = warmKeys(cluster, n, o)
  const { wallMs: simMinuteWallMs, cpuMs: simMinuteCpuMs, pushPullBytesPerMemberPerSec: idlePushPullBytesPerMemberPerSec, msgsPerMemberPerSec, bytesPerMemberPerSec, dialsPerMemberPerSec } = idleMinute(cluster, n)

  const first: number[] = []
  const all: number[] = []
  const rounds: number[] = []
  let falsePositives = 0
  const candidates = cluster.ids.slice(3) // the seeds stay up so restarts can rejoin through them
  for (let i = 0; i < o.failures; i++) {
    net.runFor(rnd.next() * SIM_PRESET.probeIntervalMs) // crash at a random phase of the protocol period
    const victim = candidates[rnd.int(candidates.length)] as string
    const crashAt = net.now
    const eventsBefore = cluster.events.length
    cluster.crash(victim)
    const took = cluster.runUntilEvery(m => m.member(victim)?.state === 'dead', 600_000, 20)
    if (took === undefined) throw new Error(`N=${n}: failure ${i + 1} of ${victim} was not detected by all`)
    const events = cluster.events.slice(eventsBefore)
    const suspectAt = events.find(e => e.subject === victim && e.type === 'suspect')?.time ?? crashAt + took
    const deadAt = events.find(e => e.subject === victim && e.type === 'dead')?.time ?? crashAt + took
    falsePositives += events.filter(e => e.type === 'dead' && e.subject !== victim).length
    first.push(suspectAt - crashAt)
    all.push(took)
    rounds.push((crashAt + took - deadAt) / SIM_PRESET.gossipIntervalMs)
    cluster.restart(victim)
    const back = cluster.runUntilEvery(m => m.aliveCount === n - 1, 600_000, 100)
    if (back === undefined) throw new Error(`N=${n}: ${victim} did not rejoin`)
    if ((i + 1) % 5 === 0) progress(`N=${n}: ${i + 1}/${o.failures} failures measured (median all-detect ${round(median(all))} ms)`)
  }

  /** `minutes` under a kind of loss: its cost per simulated minute, the suspicions and deaths it caused. */
  const lossPhase = (minutes: number, link: { loss: number } | { packetLoss: number }, what: string): LossResult => {
    net.setDefaultLink(link)
    const start = cluster.events.length
    const wall0 = performance.now()
    const cpu0 = process.cpuUsage()
    net.runFor(minutes * 60_000)
    const result: LossResult = {
      minutes,
      wallMs: round((performance.now() - wall0) / minutes),
      cpuMs: round(cpuMs(process.cpuUsage(cpu0)) / minutes),
      suspectsPerMin: round(cluster.events.slice(start).filter(e => e.type === 'suspect').length / minutes),
      falseDeaths: cluster.events.slice(start).filter(e => e.type === 'dead').length
    }
    net.setDefaultLink({ loss: 0, packetLoss: 0 })
    progress(`N=${n}: ${minutes} min at ${what}: ${result.falseDeaths} false deaths, ${result.suspectsPerMin} suspicions recorded per minute; ${result.wallMs} ms wall (${result.cpuMs} ms CPU) per simulated minute`)
    return result
  }
  // 5 % of packets lost: TCP resends them (a frame arrives a retransmission timeout late, and what follows on
  // its connection waits behind it), as it does under the libp2p transport; datagrams are lost. Then frames
  // dropped outright. Before the mass restart below: for a while after it, the others still hold the 100
  // restarted members' old datagram keys (see BENCHMARKS.md, 2026-12-08), and the loss minute measured that.
  net.runUntil(() => cluster.runningIds().every(id => cluster.membership(id).stats().broadcastQueue === 0), 600_000, 1000)
  const loss = lossPhase(o.lossMinutes, { packetLoss: 0.05 }, '5 % packet loss')
  falsePositives += loss.falseDeaths
  let drop: LossResult | undefined
  if (o.dropMinutes > 0) {
    net.runUntil(() => cluster.runningIds().every(id => cluster.membership(id).stats().broadcastQueue === 0), 600_000, 1000)
    drop = lossPhase(o.dropMinutes, { loss: 0.05 }, '5 % of frames dropped')
    falsePositives += drop.falseDeaths
  }

  // A member gone for good, then back (issue 11): the reconnect attempts the mesh aims at it while it is
  // dead (scaled by dead/alive: about one per interval mesh-wide, whatever N), and how long its return takes.
  const reconnectAttempts = (): number => cluster.runningIds().reduce((sum, id) => sum + cluster.membership(id).stats().reconnectAttempts, 0)
  const gone = candidates[rnd.int(candidates.length)] as string
  cluster.crash(gone)
  if (cluster.runUntilEvery(m => m.member(gone)?.state === 'dead', 600_000, 100) === undefined) throw new Error(`N=${n}: ${gone} was not detected by all`)
  const attempts0 = reconnectAttempts()
  net.runFor(60_000)
  const reconnectsPerSec = (reconnectAttempts() - attempts0) / 60
  cluster.restart(gone)
  const returnMs = cluster.runUntilEvery(m => m.aliveCount === n - 1, 600_000, 100)
  if (returnMs === undefined) throw new Error(`N=${n}: ${gone} did not rejoin`)
  progress(`N=${n}: a member dead for good drew ${round(reconnectsPerSec, 2)} reconnect attempts per s mesh-wide; restarted, alive everywhere after ${round(returnMs)} ms`)

  // A mass restart: 10 % of the members down at once (a rack's power, a deploy gone wrong) until every
  // member lists them dead, then all restarted at once.
  const restarted = rnd.shuffle([...candidates]).slice(0, Math.max(1, Math.round(n / 10)))
  for (const id of restarted) cluster.crash(id)
  if (cluster.runUntilEvery(m => restarted.every(id => m.member(id)?.state === 'dead'), 600_000, 500) === undefined) {
    throw new Error(`N=${n}: ${restarted.length} members crashed at once were not all detected by all`)
  }
  for (const id of restarted) cluster.restart(id)
  const massMs = cluster.runUntilEvery(m => m.aliveCount === n - 1, 600_000, 100)
  if (massMs === undefined) throw new Error(`N=${n}: after ${restarted.length} members restarted at once, not everyone listed all alive within 600 s`)
  progress(`N=${n}: ${restarted.length} members restarted at once: all alive everywhere after ${round(massMs)} ms`)
  net.runUntil(() => cluster.runningIds().every(id => cluster.membership(id).stats().broadcastQueue === 0), 600_000, 1000)

  cluster.stopAll()

  return {
    peers: n,
    firstDetectMs: round(median(first)),
    firstDetectP99Ms: round(percentile(first, 99)),
    allDetectMs: round(median(all)),
    allDetectP99Ms: round(percentile(all, 99)),
    disseminationRounds: round(median(rounds), 1),
    msgsPerMemberPerSec: round(msgsPerMemberPerSec, 3),
    bytesPerMemberPerSec: round(bytesPerMemberPerSec),
    dialsPerMemberPerSec: round(dialsPerMemberPerSec, 2),
    falsePositives,
    failures: o.failures,
    simMinuteWallMs: round(simMinuteWallMs),
    simMinuteCpuMs: round(simMinuteCpuMs),
    lossMinuteWallMs: loss.wallMs,
    lossMinuteCpuMs: loss.cpuMs,
    loss,
    drop,
    idlePushPullBytesPerMemberPerSec: round(idlePushPullBytesPerMemberPerSec, 1),
    formWallMs: round(formWallMs),
    keyWarmup: warmupJson(warmup),
    reconnectsPerSec: round(reconnectsPerSec, 2),
    returnMs: round(returnMs),
    massRestart: { restarted: restarted.length, ms: round(massMs) },
    predicted: {
      firstDetectMs: round(predictions(n).firstDetectMs),
      allDetectMs: round(predictions(n).allDetectMs),
      disseminationRounds: round(predictions(n).disseminationRounds, 1),
      msgsPerMemberPerSec: round(predictions(n).msgsPerMemberPerSec, 3)
    }
  }
}

/**
 * `--idle-only`: formation and the idle minute(s) alone, per size; the figures are printed (one JSON line
 * at the end), BENCHMARKS.md is left alone. The first minute is the default run's idle minute (same seed,
 * same cluster, same minute); further ones follow it on the same cluster.
 */
function idleOnly (o: Options): void {
  progress(`membership benchmark, idle minutes only, on ${machine()}: sizes ${o.sizes.join(', ')}, ${o.idleMinutes} minute(s) each, seed ${o.seed}, datagrams ${o.datagrams ? 'on' : 'off'}`)
  const results = o.sizes.map(n => {
    const { cluster, formWallMs } = formCluster(n, o)
    const warmup = warmKeys(cluster, n, o)
    const minutes = Array.from({ length: o.idleMinutes }, () => idleMinute(cluster, n))
    cluster.stopAll()
    return { peers: n, datagrams: o.datagrams, formWallMs: round(formWallMs), keyWarmup: warmupJson(warmup), idleMinutes: minutes.map(m => ({ wallMs: round(m.wallMs), cpuMs: round(m.cpuMs), msgsPerMemberPerSec: round(m.msgsPerMemberPerSec, 3), dialsPerMemberPerSec: round(m.dialsPerMemberPerSec, 2) })) }
  })
  console.log(JSON.stringify({ bench: 'membership', idleOnly: true, results }))
}

export async function main (args: string[]): Promise<void> {
  const o = parse(args)
  if (o.idleOnly) {
    idleOnly(o)
    return
  }
  progress(`membership benchmark on ${machine()}: sizes ${o.sizes.join(', ')}, ${o.failures} failures each, seed ${o.seed}, datagrams ${o.datagrams ? 'on' : 'off'}`)
  const results = o.sizes.map(n => runSize(n, o))
  const rows = results.map(r => [
    r.peers,
    `${r.firstDetectMs} (p99 ${r.firstDetectP99Ms}) / ${r.predicted.firstDetectMs}`,
    `${r.allDetectMs} (p99 ${r.allDetectP99Ms}) / ${r.predicted.allDetectMs}`,
    `${r.disseminationRounds} / ${r.predicted.disseminationRounds}`,
    `${r.msgsPerMemberPerSec} / ${r.predicted.msgsPerMemberPerSec}`,
    r.bytesPerMemberPerSec,
    r.dialsPerMemberPerSec,
    r.falsePositives,
    r.idlePushPullBytesPerMemberPerSec,
    `${r.simMinuteWallMs} (${r.simMinuteCpuMs})`,
    r.keyWarmup === undefined ? '–' : `${r.keyWarmup.firstMinuteWallMs} (${r.keyWarmup.firstMinuteCpuMs}); ${r.keyWarmup.firstMinuteDialsPerMemberPerSec}; ${r.keyWarmup.settled ? '' : '> '}${r.keyWarmup.minutes}`,
    `${r.lossMinuteWallMs} (${r.lossMinuteCpuMs}); ${r.loss.suspectsPerMin}`,
    r.drop === undefined ? '–' : `${r.drop.wallMs} (${r.drop.cpuMs}); ${r.drop.suspectsPerMin}`,
    r.formWallMs,
    r.reconnectsPerSec,
    r.returnMs,
    `${r.massRestart.ms} (${r.massRestart.restarted})`
  ])
  const header = ['N', 'first detection ms, median (p99) / SWIM T·e/(e−1)', 'detected by all ms, median (p99) / model', 'dissemination rounds / log₄N + lnN/3', 'msgs/member/s / model', 'bytes/member/s', 'dials/member/s', 'false deaths', 'idle push-pull B/member/s', 'wall (CPU) ms per idle simulated minute', 'first minute after formation: wall (CPU) ms; dials/member/s; simulated minutes until the datagram keys are in place', 'at 5 % packet loss: wall (CPU) ms per simulated minute; suspicions/min', 'at 5 % of frames dropped: wall (CPU) ms per simulated minute; suspicions/min', 'formation wall ms', 'reconnect attempts/s at one dead member', 'its return: ms to alive everywhere', 'mass restart: ms to all alive everywhere (members restarted)']
  const text = table(header, rows)
  console.log(text)
  const byN = new Map(results.map(r => [r.peers, r]))
  const checks: string[] = []
  const r10 = byN.get(10)
  const r100 = byN.get(100)
  const r1000 = byN.get(1000)
  if (r10 !== undefined && r1000 !== undefined) checks.push(`message rate N=1000 / N=10: ${round(r1000.msgsPerMemberPerSec / r10.msgsPerMemberPerSec, 3)} (target ≤ 1.2)`)
  if (r100 !== undefined && r1000 !== undefined) checks.push(`detected-by-all N=1000 / N=100: ${round(r1000.allDetectMs / r100.allDetectMs, 2)} (target ≤ 2)`)
  checks.push(`false deaths: ${results.reduce((s, r) => s + r.falsePositives, 0)} (target 0)`)
  const smallest = results[0]
  const largest = results[results.length - 1]
  if (smallest !== undefined && largest !== undefined && largest !== smallest) {
    checks.push(`idle push-pull bytes per member N=${largest.peers} / N=${smallest.peers}: ${round(largest.idlePushPullBytesPerMemberPerSec / smallest.idlePushPullBytesPerMemberPerSec, 2)} (target ≤ 1.5)`)
  }
  for (const r of results) {
    checks.push(`N=${r.peers}: loss minute / idle minute: ${round(r.lossMinuteCpuMs / r.simMinuteCpuMs, 2)} in CPU time (target ≤ 3)`)
    if (r.drop !== undefined) checks.push(`N=${r.peers}: frames-dropped minute / idle minute: ${round(r.drop.cpuMs / r.simMinuteCpuMs, 2)} in CPU time (a stress beyond TCP; no target)`)
    if (r.peers === 1000) checks.push(`N=1000: idle simulated minute ${r.simMinuteWallMs} ms wall, ${r.simMinuteCpuMs} ms CPU (target ≤ 3,000)${r.keyWarmup === undefined ? '' : `; the first minute after formation, while keys were exchanged, ${r.keyWarmup.firstMinuteWallMs} ms wall`}`)
    if (r.peers === 10000) checks.push(`N=10000: idle simulated minute ${r.simMinuteWallMs} ms wall (target ≤ 60,000)`)
  }
  for (const c of checks) console.log(c)
  writeSection('membership', 'Membership (simulated SWIM + Lifeguard)', `npm run bench -- membership${args.length > 0 ? ' ' + args.join(' ') : ''}`, [
    `Simulator: LAN timing (probe 1 s, timeout 500 ms, k = 3, suspicion ×4, gossip 200 ms to 3), link delay 0.3 ms + exp(0.5 ms), and the transport's model (src/sim/network.ts): connections dialled on first use (3 round trips + 20 ms handshake), at most 64 per member (LRU), ${o.datagrams ? 'small swim frames (≤ 1,150 bytes) as datagrams once a connection exchanged keys (unordered, not resent; keys kept across the holder\'s own closes), ' : 'every frame on a stream (--no-datagrams), '}the production outbound queues and inbound rate limits, 1 Gbit/s per member, signed member records.`,
    `${o.failures} crash → detection cycles per size (victim restarted between cycles), then ${o.lossMinutes} simulated minutes at 5 % uniform packet loss, then ${o.dropMinutes} with 5 % of frames dropped.`,
    'Packet loss is what a lossy network does to the transport, TCP: a lost segment is resent after the retransmission timeout (200 ms, doubling), and what follows it on the connection waits behind it; a lost SYN costs a dial 1 s. Frames dropped outright (never delivered, as datagrams would be) are a harsher stress fault than TCP ever produces, kept to show the protocol copes.',
    'Each cell: measured / predicted. "First detection" is crash → first suspicion anywhere; "detected by all" is crash → every live member lists the victim dead.',
    'The simulator models a crashed process as a refused connection (as TCP reports it), so a probe of it fails at once instead of after the probe timeout: first detection beats the UDP-era T·e/(e−1).',
    'Dials: connections opened per member per second in the idle minute.',
    `The idle minute is measured once the members hold each other's datagram keys, as in a cluster that has run for a while: ${o.datagrams ? 'a key comes over a connection, and a member learns of the others through push-pull, so in its first probe rotation (~N s) it dials nearly every member it probes — beyond the 64-connection budget, a dial and a pruned connection per probe. Those minutes are run first, until one dials fewer than ' + String(DIALS_SETTLED) + ' per member per second, and the first of them (what the idle minute measured before 2026-12-08) is reported beside the idle minute.' : 'with --no-datagrams there are none, and every probe beyond the 64-connection budget dials.'}`,
    'Simulator cost: wall (CPU) ms per simulated minute, idle and under each kind of loss (with the suspicions recorded per minute: observer × subject); formation: wall ms until every member lists all alive. Idle push-pull: push-pull bytes sent per member per second in the idle minute (a digest first; whole tables only when they differ).',
    'One member gone for good: reconnect attempts aimed at it per second, mesh-wide, once every member lists it dead (Serf-like: about one per reconnect interval, whatever N); then it restarts: ms until every member lists it alive. Mass restart: 10 % of the members (not the seeds) crash at once, and once every member lists them dead restart at once: ms until every member lists all alive.',
    'Bytes are encoded membership frames (no transport framing); the real-process figures with TCP/IP overhead are in the detection benchmark.',
    '',
    text,
    '',
    ...checks.map(c => `- ${c}`)
  ].join('\n'))
  console.log(JSON.stringify({
    bench: 'membership',
    results: results.map(r => ({
      peers: r.peers,
      firstDetectMs: r.firstDetectMs,
      allDetectMs: r.allDetectMs,
      allDetectP99Ms: r.allDetectP99Ms,
      msgsPerMemberPerSec: r.msgsPerMemberPerSec,
      bytesPerMemberPerSec: r.bytesPerMemberPerSec,
      dialsPerMemberPerSec: r.dialsPerMemberPerSec,
      falsePositives: r.falsePositives,
      firstDetectP99Ms: r.firstDetectP99Ms,
      disseminationRounds: r.disseminationRounds,
      simMinuteWallMs: r.simMinuteWallMs,
      simMinuteCpuMs: r.simMinuteCpuMs,
      lossMinuteWallMs: r.lossMinuteWallMs,
      lossMinuteCpuMs: r.lossMinuteCpuMs,
      loss: r.loss,
      drop: r.drop,
      idlePushPullBytesPerMemberPerSec: r.idlePushPullBytesPerMemberPerSec,
      formWallMs: r.formWallMs,
      keyWarmup: r.keyWarmup,
      reconnectsPerSec: r.reconnectsPerSec,
      returnMs: r.returnMs,
      massRestart: r.massRestart,
      predicted: r.predicted
    })),
    massRestart: (() => {
      const r = results[results.length - 1]
      return r === undefined ? undefined : { peers: r.peers, restarted: r.massRestart.restarted, ms: r.massRestart.ms }
    })()
  }))
}
