/**
 * Real peer processes, for integration tests and scripts: spawn `dist/peer.js` (built by `npm test`'s
 * pretest and by the scripts' npm entries), read its banner, talk to its HTTP API, and wait on observable
 * state with bounded polling — never bare sleeps. Optionally inside a Linux network namespace.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseBanner } from '../../dist/cli/banner.js'
import type { ParsedBanner } from '../../dist/cli/banner.js'
import { NODE, PEER_JS, ROOT } from './dist.ts'

/** The start banner is printed and parsed in one place (src/cli/banner.ts). */
export { parseBanner }
export type { ParsedBanner }
export { NODE, PEER_JS, ROOT }

export interface PeerProcess {
  readonly proc: ChildProcess
  readonly id: string
  readonly addrs: string[]
  readonly http: string
  readonly dataDir: string
  readonly args: string[]
  /** Everything the process wrote to stderr so far (its log). */
  log(): string
  /** Resolves with the exit code (or signal) once the process exited. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** Bearer token of its HTTP API, if any. */
  readonly token?: string | undefined
}

export interface SpawnOptions {
  /** Script to run instead of dist/peer.js, taking the same flags and printing the same banner (e.g. the example app). */
  entry?: string
  /** Words between the script and the flags (e.g. `['agent']` for dist/murmur.js). */
  entryArgs?: string[]
  dataDir?: string
  /** Run inside this network namespace (root only; see netns.ts). */
  netns?: string
  /** Address to listen on and serve HTTP from (default 127.0.0.1). Non-loopback needs `token`. */
  host?: string
  /** Address libp2p listens on, when it is not `host` (a namespace's data network). */
  listenHost?: string
  /** Bearer token for the HTTP API. */
  token?: string
  /** Fixed ports (default: ephemeral). */
  tcpPort?: number
  httpPort?: number
  args?: string[]
  /** Bootstrap multiaddrs. */
  bootstrap?: string[]
  env?: NodeJS.ProcessEnv
  /** Wait this long for the banner (default 20 s). */
  startTimeoutMs?: number
  /** Pass `--allow-fault-injection` (default true: tests and scripts cut links through /admin/partition). */
  faultInjection?: boolean
}

const live = new Set<ChildProcess>()
const tempDirs: string[] = []

export function tempDir (prefix = 'murmur-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  tempDirs.push(dir)
  return dir
}

/** Spawns a peer on 127.0.0.1 with an ephemeral TCP and HTTP port, and waits for its banner. */
export async function spawnPeer (o: SpawnOptions = {}): Promise<PeerProcess> {
  const dataDir = o.dataDir ?? tempDir()
  const host = o.host ?? '127.0.0.1'
  const args = [
    o.entry ?? PEER_JS, ...(o.entryArgs ?? []), '--listen', `/ip4/${o.listenHost ?? host}/tcp/${o.tcpPort ?? 0}`, '--http', `${host}:${o.httpPort ?? 0}`, '--data-dir', dataDir, ...(o.faultInjection === false ? [] : ['--allow-fault-injection']),
    ...(o.token === undefined ? [] : ['--http-token', o.token]),
    ...(o.bootstrap ?? []).flatMap(b => ['--bootstrap', b]),
    ...(o.args ?? [])
  ]
  const [command, argv] = o.netns === undefined ? [NODE, args] : ['ip', ['netns', 'exec', o.netns, NODE, ...args]]
  const proc = spawn(command, argv, { cwd: ROOT, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(proc)
  let stdout = ''
  let stderr = ''
  proc.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => { live.delete(proc); resolve({ code, signal }) })
  })
  const timeout = o.startTimeoutMs ?? 20_000
  const started = Date.now()
  let banner: ParsedBanner | undefined
  while ((banner = parseBanner(stdout)) === undefined) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`peer exited during start-up (code ${proc.exitCode}):\n${stderr}`)
    if (Date.now() - started > timeout) {
      proc.kill('SIGKILL')
      throw new Error(`peer did not print its banner within ${timeout} ms:\n${stdout}\n${stderr}`)
    }
    await sleep(25)
  }
  return { proc, id: banner.peerId, addrs: banner.addrs, http: banner.http ?? '', dataDir, args: args.slice(1 + (o.entryArgs?.length ?? 0)), log: () => stderr, exited, token: o.token }
}

export function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; throws with `what` on timeout. */
export async function waitFor<T> (what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : ` (last error: ${String(lastError)})`}`)
    await sleep(intervalMs)
  }
}

export interface HttpResult<T = unknown> { status: number, body: T }

/** One HTTP request with a timeout; the body is parsed as JSON when it is JSON. */
export async function http<T = unknown> (base: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult<T>> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000)
  })
  const text = await res.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch {}
  return { status: res.status, body: parsed as T }
}

export interface MemberJson { peerId: string, name: string, state: string, incarnation: number, addrs: string[], tags: Record<string, string> }

/** A request to a peer's HTTP API, with its bearer token if it has one. */
export async function api<T = unknown> (p: PeerProcess, method: string, route: string, body?: unknown): Promise<HttpResult<T>> {
  return await http<T>(p.http, method, route, body, p.token === undefined ? {} : { authorization: `Bearer ${p.token}` })
}

export async function members (p: PeerProcess): Promise<MemberJson[]> {
  return (await api<MemberJson[]>(p, 'GET', '/members')).body
}

export async function stateOf (observer: PeerProcess, subject: string): Promise<string | undefined> {
  return (await members(observer)).find(m => m.peerId === subject)?.state
}

/** Waits until every observer sees every subject in `state`. */
export async function waitForStates (observers: readonly PeerProcess[], subjects: readonly string[], state: string, timeoutMs: number): Promise<number> {
  const start = Date.now()
  let missing: string[] = []
  try {
    await waitFor(`${subjects.length} member(s) ${state} on ${observers.length} peer(s)`, async () => {
      missing = []
      for (const o of observers) {
        const ms = await members(o)
        for (const s of subjects) {
          const seen = ms.find(m => m.peerId === s)?.state
          if (seen !== state) missing.push(`${o.id.slice(-6)} sees ${s.slice(-6)} ${seen ?? 'absent'}`)
        }
      }
      return missing.length === 0
    }, timeoutMs, 100)
  } catch (err) {
    // Say which views were still wrong: that is what a flaky run needs to be diagnosed.
    throw new Error(`${(err as Error).message}; still: ${missing.slice(0, 12).join(', ')}${missing.length > 12 ? ', …' : ''}`)
  }
  return Date.now() - start
}

export async function stopPeer (p: PeerProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5_000): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return await p.exited
  p.proc.kill(signal)
  const timer = setTimeout(() => { p.proc.kill('SIGKILL') }, timeoutMs)
  const result = await p.exited
  clearTimeout(timer)
  return result
}

/** Kills every peer still running and removes temp dirs (call in afterAll). */
export async function cleanup (): Promise<void> {
  const waits = [...live].map(proc => new Promise<void>((resolve) => {
    proc.once('exit', () => { resolve() })
    proc.kill('SIGKILL')
  }))
  await Promise.all(waits)
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** The samples of metric `name` on `p`'s /metrics, as `{labels}` → value (`''` for an unlabelled one). */
export async function metricSamples (p: PeerProcess, name: string): Promise<Map<string, number>> {
  const text = String((await api<string>(p, 'GET', '/metrics')).body)
  const out = new Map<string, number>()
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) out.set(m[1] ?? '', Number(m[2]))
  return out
}
