/**
 * The durable document store the replicator writes through. Callback-based on purpose: the replicator
 * runs inside the deterministic simulator too, where a promise continuation would only run after the
 * synchronous event loop returns. Real stores (src/storage/) adapt their promises to these callbacks.
 *
 * Contract:
 *  - `append` calls back only once the update is durable (on disk for the real store: fsync'd);
 *    calls for the same doc complete in the order they were made.
 *  - `load` returns the doc's compacted state (if any) followed by every update appended since, so that
 *    applying them in order to an empty Y.Doc yields every acknowledged write.
 *  - `compact` atomically replaces everything persisted for the doc up to now with one update.
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

/** Who is alive, as far as replication needs to know: supplied by membership. */
export interface PeerDirectory {
  /** Ids of other peers currently alive. */
  alivePeers(): string[]
  /** Addresses to reach `id` (empty if unknown). */
  addressesOf(id: string): readonly string[]
  /** Called when a peer becomes alive (joined, refuted, or back after a partition). Returns unsubscribe. */
  onPeerAlive(listener: (id: string) => void): () => void
}
