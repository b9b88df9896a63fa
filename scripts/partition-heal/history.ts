/**
 * The history of a run, Jepsen-style: one record per write attempt, with what the client learned. The
 * checker judges the final state against this and nothing else.
 */

export type WriteKind = 'counter' | 'chat'

/**
 * ok: acknowledged (200) — must be on every replica at the end.
 * failed: provably never reached the peer (connection refused) — must be on none.
 * unknown: timeout, reset or a non-200 answer — may or may not be anywhere; never counted as lost.
 */
export type WriteOutcome = 'ok' | 'failed' | 'unknown'

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
  /** Chat: the message sent; `text` is unique per attempt, so a message found on a replica maps back to it. */
  readonly from: string
  readonly text: string
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

export interface Tally { attempted: number, ok: number, unknown: number, failed: number }

export function tally (ops: readonly WriteOp[]): Tally {
  const t: Tally = { attempted: 0, ok: 0, unknown: 0, failed: 0 }
  for (const op of ops) {
    t.attempted++
    if (op.outcome === 'ok') t.ok++
    else if (op.outcome === 'failed') t.failed++
    else t.unknown++ // pending at the end counts as unknown: we never learned the answer
  }
  return t
}
