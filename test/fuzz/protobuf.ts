/**
 * A minimal protobuf wire-format reader and writer for the fuzzers: parses a frame into a field tree
 * (nested messages where a length-delimited payload parses cleanly) and writes a tree back with
 * consistent lengths. Independent of protons on purpose: the fuzzers must be able to build frames the
 * generated codecs would never produce.
 */

/** One protobuf field: a varint, a fixed-width value, or length-delimited bytes (maybe a nested message). */
export interface PbField {
  num: number
  wire: 0 | 1 | 2 | 5
  /** Varint value (wire 0). */
  varint?: bigint
  /** Raw payload (wire 1, 2, 5). */
  bytes?: Uint8Array
  /** Wire 2 payload that parsed cleanly as a message. */
  children?: PbField[]
}

/** Nesting parsed into a tree; deeper payloads stay bytes. */
export const MAX_DEPTH = 4

export function encodeVarint (value: bigint): number[] {
  const out: number[] = []
  let v = BigInt.asUintN(64, value)
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return out
}

export function readVarint (bytes: Uint8Array, pos: number): { value: bigint, end: number } | undefined {
  // Fast path in plain numbers (exact below 2^49); BigInt only for the long tail.
  let value = 0
  for (let i = 0; i < 7; i++) {
    const b = bytes[pos + i]
    if (b === undefined) return undefined
    value += (b & 0x7f) * 2 ** (7 * i)
    if (b < 0x80) return { value: BigInt(value), end: pos + i + 1 }
  }
  let big = BigInt(value)
  for (let i = 7; i < 10; i++) {
    const b = bytes[pos + i]
    if (b === undefined) return undefined
    big |= BigInt(b & 0x7f) << BigInt(7 * i)
    if (b < 0x80) return { value: big, end: pos + i + 1 }
  }
  return undefined
}

/** Parses `bytes` as a protobuf message; undefined unless it parses cleanly to the end. */
export function parsePb (bytes: Uint8Array, depth = 0): PbField[] | undefined {
  const fields: PbField[] = []
  let pos = 0
  while (pos < bytes.length) {
    const tag = readVarint(bytes, pos)
    if (tag === undefined || tag.value > 0xffff_ffffn) return undefined
    const num = Number(tag.value >> 3n)
    const wire = Number(tag.value & 7n)
    if (num === 0) return undefined
    pos = tag.end
    if (wire === 0) {
      const v = readVarint(bytes, pos)
      if (v === undefined) return undefined
      fields.push({ num, wire, varint: v.value })
      pos = v.end
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4
      if (pos + n > bytes.length) return undefined
      fields.push({ num, wire, bytes: bytes.slice(pos, pos + n) })
      pos += n
    } else if (wire === 2) {
      const len = readVarint(bytes, pos)
      if (len === undefined || len.end + Number(len.value) > bytes.length) return undefined
      const payload = bytes.slice(len.end, len.end + Number(len.value))
      const children = depth < MAX_DEPTH && payload.length > 0 ? parsePb(payload, depth + 1) : undefined
      fields.push(children === undefined ? { num, wire, bytes: payload } : { num, wire, bytes: payload, children })
      pos = len.end + Number(len.value)
    } else {
      return undefined // groups (3, 4) and reserved wire types: not protobuf we speak
    }
  }
  return fields
}

/** A growable byte buffer: serializing field by field into one array keeps the fuzz loop fast. */
class ByteWriter {
  private buf = new Uint8Array(256)
  length = 0

  private room (n: number): void {
    if (this.length + n <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n))
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }

  varint (value: bigint | number): void {
    this.room(10)
    if (typeof value === 'number' || value <= BigInt(Number.MAX_SAFE_INTEGER)) {
      let v = Number(value)
      while (v >= 0x80) {
        this.buf[this.length++] = (v % 0x80) | 0x80
        v = Math.floor(v / 0x80)
      }
      this.buf[this.length++] = v
      return
    }
    for (const b of encodeVarint(value)) this.buf[this.length++] = b
  }

  bytes (b: Uint8Array): void {
    this.room(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
  }

  result (): Uint8Array {
    return this.buf.slice(0, this.length)
  }
}

export function serializePb (fields: readonly PbField[]): Uint8Array {
  const w = new ByteWriter()
  for (const f of fields) {
    w.varint(f.num * 8 + f.wire)
    if (f.wire === 0) w.varint(f.varint ?? 0n)
    else if (f.wire === 2) {
      const payload = f.children === undefined ? f.bytes ?? new Uint8Array(0) : serializePb(f.children)
      w.varint(payload.length)
      w.bytes(payload)
    } else {
      const n = f.wire === 1 ? 8 : 4
      const b = new Uint8Array(n)
      b.set((f.bytes ?? b).subarray(0, n))
      w.bytes(b)
    }
  }
  return w.result()
}
