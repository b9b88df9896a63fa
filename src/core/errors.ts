/**
 * Named errors. Callers test `err.name` (or `instanceof`), never the message text.
 * Every error murmur throws on purpose is one of these.
 */
export class MurmurError extends Error {
  override name = 'MurmurError'
}

/** A configuration value is missing, out of range or inconsistent. Thrown at start-up, never later. */
export class ConfigError extends MurmurError {
  override name = 'ConfigError'
}

/** Bytes from the network could not be decoded or failed validation. The frame is dropped. */
export class DecodeError extends MurmurError {
  override name = 'DecodeError'
}

/** A frame exceeded the hard size limit of its protocol. The stream that carried it is closed. */
export class FrameTooLargeError extends DecodeError {
  override name = 'FrameTooLargeError'
}

/** A bounded wait (dial, read, flush, leave) ran out of time. */
export class TimeoutError extends MurmurError {
  override name = 'TimeoutError'
}

/** An operation was called on a component that is not running (not started yet, or stopped). */
export class NotRunningError extends MurmurError {
  override name = 'NotRunningError'
}

/** A peer sent more than its share (messages, streams or bytes) and was throttled or disconnected. */
export class RateLimitError extends MurmurError {
  override name = 'RateLimitError'
}

/** The operation was aborted by its caller (AbortSignal) or by shutdown. */
export class AbortError extends MurmurError {
  override name = 'AbortError'
}

/**
 * A secret file (pre-shared key, identity key, TLS key, token file) can be read by other users of the
 * machine. Start-up stops rather than trust a key everyone may have copied.
 */
export class InsecureFileError extends ConfigError {
  override name = 'InsecureFileError'
}
