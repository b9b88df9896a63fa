/**
 * A pass-through "connection protector" that makes each write to the socket a single buffer.
 *
 * Why: Noise hands the TCP connection each message as [2-byte length, ciphertext], and @libp2p/tcp
 * writes every chunk with its own `socket.write` — with Nagle off, that is two TCP segments per Noise
 * message, 52 bytes of headers for a 2-byte length. Measured with 10 idle peers on 127.0.0.1: 11.3 → 7.0
 * segments/s and 788 → 539 B/s per member on the wire. Idle bytes per member are a measured goal
 * (≤ ~630 B/s), so murmur joins them here. The protector slot is libp2p's documented hook for
 * wrapping the raw connection; with a pre-shared key the pnet protector takes the slot, and it already
 * writes one buffer per message.
 *
 * Being the first to see an inbound connection's raw bytes, it also reports them to a FirstBytesLog
 * (first-bytes.ts) until they say whether the remote speaks libp2p: handshake diagnosis.
 */
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import type { AbortOptions, ConnectionProtector, MessageStream, MultiaddrConnection } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { withoutPeerId } from './addresses.js'
import type { FirstBytesLog, OutboundFirstBytes } from './first-bytes.js'

/** Where the protector reports what remotes send first: inbound connections, and our own dials. */
export interface FirstBytesSinks {
  inbound?: FirstBytesLog
  outbound?: OutboundFirstBytes
}

class CoalescingConnection extends AbstractMultiaddrConnection {
  constructor (private readonly inner: MultiaddrConnection, sinks: FirstBytesSinks = {}) {
    super({ remoteAddr: inner.remoteAddr, direction: inner.direction, log: inner.log.newScope('coalesce') })
    const sniff = firstBytesSniffer(inner, sinks)
    inner.addEventListener('message', (evt) => {
      sniff?.(evt.data.subarray())
      this.onData(evt.data)
    })
    inner.addEventListener('drain', () => { this.onMuxerDrain() })
    inner.addEventListener('close', (evt) => {
      if (evt.error === undefined) this.onTransportClosed()
      else if (evt.local) this.abort(evt.error)
      else this.onRemoteReset()
    })
  }

  sendData (data: Uint8ArrayList): { sentBytes: number, canSendMore: boolean } {
    // subarray() of a multi-chunk list copies it into one buffer: one write, one segment.
    return { sentBytes: data.byteLength, canSendMore: this.inner.send(data.subarray()) }
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    await this.inner.close(options)
  }

  sendReset (err: Error): void {
    this.inner.abort(err)
  }

  sendPause (): void {
    this.inner.pause()
  }

  sendResume (): void {
    this.inner.resume()
  }
}

/** Reports `conn`'s first chunks to the sink for its direction until the verdict is known. */
function firstBytesSniffer (conn: MultiaddrConnection, sinks: FirstBytesSinks): ((chunk: Uint8Array) => void) | undefined {
  let sniffing = true
  if (conn.direction === 'inbound') {
    const log = sinks.inbound
    if (log === undefined) return undefined
    log.watch(conn)
    return (chunk) => { if (sniffing) sniffing = !log.note(conn, chunk) }
  }
  const log = sinks.outbound
  if (log === undefined) return undefined
  const addr = withoutPeerId(conn.remoteAddr).toString()
  log.started(addr, conn)
  return (chunk) => { if (sniffing) sniffing = !log.note(addr, conn, chunk) }
}

export function coalescingProtector (sinks: FirstBytesSinks = {}): () => ConnectionProtector {
  return () => ({
    async protect (connection: MessageStream): Promise<MessageStream> {
      return new CoalescingConnection(connection as MultiaddrConnection, sinks)
    }
  })
}
