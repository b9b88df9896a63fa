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
 */
export type StoreCallback<T = void> = (err: Error | null, value?: T) => void

export interface DocStore {
  /** Names of every doc with persisted state. */
  listDocs(cb: StoreCallback<string[]>): void
  /** Persisted updates of `doc`, oldest first (an empty list for an unknown doc). */
  load(doc: string, cb: StoreCallback<Uint8Array[]>): void
  /** Durably appends one Yjs update of `doc`. */
  append(doc: string, update: Uint8Array, cb: StoreCallback): void
  /** Atomically replaces the persisted history of `doc` with `state` (a full-state update). */
  compact(doc: string, state: Uint8Array, cb: StoreCallback): void
  /** Bytes and entries persisted for `doc` since its last compaction (to decide when to compact). */
  pending(doc: string): { updates: number, bytes: number }
  close(): Promise<void>
}
