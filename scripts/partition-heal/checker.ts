/**
 * The checker: judges the final replicas against the write history. Pure — no I/O — so each rule has a
 * table test and a failing run can be re-judged from its saved history.
 *
 * Every write is one idempotency key, however many attempts it took (workload.ts retries unknown ones),
 * so "exactly once" is per write. Rules (an `unknown` write may or may not be present; it is never lost):
 *  - counter, on every replica: value − baseline = Σ acknowledged deltas + Σ of SOME subset of the unknown
 *    deltas, each write counted at most once. Exact when nothing is unknown. Failed (never sent) and refused
 *    deltas must not be in it. A value only explained by writes counted twice is a `counted-twice` anomaly.
 *  - chat, on every replica: every acknowledged message present exactly once, under the id the peer gave it,
 *    with the text sent; no message that was never sent (phantom), none from a failed or refused write, no
 *    write present twice (twice under one id, or under several ids).
 *  - convergence (judged by the caller from the same replicas): identical doc digests and full membership.
 */
import type { ChatMessage, WriteOp } from './history.ts'
import type { Replica } from './observe.ts'

/** Above this many DP steps the "how many increments are missing" estimate falls back to a bound. */
const MAX_DP_STEPS = 20_000_000
/** The report lists at most this many lost writes and anomalies one by one. */
export const MAX_LISTED = 20

export interface Baseline {
  /** Counter value before the first write (0 on fresh data dirs, but an app may seed it). */
  counter: number
  /** Chat messages present before the first write (an app may post a welcome message). */
  chatIds: ReadonlySet<string>
}

export interface CounterVerdict {
  peer: number
  value: number
  /** value − baseline must be ackedSum + a subset sum of the unknown deltas. */
  lo: number
  hi: number
  ok: boolean
  /** When not ok: the fewest acknowledged increments whose absence explains the value (undefined: none does). */
  missingAtLeast?: number
  /** When not ok: the fewest acknowledged increments counted twice that explain the value (undefined: none does). */
  countedTwiceAtLeast?: number
}

export interface LostWrite {
  seq: number
  peer: number
  round: number
  kind: 'counter' | 'chat'
  /** Human-readable: the message, or the counter discrepancy. */
  what: string
  /** Replicas that lack it. */
  missingOn: number[]
}

export interface Anomaly {
  kind: 'phantom' | 'failed-write-present' | 'duplicate' | 'wrong-content' | 'counted-twice'
  peer: number
  detail: string
}

export interface Verdict {
  counter: { ackedSum: number, unknownDeltas: number, exact: boolean, expected: string, replicas: CounterVerdict[] }
  /** unknownPresentOnAll: chat writes with an unknown outcome that turned out to be applied (on every replica). */
  chat: { acked: number, unknown: number, unknownPresentOnAll: number, replicas: number }
  lost: LostWrite[]
  /** Acknowledged writes missing on at least one readable replica (counter: a lower bound, see below). */
  lostWrites: number
  anomalies: Anomaly[]
  unreadable: number[]
}

export function check (ops: readonly WriteOp[], replicas: readonly Replica[], baseline: Baseline): Verdict {
  const readable = replicas.filter(r => r.error === undefined)
  const counter = checkCounter(ops, readable, baseline)
  const chat = checkChat(ops, readable, baseline)
  // A value that writes counted twice explain better than missing ones: not a loss, an exactly-once failure.
  const twice = (v: CounterVerdict): boolean => v.countedTwiceAtLeast !== undefined && (v.missingAtLeast === undefined || v.countedTwiceAtLeast < v.missingAtLeast)
  const counterAnomalies: Anomaly[] = counter.replicas.filter(v => !v.ok && twice(v)).map(v => ({
    kind: 'counted-twice', peer: v.peer, detail: `counter is ${v.value}, expected ${counter.expected}: ≥ ${v.countedTwiceAtLeast ?? 1} acknowledged increment(s) counted twice`
  }))
  // A counter increment cannot be traced to one write, so count the fewest that explain the worst replica.
  const counterLost = Math.max(0, ...counter.replicas.map(v => v.ok || twice(v) ? 0 : v.missingAtLeast ?? 1))
  // One line per distinct wrong value (replicas that converged on the same wrong value share it).
  const wrong = new Map<number, CounterVerdict[]>()
  for (const v of counter.replicas) if (!v.ok && !twice(v)) wrong.set(v.value, [...(wrong.get(v.value) ?? []), v])
  const counterLostList = [...wrong].map(([value, vs]): LostWrite => {
    const missing = vs[0]?.missingAtLeast
    return {
      seq: -1,
      peer: -1,
      round: -1,
      kind: 'counter',
      what: `counter is ${value}, expected ${counter.expected}` +
        (missing === undefined ? ' (no set of missing acknowledged increments explains it)' : `: ≥ ${missing} acknowledged increment(s) missing`),
      missingOn: vs.map(v => v.peer)
    }
  })
  return {
    counter,
    chat: { acked: chat.acked, unknown: chat.unknown, unknownPresentOnAll: chat.unknownPresentOnAll, replicas: readable.length },
    lost: [...counterLostList, ...chat.lost],
    lostWrites: counterLost + chat.lost.length,
    anomalies: [...counterAnomalies, ...chat.anomalies],
    unreadable: replicas.filter(r => r.error !== undefined).map(r => r.peer)
  }
}

function checkCounter (ops: readonly WriteOp[], replicas: readonly Replica[], baseline: Baseline): Verdict['counter'] {
  const counterOps = ops.filter(op => op.kind === 'counter')
  const acked = counterOps.filter(op => op.outcome === 'ok').map(op => op.delta)
  const unknown = counterOps.filter(op => op.outcome === 'unknown' || op.outcome === 'pending').map(op => op.delta)
  const ackedSum = sum(acked)
  const lo = baseline.counter + ackedSum + sum(unknown.filter(d => d < 0))
  const hi = baseline.counter + ackedSum + sum(unknown.filter(d => d > 0))
  const reachable = subsetSums(unknown)
  const expected = unknown.length === 0 ? `${lo}` : `${baseline.counter + ackedSum} + a subset of ${unknown.length} unknown delta(s), within ${lo}…${hi}`
  const verdicts = replicas.map((r): CounterVerdict => {
    const value = r.counter ?? Number.NaN
    const target = value - baseline.counter - ackedSum
    const ok = reachable.has(target)
    const v: CounterVerdict = { peer: r.peer, value, lo, hi, ok }
    if (!ok) {
      const missing = fewestMissing(acked, reachable, target)
      if (missing !== undefined) v.missingAtLeast = missing
      // Counted twice = "missing" with the opposite sign.
      const twice = fewestMissing(acked.map(d => -d), reachable, target)
      if (twice !== undefined) v.countedTwiceAtLeast = twice
    }
    return v
  })
  return { ackedSum, unknownDeltas: unknown.length, exact: unknown.length === 0, expected, replicas: verdicts }
}

/** Every sum of a subset of `deltas` (small integers, so the set stays small: ≤ Σ|d| + 1 values). */
export function subsetSums (deltas: readonly number[]): Set<number> {
  let sums = new Set<number>([0])
  for (const d of deltas) sums = new Set([...sums, ...[...sums].map(s => s + d)])
  return sums
}

/**
 * The fewest acknowledged deltas whose absence (with some subset of the unknown ones present) gives
 * `target` = value − baseline − Σ acked. A dynamic program over reachable sums: cost = deltas removed.
 */
export function fewestMissing (acked: readonly number[], unknownSums: ReadonlySet<number>, target: number): number | undefined {
  if (!Number.isFinite(target)) return undefined
  const span = sum(acked.map(Math.abs)) + Math.max(0, ...[...unknownSums].map(Math.abs))
  if (acked.length * (2 * span + 1) > MAX_DP_STEPS) {
    // Too big to search: a lower bound from the largest delta.
    const maxDelta = Math.max(1, ...acked.map(Math.abs))
    const gap = Math.min(...[...unknownSums].map(s => Math.abs(target - s)))
    return Math.ceil(gap / maxDelta)
  }
  let best = new Map<number, number>([...unknownSums].map(s => [s, 0]))
  for (const d of acked) {
    const next = new Map(best)
    for (const [s, cost] of best) {
      const removed = s - d
      if ((next.get(removed) ?? Infinity) > cost + 1) next.set(removed, cost + 1)
    }
    best = next
  }
  return best.get(target)
}

function checkChat (ops: readonly WriteOp[], replicas: readonly Replica[], baseline: Baseline): { acked: number, unknown: number, unknownPresentOnAll: number, lost: LostWrite[], anomalies: Anomaly[] } {
  const chatOps = ops.filter(op => op.kind === 'chat')
  const byText = new Map(chatOps.map(op => [op.text, op]))
  const ackedOps = chatOps.filter(op => op.outcome === 'ok')
  const anomalies: Anomaly[] = []
  const missing = new Map<number, number[]>() // op seq → replicas lacking it
  for (const r of replicas) {
    const messages = r.chat ?? []
    const byId = groupBy(messages, m => m.id)
    const idsOfText = groupBy(messages, m => m.text)
    for (const op of ackedOps) {
      const found = byId.get(op.msgId ?? '') ?? []
      if (found.length === 0) missing.set(op.seq, [...(missing.get(op.seq) ?? []), r.peer])
      else if (found.some(m => m.text !== op.text || m.from !== op.from)) {
        anomalies.push({ kind: 'wrong-content', peer: r.peer, detail: `message ${op.msgId ?? ''} should be "${op.text}" from ${op.from}, is ${JSON.stringify(found[0])}` })
      }
    }
    for (const [id, copies] of byId) {
      if (copies.length > 1) anomalies.push({ kind: 'duplicate', peer: r.peer, detail: `message id ${id} appears ${copies.length} times` })
    }
    for (const m of messages) {
      if (baseline.chatIds.has(m.id)) continue
      const op = byText.get(m.text)
      if (op === undefined) anomalies.push({ kind: 'phantom', peer: r.peer, detail: `message ${m.id} "${m.text.slice(0, 60)}" was never sent` })
      else if (op.outcome === 'failed') anomalies.push({ kind: 'failed-write-present', peer: r.peer, detail: `message "${m.text}" is present though its request never reached p${op.peer} (${op.error ?? ''})` })
      else if (op.outcome === 'refused') anomalies.push({ kind: 'failed-write-present', peer: r.peer, detail: `message "${m.text}" is present though every attempt was refused (${op.error ?? ''})` })
    }
    for (const [text, copies] of idsOfText) {
      if (byText.has(text) && new Set(copies.map(c => c.id)).size > 1) {
        anomalies.push({ kind: 'duplicate', peer: r.peer, detail: `one write "${text}" is present under ${copies.length} ids` })
      }
    }
  }
  const lost = ackedOps.filter(op => missing.has(op.seq)).map((op): LostWrite => ({
    seq: op.seq,
    peer: op.peer,
    round: op.round,
    kind: 'chat',
    what: `chat ${op.msgId ?? ''} "${op.text}" (acknowledged by p${op.peer} in round ${op.round}, ${op.phase})`,
    missingOn: missing.get(op.seq) ?? []
  }))
  const unknownOps = chatOps.filter(op => op.outcome === 'unknown' || op.outcome === 'pending')
  const unknownPresentOnAll = unknownOps.filter(op => replicas.length > 0 && replicas.every(r => (r.chat ?? []).some(m => m.text === op.text))).length
  return { acked: ackedOps.length, unknown: unknownOps.length, unknownPresentOnAll, lost, anomalies }
}

function groupBy (messages: readonly ChatMessage[], key: (m: ChatMessage) => string): Map<string, ChatMessage[]> {
  const out = new Map<string, ChatMessage[]>()
  for (const m of messages) out.set(key(m), [...(out.get(key(m)) ?? []), m])
  return out
}

function sum (xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0)
}
