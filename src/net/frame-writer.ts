/**
 * Our long-lived outbound stream for one (peer, channel): length-prefixed frames, written in batches.
 *
 * The stream is write-only by protocol: the remote answers on its own outbound stream, never on ours.
 * Bytes arriving here are a protocol violation ('unexpected'): the stream is aborted.
 *
 * A batch is handed to the stream synchronously (`send`): the bytes are lpStream's (a varint length before
 * each frame, the batch as one message), without its two async layers, their promises, and the byte
 * stream's read buffer, which listened to every stream for bytes that must never come. Only a batch the
 * muxer pushes back on waits (`drained`), as lpStream's write did (issue 11: an idle peer's sends).
 */
import type { Connection, Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
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

const OK: WriteResult = Object.freeze({ ok: true })
const GONE: WriteResult = Object.freeze({ ok: false, reason: 'gone' })

/** The unsigned LEB128 length prefix of a frame (what lpStream writes). */
export function lengthPrefix (n: number): Uint8Array {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return Uint8Array.from(out)
}

export class FrameWriter {
  private failed = false

  constructor (
    readonly stream: Stream,
    readonly connection: Connection,
    private readonly maxFrameBytes: number,
    onUnexpected: () => void
  ) {
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
    const sent = this.send(frames)
    return sent === 'blocked' ? await this.drained(timeoutMs) : sent
  }

  /**
   * Hands `frames` to the muxer as one batch, synchronously. 'blocked': the muxer took them but pushes
   * back; `drained` says when (and whether) more may be written.
   */
  send (frames: readonly Uint8Array[]): WriteResult | 'blocked' {
    if (!this.writable) return GONE
    const batch = new Uint8ArrayList()
    for (const frame of frames) {
      if (frame.byteLength > this.maxFrameBytes) return this.fail(new RangeError(`frame of ${frame.byteLength} bytes exceeds ${this.maxFrameBytes}`))
      batch.append(lengthPrefix(frame.byteLength), frame)
    }
    try {
      return this.stream.send(batch) ? OK : 'blocked'
    } catch (err) {
      return this.fail(err)
    }
  }

  /**
   * After a 'blocked' send: ok once the muxer drains, not ok if the stream closes first or `timeoutMs`
   * passes (then the stream is aborted). The deadline is made here, only for a write that has to wait:
   * the common write arms no timer that fires seconds later to build a TimeoutError nobody reads (0.3 %
   * of the 30-peer soak's CPU went to those, issue 14).
   */
  async drained (timeoutMs: number): Promise<WriteResult> {
    try {
      await this.stream.onDrain({ signal: AbortSignal.timeout(timeoutMs) })
      return OK
    } catch (err) {
      return this.fail(err)
    }
  }

  private fail (err: unknown): WriteResult {
    this.failed = true
    const error = toError(err)
    const reason = error.name === 'TimeoutError'
      ? 'timeout'
      : isPeerGone(err) || this.connection.status !== 'open' || this.stream.status !== 'open' ? 'gone' : 'failed'
    this.stream.abort(error)
    return { ok: false, reason, error }
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
