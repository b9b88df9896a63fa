/**
 * HashiCorp Serf agents as a Mesh: one `serf agent -profile=lan` per namespace (memberlist's
 * DefaultLANConfig underneath: probe 1 s, timeout 500 ms, suspicion ×4, gossip 200 ms), gossip on the data
 * network, RPC on the management network.
 *
 * Timing comes from each agent's own log, which Serf writes the moment it handles a membership event
 * (`serf: EventMemberFailed: <node> <addr>`), read line by line as it arrives — the counterpart of
 * murmur's SSE. State checks use Serf's RPC through its CLI (`serf members -rpc-addr=…`): spawning that
 * CLI 20 times per poll would itself load the 2-core machine, so it confirms outcomes rather than times them.
 */
import { execFile, execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import type { NetnsLab } from '../../lib/netns.ts'
import { onLines, waitForOutput } from './child.ts'
import type { Mesh, MeshMember } from './mesh.ts'
import { killOnTeardown } from './teardown.ts'
import { MembershipViews } from './views.ts'
import type { ViewState } from './views.ts'

export const SERF_PORT = 7946
export const SERF_RPC_PORT = 7373
const START_TIMEOUT_MS = 20_000
/** SIGINT → leave intent + memberlist leave (bounded by Serf's broadcast timeout, 5 s) → exit. */
const LEAVE_KILL_AFTER_MS = 10_000
const CLI_TIMEOUT_MS = 5_000

/** `serf version`'s first line, or undefined when Serf is not installed. */
export function serfVersion (): string | undefined {
  try {
    return execFileSync('serf', ['version'], { encoding: 'utf8', timeout: CLI_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]?.trim()
  } catch {
    return undefined
  }
}

/** A fresh key for `-encrypt` (AES-256-GCM: 32 random bytes, base64). */
export function serfKey (): string {
  return randomBytes(32).toString('base64')
}

interface SerfMember extends MeshMember {
  readonly proc: ChildProcess
  readonly rpc: string
}

const EVENT = /serf: EventMember(Join|Failed|Leave|Reap|Update): (\S+)/
const STATE_OF_EVENT: Record<string, ViewState | 'reap' | undefined> = { Join: 'alive', Failed: 'dead', Leave: 'left', Reap: 'reap' }
const STATE_OF_STATUS: Record<string, ViewState | undefined> = { alive: 'alive', failed: 'dead', left: 'left' }

export class SerfMesh implements Mesh {
  readonly views = new MembershipViews()
  private readonly members: SerfMember[] = []

  readonly lab: NetnsLab
  readonly label: string
  private readonly prefix: string
  private readonly encryptKey: string | undefined

  /** `prefix` names the nodes (`<prefix><ns>`); `encryptKey` turns on gossip encryption. */
  constructor (lab: NetnsLab, label: string, prefix: string, encryptKey?: string) {
    this.lab = lab
    this.label = label
    this.prefix = prefix
    this.encryptKey = encryptKey
  }

  live (): SerfMember[] {
    return [...this.members]
  }

  async spawn (ns: number, seeds: readonly MeshMember[]): Promise<SerfMember> {
    const name = `${this.prefix}${ns}`
    const args = [
      'netns', 'exec', this.lab.names[ns] as string, 'serf', 'agent',
      `-node=${name}`, `-bind=${this.lab.dataIp(ns)}:${SERF_PORT}`, `-rpc-addr=${this.lab.mgmtIp(ns)}:${SERF_RPC_PORT}`,
      '-profile=lan', '-log-level=info',
      ...(this.encryptKey === undefined ? [] : [`-encrypt=${this.encryptKey}`]),
      ...seeds.map(s => `-join=${this.lab.dataIp(s.ns)}:${SERF_PORT}`)
    ]
    const proc = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    killOnTeardown(`serf ${name}`, proc)
    let output = ''
    let running = false
    let joined = seeds.length === 0
    let joinAt: number | undefined
    onLines(proc.stdout, (line, at) => {
      if (!running || !joined) output += `${line}\n`
      if (line.includes('==> Serf agent running!')) running = true
      // Printed right before the agent calls Join: the counterpart of murmur's banner.
      else if (line.includes('==> Joining cluster')) joinAt = at
      else if (line.includes('Join completed')) joined = true
      const m = EVENT.exec(line)
      if (m === null) return
      const state = STATE_OF_EVENT[m[1] as string]
      if (state === 'reap') this.views.forget(name, m[2] as string)
      else if (state !== undefined) this.views.apply(name, m[2] as string, state, at)
    })
    onLines(proc.stderr, (line) => { output += `${line}\n` })
    const ok = await waitForOutput(proc, () => running && joined, START_TIMEOUT_MS)
    if (!ok) {
      proc.kill('SIGKILL')
      throw new Error(`serf ${name} did not start and join within ${START_TIMEOUT_MS} ms (exit ${proc.exitCode}):\n${output.slice(-2000)}`)
    }
    const member: SerfMember = { key: name, name, ns, pid: proc.pid ?? -1, joinAt: joinAt ?? performance.now(), proc, rpc: `${this.lab.mgmtIp(ns)}:${SERF_RPC_PORT}` }
    this.members.push(member)
    return member
  }

  kill (m: MeshMember): number {
    const member = this.take(m)
    const at = performance.now()
    member.proc.kill('SIGKILL')
    return at
  }

  /** SIGINT: Serf's default on interrupt is a graceful leave (leave intent, then memberlist leave). */
  leave (m: MeshMember): number {
    const member = this.take(m)
    const at = performance.now()
    member.proc.kill('SIGINT')
    const timer = setTimeout(() => { member.proc.kill('SIGKILL') }, LEAVE_KILL_AFTER_MS)
    member.proc.once('exit', () => { clearTimeout(timer) })
    return at
  }

  async check (observers: readonly MeshMember[], subjects: readonly MeshMember[], state: ViewState): Promise<string[]> {
    const problems: string[] = []
    await Promise.all(observers.map(async (o) => {
      const status = await serfMembers((o as SerfMember).rpc)
      for (const s of subjects) {
        if (s.key === o.key) continue
        const raw = status.get(s.key)
        if (STATE_OF_STATUS[raw ?? ''] !== state) problems.push(`${o.name}: ${s.name}=${raw ?? 'absent'}`)
      }
    }))
    return problems
  }

  stopAll (): void {
    for (const m of this.members.splice(0)) m.proc.kill('SIGKILL')
    this.views.close()
  }

  private take (m: MeshMember): SerfMember {
    const i = this.members.findIndex(x => x.key === m.key)
    if (i < 0) throw new Error(`${m.name} is not a live member`)
    return this.members.splice(i, 1)[0] as SerfMember
  }
}

/** name → status ("alive", "failed", "left", "leaving") from `serf members -format=json` over RPC. */
export function serfMembers (rpc: string): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    execFile('serf', ['members', '-format=json', `-rpc-addr=${rpc}`], { timeout: CLI_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout) => {
      if (err !== null) {
        reject(new Error(`serf members -rpc-addr=${rpc}: ${err.message}`))
        return
      }
      try {
        const parsed = JSON.parse(stdout) as { members?: Array<{ name?: unknown, status?: unknown }> }
        const out = new Map<string, string>()
        for (const m of parsed.members ?? []) if (typeof m.name === 'string' && typeof m.status === 'string') out.set(m.name, m.status)
        resolve(out)
      } catch (e) {
        reject(new Error(`serf members -rpc-addr=${rpc}: unreadable output (${String(e)})`))
      }
    })
  })
}
