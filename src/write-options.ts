/**
 * The options of the peer's writes, deletes, counter increments and flushes, checked before anything is
 * applied: a JavaScript caller (no type checker) or an HTTP layer may pass values the replicator would
 * misread — a timeout past Node's timer limit ran out after 1 ms, `bytes: NaN` was a DocTooLargeError, and
 * an `onReplay` that throws was reported as the store failing.
 */
import type { WriteOptions } from './api.js'
import { MAX_TIMEOUT_MS } from './core/clock.js'
import { checkOpId } from './replication/idempotency.js'

/**
 * A write concern of more copies than R promises nothing: rebalancing drops every copy off the doc's R homes
 * once they hold it, so the extra ones are gone within seconds of the answer (R = 1, `?w=2` acknowledged,
 * the one home lost: the write was gone).
 */
export function checkCopies (copies: number, replicas: number): void {
  if (copies > replicas) throw new RangeError(`flush: replicas ${copies} is more than the ${replicas} homes each doc is kept on (R, --replicas ${replicas}): copies beyond R are dropped once the homes hold the doc, so they would promise nothing`)
}

/** @throws TypeError unless `options` is an object (null was "Cannot read properties of null"). */
export function checkOptionsObject (caller: string, options: unknown, shape = ''): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${caller}: options must be an object${shape}, got ${options === null ? 'null' : typeof options}`)
}

/** @throws RangeError unless `timeoutMs` is absent or a number of ms Node's timers can hold. */
export function checkTimeout (caller: string, timeoutMs: unknown): void {
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new RangeError(`${caller}: timeoutMs must be a number of ms from 0 to ${MAX_TIMEOUT_MS}, got ${String(timeoutMs)}`)
  }
}

/**
 * The public fields of WriteOptions, checked, for the replicator (a caller cannot pass its internal ones).
 * `onReplay` runs inside the replicator's load callback, where a throw was reported as the store failing
 * to load the doc (StoreFailingError): here it is caught, and `rethrow` raises it once the write is
 * answered, so the write rejects with the caller's own error.
 * @throws RangeError or TypeError for an option of the wrong range or type (a timeout past Node's timer
 *   limit ran out after 1 ms).
 */
export function writeOptionsOf (caller: string, o: WriteOptions): { options: WriteOptions, rethrow: () => void } {
  checkOptionsObject(caller, o)
  checkTimeout(caller, o.timeoutMs)
  // Checked here too, not only by the replicator: a delete asked the mesh for its doc first, and a bad
  // key came back as DocNotFoundError (or a DocUnreachableError seconds later) instead of InvalidOpIdError.
  if (o.opId !== undefined) checkOpId(o.opId)
  if (o.bytes !== undefined && !(Number.isSafeInteger(o.bytes) && o.bytes >= 0)) throw new RangeError(`${caller}: bytes must be an integer ≥ 0, got ${String(o.bytes)}`)
  if (o.fingerprint !== undefined && typeof o.fingerprint !== 'string') throw new TypeError(`${caller}: fingerprint must be a string, got ${typeof o.fingerprint}`)
  const onReplay: unknown = o.onReplay
  if (onReplay !== undefined && typeof onReplay !== 'function') throw new TypeError(`${caller}: onReplay must be a function, got ${typeof onReplay}`)
  let thrown: { err: unknown } | undefined
  const options: WriteOptions = {
    ...(o.bytes === undefined ? {} : { bytes: o.bytes }),
    ...(o.opId === undefined ? {} : { opId: o.opId }),
    ...(o.fingerprint === undefined ? {} : { fingerprint: o.fingerprint }),
    ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
    ...(o.onReplay === undefined ? {} : { onReplay: () => { try { o.onReplay?.() } catch (err) { thrown = { err } } } })
  }
  return { options, rethrow: () => { if (thrown !== undefined) throw thrown.err } }
}
