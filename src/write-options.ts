/**
 * The options of the peer's writes, deletes, counter increments and flushes, checked before anything is
 * applied: a JavaScript caller (no type checker) or an HTTP layer may pass values the replicator would
 * misread — a timeout past Node's timer limit ran out after 1 ms, `bytes: NaN` was a DocTooLargeError, and
 * an `onReplay` that throws was reported as the store failing.
 */
import type { WriteOptions } from './api.js'
import { MAX_TIMEOUT_MS } from './core/clock.js'
import { MurmurError } from './core/errors.js'
import { unknownOption } from './peer-options.js'
import { checkOpId } from './replication/idempotency.js'

/**
 * A write concern of more copies than R promises nothing: rebalancing drops every copy off the doc's R homes
 * once they hold it, so the extra ones are gone within seconds of the answer (R = 1, `?w=2` acknowledged,
 * the one home lost: the write was gone).
 */
export function checkCopies (copies: number, replicas: number): void {
  if (copies > replicas) throw new RangeError(`flush: replicas ${copies} is more than the ${replicas} homes each doc is kept on (R, --replicas ${replicas}): copies beyond R are dropped once the homes hold the doc, so they would promise nothing`)
}

/**
 * A flush no wait could satisfy: more copies asked than there are members up to hold one. Its own class,
 * not a TimeoutError: nothing was waited for, and more peers must join before it can be met.
 */
export class WriteConcernUnsatisfiableError extends MurmurError {
  override name = 'WriteConcernUnsatisfiableError'
}

/**
 * Why `copies` durable copies on distinct peers cannot be had now, or undefined if they may be: `up` members
 * are alive or suspect (this peer included), and this peer's own copy counts only with a data dir
 * (`durableHere`). Waiting for them ran out the whole timeout (5 s) for a certain TimeoutError, where the
 * HTTP API's `?w=` refuses at once (503 write_concern_unsatisfiable).
 */
export function unsatisfiableFlush (name: string, copies: number, up: number, durableHere: boolean): string | undefined {
  if (copies <= (durableHere ? up : up - 1)) return undefined
  const others = up - 1
  const why = durableHere
    ? `only ${up} member${up === 1 ? ' is' : 's are'} up (this peer included)`
    : `this peer has no data dir (its copy never counts) and ${others === 0 ? 'no other member is' : `only ${others} other member${others === 1 ? ' is' : 's are'}`} up`
  const after = durableHere ? 'the doc stays durable here and keeps replicating' : 'the doc keeps replicating'
  return `flush of "${name}": ${copies} durable cop${copies === 1 ? 'y' : 'ies'} on distinct peers cannot be had: ${why}; ${after}`
}

/** @throws TypeError unless `options` is an object (null was "Cannot read properties of null"). */
export function checkOptionsObject (caller: string, options: unknown, shape = ''): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${caller}: options must be an object${shape}, got ${options === null ? 'null' : typeof options}`)
}

/** Every option of a write (the type makes sure none is missing). */
const WRITE_OPTIONS: Record<keyof WriteOptions, true> = { bytes: true, opId: true, fingerprint: true, timeoutMs: true, onReplay: true }

/** @throws TypeError naming the first key of `options` that is none of `known` (a misspelt `opid` wrote without its key). */
export function checkKnownOptions (caller: string, options: object, known: Record<string, true>): void {
  const unknown = unknownOption(options, Object.keys(known))
  if (unknown !== undefined) throw new TypeError(`${caller}: ${unknown}`)
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
  checkKnownOptions(caller, o, WRITE_OPTIONS)
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
