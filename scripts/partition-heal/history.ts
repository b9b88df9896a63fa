/**
 * The history of a run, Jepsen-style: one record per write attempt, with what the client learned. The
 * checker judges the final state against this and nothing else.
 */

export type WriteKind = 'counter' | 'chat'

/**
 * The outcome of a write over all its attempts (one idempotency key, retried while unknown):
 * ok: some attempt was acknowledged (200) — must be on every replica at the end, once.
 * refused: every attempt that reached a peer was refused (4xx, 503, 507) — must be on none.
 * failed: no attempt reached a peer (connection refused) — must be on none.
 * unknown: no acknowledgement, and some attempt timed out, was reset or got a 500 — may or may not be
 *   anywhere (once at most); never counted as lost.
 */
export type WriteOutcome = 'ok' | 'refused' | 'failed' | 'unknown'

/** One request of a write: the first attempt or a retry with the same key. */
export interface Attempt {
  peer: number
  outcome: WriteOutcome
  error?: string
  latencyMs: number
}

/** When in its round a write was issued: while the fault held, or after the heal. */
export type Phase = 'fault' | 'heal'

export interface WriteOp {
  /** Order of invocation over the whole run. */
  readonly seq: number
  readonly peer: number
  readonly round: number
  readonly phase: Phase
  /** Which side of the fault the peer was on (see faults.ts sidesOf), or `healed`. */
  readonly side: string
  readonly kind: WriteKind
  /** Counter: the delta sent (never 0). Chat: 0. */
  readonly delta: number
  /** Chat: the message sent; `text` is unique per write, so a message found on a replica maps back to it. */
  readonly from: string
  readonly text: string
  /** Its idempotency key: sent with every attempt. */
  readonly key: string
  /** Every request made for it, in order. */
  readonly attempts: Attempt[]
  outcome: WriteOutcome | 'pending'
  /** Chat, when acknowledged: the id the peer gave the message. */
  msgId?: string
  /** Why it is unknown or failed. */
  error?: string
  readonly startedAt: number
  latencyMs?: number
}

export interface ChatMessage {
  id: string
  from: string
  text: string
  at: unknown
}

export function isChatMessage (x: unknown): x is ChatMessage {
  if (typeof x !== 'object' || x === null) return false
  const m = x as Record<string, unknown>
  return typeof m.id === 'string' && typeof m.from === 'string' && typeof m.text === 'string'
}

export function isCounterAnswer (x: unknown): x is { value: number } {
  return typeof x === 'object' && x !== null && typeof (x as { value?: unknown }).value === 'number'
}

/** The outcome of a write from its attempts: acknowledged once is ok; a maybe-applied attempt outweighs refusals. */
export function combine (attempts: readonly Attempt[]): WriteOutcome {
  const kinds = new Set(attempts.map(a => a.outcome))
  if (kinds.has('ok')) return 'ok'
  if (kinds.has('unknown')) return 'unknown'
  if (kinds.has('refused')) return 'refused'
  return 'failed'
}

export interface Tally {
  attempted: number
  ok: number
  unknown: number
  refused: number
  failed: number
  /** Writes retried (their first attempt's outcome was unknown), and those a retry acknowledged. */
  retried: number
  resolvedByRetry: number
}

export function tally (ops: readonly WriteOp[]): Tally {
  const t: Tally = { attempted: 0, ok: 0, unknown: 0, refused: 0, failed: 0, retried: 0, resolvedByRetry: 0 }
  for (const op of ops) {
    t.attempted++
    if (op.outcome === 'ok') t.ok++
    else if (op.outcome === 'failed') t.failed++
    else if (op.outcome === 'refused') t.refused++
    else t.unknown++ // pending at the end counts as unknown: we never learned the answer
    if (op.attempts.length > 1) {
      t.retried++
      if (op.outcome === 'ok') t.resolvedByRetry++
    }
  }
  return t
}
