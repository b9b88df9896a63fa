/**
 * Replication counters. One mutable object owned by the Replicator and shared with its modules; `stats()`
 * hands out a copy.
 */
import { MESSAGE_TYPES } from './codec.js'
import type { MessageTypeName } from './codec.js'

export type Counts = Record<MessageTypeName, number>

export interface ReplicatorCounters {
  /** Wire frames by wire type (a chunked message counts as its `chunk` frames). */
  framesIn: Counts
  framesOut: Counts
  bytesIn: Counts
  bytesOut: Counts
  /** Logical messages by type (a reassembled transfer counts once, under its own type). */
  messagesIn: Counts
  messagesOut: Counts
  /**
   * Messages sent to a peer with no open connection (each waits for a dial, or dials), by kind: the message
   * type, with a push's `update:direct` / `update:spread` and a listing's `digests:<scope>` told apart. What
   * makes a heal's replication dials (issue 14).
   */
  unconnectedSends: Record<string, number>
  /** Frames that failed decoding or validation (including invalid Yjs updates). Dropped. */
  decodeErrors: number
  /** Valid frames that made no sense here: unknown session, unknown flush, reply from the wrong peer. */
  unexpectedFrames: number
  /** Valid frames about a doc this peer does not host (or has not loaded yet). */
  unhostedFrames: number
  /** Anti-entropy step 1s this peer could not take up (the doc is no longer here), answered so the sender's claim on the doc ends. */
  stepsDeclined: number
  /** A handler failed on a valid frame (a bug): counted, logged, dropped. */
  handlerErrors: number
  /** Local transactions that changed a doc. */
  localUpdates: number
  /** Remote updates that changed a doc (something new). */
  updatesApplied: number
  /** Remote updates that changed nothing (already known). */
  updatesDuplicate: number
  /** Remote updates that changed nothing yet: (part of) them waits for missing dependencies (Yjs pending). */
  updatesPending: number
  /** Times a doc's pending updates exceeded maxPendingUpdateBytes and were dropped, and the bytes dropped. */
  pendingDropped: number
  pendingBytesDropped: number
  /** Rounds started with the sender of an update that arrived with a gap before it (replicator.fillGap). */
  gapFills: number
  /** Update frames sent for local writes (after they were durable). */
  pushes: number
  /** Update frames forwarded for new remote pushes. */
  forwards: number
  antiEntropyRounds: number
  antiEntropyCompleted: number
  antiEntropyTimedOut: number
  /** Rounds not started because too many were outstanding. */
  antiEntropySkipped: number
  /** Per-doc diffs sent by anti-entropy (steps 2 and 3) and their bytes. */
  diffsSent: number
  diffBytesSent: number
  chunksSent: number
  chunksReceived: number
  transfersCompleted: number
  /** Partial transfers dropped (timeout, over a limit, inconsistent chunks). */
  transfersDropped: number
  /** Messages too large even for a chunked transfer (maxTransferBytes). Not sent. */
  oversizeDropped: number
  flushes: number
  flushesSucceeded: number
  flushesFailed: number
  acksSent: number
  acksReceived: number
  compactions: number
  storeErrors: number
  /** Writes by outcome (core/outcome.ts): acknowledged durable, refused before applying, outcome unknown. */
  writesDurable: number
  writesRefused: number
  writesUnknown: number
  /** Keyed writes whose key had been applied before (answered without applying again). */
  writesReplayed: number
  /** Idempotency records forgotten (window or count passed), and keyed increments folded into a slot. */
  opsForgotten: number
  opsFolded: number
  /** Opens refused with TooManyDocsError (maxOpenDocs). */
  openRefused: number
  /** Shared rounds that ended at the summary (equal roots), and buckets found differing in the others. */
  summariesEqual: number
  bucketsDiffering: number
  /** Shared rounds not started: nothing here that both home, and no connection (anti-entropy.ts startShared). */
  sharedRoundsSkipped: number
  /** SyncBatch frames sent (several per-doc steps in one frame). */
  batchesSent: number
  /** Handoff rounds started (guest copies offered to their homes), and guest copies dropped after R homes confirmed them. */
  handoffRounds: number
  docsDropped: number
  /** Compact handoff pages whose proof did not match (a name hash or digest mark matched by chance): their docs are listed in full. */
  handoffProofsFailed: number
  /** Docs anti-entropy listings asked this peer to work for (compare, load, send a step 1 for, or name back) past their sender's budget (listing-budget.ts): left to later rounds. */
  listingDocsDropped: number
  /** Read repairs sent: a read answered from a guest copy asked one of its homes for what it holds beyond it (read-repair.ts). */
  readRepairs: number
  /** Rounds a home started with a co-home to hand on what its own round found on a peer that is not a home (co-home-relay.ts). */
  coHomeRelays: number
  /** Sync frames that waited for the per-peer pace (pacer.ts), and frames dropped because a peer's pace queue was full. */
  framesPaced: number
  framesPaceDropped: number
  /** Sync frames not sent because they needed a dial to a peer whose last dial failed moments ago (dial-backoff.ts). */
  framesHeldBack: number
  /** Writes refused because they would take a doc past maxDocBytes. */
  writesTooLarge: number
  /** Local edits holding a lone surrogate, withdrawn: by `write` (InvalidTextError) or after an edit on the doc itself (well-formed.ts). */
  writesMalformed: number
}

export interface ReplicatorStats extends ReplicatorCounters {
  /** Docs loaded in memory on this peer. */
  docs: number
  /** Docs this peer holds (in its store or in memory). */
  heldDocs: number
  /** Held docs it homes, and held docs it does not home (guest copies waiting for handoff, or open here). */
  homedDocs: number
  guestDocs: number
  /** Members whose anti-entropy summaries said another R (`--replicas`) than this peer's. */
  replicasDisagreeing: number
  /** Bytes waiting in the per-peer send pace. */
  pacedBytes: number
  /** Loaded docs evicted because they were idle (or to make room). */
  evictions: number
  /** Docs whose hosts this peer remembers. */
  trackedDocs: number
  /** Anti-entropy rounds outstanding. */
  sessions: number
  /** Partial transfers being reassembled and their bytes. */
  transfers: number
  reassemblyBytes: number
  pendingFlushes: number
  pendingWrites: number
  /** Bytes of remote updates held waiting for missing dependencies, all open docs. */
  pendingUpdateBytes: number
  /** Yjs structs (items, deleted ones included, and GC ranges) of all loaded docs: their CRDT history. */
  docStructs: number
}

function zeroCounts (): Counts {
  return Object.fromEntries(MESSAGE_TYPES.map(t => [t, 0])) as Counts
}

export function createCounters (): ReplicatorCounters {
  return {
    framesIn: zeroCounts(),
    framesOut: zeroCounts(),
    bytesIn: zeroCounts(),
    bytesOut: zeroCounts(),
    messagesIn: zeroCounts(),
    messagesOut: zeroCounts(),
    unconnectedSends: {},
    decodeErrors: 0,
    unexpectedFrames: 0,
    unhostedFrames: 0,
    stepsDeclined: 0,
    handlerErrors: 0,
    localUpdates: 0,
    updatesApplied: 0,
    updatesDuplicate: 0,
    updatesPending: 0,
    gapFills: 0,
    pendingDropped: 0,
    pendingBytesDropped: 0,
    pushes: 0,
    forwards: 0,
    antiEntropyRounds: 0,
    antiEntropyCompleted: 0,
    antiEntropyTimedOut: 0,
    antiEntropySkipped: 0,
    diffsSent: 0,
    diffBytesSent: 0,
    chunksSent: 0,
    chunksReceived: 0,
    transfersCompleted: 0,
    transfersDropped: 0,
    oversizeDropped: 0,
    flushes: 0,
    flushesSucceeded: 0,
    flushesFailed: 0,
    acksSent: 0,
    acksReceived: 0,
    compactions: 0,
    storeErrors: 0,
    writesDurable: 0,
    writesRefused: 0,
    writesUnknown: 0,
    writesReplayed: 0,
    opsForgotten: 0,
    opsFolded: 0,
    openRefused: 0,
    summariesEqual: 0,
    sharedRoundsSkipped: 0,
    bucketsDiffering: 0,
    batchesSent: 0,
    handoffRounds: 0,
    handoffProofsFailed: 0,
    listingDocsDropped: 0,
    readRepairs: 0,
    coHomeRelays: 0,
    docsDropped: 0,
    framesPaced: 0,
    framesPaceDropped: 0,
    framesHeldBack: 0,
    writesTooLarge: 0,
    writesMalformed: 0
  }
}
