/**
 * murmur peers (`node dist/peer.js`, default `lan` profile) as a Mesh: one per namespace, libp2p on the
 * data network only, HTTP (with a bearer token, as the CLI requires off loopback) on the management
 * network, and each peer's SSE `/events` feeding the shared views.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { NODE, PEER_JS, ROOT, http, parseBanner } from '../../lib/peers.ts'
import type { NetnsLab } from '../../lib/netns.ts'
import type { Mesh, MeshMember } from './mesh.ts'
import { waitForOutput } from './child.ts'
import { parseProm, sumProm } from './prom.ts'
import type { PromSample } from './prom.ts'
import { openSse } from './sse.ts'
import type { SseEvent, SseStream } from './sse.ts'
import { benchTempDir, killOnTeardown } from './teardown.ts'
import { MembershipViews } from './views.ts'
import type { ViewState } from './views.ts'

/**
 * The peer to run: this checkout's `dist/peer.js` (built by `npm run bench`), or another build named by
 * MURMUR_PEER_JS — e.g. a clean build of a commit while the working tree is mid-edit.
 */
export const MURMUR_PEER_JS = process.env.MURMUR_PEER_JS ?? PEER_JS

/** Every peer has its own namespace, so all can use the same ports. */
export const MURMUR_TCP_PORT = 4001
export const MURMUR_HTTP_PORT = 8080
/** Start-up includes loading libp2p; with 20 peers starting at once on 2 cores it can take several seconds. */
const START_TIMEOUT_MS = 60_000
/** SIGTERM → graceful leave → exit is bounded by the CLI at 2.8 s; give it a margin before SIGKILL. */
const LEAVE_KILL_AFTER_MS = 5_000
const STDERR_KEEP_CHARS = 32_768
/** Event-stream connects tried before a start-up counts as failed (each bounded by sse.ts's timeout). */
const SSE_ATTEMPTS = 3

export interface MurmurMember extends MeshMember {
  readonly proc: ChildProcess
  /** Base URL of its HTTP API (management network). */
  readonly http: string
  /** Its data-network multiaddr with /p2p/<id>, for bootstrapping others. */
  readonly addr: string
  readonly headers: Record<string, string>
  /** performance.now() at spawn; joinAt - spawnedAt is the process start-up time. */
  readonly spawnedAt: number
  sse: SseStream | undefined
  log(): string
}

export interface MurmurMeshOptions {
  /** Extra CLI flags for every peer. */
  args?: string[]
  /** Sees every SSE event of every peer (e.g. `doc` events), after the membership views did. */
  onSse?: (member: MurmurMember, e: SseEvent) => void
}

const STATES = new Set<string>(['alive', 'suspect', 'dead', 'left'])
const asState = (s: unknown): ViewState | undefined => typeof s === 'string' && STATES.has(s) ? s as ViewState : undefined
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

export class MurmurMesh implements Mesh {
  readonly label = 'murmur'
  readonly views = new MembershipViews()
  private readonly members: MurmurMember[] = []
  private readonly token = randomBytes(16).toString('hex')
  readonly lab: NetnsLab
  private readonly options: MurmurMeshOptions

  constructor (lab: NetnsLab, options: MurmurMeshOptions = {}) {
    this.lab = lab
    this.options = options
  }

  live (): MurmurMember[] {
    return [...this.members]
  }

  async spawn (ns: number, seeds: readonly MeshMember[]): Promise<MurmurMember> {
    const seedAddrs = seeds.map(s => (s as MurmurMember).addr)
    const args = [
      MURMUR_PEER_JS,
      '--listen', `/ip4/${this.lab.dataIp(ns)}/tcp/${MURMUR_TCP_PORT}`,
      '--http', `${this.lab.mgmtIp(ns)}:${MURMUR_HTTP_PORT}`, '--http-token', this.token,
      '--data-dir', benchTempDir('murmur-bench-'),
      '--name', `m${ns}`,
      '--allow-fault-injection',
      ...seedAddrs.flatMap(a => ['--bootstrap', a]),
      ...(this.options.args ?? [])
    ]
    const spawnedAt = performance.now()
    const proc = spawn('ip', ['netns', 'exec', this.lab.names[ns] as string, NODE, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    killOnTeardown(`murmur m${ns}`, proc)
    let stdout = ''
    let stderr = ''
    // The join starts in createPeer, just before the banner is printed: its arrival is the join's t0.
    let bannerAt: number | undefined
    proc.stdout?.on('data', (d: Buffer) => {
      if (bannerAt === undefined && `${stdout}${d.toString()}`.includes('murmur peer ')) bannerAt = performance.now()
      stdout += d.toString()
    })
    proc.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-STDERR_KEEP_CHARS) })
    const ok = await waitForOutput(proc, () => parseBanner(stdout) !== undefined, START_TIMEOUT_MS)
    if (!ok) {
      proc.kill('SIGKILL')
      throw new Error(`murmur m${ns} did not start within ${START_TIMEOUT_MS} ms (exit ${proc.exitCode}):\n${stdout}\n${stderr.slice(-2000)}`)
    }
    const banner = parseBanner(stdout)
    const id = banner?.peerId ?? ''
    const base = banner?.http ?? ''
    const member: MurmurMember = {
      key: id,
      name: `m${ns}`,
      ns,
      pid: proc.pid ?? -1,
      joinAt: bannerAt ?? performance.now(),
      spawnedAt,
      proc,
      http: base,
      addr: `/ip4/${this.lab.dataIp(ns)}/tcp/${MURMUR_TCP_PORT}/p2p/${id}`,
      headers: { authorization: `Bearer ${this.token}` },
      sse: undefined,
      log: () => stderr
    }
    await this.subscribe(member)
    this.members.push(member)
    return member
  }

  /**
   * Opens the member's event stream, re-trying: a peer that just started on a loaded machine may take
   * longer than one connect timeout to answer. The `hello` event re-syncs its view after a retry.
   */
  private async subscribe (member: MurmurMember): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      member.sse = openSse(`${member.http}/events`, member.headers, (e) => { this.onEvent(member, e) }, (err) => {
        if (this.members.includes(member)) process.stderr.write(`murmur ${member.name}: event stream ended${err === undefined ? '' : `: ${String(err)}`}\n`)
      })
      try {
        await member.sse.ready
        return
      } catch (err) {
        member.sse.close()
        if (attempt >= SSE_ATTEMPTS) {
          const state = member.proc.exitCode === null && member.proc.signalCode === null ? 'running' : `exited (${member.proc.exitCode ?? member.proc.signalCode})`
          throw new Error(`murmur ${member.name}: no event stream after ${attempt} attempts (${String(err)}); process ${state}; its log ends:\n${member.log().slice(-1500)}`)
        }
        process.stderr.write(`murmur ${member.name}: event stream attempt ${attempt} failed (${String(err)}); retrying\n`)
      }
    }
  }

  kill (m: MeshMember): number {
    const member = this.take(m)
    const at = performance.now()
    member.proc.kill('SIGKILL')
    member.sse?.close()
    return at
  }

  /** SIGTERM: the CLI broadcasts `left`, waits briefly for dissemination, and exits. */
  leave (m: MeshMember): number {
    const member = this.take(m)
    const at = performance.now()
    member.proc.kill('SIGTERM')
    const timer = setTimeout(() => { member.proc.kill('SIGKILL') }, LEAVE_KILL_AFTER_MS)
    member.proc.once('exit', () => {
      clearTimeout(timer)
      member.sse?.close()
    })
    return at
  }

  async check (observers: readonly MeshMember[], subjects: readonly MeshMember[], state: ViewState): Promise<string[]> {
    const problems: string[] = []
    await Promise.all(observers.map(async (o) => {
      const res = await http<unknown>((o as MurmurMember).http, 'GET', '/members', undefined, (o as MurmurMember).headers)
      const list = Array.isArray(res.body) ? res.body.filter(isRecord) : []
      for (const s of subjects) {
        if (s.key === o.key) continue
        const seen = asState(list.find(m => m.peerId === s.key)?.state)
        if (seen !== state) problems.push(`${o.name}: ${s.name}=${seen ?? 'absent'}`)
      }
    }))
    return problems
  }

  /** Prometheus samples of a member's `/metrics`. */
  async metrics (m: MeshMember): Promise<PromSample[]> {
    const member = m as MurmurMember
    const res = await fetch(`${member.http}/metrics`, { headers: member.headers, signal: AbortSignal.timeout(10_000) })
    if (res.status !== 200) throw new Error(`${member.name} GET /metrics: HTTP ${res.status}`)
    return parseProm(await res.text())
  }

  /**
   * Resolves once no live member has membership updates waiting for dissemination (a join storm has
   * drained), or after `timeoutMs`; returns whether it drained.
   */
  async quiesce (timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs
    while (performance.now() < deadline) {
      // A peer too busy to answer in time counts as not drained yet (the machine may be loaded).
      const queued = await Promise.all(this.live().map(async m => await this.metrics(m).then(s => sumProm(s, 'murmur_broadcast_queue'), () => Number.NaN)))
      if (queued.every(q => q === 0)) return true
      await new Promise(resolve => setTimeout(resolve, 500))
    }
    return false
  }

  stopAll (): void {
    for (const m of this.members.splice(0)) {
      m.sse?.close()
      m.proc.kill('SIGKILL')
    }
    this.views.close()
  }

  private take (m: MeshMember): MurmurMember {
    const i = this.members.findIndex(x => x.key === m.key)
    if (i < 0) throw new Error(`${m.name} is not a live member`)
    return this.members.splice(i, 1)[0] as MurmurMember
  }

  private onEvent (observer: MurmurMember, e: SseEvent): void {
    applyMurmurEvent(this.views, observer.key, e)
    this.options.onSse?.(observer, e)
  }
}

/** Feeds one event of a murmur peer's SSE `/events` into `views`: `hello` carries the member list at connect time, `member` events each change after it. */
export function applyMurmurEvent (views: MembershipViews, observer: string, e: SseEvent): void {
  let data: unknown
  try { data = JSON.parse(e.data) } catch { return }
  if (!isRecord(data)) return
  if (e.event === 'hello' && Array.isArray(data.members)) {
    for (const m of data.members) {
      const state = isRecord(m) ? asState(m.state) : undefined
      if (isRecord(m) && typeof m.peerId === 'string' && state !== undefined) views.apply(observer, m.peerId, state, e.at)
    }
  } else if (e.event === 'member' && isRecord(data.member)) {
    const state = asState(data.member.state)
    if (typeof data.member.peerId === 'string' && state !== undefined) views.apply(observer, data.member.peerId, state, e.at)
  }
}
