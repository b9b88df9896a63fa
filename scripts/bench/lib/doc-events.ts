/**
 * Document change events of every murmur peer (SSE `doc` events: name, origin, digest, version), stamped
 * on arrival, and waits on them: "has every peer's replica of `doc` reached version V?", "do all peers
 * report the same digest?". Event-driven, so timing a write costs no polling load.
 *
 * Caveat, measured and corrected for by the replication benchmark: the HTTP layer coalesces doc events per
 * doc for DOC_EVENT_COALESCE_MS (100 ms, src/http/api.ts) from the first change of a quiet doc, so an
 * event arrives that long after the change it reports.
 */
import type { SseEvent } from './sse.ts'

export type VersionJson = Record<string, number>

export interface DocEvent {
  name: string
  origin: string
  digest: string
  version: VersionJson
  at: number
}

interface Waiter {
  check: () => boolean
  resolve: (ok: boolean) => void
  timer: NodeJS.Timeout
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

/** Whether `a` has seen everything `b` has (entry-wise ≥). */
export function dominates (a: VersionJson, b: VersionJson): boolean {
  return Object.entries(b).every(([k, v]) => (a[k] ?? 0) >= v)
}

/** Per peer, bounded: the events of the last MAX_EVENTS_PER_PEER changes are enough for any wait here. */
const MAX_EVENTS_PER_PEER = 20_000

export class DocEventLog {
  private readonly byPeer = new Map<string, DocEvent[]>()
  private readonly waiters = new Set<Waiter>()

  /** Feed from MurmurMesh's `onSse`. */
  onSse (peer: string, e: SseEvent): void {
    if (e.event !== 'doc') return
    let data: unknown
    try { data = JSON.parse(e.data) } catch { return }
    if (!isRecord(data) || typeof data.name !== 'string' || typeof data.digest !== 'string' || !isRecord(data.version)) return
    const version: VersionJson = {}
    for (const [k, v] of Object.entries(data.version)) if (typeof v === 'number') version[k] = v
    let list = this.byPeer.get(peer)
    if (list === undefined) {
      list = []
      this.byPeer.set(peer, list)
    }
    list.push({ name: data.name, origin: String(data.origin), digest: data.digest, version, at: e.at })
    if (list.length > MAX_EVENTS_PER_PEER) list.splice(0, list.length - MAX_EVENTS_PER_PEER)
    for (const w of [...this.waiters]) {
      if (!w.check()) continue
      clearTimeout(w.timer)
      this.waiters.delete(w)
      w.resolve(true)
    }
  }

  /** The first event of `peer` about `doc` since `since` whose version dominates `version`. */
  first (peer: string, doc: string, since: number, version: VersionJson): DocEvent | undefined {
    return this.byPeer.get(peer)?.find(e => e.at >= since && e.name === doc && dominates(e.version, version))
  }

  /** The latest event of `peer` about `doc`. */
  latest (peer: string, doc: string): DocEvent | undefined {
    const list = this.byPeer.get(peer) ?? []
    for (let i = list.length - 1; i >= 0; i--) if (list[i]?.name === doc) return list[i]
    return undefined
  }

  /** Resolves true once `check()` holds (checked now and after every event), false after `timeoutMs`. */
  wait (check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true)
    return new Promise((resolve) => {
      const w: Waiter = { check, resolve, timer: setTimeout(() => { this.waiters.delete(w); resolve(false) }, timeoutMs) }
      this.waiters.add(w)
    })
  }

  close (): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer)
      w.resolve(false)
    }
    this.waiters.clear()
  }
}
