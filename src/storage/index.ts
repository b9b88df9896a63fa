/**
 * Durable storage: the LevelDB-backed DocStore (see level-store.ts for the durability guarantee).
 */
export { openLevelDocStore, LevelDocStore, type LevelDocStoreStats } from './level-store.js'
export {
  resolveLevelDocStoreConfig, DEFAULT_LEVEL_DOC_STORE_CONFIG, DEFAULT_MAX_UPDATE_BYTES, DEFAULT_MAX_STATE_BYTES,
  DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_BATCH_ENTRIES, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_MAX_QUEUED_ENTRIES,
  DEFAULT_CLOSE_TIMEOUT_MS, DEFAULT_PROBE_INTERVAL_MS, DEFAULT_MIN_FREE_BYTES, DEFAULT_STALL_MS, type LevelDocStoreConfig, type LevelDocStoreInit
} from './config.js'
export { MAX_DOC_NAME_BYTES, FORMAT_VERSION } from './keys.js'
export {
  StorageError, StoreLockedError, StoreFormatError, StoreDamagedError, InvalidDocNameError, UpdateSizeError, StoreBusyError
} from './errors.js'
