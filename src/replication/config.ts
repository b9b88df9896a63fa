/**
 * Replication configuration: all-optional `ReplicationInit`, named presets, one resolve/validate step
 * (the shape of membership/config.ts). Every field says its default and the trade-off behind it.
 */
import { mergeConfig, requirePositiveIntegers } from '../core/config.js'
import { ConfigError } from '../core/errors.js'
import { CHUNK_ENVELOPE_BYTES, SYNC_LIMITS } from './codec.js'
import { MAX_REPLICAS } from './max-replicas.js'

export interface ReplicationConfig {
  /**
   * R: homes per document (placement.ts), every live member when fewer are alive. Each write is pushed to
   * its homes, anti-entropy keeps them identical, and a copy elsewhere is dropped only once R homes hold it.
   * A doc survives the loss of R − 1 peers; each doc costs R copies of disk and of sync traffic.
   */
  replicas: number
  /**
   * Docs one anti-entropy listing or handoff round covers at most (the rest waits for later rounds), so a
   * heal with 100,000 differing docs is worked through in steps the receivers' frame limits absorb.
   */
  maxDocsPerRound: number
  /**
   * Shared rounds (summary comparisons with co-homes) started per anti-entropy tick right after a membership
   * change, until every member has been compared once: how fast new homes find what they must fetch.
   */
  sharedRoundsAfterChange: number
  /**
   * After the member set changes, wait this long for it to settle before moving documents: no whole docs
   * fetched by shared rounds, no handoffs, no drops. A joining peer learns the members one push-pull page
   * and gossip message at a time; acting on each partial view would fetch docs it then hands back.
   */
  placementSettleMs: number
  /**
   * Per-peer send pace of the sync channel (pacer.ts), below what receivers accept from one peer
   * (net/config.ts DEFAULT_INBOUND_RATE 1,000 frames/s burst 2,000, DEFAULT_INBOUND_BYTE_RATE 32 MiB/s):
   * frames per second and burst, bytes per second and burst. The byte burst also stays under the
   * transport's own per-peer queue (8 MiB), which drops the oldest frames beyond it.
   */
  paceFramesPerSec: number
  paceBurstFrames: number
  paceBytesPerSec: number
  paceBurstBytes: number
  /** Bytes waiting for the pace, per peer; past it new frames are dropped (and counted) until it drains. */
  maxPacedBytes: number
  /**
   * Largest doc (its encoded state) a write may produce: a write past it is refused with DocTooLargeError
   * (HTTP 413). Below maxTransferBytes with room for one more large write (a 1 MiB HTTP body) and the delete
   * set, so that every doc can still be sent whole to a new replica (a fresh home's first diff is the whole
   * doc) and compacted by the store. Replicated updates are never refused (a CRDT merge cannot be), so
   * concurrent writes on two peers may together pass it by their own size.
   */
  maxDocBytes: number
  /**
   * Pull anti-entropy: every this long, exchange digests of all hosted docs with one random live peer (and
   * the missing diffs of those that differ). Push-pull with one random partner converges in O(log N) rounds
   * (≈ 9 rounds at N = 1,024); an idle round costs two small frames. Lower = faster repair, more traffic.
   */
  antiEntropyIntervalMs: number
  /**
   * A read answered from a guest copy (a doc stored here that this peer does not home and the app does not
   * hold open) asks one of the doc's homes for what it holds beyond the copy, at most once per doc per this
   * long (read-repair.ts): how stale such a read can be after the homes learn something by anti-entropy (a
   * heal). Costs one small round per doc read here, per interval.
   */
  readRepairIntervalMs: number
  /**
   * k, live hosts a local write is pushed to (after it is durable), and that a peer forwards a NEW remote
   * update to (once). Push alone reaches ≈ 94 % of peers at k = 3; anti-entropy repairs the rest.
   */
  pushFanout: number
  /**
   * While a doc has at most this many live hosts, a local write is pushed to all of them directly (one
   * hop, no forwarding: N − 1 frames, fewer than an epidemic's (N + 1)·k, and nobody is missed). Above
   * it, the k-fanout epidemic keeps the cost per write O(k) per peer. 0 = always epidemic.
   */
  pushAllMaxHosts: number
  /**
   * How long a new remote update waits before it is forwarded, for more updates of the same doc to share
   * its frames (push.ts): on a mesh where every host writes, each forward frame then carries several
   * writes. Adds up to this much latency per epidemic hop, for the hosts a write's direct pushes (its homes
   * and k others) missed; meshes of at most `pushAllMaxHosts` hosts push directly and never forward.
   * 30 real peers writing one doc 2/s each: sync frames in per write 13.6 unbatched, 11.8 at 50 ms,
   * 8.6–9.1 at 250 ms; CPU per write 21.0 ms unbatched, 17.2–20.0 ms at 250 ms, within the noise
   * (BENCHMARKS.md). 0 = forward at the end of the turn.
   */
  forwardBatchMs: number
  /**
   * Share of the rounds for docs the app holds open without homing them that go to a random live peer
   * rather than a home: how peers holding the same doc open find each other (then writes reach them in
   * one hop). 0 = only the homes know who holds what open.
   */
  discoveryRatio: number
  /**
   * Peers asked for a doc right after it is opened, when there are more than `pushAllMaxHosts` live peers
   * (known hosts first, else random live peers); with at most that many, every live peer is asked, which
   * also tells each of them at once that we host the doc.
   */
  fetchFanout: number
  /** An anti-entropy round we started is forgotten (counted as timed out) after this long. */
  sessionTimeoutMs: number
  /** Anti-entropy rounds we started that may be outstanding at once; more are skipped until some finish. */
  maxSessions: number
  /**
   * Frames whose encoding exceeds this are sent as chunks of this many bytes and reassembled by the
   * receiver. Well below the 1 MiB sync frame limit so that one big diff does not hog a stream.
   */
  chunkBytes: number
  /**
   * Largest reassembled frame (so largest diff or update that can be replicated). Bounds receiver memory per
   * transfer. Equal to the store's largest update (`storage/config.ts` DEFAULT_MAX_UPDATE_BYTES, 16 MiB): a
   * remote update the store would refuse could be applied in memory but not persisted (so not acknowledged)
   * until the next compaction. Also the largest doc state a fresh replica can be bootstrapped with (its
   * first diff is the whole state).
   */
  maxTransferBytes: number
  /** Bytes buffered in all partial transfers at once; a new transfer that does not fit is dropped (retried next round). */
  maxReassemblyBytes: number
  /** Partial transfers buffered per sending peer. */
  maxTransfersPerPeer: number
  /** Partial transfers buffered in all. */
  maxTransfers: number
  /** A partial transfer without a new chunk for this long is dropped (its sender retries in a later round). */
  reassemblyTimeoutMs: number
  /** A flush re-sends its update to hosts that have not acknowledged yet every this long (frames may be lost). */
  flushRetryMs: number
  /** Hosts a flush sends to at most (it needs `replicas` of them to acknowledge). */
  flushFanout: number
  /** Flushes waiting at once; more are refused with RateLimitError. */
  maxPendingFlushes: number
  /** Writes waiting for durability at once; more are refused with RateLimitError. */
  maxPendingWrites: number
  /** How often docs are checked for compaction. */
  compactIntervalMs: number
  /** Compact a doc once this many updates were appended since its last compaction… */
  compactMinUpdates: number
  /** …or once this many bytes were. Compaction re-encodes the doc: 1,000 one-char inserts shrink ~20×. */
  compactMinBytes: number
  /** Docs whose hosts we remember (learned from handshakes); docs we do not host are forgotten first. */
  maxTrackedDocs: number
  /** Hosts remembered per doc (more than enough to push to k and flush to a few). */
  maxHostsPerDoc: number
  /**
   * Bytes of Yjs updates one doc may hold waiting for missing dependencies (Yjs `pendingStructs` +
   * `pendingDs`): remote ones, and those a local write applied (a y-websocket client's gapped edit). Past it, everything pending of that doc is dropped (`pendingDropped`). Safe: pending
   * structs are not in the doc, its vector, its digest, the store or any acknowledgement, so nothing
   * acknowledged is lost, and the anti-entropy diff from a peer that has them is contiguous. 8 MiB holds
   * many out-of-order pushes of ordinary size, while a peer sending only gapped updates cannot grow a doc
   * without bound. Half the store's 16 MiB update limit: once the gap is filled, what was pending is
   * appended together with the update that filled it (one Yjs update event); should that exceed the
   * store's limit, the append fails and a compaction repairs durability within a second (compactor.ts).
   */
  maxPendingUpdateBytes: number
  /**
   * Docs loaded in memory at once (loading included). Loading one more evicts the least recently used doc
   * that nothing holds; if the app holds them all open, it fails with TooManyDocsError (counted as
   * `openRefused`). At a few kB per small doc, 10,000 is tens of MB.
   */
  maxOpenDocs: number
  /**
   * A loaded doc the app does not hold open (one loaded for a read, a write, a sync step) is evicted after
   * this long unused, so memory follows what is in use, not what is stored. Reloading one costs a store
   * read of its compacted state: a few hundred µs for a small doc.
   */
  idleEvictMs: number
  /**
   * Docs this peer holds (in its store) at most; creating one more fails with TooManyDocsError. What it
   * costs per doc that is not loaded: its catalog entry and cached homes (~0.5 KB of heap) and its share of
   * the store.
   */
  maxDocs: number
  /**
   * A write (and a retry of a keyed one) waits this long for the store to confirm it; past it, it rejects
   * with OutcomeUnknownError('durability-timeout') — the change stays applied in memory and may still
   * become durable. A healthy store confirms in milliseconds; 10 s is a stalled disk, and an answer a
   * client can act on (retry with the same key) beats a request that hangs until its own timeout.
   */
  writeTimeoutMs: number
  /**
   * Idempotency keys (`opId`) are remembered in each doc for this long after their write (idempotency.ts):
   * a retry within it is applied at most once, wherever in the mesh it is sent. Past it (or past
   * `maxIdempotencyKeys`), a key is forgotten and a keyed counter increment is folded into its peer's
   * slot. 1 h covers client retries and partitions that heal within it; each key costs ~70 bytes of doc
   * state while remembered, and nothing once forgotten (deleted array items compact away).
   */
  idempotencyWindowMs: number
  /**
   * Keys one peer remembers per doc at most (its own records; the oldest are forgotten first). Bounds a
   * doc's records at ~700 kB per writing peer with the default of 10,000, whatever the write rate.
   */
  maxIdempotencyKeys: number
}

export type ReplicationInit = Partial<ReplicationConfig>

/** A LAN or a single data centre. */
export const LAN_PRESET: Readonly<ReplicationConfig> = Object.freeze({
  replicas: 3,
  maxDocsPerRound: 4_096,
  sharedRoundsAfterChange: 8,
  placementSettleMs: 1_000,
  paceFramesPerSec: 500,
  paceBurstFrames: 500,
  paceBytesPerSec: 16 * 1024 * 1024,
  paceBurstBytes: 4 * 1024 * 1024,
  maxPacedBytes: 64 * 1024 * 1024,
  maxDocBytes: 12 * 1024 * 1024,
  antiEntropyIntervalMs: 5_000,
  readRepairIntervalMs: 1_000,
  pushFanout: 3,
  pushAllMaxHosts: 16,
  forwardBatchMs: 250,
  discoveryRatio: 0.25,
  fetchFanout: 3,
  sessionTimeoutMs: 10_000,
  maxSessions: 16,
  chunkBytes: 256 * 1024,
  maxTransferBytes: 16 * 1024 * 1024,
  maxReassemblyBytes: 64 * 1024 * 1024,
  maxTransfersPerPeer: 4,
  maxTransfers: 32,
  reassemblyTimeoutMs: 30_000,
  flushRetryMs: 1_000,
  flushFanout: 16,
  maxPendingFlushes: 256,
  maxPendingWrites: 10_000,
  compactIntervalMs: 30_000,
  compactMinUpdates: 1_000,
  compactMinBytes: 4 * 1024 * 1024,
  maxTrackedDocs: 10_000,
  maxHostsPerDoc: 64,
  maxPendingUpdateBytes: 8 * 1024 * 1024,
  maxOpenDocs: 10_000,
  idleEvictMs: 30_000,
  maxDocs: 1_000_000,
  writeTimeoutMs: 10_000,
  idempotencyWindowMs: 60 * 60 * 1000,
  maxIdempotencyKeys: 10_000
})

/** One machine or a very fast network: repair sooner. */
export const LOCAL_PRESET: Readonly<ReplicationConfig> = Object.freeze({
  ...LAN_PRESET,
  antiEntropyIntervalMs: 2_000,
  sessionTimeoutMs: 5_000,
  flushRetryMs: 500
})

/**
 * For the simulator: short intervals so that properties converge within bounded virtual time, and small
 * compaction thresholds so that compaction runs in every test.
 */
export const SIM_PRESET: Readonly<ReplicationConfig> = Object.freeze({
  ...LAN_PRESET,
  antiEntropyIntervalMs: 1_000,
  sessionTimeoutMs: 3_000,
  reassemblyTimeoutMs: 5_000,
  flushRetryMs: 300,
  compactIntervalMs: 2_000,
  compactMinUpdates: 20,
  compactMinBytes: 64 * 1024,
  idleEvictMs: 5_000
})

export const PRESETS = { lan: LAN_PRESET, local: LOCAL_PRESET, sim: SIM_PRESET } as const
export type ReplicationPresetName = keyof typeof PRESETS

type NumericKey = { [K in keyof ReplicationConfig]: ReplicationConfig[K] extends number ? K : never }[keyof ReplicationConfig]

const POSITIVE_INTEGERS: readonly NumericKey[] = [
  'antiEntropyIntervalMs', 'readRepairIntervalMs', 'fetchFanout', 'sessionTimeoutMs', 'maxSessions', 'chunkBytes', 'maxTransferBytes',
  'maxReassemblyBytes', 'maxTransfersPerPeer', 'maxTransfers', 'reassemblyTimeoutMs', 'flushRetryMs', 'flushFanout',
  'maxPendingFlushes', 'maxPendingWrites', 'compactIntervalMs', 'compactMinUpdates', 'compactMinBytes',
  'maxTrackedDocs', 'maxHostsPerDoc', 'maxPendingUpdateBytes', 'maxOpenDocs', 'idleEvictMs', 'maxDocs',
  'replicas', 'maxDocsPerRound', 'sharedRoundsAfterChange', 'placementSettleMs', 'paceFramesPerSec', 'paceBurstFrames', 'paceBytesPerSec',
  'paceBurstBytes', 'maxPacedBytes', 'maxDocBytes',
  'writeTimeoutMs', 'idempotencyWindowMs', 'maxIdempotencyKeys'
]

/** Smallest chunk worth its envelope. */
const MIN_CHUNK_BYTES = 1024

/**
 * Merges `init` over the preset and validates the result.
 * @throws ConfigError naming the first offending field.
 */
export function resolveReplicationConfig (init: ReplicationInit = {}, preset: ReplicationPresetName = 'lan'): ReplicationConfig {
  const config = mergeConfig<ReplicationConfig>(PRESETS[preset], init, 'replication')
  // Unless set, the doc size limit follows a smaller transfer limit (three quarters of it).
  if (init.maxDocBytes === undefined) config.maxDocBytes = Math.min(config.maxDocBytes, Math.floor(config.maxTransferBytes * 3 / 4))
  requirePositiveIntegers(config, POSITIVE_INTEGERS)
  if (config.replicas > MAX_REPLICAS) throw new ConfigError(`replicas must be an integer from 1 to ${MAX_REPLICAS}, got ${config.replicas}`)
  if (!Number.isSafeInteger(config.pushFanout) || config.pushFanout < 0) throw new ConfigError(`pushFanout must be an integer ≥ 0, got ${config.pushFanout}`)
  if (!Number.isFinite(config.forwardBatchMs) || config.forwardBatchMs < 0 || config.forwardBatchMs > 10_000) throw new ConfigError(`forwardBatchMs must be between 0 and 10000, got ${config.forwardBatchMs}`)
  if (!Number.isSafeInteger(config.pushAllMaxHosts) || config.pushAllMaxHosts < 0) throw new ConfigError(`pushAllMaxHosts must be an integer ≥ 0, got ${config.pushAllMaxHosts}`)
  if (!(config.discoveryRatio >= 0 && config.discoveryRatio <= 1)) throw new ConfigError(`discoveryRatio must be in [0, 1], got ${config.discoveryRatio}`)
  if (config.chunkBytes < MIN_CHUNK_BYTES || config.chunkBytes > SYNC_LIMITS.chunkBytes) {
    throw new ConfigError(`chunkBytes must be in [${MIN_CHUNK_BYTES}, ${SYNC_LIMITS.chunkBytes}], got ${config.chunkBytes}`)
  }
  if (config.maxTransferBytes < config.chunkBytes || config.maxTransferBytes > SYNC_LIMITS.updateBytes) {
    throw new ConfigError(`maxTransferBytes must be in [chunkBytes, ${SYNC_LIMITS.updateBytes}], got ${config.maxTransferBytes}`)
  }
  if (Math.ceil(config.maxTransferBytes / config.chunkBytes) > SYNC_LIMITS.chunksPerTransfer) {
    throw new ConfigError(`maxTransferBytes / chunkBytes exceeds ${SYNC_LIMITS.chunksPerTransfer} chunks per transfer`)
  }
  if (config.maxReassemblyBytes < config.maxTransferBytes) throw new ConfigError('maxReassemblyBytes must be ≥ maxTransferBytes')
  if (config.maxTransfers < config.maxTransfersPerPeer) throw new ConfigError('maxTransfers must be ≥ maxTransfersPerPeer')
  if (config.maxHostsPerDoc < config.pushFanout) throw new ConfigError('maxHostsPerDoc must be ≥ pushFanout')
  if (config.paceBurstBytes < config.chunkBytes + CHUNK_ENVELOPE_BYTES) throw new ConfigError('paceBurstBytes must hold at least one chunk')
  if (config.maxPacedBytes < config.paceBurstBytes) throw new ConfigError('maxPacedBytes must be ≥ paceBurstBytes')
  if (config.maxDocBytes > config.maxTransferBytes) throw new ConfigError('maxDocBytes must be ≤ maxTransferBytes (a doc must fit one transfer to reach a new replica)')
  return config
}
