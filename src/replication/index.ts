/**
 * Replication: Yjs documents replicated peer-to-peer with push, pull anti-entropy and WriteTo(n) flushes.
 * This file is the contract; classes live in their own files.
 */
export { Replicator } from './replicator.js'
export type { ReplicatorComponents, ReplicatorOptions, FlushOptions, WriteOptions } from './replicator.js'
export { LAN_PRESET, LOCAL_PRESET, SIM_PRESET, PRESETS, resolveReplicationConfig } from './config.js'
export type { ReplicationConfig, ReplicationInit, ReplicationPresetName } from './config.js'
export type { ReplicatorEvents, ReplicatorEventName, ChangeOrigin, StoreOp } from './events.js'
export type { ReplicatorStats, ReplicatorCounters, Counts } from './stats.js'
export { InvalidDocNameError, TooManyDocsError, DocNotFoundError, DocUnreachableError, DocTooLargeError } from './errors.js'
export { assertDocName } from './doc-registry.js'
export { WRITE_ORIGIN } from './origins.js'
export { PNCounter, COUNTER_MAP } from './pn-counter.js'
export type { CounterSlot } from './pn-counter.js'
export { MemoryDocStore } from './memory-store.js'
export type { MemoryDocStoreOptions } from './memory-store.js'
export * as versionVector from './version-vector.js'
export type { VersionVector, VersionVectorJSON, Ordering } from './version-vector.js'
export { SYNC_LIMITS, MessageType, decodeSync, encodeSync, checkDocName } from './codec.js'
export type { SyncMessage, MessageTypeName } from './codec.js'
export type { DocStore, StoreCallback } from '../core/doc-store.js'
export type { PeerDirectory } from '../core/directory.js'
