/**
 * The three outcomes of a write, as Jepsen names them: every write murmur accepts ends in exactly one.
 *
 *   durable   the promise resolved (HTTP 2xx): the change is on this peer's disk and is being replicated.
 *   refused   it rejected with an error that left the doc untouched (HTTP 4xx, 503, 507): nothing was
 *             applied anywhere, so telling a user "not saved" is true and a retry is a new attempt.
 *   unknown   it rejected with OutcomeUnknownError (HTTP 500 `outcome_unknown`), or with an error nobody
 *             planned for, or the caller never heard back: the change may be applied (in memory here, and
 *             from there on other peers) or not. Jepsen's "indeterminate" operation. The safe reaction is
 *             to retry with the same idempotency key (`opId`, HTTP `Idempotency-Key`): a key is applied
 *             at most once per document, so the retry either applies it or answers like the first attempt.
 *
 * Refusals are decided before the write touches the doc (store known to be failing, bad input, limits),
 * so the classification is exact for them; anything that failed after the change was applied is reported
 * as unknown, never as a refusal, even when the cause (a full disk) would look like one.
 */
import { MurmurError } from './errors.js'

/** Why an outcome is unknown; `next` in the error says what happens to the change from here. */
export type UnknownOutcomeReason =
  /** Applied in memory; the store failed to persist it (a full disk, an I/O error, a full write queue). */
  | 'not-persisted'
  /** Applied in memory; the store did not confirm it within the write's timeout (a stalled disk). */
  | 'durability-timeout'
  /** Applied in memory; the peer stopped before the store confirmed it. */
  | 'stopped'

/** What happens next to a change whose outcome is unknown, by reason (the text HTTP answers carry). */
export const UNKNOWN_OUTCOME_NEXT: Readonly<Record<UnknownOutcomeReason, string>> = {
  'not-persisted': 'the change was applied in memory but not persisted: it will be persisted (and replicated) when the store recovers, and is lost if this peer stops first unless another peer already fetched it',
  'durability-timeout': 'the change was applied in memory and the store has not confirmed it yet: it may still become durable',
  stopped: 'the change was applied in memory and the peer stopped before the store confirmed it: it may or may not have reached the disk'
}

/**
 * The write may or may not have been applied. Retry it with the same idempotency key to apply it exactly
 * once (see the file comment). `reason` is stable; the message says what happens next.
 */
export class OutcomeUnknownError extends MurmurError {
  override name = 'OutcomeUnknownError'

  constructor (readonly reason: UnknownOutcomeReason, message?: string, options?: ErrorOptions) {
    super(message ?? `outcome unknown: ${UNKNOWN_OUTCOME_NEXT[reason]}; retry with the same idempotency key to apply it exactly once`, options)
  }
}

/**
 * The store is known to be failing (an I/O error it has not recovered from): the write was refused before
 * it was applied. Nothing changed; retry once the store recovers (`/ready` says when).
 */
export class StoreFailingError extends MurmurError {
  override name = 'StoreFailingError'
}

/** The store's disk is full (or below its free-space reserve): refused before it was applied, like StoreFailingError. */
export class StoreFullError extends StoreFailingError {
  override name = 'StoreFullError'
}

/**
 * An idempotency key came back with a different request than the one it was first used for (another
 * route, doc, body or delta). Nothing was applied: a key names one operation.
 */
export class IdempotencyKeyReusedError extends MurmurError {
  override name = 'IdempotencyKeyReusedError'
}

/** An idempotency key (`opId`) that is empty, too long or holds control characters. Nothing was applied. */
export class InvalidOpIdError extends MurmurError {
  override name = 'InvalidOpIdError'
}

/**
 * A write would store text that UTF-8 cannot carry: a lone surrogate (half of a UTF-16 pair, `'\ud800'`).
 * Other replicas, and this one after a restart, would hold U+FFFD instead, under the same digest. Nothing
 * was applied: the value was refused before the write ran, or everything the write's function added was
 * withdrawn in its own transaction (and any plain map value it replaced set back) before anyone saw it.
 * The doc's version moves when it was withdrawn (Yjs takes a change back with more changes); its content
 * does not.
 */
export class InvalidTextError extends MurmurError {
  override name = 'InvalidTextError'
}

/**
 * A write's function stored a lone surrogate (see InvalidTextError) and also deleted earlier list or text
 * content or a nested type, which Yjs cannot put back: what it added was withdrawn, those deletions stand.
 * Not a refusal. `cause` is the InvalidTextError.
 */
export class PartialWriteError extends MurmurError {
  override name = 'PartialWriteError'
}

export type WriteOutcome = 'refused' | 'unknown'

/**
 * Errors a write rejects with only before it touched the doc. Everything else — OutcomeUnknownError, an
 * exception nobody planned for, an error thrown by the app's own function — may follow a partial or
 * complete change, so it is `unknown` — but KeyNotFoundError, which the HTTP API's key delete throws from
 * its function before it changes anything (http/errors.ts).
 */
const REFUSALS: ReadonlySet<string> = new Set([
  'StoreFailingError', 'StoreFullError', 'IdempotencyKeyReusedError', 'InvalidOpIdError', 'InvalidDocNameError', 'InvalidTextError',
  'TooManyDocsError', 'DocNotFoundError', 'KeyNotFoundError', 'DocTooLargeError', 'RateLimitError', 'NotRunningError', 'ConfigError', 'RangeError'
])

/** How a rejected write ended, for callers deciding between "not saved" and "retry with the same key". */
export function writeOutcome (err: unknown): WriteOutcome {
  return err instanceof Error && REFUSALS.has(err.name) ? 'refused' : 'unknown'
}
