/**
 * Our long-lived outbound stream for one (peer, channel): length-prefixed frames, written in batches.
 *
 * The stream is write-only by protocol: the remote answers on its own outbound stream, never on ours.
 * Bytes arriving here are a protocol violation ('unexpected'): the stream is aborted.
 */
import { lpStream } from '@libp2p/utils'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { Connection, Stream } from '@libp2p/interface'
import { isPeerGone, toError } from './describe-error.js'

export class UnexpectedFrameError extends Error {
  override name = 'UnexpectedFrameError'
}

/**
 * How a batch write ended. `timeout`: blocked by backpressure past the write timeout (the remote stopped
 * reading: worth a warning). `gone`: the stream or connection was closed or reset under us (the peer
 * stopped or went away: routine). `failed`: anything else.
 */
export type WriteResult = { ok: true } | { ok: false, reason: 'timeout' | 'gone' | 'failed', error?: Error }

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
   * Writes `frames` as one batch. Resolves ok once the bytes are handed to the muxer; not ok if the
   * stream failed or stayed blocked by backpressure past `timeoutMs` (then the stream is aborted).
   */
  async write (frames: Uint8Array[], timeoutMs: number): Promise<WriteResult> {
    if (!this.writable) return { ok: false, reason: 'gone' }
    try {
      // The deadline only matters if the muxer pushes back: lp's write reads `signal` only then, to wait for
      // 'drain'. Made on demand, the common write arms no timer that fires seconds later to build a
      // TimeoutError nobody reads (0.3 % of the 30-peer soak's CPU went to those, issue 14).
      await this.lp.writeV(frames, { get signal (): AbortSignal { return AbortSignal.timeout(timeoutMs) } })
      return { ok: true }
    } catch (err) {
      this.failed = true
      const error = toError(err)
      const reason = error.name === 'TimeoutError'
        ? 'timeout'
        : isPeerGone(err) || this.connection.status !== 'open' || this.stream.status !== 'open' ? 'gone' : 'failed'
      this.stream.abort(error)
      return { ok: false, reason, error }
    }
  }

  /** Half-closes (our FIN after all written data), bounded; aborts if that does not finish in time. */
  async close (timeoutMs: number): Promise<void> {
    this.failed = true
    try {
      await this.stream.close({ signal: AbortSignal.timeout(timeoutMs) })
    } catch (err) {
      this.stream.abort(toError(err))
    }
  }

  abort (err: Error): void {
    this.failed = true
    this.stream.abort(err)
  }
}
