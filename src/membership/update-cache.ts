/**
 * Encoded member updates, remembered both ways (issue 11: encoding and decoding the same updates again and
 * again was most of the cost of a forming or lossy cluster).
 *
 * Gossip sends every update `retransmitLimit(n)` times (28 at N = 1,000) from every member that learns it,
 * and relays pass on the very update object they decoded: so a member receives the same bytes dozens of
 * times and encodes the same object as often. Here:
 * - an update object is encoded once (a WeakMap from the object to its bytes; update objects are never
 *   modified once built — MemberUpdate is read-only);
 * - bytes seen recently decode to the same frozen update object without parsing or validating again
 *   (a bounded map keyed by a hash of the bytes, checked byte for byte), and that object encodes back to
 *   those bytes, so relaying costs no encoding either.
 *
 * A decoded update is shared by whoever receives the same bytes (in the simulator, by every node), hence
 * frozen. Its signature is a view into the cached bytes (a Uint8Array cannot be frozen: it is never written).
 */
import type { MemberUpdate } from './member.js'

/** Distinct update encodings remembered for decoding; past it the map starts over (a few MB at most). */
export const DECODED_UPDATES_CACHED = 16_384

interface Decoded {
  readonly bytes: Uint8Array
  readonly update: MemberUpdate
}

const encoded = new WeakMap<MemberUpdate, Uint8Array>()
const decoded = new Map<number, Decoded>()

/** The bytes of `u` (a protobuf MemberUpdate, without its field tag and length), encoding it on first use. */
export function updateBytes (u: MemberUpdate, encode: (u: MemberUpdate) => Uint8Array): Uint8Array {
  let bytes = encoded.get(u)
  if (bytes === undefined) {
    bytes = encode(u)
    encoded.set(u, bytes)
  }
  return bytes
}

/** The bytes of `u` if it was encoded or decoded before, without encoding it. */
export function cachedUpdateBytes (u: MemberUpdate): Uint8Array | undefined {
  return encoded.get(u)
}

/**
 * The update encoded by `bytes[start, end)`: the same object as last time for bytes seen recently, else
 * `decode(copy, field, index)` — given a private copy of the bytes, which the result may keep views into —
 * frozen and remembered. `decode` throws on malformed input; nothing is remembered then. The bytes are
 * read in place (no view of them, no closure per update: a push-pull page holds up to 4,096).
 */
export function decodeUpdate<F> (bytes: Uint8Array, start: number, end: number, decode: (copy: Uint8Array, field: F, index: number) => MemberUpdate, field: F, index: number): MemberUpdate {
  const key = hash(bytes, start, end)
  const hit = decoded.get(key)
  if (hit !== undefined && equal(hit.bytes, bytes, start, end)) return hit.update
  const copy = bytes.slice(start, end)
  const update = freeze(decode(copy, field, index))
  if (decoded.size >= DECODED_UPDATES_CACHED) decoded.clear()
  decoded.set(key, { bytes: copy, update })
  encoded.set(update, copy)
  return update
}

function freeze (u: MemberUpdate): MemberUpdate {
  if (u.meta !== undefined) {
    Object.freeze(u.meta.addrs)
    Object.freeze(u.meta.tags)
    Object.freeze(u.meta)
  }
  return Object.freeze(u)
}

/** 32-bit FNV-1a of `bytes[start, end)`. */
function hash (bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193)
  return h >>> 0
}

/** Whether `a` holds the bytes of `b[start, end)`. */
function equal (a: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[start + i]) return false
  return true
}
