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
 *
 * It does both on the TCP connection itself, not as a layer of its own (issue 11): the connection's
 * `sendData` is wrapped on that instance to hand the socket one buffer, and its `onData` only until the
 * first bytes are classified. A layer between TCP and Noise — a message stream of its own, with its
 * buffers, events and send queue — cost every frame sent and received another pass through libp2p's
 * stream machinery: ~3 % of an idle meshed peer's CPU (perf, 20 idle peers on loopback). A connection of
 * another shape gets that layer (CoalescingConnection), as before.
 */
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import type { AbortOptions, ConnectionProtector, MessageStream, MultiaddrConnection } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
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

/**
 * Reports `conn`'s first chunks to the sink for its direction until the verdict is known: a function that
 * takes a chunk and says whether the verdict is in (undefined: nothing to report to).
 */
function firstBytesSink (conn: MultiaddrConnection, sinks: FirstBytesSinks): ((chunk: Uint8Array) => boolean) | undefined {
  if (conn.direction === 'inbound') {
    const log = sinks.inbound
    if (log === undefined) return undefined
    log.watch(conn)
    return (chunk) => log.note(conn, chunk)
  }
  const log = sinks.outbound
  if (log === undefined) return undefined
  const addr = withoutPeerId(conn.remoteAddr).toString()
  log.started(addr, conn)
  return (chunk) => log.note(addr, conn, chunk)
}

/** Reports `conn`'s first chunks (through a message listener: the wrapping layer's own). */
function firstBytesSniffer (conn: MultiaddrConnection, sinks: FirstBytesSinks): ((chunk: Uint8Array) => void) | undefined {
  const note = firstBytesSink(conn, sinks)
  if (note === undefined) return undefined
  let sniffing = true
  return (chunk) => { if (sniffing) sniffing = !note(chunk) }
}

/** The members of libp2p's TCP connection (an AbstractMessageStream) written to in place. */
interface RawConnection {
  sendData?: unknown
  onData?: unknown
  readBuffer?: { byteLength?: unknown, subarray?: unknown }
}

/**
 * Makes `conn` itself hand the socket one buffer per message, and report its first bytes; false (nothing
 * done) unless it is of the expected shape: `sendData` and `onData` methods of its class, and a read buffer.
 */
function coalesceInPlace (conn: MultiaddrConnection, sinks: FirstBytesSinks): boolean {
  const raw = conn as unknown as RawConnection
  const { sendData, onData, readBuffer } = raw
  if (typeof sendData !== 'function' || typeof onData !== 'function' || Object.hasOwn(raw, 'sendData') || Object.hasOwn(raw, 'onData') ||
      typeof readBuffer?.byteLength !== 'number' || typeof readBuffer.subarray !== 'function') return false
  raw.sendData = function (this: unknown, data: Uint8ArrayList): unknown {
    // subarray() of a multi-chunk list copies it into one buffer: one write, one segment.
    return sendData.call(this, new Uint8ArrayList(data.subarray()))
  }
  const note = firstBytesSink(conn, sinks)
  if (note === undefined) return true
  // An inbound connection's first bytes may be in already (the admission waits for them, unread).
  const buffered = readBuffer.byteLength > 0 ? (readBuffer.subarray as () => Uint8Array).call(readBuffer) : undefined
  if (buffered !== undefined && note(buffered)) return true
  raw.onData = function (this: unknown, data: Uint8Array | Uint8ArrayList): unknown {
    if (note(data.subarray())) Reflect.deleteProperty(raw, 'onData')
    return onData.call(this, data)
  }
  return true
}

export function coalescingProtector (sinks: FirstBytesSinks = {}): () => ConnectionProtector {
  return () => ({
    async protect (connection: MessageStream): Promise<MessageStream> {
      const conn = connection as MultiaddrConnection
      return coalesceInPlace(conn, sinks) ? conn : new CoalescingConnection(conn, sinks)
    }
  })
}
