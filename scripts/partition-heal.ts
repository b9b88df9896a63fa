/**
 * `npm run partition-heal -- [--peers N] [--rounds R] [--writes W] [--seed S] [--mode …] [--netns]`
 *
 * Jepsen-style check of murmur's AP promise with real processes running the chat-counter app:
 * workload (scripts/partition-heal/workload.ts) → nemesis (nemesis.ts, faults.ts) → checker (checker.ts).
 * This file owns the lifetimes — temp dir, processes, network namespaces, signals — and the exit code:
 * 0 converged and nothing acknowledged lost, 1 otherwise (or an error), 2 bad flags / --netns impossible,
 * 128 + the signal's number when interrupted (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP). The last line of stdout is always one JSON object once the flags are valid.
 */
import { randomInt } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ROOT, requireBuild } from './lib/dist.ts'
import { createNetnsLab, netnsUnavailable, removeOrphanLabs } from './lib/netns.ts'
import type { NetnsLab } from './lib/netns.ts'
import { signalExitCode } from './lib/signal-exit.ts'
import { userPath } from './lib/user-path.ts'
import type { Cluster as ClusterType } from './partition-heal/cluster.ts'
import { DEFAULT_APP, HELP, parseFlags } from './partition-heal/flags.ts'
import type { RunOptions } from './partition-heal/flags.ts'
import type { RunResult } from './partition-heal/run.ts'

/**
 * Our namespaces are hp<pid in base 36>n<i>: each run its own lab. They were ph<i> for every run, so a
 * second `--netns` run tore down the first one's lab as a leftover at its start (and again at its end),
 * failing it. A lab whose run no longer runs (SIGKILLed) is removed by the next run (removeOrphanLabs).
 * No benchmark's lab starts with an h.
 */
const LAB_TAG = 'hp'
/** After Ctrl-C, teardown gets this long before a hard exit. */
const TEARDOWN_DEADLINE_MS = 15_000

function fail (message: string, code: number): never {
  process.stderr.write(`partition-heal: ${message}\n`)
  process.exit(code)
}

// A reader that goes away (`| head`) must not crash the run half-way and leave its peers to the exit hook.
// Nor on stderr (`2>&1 | head`): the Ctrl-C line written there after it went away was an uncaught EPIPE,
// and the run died without removing its temp dir.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})

const parsed = parseFlags(process.argv.slice(2), () => randomInt(0, 2 ** 31))
if (parsed.kind === 'help') {
  process.stdout.write(HELP)
  process.exit(0)
}
if (parsed.kind === 'error') fail(parsed.message, 2)
const options: RunOptions = parsed.options

const controller = new AbortController()
let lab: NetnsLab | undefined
let interrupted = false
/** The exit code of the signal that interrupted the run (signal-exit.ts). */
let interruptCode = 130
/** SIGKILLs every peer process started (launch.ts), once that module is loaded; none before. */
let killAllNow = (): void => {}

// Last resort on any exit path: no peer process and no namespace outlives us.
process.on('exit', () => {
  killAllNow()
  lab?.close()
})
const onSignal = (signal: NodeJS.Signals): void => {
  if (interrupted) {
    killAllNow()
    lab?.close()
    process.exit(interruptCode)
  }
  interrupted = true
  interruptCode = signalExitCode(signal)
  process.stderr.write(`\npartition-heal: ${signal}: stopping every peer and cleaning up (again to force)\n`)
  controller.abort(new Error(`interrupted by ${signal}`))
  setTimeout(() => { process.exit(interruptCode) }, TEARDOWN_DEADLINE_MS).unref()
}
// Before the modules load (~0.5 s): a Ctrl-C then ended the run with no JSON line and the shell's own code.
// SIGHUP too (the terminal closed): by default it ended the run at once and left the temp dir behind.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal)

/** The run's last line when interrupted: one JSON object, as on every other path once the flags were valid. */
function exitInterrupted (): never {
  const reason = controller.signal.reason instanceof Error ? controller.signal.reason.message : 'interrupted'
  process.stdout.write(`${JSON.stringify({ converged: false, lostWrites: null, convergeMs: null, error: reason, peers: options.peers, rounds: options.rounds, seed: options.seed, mode: options.mode, netns: options.netns, app: options.app, keptDir: null })}\n`)
  fail('interrupted: every peer stopped, namespaces and temp dir removed', interruptCode)
}

// Before anything that imports dist/ is loaded: with dist/ missing that import was a stack trace.
requireBuild('partition-heal', 'npm run partition-heal')
const { Cluster } = await import('./partition-heal/cluster.ts')
killAllNow = (await import('./partition-heal/launch.ts')).killAllNow
const { AdminDriver, NetnsDriver } = await import('./partition-heal/nemesis.ts')
const { buildSummary, printSummary, progress } = await import('./partition-heal/report.ts')
const { run } = await import('./partition-heal/run.ts')

// The default is the checkout's own app; one the user names is where the user typed it (lib/user-path.ts).
const app = options.app === DEFAULT_APP ? path.join(ROOT, DEFAULT_APP) : userPath(options.app)
if (!existsSync(app)) fail(`--app ${app}: no such file (the chat-counter app lives at ${DEFAULT_APP})`, options.app === DEFAULT_APP ? 1 : 2)
// A directory (`--app examples/chat-counter`) would only fail as every peer exiting during start-up.
if (!statSync(app).isFile()) fail(`--app ${app}: not a file (the chat-counter app is ${DEFAULT_APP})`, 2)
if (options.netns) {
  const why = netnsUnavailable()
  if (why !== undefined) fail(`--netns is not possible here: ${why}`, 2)
}

if (interrupted) exitInterrupted()
const dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-partition-heal-'))

const replay = `npm run partition-heal -- --peers ${options.peers} --rounds ${options.rounds} --writes ${options.writes} --seed ${options.seed} --mode ${options.mode}` +
  `${options.profile === 'local' ? '' : ` --profile ${options.profile}`}${options.netns ? ' --netns' : ''}${options.app === DEFAULT_APP ? '' : ` --app ${options.app}`}`
progress(`partition-heal: ${options.peers} peers × ${options.rounds} rounds × ${options.writes} writes/peer/round, faults ${options.faults.join(',')}, ` +
  `${options.netns ? 'netns (real links cut)' : 'loopback (/admin/partition)'}, profile ${options.profile}, app ${options.app}`)
progress(`seed ${options.seed}${options.seedDrawn ? ' (drawn)' : ''}; replay: ${replay}`)
progress(`temp dir ${dir}`)

let result: RunResult | undefined
let error: unknown
let cluster: ClusterType | undefined
try {
  if (options.netns) {
    removeOrphanLabs(LAB_TAG)
    lab = createNetnsLab(options.peers, `${LAB_TAG}${process.pid.toString(36)}n`)
  }
  cluster = new Cluster({ size: options.peers, entry: app, dir, profile: options.profile, signal: controller.signal, ...(lab === undefined ? {} : { lab }) })
  const driver = lab === undefined ? new AdminDriver(cluster) : new NetnsDriver(lab)
  result = await run({ options, cluster, driver, signal: controller.signal })
} catch (err) {
  error = err
} finally {
  await cluster?.stopAll()
  killAllNow()
  lab?.close()
}

if (interrupted) {
  rmSync(dir, { recursive: true, force: true })
  exitInterrupted()
}

// Anomalies (a phantom or duplicated message, a failed write that took effect) fail the run too.
const passed = result !== undefined && result.converged && result.verdict.lostWrites === 0 && result.verdict.anomalies.length === 0
const keep = !passed || options.keep
if (!keep) rmSync(dir, { recursive: true, force: true })
const kept = (): void => { if (keep) progress(`kept ${dir} (data-<i>/, peer-<i>.log${result === undefined ? '' : ', history.json'})`) }
// The history and the final replicas, so that a failing run can be re-judged (checker.ts is pure).
if (keep && result !== undefined) {
  const { baseline, ops, replicas } = result
  writeFileSync(path.join(dir, 'history.json'), JSON.stringify({ options, baseline: { counter: baseline.counter, chatIds: [...baseline.chatIds] }, ops, replicas }, null, 1))
}

if (result === undefined) {
  const message = error instanceof Error ? error.message : String(error)
  process.stdout.write(`\nerror: ${message}\n`)
  kept()
  process.stdout.write(`${JSON.stringify({ converged: false, lostWrites: null, convergeMs: null, error: message, peers: options.peers, rounds: options.rounds, seed: options.seed, mode: options.mode, netns: options.netns, app: options.app, keptDir: dir })}\n`)
  process.exit(1)
}
const summary = buildSummary({
  converged: result.converged,
  convergeMs: result.convergeMs,
  verdict: result.verdict,
  ops: result.ops,
  rounds: result.rounds,
  options,
  replicas: result.replicas,
  keptDir: keep ? dir : null
})
printSummary(summary, result.verdict, result.rounds, result.ops, result.replicas)
kept()
process.stdout.write(`${JSON.stringify(summary)}\n`)
process.exit(passed ? 0 : 1)
