/**
 * Our long-lived outbound stream for one (peer, channel): length-prefixed frames, written in batches.
 *
 * The stream is write-only by protocol: the remote answers on its own outbound stream, never on ours.
 * Bytes arriving here are a protocol violation ('unexpected'): the stream is aborted.
 */
import { lpStream } from '@libp2p/utils'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { Connection, Stream } from '@libp2p/interface'

export class UnexpectedFrameError extends Error {
  override name = 'UnexpectedFrameError'
}

export class FrameWriter {
  private readonly lp: LengthPrefixedStream<Stream>
  private failed = false

  constructor (
    readonly stream: Stream,
    readonly connection: Connection,
    maxFrameBytes: number,
    onUnexpected: () => void
  ) {
    this.lp = lpStream(stream, { maxDataLength: maxFrameBytes })
    stream.addEventListener('message', () => {
      if (this.failed) return
      this.failed = true
      onUnexpected()
      stream.abort(new UnexpectedFrameError('remote wrote on a write-only stream'))
    })
  }

  /** Usable for more writes: open, our write side open, on an open connection. */
  get writable (): boolean {
    return !this.failed && this.stream.status === 'open' && this.stream.writeStatus === 'writable' &&
      this.stream.remoteReadStatus === 'readable' && this.connection.status === 'open'
  }

  /**
   * Writes `frames` as one batch. Resolves true once the bytes are handed to the muxer, false if the
   * stream failed or stayed blocked by backpressure past `timeoutMs` (then the stream is aborted).
   */
  async write (frames: Uint8Array[], timeoutMs: number): Promise<boolean> {
    if (!this.writable) return false
    try {
      await this.lp.writeV(frames, { signal: AbortSignal.timeout(timeoutMs) })
      return true
    } catch (err) {
      this.failed = true
      this.stream.abort(err instanceof Error ? err : new Error(String(err)))
      return false
    }
  }

  /** Half-closes (our FIN after all written data), bounded; aborts if that does not finish in time. */
  async close (timeoutMs: number): Promise<void> {
    this.failed = true
    try {
      await this.stream.close({ signal: AbortSignal.timeout(timeoutMs) })
    } catch (err) {
      this.stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  abort (err: Error): void {
    this.failed = true
    this.stream.abort(err)
  }
}
