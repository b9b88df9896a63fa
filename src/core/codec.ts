/**
 * Bounded decoding helpers shared by every wire protocol: check the frame size before parsing, turn any
 * parser failure into a DecodeError, and validate decoded fields against named limits before any state
 * is touched.
 */
import { DecodeError, FrameTooLargeError } from './errors.js'

export interface BoundedCodec<T, L> {
  decode(buf: Uint8Array, opts?: { limits?: L }): T
}

/**
 * Decodes `bytes` with `codec`, refusing frames above `maxBytes` before parsing.
 * @throws FrameTooLargeError, DecodeError
 */
export function decodeBounded<T, L> (codec: BoundedCodec<T, L>, bytes: Uint8Array, maxBytes: number, limits?: L): T {
  if (bytes.byteLength > maxBytes) {
    throw new FrameTooLargeError(`frame of ${bytes.byteLength} bytes exceeds the limit of ${maxBytes}`)
  }
  if (bytes.byteLength === 0) throw new DecodeError('empty frame')
  try {
    return codec.decode(bytes, limits === undefined ? undefined : { limits })
  } catch (err) {
    throw new DecodeError(`malformed frame: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** @throws DecodeError unless `value` is a string of at most `maxLength` UTF-16 units. */
export function checkString (value: string, maxLength: number, field: string): string {
  if (value.length > maxLength) throw new DecodeError(`${field}: ${value.length} chars exceeds ${maxLength}`)
  return value
}

// In a `u`-flag regex a valid surrogate pair is one code point, so \p{Cs} only matches lone surrogates.
const LONE_SURROGATE = /\p{Cs}/u

/**
 * Whether `text` holds a lone surrogate (a UTF-16 half without its pair). UTF-8 cannot encode one: it is
 * written as U+FFFD, so a peer re-encoding the text would send, store or show something else.
 */
export function hasLoneSurrogate (text: string): boolean {
  return LONE_SURROGATE.test(text)
}

/**
 * @throws DecodeError unless `value` is at most `maxLength` UTF-16 units of well-formed text (decoders
 * turn invalid UTF-8 into lone surrogates; such text would not survive being passed on).
 */
export function checkText (value: string, maxLength: number, field: string): string {
  checkString(value, maxLength, field)
  if (hasLoneSurrogate(value)) throw new DecodeError(`${field}: not valid UTF-8`)
  return value
}

/** @throws DecodeError unless `value` has at most `maxBytes` bytes (and at least `minBytes`). */
export function checkBytes (value: Uint8Array, maxBytes: number, field: string, minBytes = 0): Uint8Array {
  if (value.byteLength > maxBytes) throw new DecodeError(`${field}: ${value.byteLength} bytes exceeds ${maxBytes}`)
  if (value.byteLength < minBytes) throw new DecodeError(`${field}: ${value.byteLength} bytes is below ${minBytes}`)
  return value
}

/** @throws DecodeError unless `count` ≤ `max`. */
export function checkCount (count: number, max: number, field: string): void {
  if (count > max) throw new DecodeError(`${field}: ${count} entries exceeds ${max}`)
}

/** @throws DecodeError unless `value` is an integer in [min, max]. Accepts bigint from 64-bit fields. */
export function checkInt (value: number | bigint, min: number, max: number, field: string): number {
  const n = typeof value === 'bigint' ? Number(value) : value
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new DecodeError(`${field}: ${String(value)} is outside [${min}, ${max}]`)
  return n
}

/** @throws DecodeError unless `value` is one of `allowed`. */
export function checkEnum<T extends number> (value: number, allowed: readonly T[], field: string): T {
  if (!(allowed as readonly number[]).includes(value)) throw new DecodeError(`${field}: unknown value ${value}`)
  return value as T
}

/** Varint bytes needed for `n` (unsigned LEB128): a length prefix as lpStream writes it, a protobuf length. */
export function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    len++
  }
  return len
}

/** The deepest nesting of arrays and objects in valid JSON text, counted without recursion. */
export function jsonDepth (text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) {
      inString = true
    } else if (c === 0x5b || c === 0x7b) { // [ {
      if (++depth > max) max = depth
    } else if (c === 0x5d || c === 0x7d) { // ] }
      depth--
    }
  }
  return max
}
