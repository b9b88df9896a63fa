/**
 * LevelDocStore configuration: all-optional `LevelDocStoreInit`, DEFAULT_* constants, one resolve step
 * that throws ConfigError.
 */
import { mergeConfig, requirePositiveIntegers } from '../core/config.js'
import { ConfigError } from '../core/errors.js'
import { silentLogger, type Logger } from '../core/logger.js'

const MiB = 1024 * 1024

/** Largest single update `append` accepts. Sync diffs are chunked far below this; a bigger one is a bug. */
export const DEFAULT_MAX_UPDATE_BYTES = 16 * MiB
/**
 * Largest compacted state `compact` accepts. A doc beyond it is simply not compacted (its updates stay);
 * LevelDB copies a value several times (log, memtable, table), so huge values cost memory and stalls.
 */
export const DEFAULT_MAX_STATE_BYTES = 64 * MiB
/**
 * A group commit takes queued entries up to this many bytes (at least one entry, whatever its size).
 * 4 MiB is LevelDB's default write buffer: a larger batch would force a memtable flush mid-write.
 */
export const DEFAULT_MAX_BATCH_BYTES = 4 * MiB
/** ... and up to this many entries, so one batch's callbacks do not hog the event loop. */
export const DEFAULT_MAX_BATCH_ENTRIES = 4096
/** Writes waiting for the disk, in bytes; past this, `append`/`compact` fail with StoreBusyError. */
export const DEFAULT_MAX_QUEUED_BYTES = 256 * MiB
/** Queued calls (writes and read barriers); past this, calls fail with StoreBusyError. */
export const DEFAULT_MAX_QUEUED_ENTRIES = 65_536
/** `close()` waits this long for queued writes and running reads, then gives up (TimeoutError). */
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000
/**
 * While the store is failing, a probe write is tried this often (health.ts); while it is healthy, free
 * space is looked at no more often than this. 1 s: recovery is noticed within a second of space coming
 * back, at the cost of one statfs (and, while failing, one tiny sync write) per second.
 */
export const DEFAULT_PROBE_INTERVAL_MS = 1_000
/**
 * Free space below which the store counts as full and refuses writes before applying them (at most 5 % of
 * the file system). 16 MiB leaves LevelDB room to flush a full memtable (4 MiB) and compact after it.
 */
export const DEFAULT_MIN_FREE_BYTES = 16 * MiB

/**
 * A batch the disk has not answered for this long makes the store `failing` ("disk not responding") until
 * it completes: new writes are refused up front instead of each waiting out the replicator's write
 * timeout (10 s) to answer "unknown", and /ready says so. A healthy sync takes milliseconds, a busy
 * spinning disk a second or two; a frozen file system (fsfreeze, a snapshot), a hung network volume or a
 * dying drive takes longer.
 */
export const DEFAULT_STALL_MS = 5_000

export interface LevelDocStoreConfig {
  log: Logger
  maxUpdateBytes: number
  maxStateBytes: number
  maxBatchBytes: number
  maxBatchEntries: number
  maxQueuedBytes: number
  maxQueuedEntries: number
  closeTimeoutMs: number
  probeIntervalMs: number
  minFreeBytes: number
  stallMs: number
}

export type LevelDocStoreInit = Partial<LevelDocStoreConfig>

export const DEFAULT_LEVEL_DOC_STORE_CONFIG: Readonly<LevelDocStoreConfig> = Object.freeze({
  log: silentLogger,
  maxUpdateBytes: DEFAULT_MAX_UPDATE_BYTES,
  maxStateBytes: DEFAULT_MAX_STATE_BYTES,
  maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
  maxBatchEntries: DEFAULT_MAX_BATCH_ENTRIES,
  maxQueuedBytes: DEFAULT_MAX_QUEUED_BYTES,
  maxQueuedEntries: DEFAULT_MAX_QUEUED_ENTRIES,
  closeTimeoutMs: DEFAULT_CLOSE_TIMEOUT_MS,
  probeIntervalMs: DEFAULT_PROBE_INTERVAL_MS,
  minFreeBytes: DEFAULT_MIN_FREE_BYTES,
  stallMs: DEFAULT_STALL_MS
})

type NumericKey = Exclude<keyof LevelDocStoreConfig, 'log'>
const NUMERIC_KEYS: readonly NumericKey[] = [
  'maxUpdateBytes', 'maxStateBytes', 'maxBatchBytes', 'maxBatchEntries', 'maxQueuedBytes', 'maxQueuedEntries',
  'closeTimeoutMs', 'probeIntervalMs', 'minFreeBytes', 'stallMs'
]

/**
 * Merges `init` over the defaults and validates the result.
 * @throws ConfigError naming the first offending field.
 */
export function resolveLevelDocStoreConfig (init: LevelDocStoreInit = {}): LevelDocStoreConfig {
  const config = mergeConfig<LevelDocStoreConfig>(DEFAULT_LEVEL_DOC_STORE_CONFIG, init, 'storage')
  requirePositiveIntegers(config, NUMERIC_KEYS)
  if (config.maxQueuedBytes < config.maxUpdateBytes || config.maxQueuedBytes < config.maxStateBytes) {
    throw new ConfigError('maxQueuedBytes must be at least maxUpdateBytes and maxStateBytes, or a lone write could never be queued')
  }
  return config
}
