/**
 * `Idempotency-Key` on the write routes (the IETF httpapi draft's header, as Stripe and others use it): a
 * client sends one key per operation and the same key with every retry of it; the peer applies the key at
 * most once per document (replication/idempotency.ts) and answers a retry like the first attempt, with
 * `Idempotent-Replayed: true`. The key is bound to the request it was first used for (method, route and
 * body): reusing it for another request is refused with 422 `idempotency_key_reused`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WriteOptions } from '../api.js'
import { HEADER_KEY_RULE, isHeaderKey } from '../core/idempotency-key.js'
import { checkOpId, fingerprintOf } from '../replication/idempotency.js'
import { HttpError } from './errors.js'

export const IDEMPOTENCY_HEADER = 'idempotency-key'
export const REPLAYED_HEADER = 'idempotent-replayed'


/**
 * The write options for `req`: its key (validated: InvalidOpIdError → 400) and the request's fingerprint
 * over method, path (canonical: canonicalPath) and `parts` (the parsed body, as the route understood it).
 * `{}` without the header.
 */
export function idempotencyOf (req: IncomingMessage, ...parts: readonly string[]): WriteOptions {
  const raw = req.headersDistinct[IDEMPOTENCY_HEADER]
  if (raw === undefined) return {}
  // Node joins repeated headers with ", ": two keys would silently become a third.
  if (raw.length > 1) throw new HttpError(400, 'invalid_idempotency_key', `send one ${IDEMPOTENCY_HEADER} header, got ${raw.length}`)
  const key = raw[0] ?? ''
  // Printable ASCII only: the one text every client sends as the same bytes (core/idempotency-key.ts).
  if (!isHeaderKey(key)) throw new HttpError(400, 'invalid_idempotency_key', `an Idempotency-Key must be ${HEADER_KEY_RULE}`)
  const opId = checkOpId(key)
  return { opId, fingerprint: fingerprintOf(req.method ?? '', canonicalPath(req.url ?? ''), ...parts) }
}

/**
 * The path of `url` with each segment in one spelling (decoded, then encoded by encodeURIComponent): a
 * retry that encodes the same doc name or key otherwise — `don't` and `don%27t`, `%2f` and `%2F` — is the
 * same request, as the route decodes them alike. A segment that does not decode is kept as it is.
 */
function canonicalPath (url: string): string {
  return (url.split('?')[0] ?? '').split('/').map((segment) => {
    try {
      return encodeURIComponent(decodeURIComponent(segment))
    } catch {
      return segment
    }
  }).join('/')
}

/** Marks an answer as the replay of an earlier attempt (the write function did not run this time). */
export function markReplayed (res: ServerResponse, replayed: boolean): void {
  if (replayed) res.setHeader(REPLAYED_HEADER, 'true')
}
