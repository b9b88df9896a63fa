/**
 * Turning connection failures into one honest log line. What each side of a pre-shared-key mismatch
 * actually observes (measured with @libp2p/pnet 3 over TCP on 127.0.0.1):
 *
 * | situation                         | dialler sees                                 | listener sees                                   |
 * |-----------------------------------|----------------------------------------------|-------------------------------------------------|
 * | keyless dials keyed               | receives the listener's 24-byte nonce, then ECONNRESET in ms (~1 of 3 runs) or hangs until its dial timeout | EncryptionFailedError in ms, or nothing until the dialler gives up |
 * | keyed dials keyless               | ECONNRESET in ~10 ms                         | EncryptionFailedError ("Missing newline") in ~3 ms |
 * | keyed dials other key             | ECONNRESET in ms (~2 of 3 runs) or hangs until the dial timeout (~1 of 3: the garbage happens to parse as a short length prefix) | EncryptionFailedError in ms, or nothing until the dialler gives up |
 *
 * So neither side can be sure from the failure alone — a reset is also what a stopping or full remote
 * sends, and a timeout is what an overloaded one (or an overloaded us) causes. Without a key, both sides
 * therefore judge by what the remote sent first (first-bytes.ts): a keyed remote opens with its random
 * pnet nonce, a libp2p peer without a key with multistream-select. Only that evidence (or a key
 * configured here) makes a line mention a pre-shared key; a handshake that merely timed out says so
 * (kind `handshake-timeout`: routine under load, logged at debug and counted, never blamed on a key).
 */
import { describeError, isPeerGone } from './describe-error.js'
import type { FirstBytes } from './first-bytes.js'

export type DialFailureKind = 'refused' | 'timeout' | 'handshake' | 'handshake-timeout' | 'gone' | 'wrong-peer' | 'denied' | 'self' | 'other'

export interface DialFailureInput {
  error: unknown
  /** The upgrader reported starting encryption: TCP connected, the security handshake did not finish. */
  handshakeStarted: boolean
  pskConfigured: boolean
  dialTimeoutMs: number
  /** Without a key: what the remote sent first on our connection to it (undefined if unknown). */
  remoteFirstBytes?: FirstBytes
}

export interface DialDiagnosis {
  kind: DialFailureKind
  /** Human explanation, without the target (the caller adds it). */
  explanation: string
}

/**
 * The remote authenticated with this peer's own id. Either the address is this peer's own under a name
 * it does not know as its own, or another process runs with a copy of its identity (a copied data dir):
 * then the two never form a mesh, and without this line nothing said why.
 */
export const SELF_ID_EXPLANATION = "the remote presents this peer's own id: it is this peer under an address it does not know as its own, or another process runs with a copy of this peer's identity (a copied data dir; every peer needs its own peer.key)"

/** libp2p's refusal of a connection whose remote is this peer itself. */
export function isSelfConnection (message: string): boolean {
  return /dial self/i.test(message)
}

export function diagnoseDialFailure (input: DialFailureInput): DialDiagnosis {
  const err = input.error
  const name = err instanceof Error ? err.name : ''
  const message = err instanceof Error ? err.message : describeError(err)
  const timedOut = name === 'TimeoutError' || name === 'AbortError' || /timed? ?out|aborted/i.test(message)
  if (name === 'DialDeniedError' || /blocked by gater|denied/i.test(message)) {
    return { kind: 'denied', explanation: 'refused by our connection gater (blocked, not allowed, or in cooldown)' }
  }
  if (isSelfConnection(message)) return { kind: 'self', explanation: SELF_ID_EXPLANATION }
  if (/ECONNREFUSED/.test(message)) return { kind: 'refused', explanation: 'connection refused (nothing listening there: peer stopped?)' }
  if (/identity|does not match|unexpected peer/i.test(message)) {
    return { kind: 'wrong-peer', explanation: `a different peer answers at that address (${message})` }
  }
  const failure = timedOut && input.handshakeStarted
    ? `the security handshake did not complete within ${input.dialTimeoutMs} ms`
    : `the security handshake failed (${message})`
  if (input.pskConfigured && (timedOut ? input.handshakeStarted : name === 'EncryptionFailedError' || /ECONNRESET|EPIPE/.test(message))) {
    return { kind: 'handshake', explanation: `${failure}: the remote most likely has no pre-shared key or a different one` }
  }
  // What the remote said first shows it is no libp2p peer at all: an HTTP server (most often a murmur peer's
  // --http port given where its libp2p address belongs), or another plain-text service. Not a key.
  if (input.remoteFirstBytes === 'http') {
    return { kind: 'handshake', explanation: `${failure}: the remote answered like an HTTP server, not a libp2p peer: is this a peer's --http port? Peers reach each other at the libp2p address their banner prints as \`listen\`` }
  }
  if (input.remoteFirstBytes === 'text') {
    return { kind: 'handshake', explanation: `${failure}: the remote answered in plain text, not like a libp2p peer: another service listens there, not a murmur peer` }
  }
  if (!input.pskConfigured && input.remoteFirstBytes === 'other' && (timedOut || isPeerGone(err) || name === 'EncryptionFailedError')) {
    return { kind: 'handshake', explanation: `${failure}: the remote did not open like a libp2p peer, so it may require a pre-shared key (private mesh) that this peer does not have` }
  }
  if (!input.pskConfigured && isPeerGone(err)) {
    return { kind: 'gone', explanation: `the remote closed the connection during the handshake (${message}): it is stopping, or refused us for being over a connection limit` }
  }
  if (name === 'EncryptionFailedError') return { kind: 'handshake', explanation: failure }
  if (timedOut) {
    if (input.handshakeStarted) {
      const remote = input.remoteFirstBytes === 'none' ? ' (the remote accepted the connection and said nothing)' : ''
      return { kind: 'handshake-timeout', explanation: `${failure}${remote}: the remote or this machine is overloaded` }
    }
    return { kind: 'timeout', explanation: `no connection within ${input.dialTimeoutMs} ms (host unreachable or overloaded)` }
  }
  return { kind: 'other', explanation: `${name === '' ? '' : `${name}: `}${message}` }
}

export interface InboundHandshakeDiagnosis {
  /**
   * `gone`: the remote hung up (FIN, reset, EOF) — routine without a key (peers stop, diallers give up).
   * `timeout`: the remote sent too little within the upgrade timeout. `failed`: the handshake broke.
   */
  kind: 'gone' | 'timeout' | 'failed'
  explanation: string
  /** Worth a warning: a key problem (a key is configured, or garbage arrived), or slots held by silence. */
  warn: boolean
}

/**
 * The listener's side: an inbound connection that closed before its handshake completed. `firstBytes`
 * (no key configured) says whether the remote opened like a libp2p peer; undefined if unknown.
 */
export function diagnoseInboundHandshakeFailure (error: Error | undefined, elapsedMs: number, pskConfigured: boolean, firstBytes?: FirstBytes): InboundHandshakeDiagnosis {
  const ms = Math.round(elapsedMs)
  const kind = error === undefined || isPeerGone(error)
    ? 'gone'
    : error.name === 'TimeoutError' || error.name === 'AbortError' || /timed? ?out/i.test(error.message) ? 'timeout' : 'failed'
  const what = kind === 'gone'
    ? `the remote hung up after ${ms} ms without completing the security handshake${error === undefined ? '' : ` (${describeError(error)})`}`
    : kind === 'timeout'
      ? `the security handshake did not complete within ${ms} ms`
      : `the security handshake failed after ${ms} ms (${describeError(error)})`
  if (error !== undefined && isSelfConnection(error.message)) return { kind: 'failed', explanation: `${what}: ${SELF_ID_EXPLANATION}`, warn: true }
  if (pskConfigured) return { kind, explanation: `${what}: pre-shared key mismatch or missing on the remote (most likely)`, warn: true }
  if (firstBytes === 'http' || firstBytes === 'text') return { kind, explanation: `${what}, and what it sent is plain text, not libp2p: a client of another protocol (an HTTP client?) pointed at this peer's libp2p port; a murmur peer's HTTP API is on its --http address`, warn: true }
  const keyHint = 'the remote may be using a pre-shared key (private mesh) that this peer does not have'
  if (kind === 'failed') return { kind, explanation: `${what}: ${keyHint}`, warn: true }
  if (firstBytes === 'other') return { kind, explanation: `${what}, and what it sent is not libp2p: ${keyHint}, or is not a murmur peer`, warn: true }
  if (kind === 'gone') return { kind, explanation: `${what}: it is stopping, gave up dialling, or is a port scanner`, warn: false }
  const why = firstBytes === 'none'
    ? 'it sent nothing (a port scanner, or silent connections holding handshake slots)'
    : firstBytes === 'libp2p'
      ? 'a libp2p peer that stalled (overloaded, or a very slow link)'
      : 'a port scanner, a client that is not a murmur peer, or silent connections holding handshake slots'
  return { kind, explanation: `${what}: ${why}`, warn: true }
}

/** The line `diagnoseInboundHandshakeFailure` explains, without the level. */
export function explainInboundHandshakeFailure (error: Error | undefined, elapsedMs: number, pskConfigured: boolean): string {
  return diagnoseInboundHandshakeFailure(error, elapsedMs, pskConfigured).explanation
}
