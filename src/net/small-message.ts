/**
 * Reading one small message from an inbound stream: everything the remote writes before it half-closes,
 * at most `maxBytes` and within `timeoutMs` (a stream that sends more, or takes longer, is aborted). For the
 * one-message protocols (clash notices, datagram keys), whose senders are not trusted.
 */
import type { Connection, Stream, StreamMessageEvent } from '@libp2p/interface'
import { toError } from './describe-error.js'

export interface SmallMessageLimits {
  maxBytes: number
  timeoutMs: number
}

/**
 * Opens a `protocol` stream on `connection`, writes `bytes` and half-closes, within `timeoutMs` for each
 * step. Returns the error (the stream aborted with it) or undefined when the message went out.
 */
export async function sendSmallMessage (connection: Connection, protocol: string, bytes: Uint8Array, timeoutMs: number): Promise<Error | undefined> {
  let stream: Stream | undefined
  try {
    stream = await connection.newStream(protocol, { signal: AbortSignal.timeout(timeoutMs) })
    stream.send(bytes)
    await stream.close({ signal: AbortSignal.timeout(timeoutMs) })
    return undefined
  } catch (err) {
    stream?.abort(toError(err))
    return toError(err)
  }
}

/**
 * Calls `onMessage` with the bytes once the remote half-closed (our end is then closed too), or `onTooLong`
 * before aborting a stream that sent more than `maxBytes`. Nothing is called for a stream that times out or
 * closes first.
 *
 * The end of the message is the stream's 'end' (every byte delivered, the remote's writable end closed), not
 * 'remoteCloseWrite': a handler may be called after both the bytes and the half-close arrived (a protocol
 * negotiation that read ahead), when the half-close was signalled already and the bytes still wait in the
 * buffer, to come out in a microtask once a listener attaches (test/net/small-message.test.ts).
 */
export function readSmallMessage (stream: Stream, limits: SmallMessageLimits, onMessage: (bytes: Uint8Array) => void, onTooLong?: () => void): void {
  const chunks: Uint8Array[] = []
  let size = 0
  const timer = setTimeout(() => { end(new Error(`a message took over ${limits.timeoutMs} ms`)) }, limits.timeoutMs)
  const end = (error?: Error): void => {
    clearTimeout(timer)
    stream.removeEventListener('message', onData)
    stream.removeEventListener('end', onEnd)
    stream.removeEventListener('close', onClose)
    if (error !== undefined) stream.abort(error)
  }
  const onData = (evt: StreamMessageEvent): void => {
    const data = evt.data.subarray()
    size += data.byteLength
    if (size > limits.maxBytes) {
      onTooLong?.()
      end(new Error(`a message over ${limits.maxBytes} bytes`))
      return
    }
    chunks.push(data)
  }
  const onEnd = (): void => {
    end()
    // A reset or an abort ends the readable side too: what came before it is no message.
    if (stream.status === 'reset' || stream.status === 'aborted') return
    void stream.close().catch(() => {})
    const bytes = new Uint8Array(size)
    let at = 0
    for (const c of chunks) {
      bytes.set(c, at)
      at += c.byteLength
    }
    onMessage(bytes)
  }
  const onClose = (): void => { end() }
  stream.addEventListener('message', onData)
  stream.addEventListener('end', onEnd)
  stream.addEventListener('close', onClose)
  // 'end' fires once: a stream that ended, empty, before we listened will not say so again.
  if (stream.readableEnded && stream.readBufferLength === 0) onEnd()
}
