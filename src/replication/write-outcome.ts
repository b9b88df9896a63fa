/**
 * The write path's outcome rules (core/outcome.ts names the three outcomes):
 *
 *   before applying   refuse when the store is known to be failing (or this doc still has a change the
 *                     store lost, awaiting its repair): nothing is applied, the error says so.
 *   after applying    the change is in memory; only the store's confirmation makes it durable. A store
 *                     error, a stop or no confirmation within the write's timeout is *unknown*, never a
 *                     refusal: the change may yet be persisted here or fetched by a peer.
 */
import type * as Y from 'yjs'
import type { Clock } from '../core/clock.js'
import { NotRunningError } from '../core/errors.js'
import { OutcomeUnknownError, StoreFailingError, StoreFullError } from '../core/outcome.js'
import type { StoreHealth } from '../core/store-health.js'
import type { DocEntry } from './doc-entry.js'
import { toJSON } from './version-vector.js'
import type { VersionVectorJSON } from './version-vector.js'

/**
 * Runs `fn` once Yjs has finished the transactions in progress. A write made from inside an observer or a
 * `change` listener runs while another transaction is being cleaned up: its update event (and so its
 * append to the store) comes only after that cleanup, and acknowledging before it would be premature.
 */
export function afterTransactions (doc: Y.Doc, fn: () => void): void {
  if (doc._transactionCleanups.length > 0) doc.once('afterAllTransactions', fn)
  else fn()
}

/** Why a write must be refused before it is applied, or undefined if it may go ahead. */
export function refusalFor (health: StoreHealth, entry: DocEntry): StoreFailingError | undefined {
  if (health.state === 'full') {
    return new StoreFullError(`the store is full (${health.reason ?? 'no space left'}): nothing was applied; retry once space is freed`)
  }
  if (health.state === 'failing') {
    return new StoreFailingError(`the store is failing (${health.reason ?? 'write error'}): nothing was applied; retry once it recovers`)
  }
  if (entry.log.failed) {
    return new StoreFailingError(`an earlier change of "${entry.name}" is not persisted yet and is being repaired: nothing was applied; retry in a moment`)
  }
  return undefined
}

/** The unknown outcome of a change that was applied and then failed to become durable with `err`. */
export function unknownFrom (err: Error): OutcomeUnknownError {
  if (err instanceof OutcomeUnknownError) return err
  return new OutcomeUnknownError(err instanceof NotRunningError ? 'stopped' : 'not-persisted', undefined, { cause: err })
}

/**
 * Calls `cb` once every change `entry` holds now is durable, with the doc's version as of now — or with
 * OutcomeUnknownError if the store fails it, the replicator stops, or `timeoutMs` passes first.
 */
export function awaitDurable (entry: DocEntry, clock: Clock, timeoutMs: number, cb: (err: Error | null, version?: VersionVectorJSON) => void): void {
  afterTransactions(entry.doc, () => {
    const version = toJSON(entry.vector())
    let settled = false
    const timer = clock.setTimeout(() => {
      if (settled) return
      settled = true
      cb(new OutcomeUnknownError('durability-timeout'))
    }, timeoutMs)
    entry.log.whenDurable((err) => {
      if (settled) return
      settled = true
      timer.cancel()
      if (err === null) cb(null, version)
      else cb(unknownFrom(err))
    })
  })
}
