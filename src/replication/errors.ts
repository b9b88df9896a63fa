import { MurmurError } from '../core/errors.js'

/** The app passed a document name the wire cannot carry (empty, over 256 chars, control characters). */
export class InvalidDocNameError extends MurmurError {
  override name = 'InvalidDocNameError'
}

/**
 * Opening one more doc would exceed `maxOpenDocs`. Nothing was opened; close a doc or raise the limit.
 * A capacity refusal, not bad input: the HTTP layer answers it like StoreBusyError (503).
 */
export class TooManyDocsError extends MurmurError {
  override name = 'TooManyDocsError'
}

/** The doc does not exist here (nor, when the caller asked, on a live peer), or it was deleted. */
export class DocNotFoundError extends MurmurError {
  override name = 'DocNotFoundError'
}

/**
 * No doc here, and the peers that would hold it — its live homes — did not all answer in time: it may well
 * exist (a busy or slow home, a link going down). Unlike DocNotFoundError this is no statement that the doc
 * is absent; asking again later may find it. (HTTP 503 with Retry-After.)
 */
export class DocUnreachableError extends MurmurError {
  override name = 'DocUnreachableError'
}

/**
 * The write would take the doc past `maxDocBytes`: nothing was written. Past that size a doc could no
 * longer be sent whole to a new replica (maxTransferBytes) or compacted by the store, so it would be
 * accepted here and then never converge elsewhere. Split the data over several docs.
 */
export class DocTooLargeError extends MurmurError {
  override name = 'DocTooLargeError'
}
