/**
 * Turning whatever libp2p rejects with into text and Errors worth logging.
 *
 * libp2p v3 does not always reject with an Error: a stream's `close()` and a write waiting for `drain`
 * wait with p-event, which rejects with the stream's `close` *event* (a StreamCloseEvent whose `error`
 * may be set). `String(event)` is "[object Event]", which tells an operator nothing; these helpers say
 * which event it was and what error, if any, it carried.
 */

/** Error-like values that end a stream or connection: the reason a peer went away, not a bug of ours. */
const GONE_NAMES = new Set([
  'StreamResetError', 'StreamClosedError', 'StreamStateError', 'StreamAbortedError', 'ConnectionClosedError',
  'ConnectionClosingError', 'UnexpectedEOFError', 'MuxerClosedError'
])
const GONE_MESSAGE = /ECONNRESET|EPIPE|ECONNABORTED|\bEOF\b|socket hang up|stream (was )?(closed|reset)|connection (was )?(closed|reset)/i

/** One line for a log field: `Name: message` for errors, `<type> event (…)` for events, else String(). */
export function describeError (err: unknown): string {
  if (err instanceof Error) {
    const name = err.name === '' || err.name === 'Error' ? '' : `${err.name}: `
    return `${name}${err.message}`
  }
  if (isEvent(err)) {
    const carried = (err as Event & { error?: unknown }).error
    const local = (err as Event & { local?: unknown }).local
    const side = local === true ? 'local ' : local === false ? 'remote ' : ''
    return carried === undefined || carried === null
      ? `${side}${err.type} event (the stream or connection closed)`
      : `${side}${err.type} event: ${describeError(carried)}`
  }
  if (typeof err === 'string') return err
  try {
    return JSON.stringify(err) ?? String(err)
  } catch {
    return String(err)
  }
}

/** An Error for `abort(err)` and friends, keeping an Error as-is and describing anything else. */
export function toError (err: unknown): Error {
  if (err instanceof Error) return err
  if (isEvent(err)) {
    const carried = (err as Event & { error?: unknown }).error
    if (carried instanceof Error) return carried
  }
  return new Error(describeError(err))
}

/**
 * True when `err` says the other end (or the connection under us) went away — reset, closed, EOF — as
 * opposed to a timeout, a protocol violation or a local bug. Such failures are routine (peers stop) and
 * are logged at debug, not warn.
 */
export function isPeerGone (err: unknown): boolean {
  if (isEvent(err)) {
    const carried = (err as Event & { error?: unknown }).error
    return carried === undefined || carried === null || isPeerGone(carried)
  }
  if (!(err instanceof Error)) return false
  if (GONE_NAMES.has(err.name)) return true
  if (GONE_MESSAGE.test(err.message)) return true
  const cause = (err as Error & { cause?: unknown }).cause
  return cause !== undefined && cause !== err && isPeerGone(cause)
}

function isEvent (v: unknown): v is Event {
  return typeof Event !== 'undefined' && v instanceof Event
}
