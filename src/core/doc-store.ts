/**
 * The durable document store a peer writes through: the contract both stores honour — `MemoryDocStore`
 * (tests, the simulator's "disk", peers without a data dir) and `LevelDocStore` (src/storage/). One
 * acceptance suite (test/core/doc-store-acceptance.ts) holds every implementation to it, as
 * automerge-repo does for its storage adapters.
 *
 * Callback-based on purpose: the replicator runs inside the deterministic simulator too, where a promise
 * continuation would only run after the synchronous event loop returns. Real stores adapt their promises.
 *
 * Contract:
 *  - `append` calls back only once the update is durable (on disk for a durable store: fsync'd);
 *    calls for the same doc complete in the order they were made.
 *  - `load` returns the doc's compacted state (if any) followed by every update appended since, so that
 *    applying them in order to an empty Y.Doc yields every acknowledged write.
 *  - `compact` atomically replaces everything persisted for the doc up to now with one update.
 *  - The store may keep a reference to an update or state until its callback: callers must not mutate it.
 *  - After `close`, every call fails with NotRunningError.
 *  - `health()` is `ok` until a write fails; it then says `full` or `failing` (store-health.ts) until the
 *    store has seen a write succeed again, and `onHealth` listeners hear every transition.
 */
import type { HealthListener, StoreHealth } from './store-health.js'

export type StoreCallback<T = void> = (err: Error | null, value?: T) => void

/** A doc the store holds, as `listDocs` reports it. */
export interface StoredDoc {
  readonly name: string
  /**
   * The opaque bytes the last successful `append`/`compact` that carried some left beside the doc
   * (the replicator keeps the doc's digest there, so it knows what it holds without loading it);
   * undefined if none ever did.
   */
  readonly meta: Uint8Array | undefined
}

export interface DocStore {
  /**
   * Whether what this store acknowledges survives the process (a disk, or the simulator's stand-in for
   * one). Copies on a peer whose store is not durable never count towards a write concern.
   */
  readonly durable: boolean
  /** Every doc with persisted state, by name. */
  listDocs(cb: StoreCallback<StoredDoc[]>): void
  /** Persisted updates of `doc`, oldest first (an empty list for an unknown doc). */
  load(doc: string, cb: StoreCallback<Uint8Array[]>): void
  /**
   * Durably appends one Yjs update of `doc`, and, if `meta` is given, atomically replaces the doc's meta
   * with it (both or neither).
   */
  append(doc: string, update: Uint8Array, meta: Uint8Array | undefined, cb: StoreCallback): void
  /** Atomically replaces the persisted history of `doc` with `state` (a full-state update), and its meta if given. */
  compact(doc: string, state: Uint8Array, meta: Uint8Array | undefined, cb: StoreCallback): void
  /**
   * Atomically removes everything persisted for `doc` (history and meta) as of this call: appends called
   * after it are kept, and list the doc again.
   */
  remove(doc: string, cb: StoreCallback): void
  /** Bytes and entries persisted for `doc` since its last compaction (to decide when to compact). */
  pending(doc: string): { updates: number, bytes: number }
  /** Whether writes can be persisted now (see store-health.ts). */
  health(): StoreHealth
  /** Calls `listener` on every change of health; returns the unsubscribe function. */
  onHealth(listener: HealthListener): () => void
  close(): Promise<void>
}
