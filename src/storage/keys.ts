/**
 * The LevelDB key layout. Pure functions, no I/O.
 *
 *   m format                       → on-disk format version (one byte)
 *   m probe                        → written by the health probe (time of the last probe; never read)
 *   s <name>                       → compacted state of a doc (a full-state Yjs update)
 *   d <name>                       → the doc's meta (opaque bytes the replicator keeps beside it)
 *   u <name> 0x00 <seq: u64 BE>    → one update appended since the last compaction
 *
 * `<name>` is the doc name's UTF-8 bytes with 0x00 → 0x01 0x01 and 0x01 → 0x01 0x02, so it never contains
 * 0x00. That makes `u <name> 0x00` a prefix no other doc's key can start with ("a" vs "a\0b" included),
 * so one range scan returns exactly one doc's updates, and big-endian fixed-width seqs sort numerically.
 * States and updates live in separate namespaces so that opening a store reads the (small) updates
 * written since the last compaction and only the keys of the (large) states.
 */
import { InvalidDocNameError } from './errors.js'
import { hasLoneSurrogate } from '../core/codec.js'

/** Doc names longer than this many UTF-8 bytes are refused (keys stay small; escaping at most doubles it). */
export const MAX_DOC_NAME_BYTES = 1024

export const NS_META = 0x6d // 'm'
export const NS_DOC_META = 0x64 // 'd'
export const NS_STATE = 0x73 // 's'
export const NS_UPDATE = 0x75 // 'u'

const TERMINATOR = 0x00
const ESCAPE = 0x01
const SEQ_BYTES = 8
const TWO_POW_32 = 2 ** 32

export const FORMAT_KEY: Uint8Array = Uint8Array.from([NS_META, ...Buffer.from('format')])
/** Written by the health probe (health.ts) to find out whether the disk takes writes again. */
export const PROBE_KEY: Uint8Array = Uint8Array.from([NS_META, ...Buffer.from('probe')])
/** Bumped on any incompatible change of this layout; a store refuses a newer one (StoreFormatError). */
export const FORMAT_VERSION = 1


/**
 * The escaped UTF-8 bytes of `doc`.
 * @throws InvalidDocNameError if `doc` is over MAX_DOC_NAME_BYTES or holds a lone surrogate (which UTF-8
 *   cannot represent: two different names would map to the same key).
 */
export function encodeDocName (doc: string): Buffer {
  const raw = Buffer.from(doc, 'utf8')
  if (raw.length > MAX_DOC_NAME_BYTES) {
    throw new InvalidDocNameError(`doc name of ${raw.length} bytes exceeds ${MAX_DOC_NAME_BYTES}`)
  }
  if (hasLoneSurrogate(doc)) throw new InvalidDocNameError('doc name is not well-formed Unicode')
  let specials = 0
  for (const b of raw) if (b === TERMINATOR || b === ESCAPE) specials++
  if (specials === 0) return raw
  const out = Buffer.allocUnsafe(raw.length + specials)
  let j = 0
  for (const b of raw) {
    if (b === TERMINATOR || b === ESCAPE) {
      out[j++] = ESCAPE
      out[j++] = b + 1
    } else {
      out[j++] = b
    }
  }
  return out
}

/** Inverse of encodeDocName; undefined for bytes it could not have produced (a foreign or corrupt key). */
export function decodeDocName (escaped: Uint8Array): string | undefined {
  const out = Buffer.allocUnsafe(escaped.length)
  let j = 0
  for (let i = 0; i < escaped.length; i++) {
    const b = escaped[i]
    if (b === TERMINATOR) return undefined
    if (b === ESCAPE) {
      const next = escaped[++i]
      if (next !== 0x01 && next !== 0x02) return undefined
      out[j++] = next - 1
    } else if (b !== undefined) {
      out[j++] = b
    }
  }
  const bytes = out.subarray(0, j)
  const name = bytes.toString('utf8')
  // Reject bytes that are not valid UTF-8: decoding replaced them, so the name would not round-trip.
  return Buffer.from(name, 'utf8').equals(bytes) ? name : undefined
}

export function stateKey (escapedName: Uint8Array): Buffer {
  return Buffer.concat([Uint8Array.of(NS_STATE), escapedName])
}

/** `u <name> 0x00`: every update key of the doc starts with it and no other key does. */
export function updatePrefix (escapedName: Uint8Array): Buffer {
  return Buffer.concat([Uint8Array.of(NS_UPDATE), escapedName, Uint8Array.of(TERMINATOR)])
}

/** The exclusive upper bound of a prefix range: the prefix with its last byte (0x00) raised to 0x01. */
export function prefixEnd (prefix: Buffer): Buffer {
  const end = Buffer.from(prefix)
  end[end.length - 1] = TERMINATOR + 1
  return end
}

export function updateKey (prefix: Buffer, seq: number): Buffer {
  const key = Buffer.allocUnsafe(prefix.length + SEQ_BYTES)
  prefix.copy(key, 0)
  key.writeUInt32BE(Math.floor(seq / TWO_POW_32), prefix.length)
  key.writeUInt32BE(seq >>> 0, prefix.length + 4)
  return key
}

export interface DecodedUpdateKey {
  doc: string
  seq: number
}

/** Parses `u <name> 0x00 <seq>`; undefined for anything else. */
export function decodeUpdateKey (key: Uint8Array): DecodedUpdateKey | undefined {
  if (key[0] !== NS_UPDATE || key.length < 2 + SEQ_BYTES) return undefined
  const end = key.length - SEQ_BYTES - 1
  if (key[end] !== TERMINATOR) return undefined
  const doc = decodeDocName(key.subarray(1, end))
  if (doc === undefined) return undefined
  const view = new DataView(key.buffer, key.byteOffset + end + 1, SEQ_BYTES)
  const seq = view.getUint32(0) * TWO_POW_32 + view.getUint32(4)
  return Number.isSafeInteger(seq) ? { doc, seq } : undefined
}

/** Parses `s <name>`; undefined for anything else. */
export function decodeStateKey (key: Uint8Array): string | undefined {
  if (key[0] !== NS_STATE) return undefined
  return decodeDocName(key.subarray(1))
}

export function docMetaKey (escapedName: Uint8Array): Buffer {
  return Buffer.concat([Uint8Array.of(NS_DOC_META), escapedName])
}

/** Parses `d <name>`; undefined for anything else. */
export function decodeDocMetaKey (key: Uint8Array): string | undefined {
  if (key[0] !== NS_DOC_META) return undefined
  return decodeDocName(key.subarray(1))
}

/** The half-open key range of a whole namespace. */
export function namespaceRange (ns: number): { gte: Buffer, lt: Buffer } {
  return { gte: Buffer.of(ns), lt: Buffer.of(ns + 1) }
}
