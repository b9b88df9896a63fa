/**
 * Error answers of the HTTP API: every one is `{"error": "<text for people>", "code": "<stable code>"}`.
 * Clients and scripts branch on `code` (it never changes once published); the text may be reworded. A
 * failure nobody planned for answers `internal` with a fixed text, and its details go to the log only:
 * an exception message can carry paths, stack frames or peer addresses that are nobody's business.
 *
 * Two ways to produce an answer:
 *  - throw `new HttpError(status, code, message)` where the HTTP layer decides (bad path, bad token);
 *  - throw a named error from the library (`TooManyDocsError`, …): NAMED_ERRORS maps its `name` to a
 *    status and code, and its message (written by us, for users) is passed on.
 * Code that adds an error (a new route, a WebSocket endpoint, a write concern that times out) adds a row
 * here, so README's table and the answers stay one list.
 */

import { MurmurError } from '../core/errors.js'

/**
 * An answer other than 2xx, as an exception: status, stable code, human text, optional extra headers, and
 * optional details answered beside `error` and `code` (`POST /mesh/links`: each peer's result).
 */
export class HttpError extends Error {
  override name = 'HttpError'
  readonly headers: Readonly<Record<string, string>>
  readonly details: Readonly<Record<string, unknown>>

  constructor (readonly status: number, readonly code: string, message: string, headers: Record<string, string> = {}, details: Record<string, unknown> = {}) {
    super(message)
    this.headers = headers
    this.details = details
  }
}

/**
 * A write needed a key that the doc does not hold (`DELETE /docs/:name/kv/:key` of a key that is not
 * there). Thrown by the write's function before it changed anything, so it is a refusal: nothing applied,
 * not even the request's Idempotency-Key, so a retry is refused alike.
 */
export class KeyNotFoundError extends MurmurError {
  override name = 'KeyNotFoundError'
}

export interface NamedErrorAnswer {
  status: number
  code: string
  headers?: Readonly<Record<string, string>>
}

/** Seconds a client should wait before retrying while the store recovers (its probe runs every second). */
const RETRY_AFTER_1S = { 'retry-after': '1' }

/**
 * Status and code for each named error of the library that can reach an HTTP handler. For writes, the
 * status class is the outcome (core/outcome.ts): 2xx durable; 4xx, 503 and 507 refused (nothing was
 * applied); 500 unknown — `outcome_unknown` when murmur knows what happened (the message says what happens
 * next), `internal` when it does not — and a timeout on the client's side is unknown too.
 */
export const NAMED_ERRORS: Readonly<Record<string, NamedErrorAnswer>> = {
  InvalidDocNameError: { status: 400, code: 'invalid_doc_name' },
  InvalidOpIdError: { status: 400, code: 'invalid_idempotency_key' },
  InvalidTextError: { status: 400, code: 'invalid_text' },
  ConfigError: { status: 400, code: 'invalid_request' },
  UpdateSizeError: { status: 413, code: 'update_too_large' },
  IdempotencyKeyReusedError: { status: 422, code: 'idempotency_key_reused' },
  RateLimitError: { status: 429, code: 'rate_limited' },
  TooManyDocsError: { status: 503, code: 'too_many_docs' },
  TooManyPresenceDocsError: { status: 503, code: 'too_many_docs' },
  DocNotFoundError: { status: 404, code: 'doc_not_found' },
  KeyNotFoundError: { status: 404, code: 'key_not_found' },
  DocUnreachableError: { status: 503, code: 'doc_unreachable', headers: RETRY_AFTER_1S },
  DocTooLargeError: { status: 413, code: 'doc_too_large' },
  StoreBusyError: { status: 503, code: 'store_busy' },
  StoreFailingError: { status: 503, code: 'store_failing', headers: RETRY_AFTER_1S },
  StoreFullError: { status: 507, code: 'storage_full', headers: RETRY_AFTER_1S },
  NotRunningError: { status: 503, code: 'not_running' },
  OutcomeUnknownError: { status: 500, code: 'outcome_unknown' },
  TimeoutError: { status: 504, code: 'timeout' }
}

/** The code of an answer for a failure nobody planned for (HTTP 500). */
export const INTERNAL_CODE = 'internal'
const INTERNAL_TEXT = 'internal error (details are in the peer\'s log)'

export interface ErrorAnswer {
  status: number
  code: string
  message: string
  headers: Readonly<Record<string, string>>
  /** Fields answered beside `error` and `code` (an HttpError's details; none for other errors). */
  details: Readonly<Record<string, unknown>>
  /** True for a 500: the caller logs `err` in full; the answer says nothing about it. */
  internal: boolean
}

/** What to answer for `err`: an HttpError as it is, a named error per NAMED_ERRORS, anything else 500. */
export function errorAnswer (err: unknown): ErrorAnswer {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, headers: err.headers, details: err.details, internal: false }
  const named = err instanceof Error ? NAMED_ERRORS[err.name] : undefined
  if (named !== undefined && err instanceof Error) return { status: named.status, code: named.code, message: err.message, headers: named.headers ?? {}, details: {}, internal: false }
  return { status: 500, code: INTERNAL_CODE, message: INTERNAL_TEXT, headers: {}, details: {}, internal: true }
}

/** The JSON body of an error answer. */
export function errorBody (code: string, message: string): { error: string, code: string } {
  return { error: message, code }
}
