/**
 * Reads length-prefixed frames from one inbound stream until it ends, with bounded memory and time:
 *
 * - `maxDataLength` = the channel's frame limit: a larger length prefix fails before the body is read;
 *   the prefix itself may be at most as long as the limit's varint (boundedVarintDecoder).
 * - `maxBufferSize`: at most two maximal frames may sit unread; more and the stream is aborted.
 * - Read timeout: an idle stream may wait forever (long-lived streams are the point), but once the first
 *   byte of a frame has arrived, the whole frame must arrive within `readTimeoutMs`.
 *
 * lpStream reports a clean end of stream and a frame cut short the same way (UnexpectedEOFError), so the
 * reader counts bytes received vs. consumed to tell them apart.
 */
import { lpStream } from '@libp2p/utils'
import type { Stream, StreamMessageEvent } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'
import { varintLength } from '../core/codec.js'
import { toError } from './describe-error.js'

export type ReadEndReason =
  /** The remote closed its end between frames: normal. */
  | 'eof'
  /** The stream was reset, aborted or the connection closed: not the remote's fault as far as we know. */
  | 'closed'
  /** Hostile or broken input (the caller counts it and aborts the stream): */
  | 'oversized' | 'malformed' | 'timeout'
  /** The frame handler asked to stop (e.g. the peer was blocked). */
  | 'stopped'

export interface ReadEnd {
  reason: ReadEndReason
  error?: Error
}

export interface FrameReaderOptions {
  maxFrameBytes: number
  readTimeoutMs: number
  /** Called once per frame, synchronously. Return false to stop reading. */
  onFrame: (frame: Uint8Array) => boolean
}

class ReadTimeoutError extends Error {
  override name = 'ReadTimeoutError'
}

class MalformedPrefixError extends Error {
  override name = 'MalformedPrefixError'
}

/**
 * What the decoder throws while a prefix is incomplete: lpStream reads the prefix a byte at a time and asks
 * again after each, so every frame of 128 bytes or more met it at least once. One instance, thrown as is:
 * building a RangeError with its stack each time cost 0.7 % of the 30-peer soak's CPU (issue 14).
 */
const INCOMPLETE_VARINT = new RangeError('incomplete varint')

/**
 * The length-prefix decoder handed to lpStream. lpStream treats any RangeError as "varint incomplete,
 * read another byte", and uint8-varint throws RangeError for an over-long varint too — so with the stock
 * decoder, a stream of 0xff bytes is read one byte at a time, forever, into a growing buffer. This one
 * refuses a prefix longer than the longest legal one for the channel.
 */
export function boundedVarintDecoder (maxPrefixBytes: number): (data: Uint8ArrayList) => number {
  return (data) => {
    let value = 0
    for (let i = 0; i < data.byteLength; i++) {
      if (i >= maxPrefixBytes) throw new MalformedPrefixError(`length prefix longer than ${maxPrefixBytes} bytes`)
      const b = data.get(i)
      value += (b & 0x7f) * 2 ** (7 * i)
      if (b < 0x80) return value
    }
    if (data.byteLength >= maxPrefixBytes) throw new MalformedPrefixError(`length prefix longer than ${maxPrefixBytes} bytes`)
    throw INCOMPLETE_VARINT
  }
}

export async function readFrames (stream: Stream, options: FrameReaderOptions): Promise<ReadEnd> {
  const maxPrefixBytes = varintLength(options.maxFrameBytes)
  const lp = lpStream(stream, {
    maxDataLength: options.maxFrameBytes,
    maxLengthLength: maxPrefixBytes,
    lengthDecoder: boundedVarintDecoder(maxPrefixBytes),
    // Room for one maximal frame being assembled plus the start of the next; beyond it the remote is
    // sending faster than it could be read, and byteStream aborts the stream.
    maxBufferSize: 2 * (options.maxFrameBytes + varintLength(options.maxFrameBytes))
  })
  let received = 0
  let consumed = 0
  let reading = false
  let timer: NodeJS.Timeout | undefined
  let controller = new AbortController()
  const armTimer = (): void => {
    if (timer !== undefined) return
    const c = controller
    timer = setTimeout(() => { c.abort(new ReadTimeoutError(`frame incomplete after ${options.readTimeoutMs} ms`)) }, options.readTimeoutMs)
  }
  const onMessage = (evt: StreamMessageEvent): void => {
    received += evt.data.byteLength
    if (reading) armTimer()
  }
  stream.addEventListener('message', onMessage)
  try {
    for (;;) {
      controller = new AbortController()
      reading = true
      // Leftover bytes of a frame that arrived together with the previous one: the clock is already running.
      if (received > consumed) armTimer()
      let frame: Uint8Array
      try {
        const buf = (await lp.read({ signal: controller.signal })).subarray()
        // A plain Uint8Array view, not a Node Buffer: Buffer#slice shares memory where
        // Uint8Array#slice copies, and handlers are entitled to the standard semantics.
        frame = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
      } catch (err) {
        return classify(err, received > consumed)
      } finally {
        reading = false
        clearTimeout(timer)
        timer = undefined
      }
      consumed += frame.byteLength + varintLength(frame.byteLength)
      if (frame.byteLength === 0) return { reason: 'malformed', error: new Error('empty frame') }
      if (!options.onFrame(frame)) return { reason: 'stopped' }
    }
  } finally {
    stream.removeEventListener('message', onMessage)
  }
}

function classify (err: unknown, partial: boolean): ReadEnd {
  const error = toError(err)
  switch (error.name) {
    case 'ReadTimeoutError':
      return { reason: 'timeout', error }
    case 'InvalidDataLengthError':
      return { reason: 'oversized', error }
    case 'MalformedPrefixError':
    case 'InvalidMessageLengthError':
    case 'InvalidDataLengthLengthError':
      return { reason: 'malformed', error }
    case 'StreamBufferError':
      // byteStream's own overflow: the remote pushed more than two maximal frames unread.
      return { reason: 'malformed', error }
    case 'UnexpectedEOFError':
      // At a frame boundary this is how lpStream reports a normal end of stream.
      return partial ? { reason: 'malformed', error } : { reason: 'eof' }
    default:
      return { reason: 'closed', error }
  }
}
