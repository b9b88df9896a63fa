/**
 * Starts one app process (any entry that takes dist/peer.js's flags and prints its banner), optionally in a
 * network namespace, with separate listen and HTTP hosts. This is scripts/lib/peers.ts's spawnPeer plus
 * what the partition script needs beyond it: an `entry`, a data-network host distinct from the HTTP host
 * (netns), fixed ports across restarts, and the log going to a file that outlives the process.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { NODE, ROOT, parseBanner, sleep } from '../lib/peers.ts'
import type { ParsedBanner, PeerProcess } from '../lib/peers.ts'

export interface LaunchSpec {
  /** Script to run with the project's Node (absolute, or relative to the repository root). */
  entry: string
  dataDir: string
  /** libp2p listens here (the data network in netns mode). */
  listenHost: string
  /** HTTP API here (the management network in netns mode). */
  httpHost: string
  tcpPort: number
  httpPort: number
  netns?: string
  token?: string
  bootstrap: readonly string[]
  /** Extra flags (profile, …). */
  args: readonly string[]
  /** stderr and stdout of the process are appended here. */
  logFile: string
  startTimeoutMs: number
  /** Aborting kills a process still starting. */
  signal: AbortSignal
}

/** Every process launched and not yet exited: the last-resort cleanup kills them synchronously. */
export const liveProcesses = new Set<ChildProcess>()

export function killAllNow (): void {
  for (const proc of liveProcesses) proc.kill('SIGKILL')
}

export async function launch (spec: LaunchSpec): Promise<PeerProcess> {
  const args = [
    spec.entry,
    '--listen', `/ip4/${spec.listenHost}/tcp/${spec.tcpPort}`,
    '--http', `${spec.httpHost}:${spec.httpPort}`,
    '--data-dir', spec.dataDir,
    '--allow-fault-injection',
    ...(spec.token === undefined ? [] : ['--http-token', spec.token]),
    ...spec.bootstrap.flatMap(b => ['--bootstrap', b]),
    ...spec.args
  ]
  const [command, argv] = spec.netns === undefined ? [NODE, args] : ['ip', ['netns', 'exec', spec.netns, NODE, ...args]]
  // `ip netns exec` execs node in place, so the pid we hold (and SIGKILL) is the peer's own.
  const proc = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  liveProcesses.add(proc)
  const log = createWriteStream(spec.logFile, { flags: 'a' })
  log.write(`--- ${new Date().toISOString()} ${command} ${argv.join(' ')}\n`)
  let stdout = ''
  let stderr = ''
  proc.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); log.write(d) })
  proc.stderr?.on('data', (d: Buffer) => { if (stderr.length < 64_000) stderr += d.toString(); log.write(d) })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => {
      liveProcesses.delete(proc)
      log.end(`--- exited code=${code} signal=${signal}\n`)
      resolve({ code, signal })
    })
  })
  const started = Date.now()
  let banner: ParsedBanner | undefined
  while ((banner = parseBanner(stdout)) === undefined) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${spec.entry} exited during start-up (code ${proc.exitCode}): ${startFailure(stderr)} (log: ${spec.logFile})`)
    if (spec.signal.aborted || Date.now() - started > spec.startTimeoutMs) {
      proc.kill('SIGKILL')
      await exited
      if (spec.signal.aborted) throw spec.signal.reason
      throw new Error(`${spec.entry} did not print its banner within ${spec.startTimeoutMs} ms (log: ${spec.logFile})`)
    }
    await sleep(25)
  }
  const { peerId: id, http = '', addrs } = banner
  if (id === '' || http === '' || addrs.length === 0) {
    proc.kill('SIGKILL')
    throw new Error(`could not read the banner of ${spec.entry} (peer id, listen address, http url): ${stdout}`)
  }
  return { proc, id, addrs, http, dataDir: spec.dataDir, args, log: () => stderr, exited, token: spec.token }
}

/**
 * Why a process failed to start, from its stderr: a crash's error line (`TypeError [ERR_…]: …`), not the
 * last lines of its stack trace, which are always `}` and `Node.js v22…`; else its last lines (a one-line
 * `murmur: …` refusal).
 */
function startFailure (stderr: string): string {
  const lines = stderr.split('\n').map(l => l.trim()).filter(l => l !== '')
  const crash = lines.find(l => /^[A-Z]\w*Error\b[^:]*:/.test(l))
  return crash ?? lines.filter(l => !/^Node\.js v\d/.test(l)).slice(-3).join(' | ')
}

/** The TCP port of a multiaddr like /ip4/127.0.0.1/tcp/4001/p2p/…, or 0. */
export function tcpPortOf (addr: string): number {
  return Number(/\/tcp\/(\d+)/.exec(addr)?.[1] ?? 0)
}

/** The port of an http URL, or 0. */
export function httpPortOf (url: string): number {
  return Number(/:(\d+)\/?$/.exec(url)?.[1] ?? 0)
}
