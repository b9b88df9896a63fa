/**
 * `npm start`: a local demo mesh of three chat-counter app processes on 127.0.0.1, the first one the
 * bootstrap of the other two. Prints the URLs to open, streams each peer's log prefixed by its name, and
 * on Ctrl-C stops all of them (SIGTERM → graceful leave; SIGKILL after STOP_TIMEOUT_MS).
 *
 *   npm start [-- --quiet] [-- --fresh] [-- --dir <dir>]
 *
 * Restarts are meant to be pleasant: data dirs (<dir>/demo-N) are kept, so peer ids, the counter and the
 * chat survive; fixed ports are reused when free (bookmarks keep working), else any free port.
 *
 * Children run in their own process group (detached): a terminal Ctrl-C reaches only this script, which
 * then signals each child exactly once — a second signal would cut a child's graceful leave short.
 * Orphans: the children's pids are kept in <dir>/demo.pids, so if this script is killed hard (SIGKILL),
 * the next `npm start` stops the leftovers before starting. Peers whose launcher still runs are not
 * leftovers: a second `npm start` on the same dir is refused (exit 1) and leaves that demo alone.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { parseBanner as ParseBanner } from '../dist/cli/banner.js'
import { NODE, ROOT, requireBuild } from './lib/dist.ts'
import { userPath } from './lib/user-path.ts'

const SERVER = path.join(ROOT, 'examples', 'chat-counter', 'server.ts')
/** This script, as it appears in a launcher's command line (`npm start` runs `node scripts/start.ts`). */
const SELF = path.join('scripts', 'start.ts')
/** Preferred ports, peer by peer; any free port when taken. */
const PLAN = [
  { name: 'demo-1', tcp: 4001, http: 8081 },
  { name: 'demo-2', tcp: 4002, http: 8082 },
  { name: 'demo-3', tcp: 4003, http: 8083 }
] as const
type Plan = (typeof PLAN)[number]
/** A peer must print its banner within this (it opens a LevelDB store and listens: usually < 1 s). */
const START_TIMEOUT_MS = 20_000
/** After SIGTERM a peer exits within 3 s; SIGKILL at this bound. */
const STOP_TIMEOUT_MS = 5_000
/** Lines of a child's stderr kept to explain a failed start (not the whole log: the demo may run for days). */
const TAIL_LINES = 20
const HELP = `Usage: npm start [-- --quiet] [-- --fresh] [-- --dir <dir>]

Starts three chat-counter peers on 127.0.0.1 and prints the URLs to open. Ctrl-C stops them.
  --quiet, -q   show only warnings and errors from the peers
  --fresh       delete the demo data first: new peer ids, empty counter and chat
  --dir <dir>   where the demo data lives (default .murmur; peers in <dir>/demo-1..3); --dir=<dir> too
  --help, -h    this help
`

interface Options { quiet: boolean, fresh: boolean, dir: string }

interface Running {
  name: string
  proc: ChildProcess
  exited: Promise<number | null>
  id: string
  addr: string
  url: string
}

/** Loaded once dist/ is known to be built (main): a static import of it failed as a stack trace on a fresh checkout. */
let parseBanner: typeof ParseBanner

const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined
const paint = (code: number, s: string): string => color ? `\x1b[${code}m${s}\x1b[0m` : s
const NAME_COLORS = [36, 35, 33]

function usageError (message: string): never {
  process.stderr.write(`start: ${message} (try --help)\n`)
  process.exit(2)
}

function parseOptions (argv: readonly string[]): Options | 'help' {
  const o: Options = { quiet: false, fresh: false, dir: path.join(ROOT, '.murmur') }
  let dirGiven = false
  for (let i = 0; i < argv.length; i++) {
    const given = argv[i] as string
    // The usage writes each option after its own `--` (`npm start -- --quiet -- --fresh`); npm passes
    // every `--` after the first one on, so they are separators here too.
    if (given === '--') continue
    // `--flag=value` as peer.js and murmur take it: `--dir=x` was an unknown option. A switch with a value is refused.
    const eq = given.startsWith('--') ? given.indexOf('=') : -1
    const arg = eq > 0 ? given.slice(0, eq) : given
    const value = eq > 0 ? given.slice(eq + 1) : undefined
    if (value !== undefined && ['--quiet', '--fresh', '--help'].includes(arg)) usageError(`${arg} takes no value`)
    if (arg === '--quiet' || arg === '-q') o.quiet = true
    else if (arg === '--fresh') o.fresh = true
    else if (arg === '--help' || arg === '-h') return 'help'
    else if (arg === '--dir') {
      // Once: `--dir a --dir b` ran the demo in b, the first one dropped without a word.
      if (dirGiven) usageError('--dir given twice: it takes one value')
      dirGiven = true
      const dir = value ?? argv[++i]
      // One starting with "--" is the next option (`--dir --fresh`), and this one's value is missing.
      if (dir === undefined || dir === '' || (value === undefined && dir.startsWith('--'))) usageError('--dir needs a directory')
      // The shell expands ~ only at the start of a word: `--dir=~/demo` made a directory named ~ here (the
      // peers refuse such a --data-dir the same way).
      if (dir.startsWith('~')) usageError(`--dir ${dir}: ~ is not expanded here; write the full path`)
      o.dir = userPath(dir)
    } else usageError(`unknown option ${given}`)
  }
  return o
}

function portFree (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => { resolve(false) })
    probe.listen(port, '127.0.0.1', () => { probe.close(() => { resolve(true) }) })
  })
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Whether `pid` is a live process whose command line contains `needle` (false without /proc: not Linux). */
function runs (pid: number, needle: string): boolean {
  try {
    return alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)
  } catch {
    return false // no /proc (not Linux) or already gone: nothing we can safely signal
  }
}

/** The parent of `pid` (from /proc), or undefined. */
function parentOf (pid: number): number | undefined {
  try {
    // The command name in field 2 is in parentheses and may hold spaces: the fields after it are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined
  } catch {
    return undefined
  }
}

/**
 * Stops demo peers a hard-killed earlier run left behind: only live processes whose command line is our
 * server. Peers whose launcher is still running are another `npm start`'s demo, not leftovers: refused.
 */
async function stopLeftovers (pidFile: string, dir: string): Promise<void> {
  if (!existsSync(pidFile)) return
  const pids = readFileSync(pidFile, 'utf8').split(/\s+/).map(Number).filter(pid => Number.isInteger(pid) && pid > 0)
  const ours = pids.filter(pid => runs(pid, SERVER))
  const launcher = ours.map(parentOf).find((ppid): ppid is number => ppid !== undefined && ppid !== process.pid && runs(ppid, SELF))
  if (launcher !== undefined) {
    process.stderr.write(`start: another npm start (pid ${launcher}) is running the demo in ${dir}: stop it first (Ctrl-C there), or use --dir <another dir>\n`)
    process.exit(1)
  }
  if (ours.length > 0) {
    process.stdout.write(`Stopping ${ours.length} demo peer(s) left over from an earlier run (pids ${ours.join(', ')})…\n`)
    for (const pid of ours) process.kill(pid, 'SIGTERM')
    const deadline = Date.now() + STOP_TIMEOUT_MS
    while (ours.some(alive) && Date.now() < deadline) await sleep(100)
    for (const pid of ours.filter(alive)) process.kill(pid, 'SIGKILL')
  }
  rmSync(pidFile, { force: true })
}

/** Warnings, errors, and the one-line fatal errors of the CLI (`murmur: …`): shown even with --quiet. */
const important = (line: string): boolean => / (WARN|ERROR) /.test(line) || line.startsWith('murmur: ')

/** Forwards a child's output line by line, prefixed with its name; --quiet keeps the important lines only. */
function stream (name: string, index: number, proc: ChildProcess, quiet: boolean, onLine: (line: string, fromStdout: boolean) => void): void {
  const prefix = paint(NAME_COLORS[index % NAME_COLORS.length] ?? 0, `[${name}]`)
  const forward = (fromStdout: boolean) => (line: string): void => {
    onLine(line, fromStdout)
    if (quiet && !important(line)) return
    process.stdout.write(`${prefix} ${important(line) ? paint(31, line) : line}\n`)
  }
  if (proc.stdout !== null) createInterface({ input: proc.stdout }).on('line', forward(true))
  if (proc.stderr !== null) createInterface({ input: proc.stderr }).on('line', forward(false))
}

class Demo {
  readonly children: Running[] = []
  private readonly o: Options
  private stopping: Promise<void> | undefined

  constructor (o: Options) {
    this.o = o
  }

  get pidFile (): string {
    return path.join(this.o.dir, 'demo.pids')
  }

  /** Starts peer `index`: on its preferred ports if they are free, else (or if it loses a race for them) on any. */
  async start (index: number, bootstrap: string | undefined): Promise<Running> {
    if (this.stopping !== undefined) throw new Error('stopping') // Ctrl-C came first: start nothing more
    const plan = PLAN[index] as Plan
    const preferred = { tcp: await portFree(plan.tcp) ? plan.tcp : 0, http: await portFree(plan.http) ? plan.http : 0 }
    const first = await this.launch(index, plan, preferred, bootstrap)
    if ('proc' in first) return first
    if (!first.portInUse || (preferred.tcp === 0 && preferred.http === 0)) throw new Error(first.error)
    process.stdout.write(`[${plan.name}] its port was taken meanwhile; retrying on free ports\n`)
    const second = await this.launch(index, plan, { tcp: 0, http: 0 }, bootstrap)
    if ('proc' in second) return second
    throw new Error(second.error)
  }

  /** One attempt: the running peer, or why it did not start. */
  private async launch (index: number, plan: Plan, ports: { tcp: number, http: number }, bootstrap: string | undefined): Promise<Running | { error: string, portInUse: boolean }> {
    const args = [
      SERVER, '--name', plan.name, '--data-dir', path.join(this.o.dir, plan.name),
      '--listen', `/ip4/127.0.0.1/tcp/${ports.tcp}`, '--http', `127.0.0.1:${ports.http}`,
      '--profile', 'local', '--allow-fault-injection', ...(bootstrap === undefined ? [] : ['--bootstrap', bootstrap])
    ]
    const proc = spawn(NODE, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => { proc.on('exit', (code) => { resolve(code) }) })
    const running: Running = { name: plan.name, proc, exited, id: '', addr: '', url: '' }
    this.children.push(running)
    writeFileSync(this.pidFile, this.children.map(c => c.proc.pid ?? '').join('\n'))

    const banner: string[] = []
    const tail: string[] = []
    let bannerDone: () => void = () => {}
    const started = new Promise<void>((resolve) => { bannerDone = resolve })
    stream(plan.name, index, proc, this.o.quiet, (line, fromStdout) => {
      if (fromStdout) {
        banner.push(line)
        if (parseBanner(`${banner.join('\n')}\n`) !== undefined) bannerDone()
      } else {
        tail.push(line)
        if (tail.length > TAIL_LINES) tail.shift()
      }
    })
    let timer: NodeJS.Timeout | undefined
    const outcome = await Promise.race([
      started.then(() => 'started' as const),
      exited.then(() => 'exited' as const),
      new Promise<'timeout'>((resolve) => { timer = setTimeout(() => { resolve('timeout') }, START_TIMEOUT_MS) })
    ])
    clearTimeout(timer)
    if (outcome === 'started') {
      const parsed = parseBanner(`${banner.join('\n')}\n`)
      running.id = parsed?.peerId ?? ''
      running.addr = parsed?.addrs[0] ?? ''
      running.url = parsed?.lines.app?.split(' ')[0] ?? ''
      return running
    }
    if (outcome === 'timeout') proc.kill('SIGKILL')
    const why = outcome === 'timeout' ? `did not start within ${START_TIMEOUT_MS / 1000} s` : `exited during start-up (code ${proc.exitCode})`
    // Its output is above already; with --quiet, add the last lines that were not shown.
    const unseen = this.o.quiet ? tail.filter(l => !important(l)).slice(-5) : []
    const locked = tail.some(l => /lock/i.test(l)) ? '\n  Its data dir is in use: is another `npm start`, or a peer on that dir, still running?' : ''
    return {
      error: `${plan.name} ${why}${unseen.length > 0 ? `; its last lines:\n  ${unseen.join('\n  ')}` : ''}${locked}`,
      portInUse: tail.some(l => /EADDRINUSE/.test(l))
    }
  }

  /** SIGTERM to every child once, wait (bounded), SIGKILL the rest. Idempotent. */
  stop (): Promise<void> {
    this.stopping ??= (async () => {
      const running = this.children.filter(c => c.proc.exitCode === null && c.proc.signalCode === null)
      for (const c of running) c.proc.kill('SIGTERM')
      await Promise.all(running.map(async (c) => {
        let timer: NodeJS.Timeout | undefined
        const code = await Promise.race([c.exited, new Promise<'timeout'>((resolve) => { timer = setTimeout(() => { resolve('timeout') }, STOP_TIMEOUT_MS) })])
        clearTimeout(timer)
        if (code === 'timeout') {
          process.stdout.write(`[${c.name}] did not stop within ${STOP_TIMEOUT_MS / 1000} s: killed\n`)
          c.proc.kill('SIGKILL')
          await c.exited
        }
      }))
      rmSync(this.pidFile, { force: true })
    })()
    return this.stopping
  }

  /** Synchronous last resort (process `exit`): no child outlives this script. */
  kill (): void {
    for (const c of this.children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL')
  }
}

function printSummary (peers: Running[], dir: string): void {
  const last = peers[peers.length - 1]
  const others = peers.slice(0, -1)
  const admin = (p: Running): string => `${p.url.replace(/\/$/, '')}/admin/partition`
  const lines = [
    '',
    paint(1, `murmur demo mesh: ${peers.length} peers running the chat-counter app`),
    '',
    ...peers.map((p, i) => `  ${paint(1, p.name)}  ${paint(4, p.url)}${i === 0 ? '   (the others joined through this one)' : ''}`),
    '',
    'Open each URL in its own browser window: click + / −, chat, type in the shared notes, and watch the other windows follow.',
    `The whole mesh, live (and links to cut and heal with a click): ${paint(4, `${(peers[0]?.url ?? '').replace(/\/$/, '')}/mesh`)}`
  ]
  if (last !== undefined && others.length > 0) {
    lines.push(
      `To cut ${last.name} off (both directions), write on both sides, then heal and watch them converge:`,
      `  curl -X POST ${admin(last)} -d '{"block":[${others.map(p => `"${p.id}"`).join(',')}]}'`,
      ...others.map(p => `  curl -X POST ${admin(p)} -d '{"block":["${last.id}"]}'`),
      `  for u in ${peers.map(admin).join(' ')}; do curl -X DELETE $u; done`
    )
  }
  lines.push('', `Data in ${shownDir(dir)}/demo-N is kept across restarts (--fresh starts over). Ctrl-C stops all three.`, '')
  process.stdout.write(lines.join('\n') + '\n')
}

async function main (): Promise<void> {
  const o = parseOptions(process.argv.slice(2))
  if (o === 'help') {
    process.stdout.write(HELP)
    return
  }
  requireBuild('start', 'npm start')
  parseBanner = (await import('../dist/cli/banner.js')).parseBanner
  const demo = new Demo(o)
  // Not mkdirSync(recursive): under /proc it never returns (src/core/make-dirs.ts).
  const { makeDirs } = await import('../dist/core/make-dirs.js')
  try {
    await makeDirs(o.dir)
  } catch (err) {
    process.stderr.write(`start: cannot use --dir ${o.dir}: ${(err as Error).message}\n`)
    process.exit(1)
  }
  await stopLeftovers(demo.pidFile, o.dir)
  if (o.fresh) for (const p of PLAN) rmSync(path.join(o.dir, p.name), { recursive: true, force: true })

  process.on('exit', () => { demo.kill() })
  let failed = false
  process.on('uncaughtException', (err) => {
    // Once: a report that itself fails (its stream closed) raised another, and the launcher spun at 100 % CPU.
    if (failed) return
    failed = true
    if (!process.stderr.destroyed) process.stderr.write(`start: ${err.stack ?? err.message}\n`)
    void demo.stop().finally(() => { process.exit(1) })
  })
  let exiting = false
  const onSignal = (signal: string): void => {
    if (exiting) return // npm and the terminal may both deliver one Ctrl-C; one shutdown is enough
    exiting = true
    process.stdout.write(`\n${signal}: stopping the demo peers…\n`)
    void demo.stop().then(() => {
      process.stdout.write('All demo peers stopped.\n')
      process.exit(0)
    })
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => { onSignal(signal) })
  // Whoever read the output went away (`npm start | head`, a closed terminal): stop as Ctrl-C does.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err
      onSignal('output closed')
    })
  }

  const peers: Running[] = []
  try {
    for (let i = 0; i < PLAN.length; i++) peers.push(await demo.start(i, peers[0]?.addr))
  } catch (err) {
    // After Ctrl-C a peer stopped mid-start is no start-up failure: the signal's shutdown reports and exits.
    if (!exiting) process.stderr.write(`start: ${err instanceof Error ? err.message : String(err)}\n`)
    exiting = true
    await demo.stop()
    process.exit(1)
  }
  printSummary(peers, o.dir)
  // A crashed peer is reported; the others keep running (the demo then shows it as dead).
  for (const p of peers) {
    void p.exited.then((code) => {
      if (exiting) return
      process.stdout.write(paint(31, `[${p.name}] exited unexpectedly (${code === null ? String(p.proc.signalCode) : `code ${code}`}); the others keep running. Restart npm start to bring it back.`) + '\n')
      if (peers.every(q => q.proc.exitCode !== null || q.proc.signalCode !== null)) {
        process.stderr.write('start: every demo peer has exited\n')
        rmSync(demo.pidFile, { force: true })
        process.exit(1)
      }
    })
  }
}

await main()

/** `dir` relative to the working directory when it is inside it, else as it is (`--dir /tmp/x` printed `../../tmp/x`). */
export function shownDir (dir: string): string {
  const rel = path.relative(process.cwd(), dir)
  if (rel === '') return '.'
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(dir) : rel
}
