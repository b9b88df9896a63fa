/**
 * Named errors of the durable store. They extend MurmurError so callers can test `err.name` like every
 * other murmur error. (Proposed for src/core/errors.ts once the storage API settles.)
 */
import { MurmurError } from '../core/errors.js'
import { DATA_DIR_GONE } from '../core/store-health.js'

/** Base class: the store refused or failed an operation for a storage reason. */
export class StorageError extends MurmurError {
  override name = 'StorageError'
}

/**
 * The data dir is held by another live process (or another store in this process): LevelDB's LOCK file
 * is taken. Two writers on one LevelDB would corrupt it, so the second open fails instead.
 */
export class StoreLockedError extends StorageError {
  override name = 'StoreLockedError'
}

/** The data dir was written by an incompatible (newer) on-disk format. Nothing was modified. */
export class StoreFormatError extends StorageError {
  override name = 'StoreFormatError'
}

/**
 * The data dir holds LevelDB's files but not the CURRENT file that names their MANIFEST (lost to a partial
 * copy or restore, or to fsck). LevelDB would open it as a new database and delete the tables and logs it
 * does not know, so the store refuses to open it instead. Nothing was modified.
 */
export class StoreDamagedError extends StorageError {
  override name = 'StoreDamagedError'
}

/**
 * The store's directory was removed or replaced while the store had it open (dir-identity.ts): nothing
 * written since is durable. Its `code` is what store health classifies (core/store-health.ts).
 */
export class StoreDirGoneError extends StorageError {
  override name = 'StoreDirGoneError'
  readonly code = DATA_DIR_GONE
}

/** A doc name is longer than the limit, or is not well-formed Unicode (a lone surrogate). */
export class InvalidDocNameError extends StorageError {
  override name = 'InvalidDocNameError'
}

/** An update or compacted state is empty or larger than the store's limit. Nothing was written. */
export class UpdateSizeError extends StorageError {
  override name = 'UpdateSizeError'
}

/**
 * The write queue is full (entries or bytes): the disk is not keeping up. Nothing was written; the caller
 * must not acknowledge the write and may retry later.
 */
export class StoreBusyError extends StorageError {
  override name = 'StoreBusyError'
}
