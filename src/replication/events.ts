import type { PeerId } from '../core/transport.js'
import type { VersionVectorJSON } from './version-vector.js'

/** Where a change came from: this peer's app, or another peer (push, forward, anti-entropy or flush). */
export type ChangeOrigin = 'local' | 'remote'

/** Events a Replicator emits (typed, isolated listeners: a throwing listener cannot break replication). */
export interface ReplicatorEvents {
  /** A doc was opened and its persisted state loaded. `updates`: entries read from the store. */
  opened: { readonly doc: string, readonly updates: number }
  /**
   * A doc's content changed (emitted synchronously from the Yjs update, before it is durable).
   * `from`: the peer that sent a remote change.
   */
  change: { readonly doc: string, readonly origin: ChangeOrigin, readonly from?: PeerId, readonly bytes: number }
  /** A local change became durable (acknowledged); it is being pushed to live hosts now. */
  durable: { readonly doc: string, readonly version: VersionVectorJSON }
  /**
   * A peer asked for `doc` (a fetch: this peer holds none of it) answered that it holds none either: the
   * evidence a read needs before it says a doc does not exist.
   */
  absent: { readonly doc: string, readonly from: PeerId }
  /**
   * A peer answered with its step 1 for `doc`: it holds something of it (`empty` false: the doc is on its way)
   * or holds it empty.
   */
  hosted: { readonly doc: string, readonly from: PeerId, readonly empty: boolean }
  /** An anti-entropy round this peer started finished: every doc that differed was exchanged both ways. */
  synced: { readonly peer: PeerId, readonly docs: readonly string[], readonly durationMs: number }
  /** A doc's persisted history was compacted into one update. */
  compacted: { readonly doc: string, readonly bytes: number }
  /**
   * The store failed an operation. The doc stays in memory; the write involved is not acknowledged.
   * `list`: reading the persisted doc names at start (`doc` is empty).
   */
  storeError: { readonly doc: string, readonly op: StoreOp, readonly error: Error }
  /**
   * A copy of a doc this peer does not home was dropped: each of its `homes` had confirmed holding exactly
   * the state this peer had stored (`digest`, hex), durably if this peer's store is durable.
   */
  dropped: { readonly doc: string, readonly digest: string, readonly homes: readonly PeerId[] }
}

export type StoreOp = 'list' | 'load' | 'append' | 'compact' | 'remove'

export type ReplicatorEventName = keyof ReplicatorEvents
