/**
 * Telling the two processes behind an identity clash (inbound.ts `clashed`). A third peer that sees one
 * identity's frames arrive on two open connections at once opens a stream of CLASH_PROTOCOL on each and
 * writes where the other process connects from; each process logs it as an error. Before, only third peers
 * named the clash: a copy started through a third peer (a cloned VM or data dir) logged only that no
 * bootstrap peer answered yet, since the answers went to the original.
 *
 * Anyone can send a notice, so it never does more than a log line (at most one per NOTICE_LOG_INTERVAL_MS)
 * and a counter: the text quoted from the remote is cut to MAX_NOTICE_BYTES and made printable, and a
 * stream that sends more, or takes longer than NOTICE_TIMEOUT_MS, is aborted.
 */
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger } from '../core/logger.js'
import { terminalSafe } from '../core/terminal-safe.js'
import { readSmallMessage, sendSmallMessage } from './small-message.js'

export const CLASH_PROTOCOL = '/murmur/clash/1.0.0'
/** A notice is one multiaddr of the other process's connection (UTF-8). */
export const MAX_NOTICE_BYTES = 512
const NOTICE_TIMEOUT_MS = 5_000
/** Notices received are logged at most once per this long (each is counted). */
export const NOTICE_LOG_INTERVAL_MS = 60_000

/** Opens a CLASH_PROTOCOL stream on `connection` and writes `otherAddr`; failures are only logged at debug. */
export async function sendClashNotice (connection: Connection, otherAddr: string, log: Logger): Promise<void> {
  const bytes = new TextEncoder().encode(otherAddr.slice(0, MAX_NOTICE_BYTES / 4))
  const error = await sendSmallMessage(connection, CLASH_PROTOCOL, bytes, NOTICE_TIMEOUT_MS)
  if (error !== undefined) log.debug('could not tell a process of its identity clash', { remote: connection.remoteAddr.toString(), error: error.message })
}

/** The receiving end: returns the handler of inbound CLASH_PROTOCOL streams (one bounded notice each, logged rate-limited). */
export function clashNoticeReceiver (localId: string, log: Logger, now: () => number): (stream: Stream, connection: Connection) => void {
  let loggedAt = Number.NEGATIVE_INFINITY
  const handle = (stream: Stream, connection: Connection): void => {
    readSmallMessage(stream, { maxBytes: MAX_NOTICE_BYTES, timeoutMs: NOTICE_TIMEOUT_MS }, (bytes) => {
      if (bytes.byteLength === 0) return
      const t = now()
      if (t - loggedAt < NOTICE_LOG_INTERVAL_MS) return
      loggedAt = t
      const other = terminalSafe(new TextDecoder().decode(bytes))
      log.error('another process runs with a copy of this peer\'s identity: a member sees frames from this identity on two connections at once, and cannot tell the two processes apart (one of them gets no answers). Every peer needs its own peer.key: stop one, and start it with a data dir of its own (or remove its peer.key to have a new identity made)', {
        peerId: localId, toldBy: connection.remotePeer.toString(), otherConnectsFrom: other
      })
    })
  }
  return handle
}
