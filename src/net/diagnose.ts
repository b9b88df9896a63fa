/**
 * Turning connection failures into one honest log line. What each side of a pre-shared-key mismatch
 * actually observes (measured with @libp2p/pnet 3 over TCP on 127.0.0.1):
 *
 * | situation                         | dialler sees                                 | listener sees                                   |
 * |-----------------------------------|----------------------------------------------|-------------------------------------------------|
 * | keyless dials keyed               | hangs until its dial timeout (always)        | inbound handshake never completes; closed when the dialler gives up |
 * | keyed dials keyless               | ECONNRESET in ~10 ms                         | EncryptionFailedError ("Missing newline") in ~3 ms |
 * | keyed dials other key             | ECONNRESET in ms (~2 of 3 runs) or hangs until the dial timeout (~1 of 3: the garbage happens to parse as a short length prefix) | EncryptionFailedError in ms, or nothing until the dialler gives up |
 *
 * So neither side can be sure a failure is a key problem — a port scanner or a non-libp2p client looks
 * the same to the listener — and the lines below say "most likely" / "may".
 */

export type DialFailureKind = 'refused' | 'timeout' | 'handshake' | 'wrong-peer' | 'denied' | 'self' | 'other'

export interface DialFailureInput {
  error: unknown
  /** The upgrader reported starting encryption: TCP connected, the security handshake did not finish. */
  handshakeStarted: boolean
  pskConfigured: boolean
  dialTimeoutMs: number
}

export interface DialDiagnosis {
  kind: DialFailureKind
  /** Human explanation, without the target (the caller adds it). */
  explanation: string
}

export function diagnoseDialFailure (input: DialFailureInput): DialDiagnosis {
  const err = input.error
  const name = err instanceof Error ? err.name : ''
  const message = err instanceof Error ? err.message : String(err)
  const keyHint = input.pskConfigured
    ? 'the remote most likely has no pre-shared key or a different one'
    : 'the remote may require a pre-shared key (private mesh) that this peer does not have'
  if (name === 'DialDeniedError' || /blocked by gater|denied/i.test(message)) {
    return { kind: 'denied', explanation: 'refused by our connection gater (blocked, not allowed, or in cooldown)' }
  }
  if (/dial self/i.test(message)) return { kind: 'self', explanation: 'the address is our own' }
  if (/ECONNREFUSED/.test(message)) return { kind: 'refused', explanation: 'connection refused (nothing listening there: peer stopped?)' }
  if (/identity|does not match|unexpected peer/i.test(message)) {
    return { kind: 'wrong-peer', explanation: `a different peer answers at that address (${message})` }
  }
  if (name === 'EncryptionFailedError' || /ECONNRESET|EPIPE/.test(message)) {
    return { kind: 'handshake', explanation: `the security handshake failed (${message}): ${keyHint}` }
  }
  if (name === 'TimeoutError' || name === 'AbortError' || /timed? ?out|aborted/i.test(message)) {
    if (input.handshakeStarted) {
      return { kind: 'handshake', explanation: `the security handshake did not complete within ${input.dialTimeoutMs} ms: ${keyHint}` }
    }
    return { kind: 'timeout', explanation: `no connection within ${input.dialTimeoutMs} ms (host unreachable or overloaded)` }
  }
  return { kind: 'other', explanation: `${name === '' ? '' : `${name}: `}${message}` }
}

/** The listener's side: an inbound connection that closed before its handshake completed. */
export function explainInboundHandshakeFailure (error: Error | undefined, elapsedMs: number, pskConfigured: boolean): string {
  const what = error === undefined
    ? `the remote hung up after ${Math.round(elapsedMs)} ms without completing the security handshake`
    : `the security handshake failed after ${Math.round(elapsedMs)} ms (${error.message})`
  return pskConfigured
    ? `${what}: pre-shared key mismatch or missing on the remote (most likely)`
    : `${what}: the remote may be using a pre-shared key (private mesh) that this peer does not have`
}
