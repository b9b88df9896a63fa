/**
 * WebSocket close codes the bridge uses, and why. y-websocket clients reconnect (with backoff) after any
 * close except 4400–4499, which mirror HTTP 4xx: a decision reconnecting cannot change (y-websocket.js
 * `defaultShouldReconnect`). So: a refusal that retrying cannot fix is 44xx; an overload or restart is one
 * of RFC 6455's standard codes, and the client comes back by itself.
 */
export const CloseCode = {
  /** The peer is shutting down (RFC 6455 "going away"): reconnect, maybe to another peer. */
  goingAway: 1001,
  /** A message above `maxMessageBytes` (RFC 6455 "message too big"; sent by the WebSocket layer). */
  tooBig: 1009,
  /** The peer could not make the client's edit durable (a store error). The client re-sends it on reconnect. */
  internalError: 1011,
  /** The document was closed under the connection (RFC 6455 "service restart"): reconnect re-opens it. */
  serviceRestart: 1012,
  /** Over a limit that frees up: connections, pending writes, a client too slow to read (RFC 6455 "try again later"). */
  tryAgainLater: 1013,
  /** A malformed message, an invalid Yjs update, or an invalid document name. Permanent. */
  badRequest: 4400,
  /** Missing or wrong token (`?access_token=`, as browsers cannot set headers on a WebSocket). Permanent. */
  unauthorized: 4401,
  /** Cross-origin page (the HTTP API's same-origin rule). Permanent. */
  forbidden: 4403,
  /**
   * The client's edit would take the doc past `maxDocBytes` (the HTTP API's 413 `doc_too_large`): nothing
   * was written. Permanent: a reconnect would re-send the same edit and be refused again, at once and for
   * ever (the provider resets its backoff on every sync). The client keeps its edit.
   */
  tooLarge: 4413
} as const
export type CloseCodeName = keyof typeof CloseCode
export const CLOSE_CODE_NAMES = new Map<number, CloseCodeName>(Object.entries(CloseCode).map(([k, v]) => [v, k as CloseCodeName]))

/**
 * A close code as `murmur_yjs_closed_total` counts it: the bridge's own and RFC 6455's (1000–1015) as they
 * are; any other — 3000–4999, which a client may choose freely when it closes — as `other`. Each code a
 * client closed with was a series of its own: a client looping over them added thousands.
 */
export function countedCloseCode (code: number): string {
  return CLOSE_CODE_NAMES.has(code) || (code >= 1000 && code <= 1015) ? String(code) : 'other'
}

/** RFC 6455 §5.5: a close frame's body is at most 125 bytes, 2 of them the code; ws throws beyond. */
export const MAX_CLOSE_REASON_BYTES = 123

/**
 * `reason` cut to what a close frame carries (MAX_CLOSE_REASON_BYTES of UTF-8), at a character boundary.
 * Reasons quote client input (a doc name, a decoder's message): 120 characters of `é` are 240 bytes, and
 * `ws.close` given more than 123 throws — inside the socket's message handler, which ended the peer process.
 */
export function closeReason (reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason
  let bytes = 0
  let end = 0
  for (const ch of reason) {
    const n = Buffer.byteLength(ch)
    if (bytes + n > MAX_CLOSE_REASON_BYTES) break
    bytes += n
    end += ch.length
  }
  return reason.slice(0, end)
}
