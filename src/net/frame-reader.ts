/**
 * Reads length-prefixed frames from one inbound stream until it ends, with bounded memory and time. Frames are
 * cut straight out of the stream's 'message' events and handed on synchronously, so nothing is buffered but
 * the frame being assembled:
 *
 * - `maxFrameBytes` = the channel's frame limit: a larger length prefix fails before the body is read; the
 *   prefix itself may be at most as long as the limit's varint.
 * - Read timeout: an idle stream may wait forever (long-lived streams are the point), but once the first
 *   byte of a frame has arrived, the whole frame must arrive within `readTimeoutMs`.
 * - The remote closing its end between frames is a normal end; inside a frame it is a truncated frame.
 *
 * (It replaced lpStream from @libp2p/utils, which reads a prefix a byte at a time and races an AbortSignal
 * for every read: with the timer per frame, ~3 % of the 30-peer soak's CPU, issue 14.)
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
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

class InvalidDataLengthError extends Error {
  override name = 'InvalidDataLengthError'
}

export interface Prefix {
  /** The frame's length. */
  value: number
  /** The prefix's own length. */
  bytes: number
}

/**
 * The unsigned LEB128 length prefix at the head of `data`: undefined while incomplete, a reason when it is
 * longer than the longest legal one for the channel (a stream of 0xff bytes must not be read forever).
 */
export function decodePrefix (data: Uint8ArrayList, maxPrefixBytes: number): Prefix | string | undefined {
  let value = 0
  const n = Math.min(data.byteLength, maxPrefixBytes)
  for (let i = 0; i < n; i++) {
    const b = data.get(i)
    value += (b & 0x7f) * 2 ** (7 * i)
    if (b < 0x80) return { value, bytes: i + 1 }
  }
  return data.byteLength >= maxPrefixBytes ? `length prefix longer than ${maxPrefixBytes} bytes` : undefined
}

export async function readFrames (stream: Stream, options: FrameReaderOptions): Promise<ReadEnd> {
  if (stream.readStatus !== 'readable' && stream.readStatus !== 'paused') return { reason: 'eof' }
  return await new Promise(resolve => { read(stream, options, resolve) })
}

function read (stream: Stream, options: FrameReaderOptions, resolve: (end: ReadEnd) => void): void {
  const maxPrefixBytes = varintLength(options.maxFrameBytes)
  const buffer = new Uint8ArrayList()
  /** The length of the frame being assembled, once its prefix is in; its bytes are the head of `buffer`. */
  let length: number | undefined
  let timer: NodeJS.Timeout | undefined
  let done = false

  const finish = (end: ReadEnd): void => {
    if (done) return
    done = true
    clearTimeout(timer)
    stream.removeEventListener('message', onMessage)
    stream.removeEventListener('remoteCloseWrite', onRemoteCloseWrite)
    stream.removeEventListener('close', onClose)
    resolve(end)
  }
  const partial = (): boolean => length !== undefined || buffer.byteLength > 0

  const onMessage = (evt: StreamMessageEvent): void => {
    if (done) return
    buffer.append(evt.data)
    let completed = false
    for (;;) {
      if (length === undefined) {
        const prefix = decodePrefix(buffer, maxPrefixBytes)
        if (prefix === undefined) break
        if (typeof prefix === 'string') { finish({ reason: 'malformed', error: new MalformedPrefixError(prefix) }); return }
        if (prefix.value > options.maxFrameBytes) {
          finish({ reason: 'oversized', error: new InvalidDataLengthError(`frame of ${prefix.value} bytes exceeds the limit of ${options.maxFrameBytes}`) })
          return
        }
        if (prefix.value === 0) { finish({ reason: 'malformed', error: new Error('empty frame') }); return }
        buffer.consume(prefix.bytes)
        length = prefix.value
      }
      if (buffer.byteLength < length) break
      const head = buffer.subarray(0, length)
      // A plain Uint8Array view, not a Node Buffer: Buffer#slice shares memory where Uint8Array#slice
      // copies, and handlers are entitled to the standard semantics.
      const frame = new Uint8Array(head.buffer, head.byteOffset, head.byteLength)
      buffer.consume(length)
      length = undefined
      completed = true
      let more: boolean
      try {
        more = options.onFrame(frame)
      } catch (err) {
        finish({ reason: 'closed', error: toError(err) })
        return
      }
      if (!more) { finish({ reason: 'stopped' }); return }
      // The handler may have ended the read itself (it aborted the stream: a blocked peer).
      if (done) return
    }
    // The clock runs from the first byte of a frame until its last.
    if (completed) { clearTimeout(timer); timer = undefined }
    if (partial() && timer === undefined) {
      timer = setTimeout(() => {
        finish({ reason: 'timeout', error: new ReadTimeoutError(`frame incomplete after ${options.readTimeoutMs} ms`) })
      }, options.readTimeoutMs)
    }
  }
  // The remote closed its end: normal between frames, a truncated frame inside one.
  const onRemoteCloseWrite = (): void => {
    finish(partial() ? { reason: 'malformed', error: new Error('stream ended inside a frame') } : { reason: 'eof' })
  }
  const onClose = (evt: StreamCloseEvent): void => {
    if (evt.error !== undefined) finish({ reason: 'closed', error: evt.error })
    else onRemoteCloseWrite()
  }
  stream.addEventListener('message', onMessage)
  stream.addEventListener('remoteCloseWrite', onRemoteCloseWrite)
  stream.addEventListener('close', onClose)
}
