/**
 * No exception per received chunk. `@libp2p/utils`' LengthPrefixedDecoder (Noise's framing of every
 * encrypted message on every connection) reads frames from a buffer until its length decoder throws a
 * RangeError for want of bytes, and catches it. The buffer is empty after nearly every chunk, so every chunk
 * a peer receives ended with a new RangeError and its captured stack: ~5 µs each, 1.5 % of the 30-peer
 * soak's CPU in a profile (issue 14), for nothing.
 *
 * The patch gives each decoder, on its first use, a length decoder that throws one preallocated RangeError
 * when the buffer is empty (no length can be read from nothing, whatever the encoding), and otherwise
 * calls the original. The loop's behaviour is unchanged: it catches that RangeError as before and waits for
 * more bytes. Feature-detected: if the decoder's internals differ, nothing is patched and only the CPU
 * figure suffers; test/net/patches.test.ts notices.
 */
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { patchMethod } from './patch-method.js'

/** Marks a decoder whose length decoder was wrapped. */
const PATCHED = Symbol('murmur.lengthDecoderPatched')

interface DecoderInternals {
  buffer: unknown
  lengthDecoder: unknown
  [PATCHED]?: true
}

/** What the length decoders throw for want of bytes; thrown as is, its stack (captured once here) unused. */
const NEED_MORE_BYTES = new RangeError('not enough bytes for a length prefix')

/** Patches LengthPrefixedDecoder once per process. Returns whether the patch is active. */
export function installQuietLengthDecoding (): boolean {
  return patchMethod<(this: DecoderInternals, buf: unknown) => unknown>(LengthPrefixedDecoder.prototype, 'decode', (original) => function (this: DecoderInternals, buf: unknown): unknown {
    if (this[PATCHED] !== true) {
      const decodeLength = this.lengthDecoder
      const buffer = this.buffer as { byteLength?: unknown } | undefined
      if (typeof decodeLength === 'function' && typeof buffer?.byteLength === 'number') {
        this.lengthDecoder = (data: { byteLength: number }): unknown => {
          if (data.byteLength === 0) throw NEED_MORE_BYTES
          return decodeLength(data)
        }
      }
      this[PATCHED] = true
    }
    return original.call(this, buf)
  })
}
