/**
 * The soak's peers: one slot per peer (name, data dir, stable peer id), the process currently running in
 * it, and the operations the chaos needs — start, SIGKILL, restart with the same data dir — plus bounded
 * HTTP calls to a slot's API.
 */
import path from 'node:path'
import { spawnPeer, stopPeer } from '../lib/peers.ts'
import type { PeerProcess } from '../lib/peers.ts'

export interface Slot {
  readonly index: number
  readonly name: string
  readonly dataDir: string
  /** Peer id: the same across restarts (same data dir). Known after the first start. */
  id: string
  proc: PeerProcess | undefined
  /** Processes started in this slot so far. */
  starts: number
  /** Date.now() when the current process printed its banner. */
  upSince: number
  /** Never killed: RSS flatness is judged on these (a restart resets RSS). */
  readonly stable: boolean
  /** The logs of this slot's killed processes, oldest first (a restart's story starts in the life before it). */
  readonly pastLogs: string[]
}

/**
 * A peer process must print its banner within this. Loading libp2p takes ~1.2 s of CPU; with 30 peers
 * (and whatever else runs) sharing two cores, a start measured 30 s and more, so 30 s failed runs before
 * they began.
 */
const START_TIMEOUT_MS = 120_000
/** Any single HTTP call to a peer gives up after this. */
export const HTTP_TIMEOUT_MS = 5_000

export interface HttpAnswer<T> { status: number, body: T }

/** Peers run under V8's CPU profiler (`--cpu-prof`): their names, and where the profiles go. */
export interface CpuProfiling { names: ReadonlySet<string>, dir: string }

/** A profiled peer writes its profile as it exits: a long one takes seconds on a loaded machine. */
const PROFILED_STOP_MS = 60_000

export class Mesh {
  readonly slots: Slot[]
  readonly dir: string
  private readonly profile: 'local' | 'lan'
  private readonly cpuProf: CpuProfiling | undefined

  constructor (dir: string, size: number, profile: 'local' | 'lan', cpuProf?: CpuProfiling) {
    this.dir = dir
    this.profile = profile
    this.cpuProf = cpuProf
    // The first half never gets killed (slot 0 is also everyone's bootstrap).
    this.slots = Array.from({ length: size }, (_, index) => {
      const name = `p${String(index).padStart(2, '0')}`
      return { index, name, dataDir: path.join(dir, name), id: '', proc: undefined, starts: 0, upSince: 0, stable: index < Math.ceil(size / 2), pastLogs: [] }
    })
  }

  /** Starts every slot: the seed first, then the rest in small concurrent batches. */
  async startAll (): Promise<void> {
    await this.start(this.slots[0] as Slot)
    const rest = this.slots.slice(1)
    for (let i = 0; i < rest.length; i += 5) await Promise.all(rest.slice(i, i + 5).map(async s => { await this.start(s) }))
  }

  async start (slot: Slot): Promise<void> {
    const seed = this.slots[0] as Slot
    const bootstrap = slot === seed || seed.proc === undefined ? [] : [seed.proc.addrs[0] as string]
    const env = this.profiled(slot) ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-interval 2000 --cpu-prof-dir=${this.cpuProf?.dir ?? ''} --cpu-prof-name=${slot.name}-process-${slot.starts + 1}.cpuprofile`.trim() } : undefined
    const proc = await spawnPeer({ dataDir: slot.dataDir, args: ['--profile', this.profile, '--name', slot.name], bootstrap, startTimeoutMs: START_TIMEOUT_MS, ...(env === undefined ? {} : { env }) })
    if (slot.id !== '' && proc.id !== slot.id) throw new Error(`${slot.name} restarted with a different peer id (${proc.id} ≠ ${slot.id})`)
    slot.id = proc.id
    slot.proc = proc
    slot.starts++
    slot.upSince = Date.now()
  }

  /** SIGKILL: no leave, no flush; the data dir is whatever was durable. */
  async kill (slot: Slot): Promise<void> {
    const proc = slot.proc
    if (proc === undefined) return
    slot.proc = undefined
    proc.proc.kill('SIGKILL')
    await proc.exited
    slot.pastLogs.push(proc.log())
  }

  /** Every life's log of the slot, oldest first, each after a line naming it. */
  logs (slot: Slot): string {
    const lives = [...slot.pastLogs, ...(slot.proc === undefined ? [] : [slot.proc.log()])]
    return lives.map((text, i) => `--- ${slot.name}, process ${i + 1} of ${lives.length}${i < slot.pastLogs.length ? ' (SIGKILLed)' : ''} ---\n${text}`).join('')
  }

  live (): Slot[] {
    return this.slots.filter(s => s.proc !== undefined)
  }

  slotOf (id: string): Slot | undefined {
    return this.slots.find(s => s.id === id)
  }

  /** Slots whose process exited on its own (a crash: the soak fails). */
  crashed (): Array<{ slot: Slot, code: number | null, signal: string | null }> {
    const out: Array<{ slot: Slot, code: number | null, signal: string | null }> = []
    for (const s of this.slots) {
      const p = s.proc?.proc
      if (p !== undefined && (p.exitCode !== null || p.signalCode !== null)) out.push({ slot: s, code: p.exitCode, signal: p.signalCode })
    }
    return out
  }

  /** One HTTP call to the slot's current process; throws if it is down or does not answer in time. */
  async api<T = unknown> (slot: Slot, method: string, route: string, body?: unknown, timeoutMs = HTTP_TIMEOUT_MS): Promise<HttpAnswer<T>> {
    const proc = slot.proc
    if (proc === undefined) throw new Error(`${slot.name} is down`)
    const res = await fetch(`${proc.http}${route}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs)
    })
    const text = await res.text()
    let parsed: unknown = text
    try { parsed = JSON.parse(text) } catch {}
    return { status: res.status, body: parsed as T }
  }

  /** Graceful stop of every live process (SIGTERM, SIGKILL after 5 s; 60 s for a profiled one, writing its profile). */
  async stopAll (): Promise<void> {
    await Promise.all(this.live().map(async (s) => {
      const proc = s.proc as PeerProcess
      s.proc = undefined
      await stopPeer(proc, 'SIGTERM', this.profiled(s) ? PROFILED_STOP_MS : 5_000)
    }))
  }

  private profiled (slot: Slot): boolean {
    return this.cpuProf?.names.has(slot.name) === true
  }
}
