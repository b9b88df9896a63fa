/**
 * `npm run soak -- [--peers 20] [--minutes 10] [--seed S] [--writes-per-sec 1] [--keys-per-peer 100] [--profile local|lan]`
 *
 * Long run of real `dist/peer.js` processes on 127.0.0.1 (issue: long runs): continuous acknowledged
 * writes on every peer (writer.ts), one fault at a time — random minority partitions via /admin/partition,
 * SIGKILL + restart with the same data dir (chaos.ts) — while it records RSS per peer (rss.ts) and judges
 * every `dead` event (deaths.ts). At the end: heal, restart what is down, stop writing, wait for identical
 * digests everywhere, and look for every acknowledged write on every peer.
 *
 * Output: one line per fault and per minute, a summary table, and as the last line one JSON object.
 * Exit 0 only if RSS stayed flat, there was no false death, no lost write, no crash, and the mesh
 * converged; 1 otherwise; 2 for bad flags; 130 on Ctrl-C, 143 on SIGTERM, 129 on SIGHUP (after killing every peer and
 * removing the data; with --keep the data stays and the peers' logs are saved, as at the end of a run).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os, { availableParallelism } from 'node:os'
import path from 'node:path'
import { requireBuild } from './lib/dist.ts'
import { signalExitCode } from './lib/signal-exit.ts'
import { userPath } from './lib/user-path.ts'
import { Chaos, HEAL_DOC, chaosTiming, measure } from './soak/chaos.ts'
import { allSeeAlive } from './soak/sight.ts'
import { DeathWatch } from './soak/deaths.ts'
import { LoadWatch, coresOf } from './soak/load.ts'
import { HELP, parseSoakArgs } from './soak/options.ts'
import type { SoakOptions } from './soak/options.ts'
import { failures, overBounds, summaryTable } from './soak/report.ts'
import type { SoakResult } from './soak/report.ts'
import { RssSampler, rssSummary } from './soak/rss.ts'
import { SOAK_DOC, Writer, holdsWrite } from './soak/writer.ts'
import type { WriteValue } from './soak/writer.ts'
import type { Slot } from './soak/mesh.ts'

/** Grace after a start, restart or heal before a `dead` event about that peer (pair) counts as false. */
const GRACE_MS = 45_000
const RSS_INTERVAL_MS = 5_000
const HEAP_INTERVAL_MS = 15_000
const FINAL_BOUND_MS = 120_000
/** After Ctrl-C, SIGKILLed peers are waited for this long before the data dir is removed anyway. */
const KILL_BOUND_MS = 5_000

process.stdout.on('error', () => {}) // `| head` must not crash the run and strand its peers

const parsed = parseSoakArgs(process.argv.slice(2), () => Math.floor(Math.random() * 2 ** 31))
if (parsed.kind === 'help') {
  process.stdout.write(HELP)
  process.exit(0)
}
if (parsed.kind === 'error') {
  process.stderr.write(`soak: ${parsed.message}\n`)
  process.exit(2)
}
const options: SoakOptions = parsed.options
/** The temp dir this run made, once made (removed if it is interrupted before its peers start). */
let made: string | undefined
/**
 * What a signal does until the run's own handler below takes over: no peer is started yet, so say so and go.
 * The handlers were set up only after the modules loaded (~0.5 s): a Ctrl-C then ended the run with no JSON
 * line and by the signal itself.
 */
let onSignal = (signal: NodeJS.Signals): void => {
  if (made !== undefined && options.dir === undefined) rmSync(made, { recursive: true, force: true })
  process.stdout.write(`${JSON.stringify({ interrupted: true, seed: options.seed, ok: false })}\n`)
  process.exit(signalExitCode(signal))
}
// SIGHUP too (the terminal closed): by default it ended the soak at once, and its peers, which take SIGHUP
// as "reload", ran on with the data dir.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => { onSignal(signal) })
// What imports dist/ is loaded once it is known to be built: with dist/ missing that import was a stack trace.
requireBuild('soak', 'npm run soak')
const { makeDirs } = await import('../dist/core/make-dirs.js')
const { SeededRandom } = await import('../dist/core/random.js')
const { cleanup: killAllPeers } = await import('./lib/peers.ts')
const { Mesh } = await import('./soak/mesh.ts')

const t0 = Date.now()
const clock = (): string => {
  const s = Math.floor((Date.now() - t0) / 1000)
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
}
const log = (line: string): void => { process.stdout.write(`[${clock()}] ${line}\n`) }

const dir = options.dir === undefined ? mkdtempSync(path.join(os.tmpdir(), 'murmur-soak-')) : userPath(options.dir)
made = dir
try {
  await makeDirs(dir) // not mkdirSync(recursive): under /proc it never returns
} catch (err) {
  process.stderr.write(`soak: cannot use --dir ${dir}: ${(err as Error).message}\n`)
  process.exit(1)
}
// Profiles outlive the data dir (removed at the end without --keep), as the saved logs do.
const profDir = options.cpuProf.length === 0 ? undefined : mkdtempSync(path.join(os.tmpdir(), `murmur-soak-prof-${options.seed}-`))
const mesh = new Mesh(dir, options.peers, options.profile, profDir === undefined ? undefined : { names: new Set(options.cpuProf), dir: profDir })
const rss = new RssSampler(mesh)
const deaths = new DeathWatch(mesh, GRACE_MS, (d) => { log(`FALSE DEATH: ${d.observer} saw ${d.subject} dead while both were healthy and connected (during ${d.phase})`) })
const writer = new Writer(mesh, options.writesPerSec, options.keysPerPeer)
const load = new LoadWatch(mesh)
const timers: NodeJS.Timeout[] = []
const crashes: string[] = []

/**
 * Ctrl-C (or SIGTERM, SIGHUP): kill every peer, remove the data (with --keep: keep it, and save the logs), say so, exit
 * 128 + the signal's number (130, 143, 129).
 * Every peer means every process spawned, also one still starting (not in its slot yet: start-up, a restart):
 * the data dir is removed only once all of them have exited, or one would write it again. Meanwhile the run's
 * own error and exit paths wait for this (`interrupted`), so the exit code stays the signal's.
 */
let interrupted: Promise<never> | undefined
const interrupt = (signal: NodeJS.Signals): void => {
  const code = signalExitCode(signal)
  if (interrupted !== undefined) process.exit(code)
  log(`${signal}: stopping every peer and cleaning up`)
  for (const t of timers) clearInterval(t)
  deaths.stop()
  // --keep: a run stopped by hand is most often one being looked into; its logs are what one looks at.
  // Saved first: the logs are those of the processes in their slots, read before they are killed.
  if (options.keep) log(`peer logs saved in ${saveLogs()}`)
  interrupted = (async (): Promise<never> => {
    await Promise.race([killAllPeers(), new Promise(resolve => setTimeout(resolve, KILL_BOUND_MS))])
    if (options.dir === undefined && !options.keep) rmSync(dir, { recursive: true, force: true })
    process.stdout.write(`${JSON.stringify({ interrupted: true, seed: options.seed, ok: false })}\n`)
    process.exit(code)
  })()
}
onSignal = interrupt

async function main (): Promise<SoakResult> {
  const began = Date.now()
  log(`soak: ${options.peers} peers, ${options.minutes} min, seed ${options.seed} (replay: npm run soak -- --peers ${options.peers} --minutes ${options.minutes} --seed ${options.seed}), profile ${options.profile}, data in ${dir}`)
  await mesh.startAll()
  const formed = await measure(async () => await allSeeAlive(mesh, mesh.slots, mesh.slots), FINAL_BOUND_MS)
  if (formed === undefined) throw new Error(`the ${options.peers} peers did not all see each other alive within ${FINAL_BOUND_MS / 1000} s`)
  log(`mesh formed: ${options.peers} alive everywhere after ${(formed / 1000).toFixed(1)} s`)
  // Placement follows the peer ids: a run in a --dir holding another run's peer keys has its homes (and, with its --seed, its faults).
  const homes = await mesh.api<{ doc?: { homes?: string[] } }>(mesh.slots[0] as Slot, 'GET', `/placement?doc=${SOAK_DOC}`).then(r => r.body.doc?.homes ?? [], () => [])
  log(`the soak doc's homes: ${homes.length === 0 ? 'unknown (the placement was not answered)' : homes.map(id => mesh.slotOf(id)?.name ?? id).join(', ')}`)
  if (profDir !== undefined) log(`CPU profiles of ${options.cpuProf.join(', ')} go to ${profDir} (written as each process exits; a SIGKILLed one writes none)`)
  for (const s of mesh.slots) deaths.follow(s)

  const runMs = options.minutes * 60_000
  const start = Date.now()
  const deadline = start + runMs
  writer.start()
  rss.sample()
  timers.push(setInterval(() => { rss.sample() }, RSS_INTERVAL_MS))
  void rss.sampleHeap()
  timers.push(setInterval(() => { void rss.sampleHeap() }, HEAP_INTERVAL_MS))
  timers.push(setInterval(() => { minuteLine(start) }, Math.min(60_000, runMs / 2)))
  const chaos = new Chaos(mesh, deaths, new SeededRandom(options.seed), chaosTiming(runMs), log, load)
  await chaos.run(deadline)
  const end = Date.now()

  // Final phase: everyone up, no partition, no writes; then convergence and the ledger check.
  log('final: healing, restarting anything down, stopping the writes')
  for (const s of mesh.slots) if (s.proc === undefined) { await mesh.start(s); deaths.follow(s) }
  await Promise.all(mesh.slots.map(async s => { await mesh.api(s, 'DELETE', '/admin/partition').catch(() => {}) }))
  await writer.stop()
  for (const t of timers) clearInterval(t)
  rss.sample()
  await rss.sampleHeap()
  const finalMembers = await measure(async () => await allSeeAlive(mesh, mesh.slots, mesh.slots), FINAL_BOUND_MS)
  const finalConverge = await measure(async () => await identicalDigests(), FINAL_BOUND_MS)
  log(`final: all alive everywhere ${finalMembers === undefined ? 'NEVER' : `after ${(finalMembers / 1000).toFixed(1)} s`}, identical digests ${finalConverge === undefined ? 'NEVER' : `after ${(finalConverge / 1000).toFixed(1)} s`}`)
  const lost = await lostWrites(writer.acked)
  deaths.stop()
  await load.sampleAll(mesh.slots)
  const loadTotal = load.total()

  const verdicts = rss.verdicts(start, end)
  const result: SoakResult = {
    peers: options.peers,
    minutes: options.minutes,
    seed: options.seed,
    profile: options.profile,
    durationS: Math.round((end - start) / 1000),
    writes: { attempted: writer.totalAttempts, acknowledged: writer.ackedCount, failed: writer.totalFailures, keys: writer.acked.size },
    lostWrites: lost.length,
    lostExamples: lost.slice(0, 5),
    falseDeaths: deaths.falseDeaths.length,
    falseDeathExamples: deaths.falseDeaths.slice(0, 5),
    deadEvents: deaths.deaths.length,
    partitions: chaos.events.filter(e => e.kind === 'partition').length,
    kills: chaos.events.filter(e => e.kind === 'kill').length,
    crashes,
    healMembershipMs: chaos.events.filter(e => e.kind === 'partition').map(e => e.membershipMs ?? null),
    healDocsMs: chaos.events.filter(e => e.kind === 'partition').map(e => e.docsMs ?? null),
    rejoinMs: chaos.events.filter(e => e.kind === 'kill').map(e => e.membershipMs ?? null),
    finalConvergeMs: finalConverge ?? null,
    handshakes: { started: loadTotal.started, timedOut: loadTotal.timedOut, failed: loadTotal.failed, abandoned: loadTotal.abandoned, duplicates: loadTotal.duplicates },
    worstLoopDelayMs: Math.round(loadTotal.worstLoopDelayMs),
    cpu: {
      peersS: Math.round(loadTotal.cpuS),
      soakS: Math.round(cpuSeconds(process.cpuUsage())),
      wallS: Math.round((Date.now() - began) / 1000),
      cores: availableParallelism(),
      healCores: chaos.events.filter(e => e.kind === 'partition').map(e => e.handshakes === undefined ? null : coresOf(e.handshakes))
    },
    rss: rssSummary(verdicts),
    bounds: { healS: options.healBoundS, rejoinS: options.rejoinBoundS, slowHeals: 0, slowRejoins: 0 },
    failures: [],
    ok: false
  }
  Object.assign(result.bounds, overBounds(result, options.healBoundS * 1000, options.rejoinBoundS * 1000))
  const converged = finalMembers !== undefined && finalConverge !== undefined &&
    chaos.events.every(e => e.membershipMs !== undefined && (e.kind === 'kill' || e.docsMs !== undefined))
  result.failures = failures(result, converged)
  result.ok = result.failures.length === 0
  const bySlot = new Map(mesh.slots.map(s => [s.name, { attempts: writer.attempts.get(s.name) ?? 0, failures: writer.failures.get(s.name) ?? 0 }]))
  const loadBySlot = new Map(mesh.slots.map(s => [s.name, load.of(s)]))
  process.stdout.write(`${summaryTable(result, verdicts, bySlot, chaos.events, loadBySlot)}\n`)
  return result
}

function cpuSeconds (usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6
}

/** Progress: once a minute (or twice in short runs). Also notices crashed peers and restarts them. */
function minuteLine (start: number): void {
  for (const c of mesh.crashed()) {
    crashes.push(`${c.slot.name} (code ${c.code}, signal ${c.signal})`)
    log(`CRASH: ${c.slot.name} exited on its own (code ${c.code}, signal ${c.signal}); restarting it`)
    c.slot.proc = undefined
    void mesh.start(c.slot).then(() => { deaths.follow(c.slot) }, () => {})
  }
  const minute = ((Date.now() - start) / 60_000).toFixed(1)
  log(`t+${minute} min: writes ${writer.ackedCount} acknowledged / ${writer.totalAttempts} attempted, live ${mesh.live().length}/${options.peers}, ` +
    `RSS median ${rss.currentMedianMb().toFixed(0)} MB, dead events ${deaths.deaths.length} (false ${deaths.falseDeaths.length})`)
}

/** Every peer has both soak docs open and with the same digest. */
async function identicalDigests (): Promise<boolean> {
  const seen = new Map<string, Set<string>>()
  for (const s of mesh.slots) {
    for (const doc of [SOAK_DOC, HEAL_DOC]) {
      const r = await mesh.api<{ digest?: string }>(s, 'GET', `/docs/${doc}`)
      if (r.status !== 200 || r.body.digest === undefined) return false
      const set = seen.get(doc) ?? new Set()
      set.add(r.body.digest)
      seen.set(doc, set)
    }
  }
  return [...seen.values()].every(set => set.size === 1)
}

/** Keys whose last acknowledged write is missing on any peer (neither it nor a later write of the key is there), each listed once. */
async function lostWrites (acked: ReadonlyMap<string, WriteValue>): Promise<string[]> {
  const lost = new Set<string>()
  for (const s of mesh.slots) {
    const r = await mesh.api<{ content?: { kv?: Record<string, WriteValue> } }>(s, 'GET', `/docs/${SOAK_DOC}`, undefined, 30_000)
    const kv = r.body.content?.kv ?? {}
    let missing = 0
    for (const [key, value] of acked) {
      if (!holdsWrite(kv[key], value)) {
        lost.add(key)
        missing++
      }
    }
    if (missing > 0) log(`LOST: the last acknowledged write of ${missing} keys missing on ${s.name}`)
  }
  return [...lost]
}

/** On a failed run (or with --keep), every peer's log (each of its processes, killed ones too) goes to a directory that survives cleanup. */
function saveLogs (): string {
  const out = mkdtempSync(path.join(os.tmpdir(), `murmur-soak-logs-${options.seed}-`))
  for (const s of mesh.slots) if (s.starts > 0) writeFileSync(path.join(out, `${s.name}.log`), mesh.logs(s))
  return out
}

let code = 1
try {
  const result = await main()
  if (interrupted !== undefined) await interrupted
  if (!result.ok || options.keep) log(`peer logs saved in ${saveLogs()}`)
  process.stdout.write(`${JSON.stringify(result)}\n`)
  code = result.ok ? 0 : 1
} catch (err) {
  // A peer killed by Ctrl-C fails what was waiting for it: that is the interrupt, not a failed soak.
  if (interrupted !== undefined) await interrupted
  log(`soak failed: ${err instanceof Error ? err.message : String(err)}`)
  // A run that failed half way (a peer that would not start, a mesh that never formed) is a failed run
  // too: its logs are saved, as --help says, or the data dir's removal below took them with it.
  log(`peer logs saved in ${saveLogs()}`)
  process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err), seed: options.seed, ok: false })}\n`)
} finally {
  if (interrupted !== undefined) await interrupted
  for (const t of timers) clearInterval(t)
  deaths.stop()
  await mesh.stopAll().catch(() => {})
  // Also any peer still starting when the run failed (a batch is started together): not in a slot yet.
  await killAllPeers()
  if (profDir !== undefined) log(`CPU profiles in ${profDir}`)
  if (options.dir === undefined && !options.keep) rmSync(dir, { recursive: true, force: true })
}
process.exit(code)
