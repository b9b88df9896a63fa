/**
 * Reading replicas: what each peer says about membership, documents, the counter and the chat. Also the
 * bounded waits of the round driver that are about observable peer state (deaths declared, full membership,
 * convergence).
 */
import type { MemberJson } from '../lib/peers.ts'
import { sleep } from '../lib/peers.ts'
import { getJson } from './client.ts'
import type { Cluster } from './cluster.ts'
import { isChatMessage } from './history.ts'
import type { ChatMessage } from './history.ts'

/** One observation request answers within this (a peer busy merging may be slow, but not this slow). */
const READ_TIMEOUT_MS = 3_000
/** Poll period of the waits below. */
const POLL_MS = 200

export interface DocJson { name: string, digest: string }

export interface Replica {
  peer: number
  /** Undefined when the peer could not be read (down, timed out); `error` says why. */
  counter?: number
  chat?: ChatMessage[]
  docs?: DocJson[]
  members?: MemberJson[]
  error?: string
}

export async function members (cluster: Cluster, i: number): Promise<MemberJson[]> {
  const body = await getJson(cluster.proc(i), '/members', READ_TIMEOUT_MS)
  if (!Array.isArray(body)) throw new Error(`peer ${i}: /members is not a list`)
  return body as MemberJson[]
}

export async function readReplica (cluster: Cluster, i: number): Promise<Replica> {
  try {
    const p = cluster.proc(i)
    const [counter, chat, docs, ms] = await Promise.all([
      getJson(p, '/api/counter', READ_TIMEOUT_MS),
      getJson(p, '/api/chat', READ_TIMEOUT_MS),
      getJson(p, '/docs', READ_TIMEOUT_MS),
      members(cluster, i)
    ])
    const value = (counter as { value?: unknown } | null)?.value
    if (typeof value !== 'number') throw new Error(`GET /api/counter answered ${JSON.stringify(counter)}`)
    if (!Array.isArray(chat) || !chat.every(isChatMessage)) throw new Error('GET /api/chat is not a list of {id, from, text, at}')
    if (!Array.isArray(docs)) throw new Error('GET /docs is not a list')
    return { peer: i, counter: value, chat, docs: (docs as DocJson[]).map(d => ({ name: d.name, digest: d.digest })), members: ms }
  } catch (err) {
    return { peer: i, error: err instanceof Error ? err.message : String(err) }
  }
}

/** Every peer's view of the documents as one comparable string (`name=digest` sorted). */
export function docsKey (docs: readonly DocJson[]): string {
  return docs.map(d => `${d.name}=${d.digest}`).sort().join(' ')
}

/** True when `ms` lists every id in `ids` as alive. */
export function allAlive (ms: readonly MemberJson[], ids: readonly string[]): boolean {
  return ids.every(id => ms.some(m => m.peerId === id && m.state === 'alive'))
}

/** True when every replica was read, sees everyone alive, and all hold the same documents. */
export function replicasConverged (replicas: readonly Replica[], ids: readonly string[]): boolean {
  const keys = new Set<string>()
  for (const r of replicas) {
    if (r.docs === undefined || r.members === undefined || !allAlive(r.members, ids)) return false
    keys.add(docsKey(r.docs))
  }
  return keys.size === 1
}

/**
 * Polls `check` until it is true or `timeoutMs` passes. Returns the time it took, or undefined on timeout —
 * the caller decides whether that is a failure (it is for convergence, it is not for a nemesis hold).
 */
export async function pollUntil (check: () => Promise<boolean>, timeoutMs: number, signal: AbortSignal, minMs = 0): Promise<number | undefined> {
  const start = Date.now()
  for (;;) {
    signal.throwIfAborted()
    const elapsed = Date.now() - start
    let ok = false
    try { ok = await check() } catch { ok = false }
    if (ok && elapsed >= minMs) return Date.now() - start
    if (Date.now() - start > timeoutMs) return undefined
    await sleep(POLL_MS)
  }
}

/** Each observer sees each of its subjects dead (or left). Unreadable observers count as not yet. */
export async function deathsDeclared (cluster: Cluster, expected: ReadonlyArray<{ observer: number, subjects: readonly number[] }>): Promise<boolean> {
  const results = await Promise.all(expected.map(async ({ observer, subjects }) => {
    const ms = await members(cluster, observer)
    return subjects.every(s => {
      const state = ms.find(m => m.peerId === cluster.node(s).id)?.state
      return state === 'dead' || state === 'left'
    })
  }))
  return results.every(Boolean)
}

/** How the up peers see each other right now: counts of (observer, subject) views per state. */
export async function viewCounts (cluster: Cluster): Promise<Record<string, number>> {
  const ids = new Set(cluster.nodes.map(n => n.id))
  const counts: Record<string, number> = {}
  await Promise.all(cluster.up().map(async (n) => {
    let ms: MemberJson[]
    try { ms = await members(cluster, n.index) } catch { counts.unreadable = (counts.unreadable ?? 0) + 1; return }
    for (const m of ms) if (m.peerId !== n.id && ids.has(m.peerId)) counts[m.state] = (counts[m.state] ?? 0) + 1
  }))
  return counts
}

/** Every peer is up and sees all N peers alive. */
export async function fullMembership (cluster: Cluster): Promise<boolean> {
  if (cluster.up().length !== cluster.size) return false
  const ids = cluster.nodes.map(n => n.id)
  const views = await Promise.all(cluster.nodes.map(async n => await members(cluster, n.index)))
  return views.every(ms => allAlive(ms, ids))
}
