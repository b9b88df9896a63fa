/**
 * Frame mutators shared by the fuzz tests (unit level and over real libp2p streams).
 *
 * Two kinds, because they find different bugs:
 * - byte level (bit flips, byte sets, truncation, splicing two frames, insert/delete, raw length-prefix
 *   rewrites that leave the frame inconsistent): exercises the protobuf reader's bounds checks;
 * - structure level (parse the protobuf into a field tree, then repeat, drop, reorder, retag or re-value
 *   fields and re-serialize with consistent lengths): gets past the reader into the validators, which is
 *   where the interesting limits live (counts, ranges, duplicated bodies, repeated fields).
 *
 * Everything is driven by a plan of plain numbers, so fast-check generates, prints and shrinks plans,
 * and a failing case replays from its seed.
 */
import fc from 'fast-check'
import { SeededRandom } from '../../src/core/random.js'
import { MAX_DEPTH, encodeVarint, parsePb, readVarint, serializePb } from './protobuf.js'
import type { PbField } from './protobuf.js'

/** Bytes a repeat mutation may add. */
const REPEAT_BUDGET_BYTES = 1024 * 1024

/** Varint values that sit on the edges validators care about. */
const EDGE_VARINTS: readonly bigint[] = [
  0n, 1n, 2n, 7n, 127n, 128n, 4095n, 4096n, 4097n, 65_535n, 65_536n,
  0x7fff_ffffn, 0xffff_ffffn, 0x1_0000_0000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n
]

/** One step of a mutation plan: `kind` picks the mutation, `a`, `b`, `c` parameterise it. */
export interface Step { kind: number, a: number, b: number, c: number }
export const STEP_KINDS = 14

export const stepArb: fc.Arbitrary<Step> = fc.record({
  kind: fc.nat({ max: STEP_KINDS - 1 }),
  a: fc.nat(),
  b: fc.nat(),
  c: fc.nat()
})

/** A plan: which valid frame to start from, a frame to splice with, and 1–4 steps. */
export interface Plan { base: number, other: number, steps: Step[] }
export const planArb: fc.Arbitrary<Plan> = fc.record({
  base: fc.nat(),
  other: fc.nat(),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 4 })
})

/** Every field of the tree, with its parent list, depth first. */
function collect (fields: PbField[], out: Array<{ list: PbField[], index: number }> = []): Array<{ list: PbField[], index: number }> {
  fields.forEach((f, index) => {
    out.push({ list: fields, index })
    if (f.children !== undefined) collect(f.children, out)
  })
  return out
}

function cloneTree (fields: readonly PbField[]): PbField[] {
  return fields.map(f => ({ ...f, ...(f.children === undefined ? {} : { children: cloneTree(f.children) }) }))
}

/** Structure-level mutation of a parsed frame; re-serialized with consistent lengths. */
function mutateTree (fields: PbField[], step: Step, donor: PbField[] | undefined): Uint8Array {
  const nodes = collect(fields)
  if (nodes.length === 0) return serializePb([{ num: 1 + step.a % 8, wire: 0, varint: EDGE_VARINTS[step.b % EDGE_VARINTS.length] }])
  const { list, index } = nodes[step.a % nodes.length] as { list: PbField[], index: number }
  const field = list[index] as PbField
  switch (step.kind % 7) {
    case 0: { // repeat a field: 1–8 copies usually, sometimes thousands (past the count limits)
      // The copies share one serialized payload (cheap to write out), and stay under ~1 MiB in all:
      // beyond the frame limit nothing is parsed, so bigger proves nothing.
      const copy: PbField = field.children === undefined ? { ...field } : { num: field.num, wire: 2, bytes: serializePb(field.children) }
      const size = 2 + (copy.bytes?.length ?? 10)
      const times = Math.min(step.c % 10 === 0 ? 1 + step.b % 5000 : 1 + step.b % 8, Math.max(1, Math.floor(REPEAT_BUDGET_BYTES / size)))
      list.splice(index, 0, ...Array.from({ length: times }, () => copy))
      break
    }
    case 1: list.splice(index, 1); break
    case 2: { // reorder
      const j = step.b % list.length
      list[index] = list[j] as PbField
      list[j] = field
      break
    }
    case 3: // edge value for a varint, or a varint where bytes were
      list[index] = { num: field.num, wire: 0, varint: EDGE_VARINTS[step.b % EDGE_VARINTS.length] ?? 0n }
      break
    case 4: // another field number (known neighbours and unknown ones)
      list[index] = { ...field, num: 1 + (step.b % 12) }
      break
    case 5: { // bytes payload: empty, random-ish, or one longer than the text limits
      const sizes = [0, 1, 2, 15, 16, 17, 64, 65, 128, 129, 256, 257, 512, 513, 1025]
      const len = sizes[step.b % sizes.length] ?? 0
      const fill = step.c % 3 === 0 ? 0x41 : step.c % 3 === 1 ? 0x00 : 0xff
      list[index] = { num: field.num, wire: 2, bytes: new Uint8Array(len).fill(fill) }
      break
    }
    case 6: { // graft a subtree from another frame
      const donorNodes = donor === undefined ? [] : collect(donor)
      const graft = donorNodes[step.b % Math.max(1, donorNodes.length)]
      if (graft !== undefined) list.splice(index, 0, { ...(graft.list[graft.index] as PbField) })
      break
    }
  }
  return serializePb(fields)
}

/** Offsets of the length prefixes of length-delimited fields (top level and nested), for raw rewrites. */
function lengthPrefixes (bytes: Uint8Array, base = 0, depth = 0, out: Array<{ start: number, end: number, value: number }> = []): typeof out {
  let pos = 0
  while (pos < bytes.length) {
    const tag = readVarint(bytes, pos)
    if (tag === undefined) return out
    pos = tag.end
    const wire = Number(tag.value & 7n)
    if (wire === 0) {
      const v = readVarint(bytes, pos)
      if (v === undefined) return out
      pos = v.end
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4
    } else if (wire === 2) {
      const len = readVarint(bytes, pos)
      if (len === undefined) return out
      const n = Number(len.value)
      out.push({ start: base + pos, end: base + len.end, value: n })
      if (depth < MAX_DEPTH && len.end + n <= bytes.length) lengthPrefixes(bytes.subarray(len.end, len.end + n), base + len.end, depth + 1, out)
      pos = len.end + n
    } else {
      return out
    }
  }
  return out
}

/** Byte-level mutation (the frame may stop being well-formed protobuf). */
function mutateBytes (bytes: Uint8Array, step: Step, other: Uint8Array): Uint8Array {
  const n = bytes.length
  switch (step.kind % 7) {
    case 0: { // bit flips
      const copy = bytes.slice()
      if (n > 0) for (let i = 0; i <= step.c % 3; i++) copy[(step.a + i * 7919) % n] = (copy[(step.a + i * 7919) % n] as number) ^ (1 << ((step.b + i) % 8))
      return copy
    }
    case 1: { // byte set to an interesting value
      const copy = bytes.slice()
      const values = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12]
      if (n > 0) copy[step.a % n] = values[step.b % values.length] ?? 0
      return copy
    }
    case 2: return bytes.slice(0, n === 0 ? 0 : step.a % n) // truncation
    case 3: { // splice: head of this frame, tail of another
      const cutA = n === 0 ? 0 : step.a % (n + 1)
      const cutB = other.length === 0 ? 0 : step.b % (other.length + 1)
      const out = new Uint8Array(cutA + other.length - cutB)
      out.set(bytes.subarray(0, cutA))
      out.set(other.subarray(cutB), cutA)
      return out
    }
    case 4: { // insert random bytes
      const at = n === 0 ? 0 : step.a % (n + 1)
      const len = 1 + step.b % 16
      const out = new Uint8Array(n + len)
      out.set(bytes.subarray(0, at))
      for (let i = 0; i < len; i++) out[at + i] = (step.c * (i + 1) * 2654435761) >>> 24
      out.set(bytes.subarray(at), at + len)
      return out
    }
    case 5: { // delete a range
      const at = n === 0 ? 0 : step.a % n
      const len = 1 + step.b % 16
      const out = new Uint8Array(Math.max(0, n - Math.min(len, n - at)))
      out.set(bytes.subarray(0, at))
      out.set(bytes.subarray(at + len), at)
      return out
    }
    default: { // length-field corruption: rewrite one length prefix without fixing anything else
      const prefixes = lengthPrefixes(bytes)
      const p = prefixes[step.a % Math.max(1, prefixes.length)]
      if (p === undefined) return bytes.slice()
      const choices: bigint[] = [0n, BigInt(Math.max(0, p.value - 1)), BigInt(p.value + 1), BigInt(p.value + 1 + step.c % 1000), 0x7fff_ffffn, 0xffff_ffffn, 2n ** 63n]
      // A non-minimal varint of the same value (0x80 continuation bytes) is its own corner case.
      const nonMinimal = [...encodeVarint(BigInt(p.value)).map(b => b | 0x80), 0x00]
      const replacement = step.b % 8 === 7 ? nonMinimal : encodeVarint(choices[step.b % choices.length] ?? 0n)
      const out = new Uint8Array(n - (p.end - p.start) + replacement.length)
      out.set(bytes.subarray(0, p.start))
      out.set(replacement, p.start)
      out.set(bytes.subarray(p.end), p.start + replacement.length)
      return out
    }
  }
}

/** Applies `plan` to `valid[plan.base]`: steps 0–6 act on the bytes, 7–13 on the parsed structure. */
export function applyPlan (valid: readonly Uint8Array[], plan: Plan): Uint8Array {
  let bytes = valid[plan.base % valid.length] as Uint8Array
  const other = valid[plan.other % valid.length] as Uint8Array
  for (const step of plan.steps) {
    if (step.kind < 7) {
      bytes = mutateBytes(bytes, step, other)
      continue
    }
    const tree = parsePb(bytes)
    bytes = tree === undefined ? mutateBytes(bytes, step, other) : mutateTree(cloneTree(tree), step, parsePb(other))
  }
  return bytes
}

/** Random protobuf-shaped frames: valid framing, arbitrary field numbers, types and values. */
export const randomPbArb: fc.Arbitrary<Uint8Array> = fc.letrec<{ msg: PbField[], field: PbField }>(tie => ({
  msg: fc.array(tie('field'), { maxLength: 8 }),
  field: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ num: fc.integer({ min: 1, max: 10 }), wire: fc.constant(0 as const), varint: fc.constantFrom(...EDGE_VARINTS) }),
    fc.record({ num: fc.integer({ min: 1, max: 10 }), wire: fc.constant(2 as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
    fc.record({ num: fc.integer({ min: 1, max: 10 }), wire: fc.constant(2 as const), children: tie('msg') }),
    fc.record({ num: fc.integer({ min: 1, max: 10 }), wire: fc.constantFrom(1 as const, 5 as const), bytes: fc.uint8Array({ minLength: 8, maxLength: 8 }) })
  )
})).msg.map(serializePb)

/**
 * A rough size of a decoded value: array/map entries, string characters and bytes. Used to check that a
 * frame of n bytes never decodes into something much larger than n (no amplification).
 */
export function decodedWeight (value: unknown, seen = new Set<unknown>()): number {
  if (value === null || value === undefined) return 1
  if (typeof value === 'string') return 1 + value.length
  if (typeof value !== 'object') return 1
  if (seen.has(value)) return 1
  seen.add(value)
  if (value instanceof Uint8Array) return 1 + value.byteLength
  if (value instanceof Map) {
    let w = 1
    for (const [k, v] of value) w += decodedWeight(k, seen) + decodedWeight(v, seen)
    return w
  }
  let w = 1
  for (const v of Object.values(value)) w += decodedWeight(v, seen)
  return w
}

/** Whether any string inside `value` (keys of maps and records included) satisfies `pred`. */
export function someString (value: unknown, pred: (s: string) => boolean): boolean {
  if (typeof value === 'string') return pred(value)
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return false
  if (value instanceof Map) {
    for (const [k, v] of value) if (someString(k, pred) || someString(v, pred)) return true
    return false
  }
  return Object.entries(value).some(([k, v]) => pred(k) || someString(v, pred))
}

/** A seeded `() => number` in [0, 1) for building frame pools outside fast-check (process-level fuzzing). */
export function seededRandom (seed: number): () => number {
  const random = new SeededRandom(seed)
  return () => random.next()
}

/** A plan drawn from `rand` (same distribution as planArb, without fast-check). */
export function randomPlan (rand: () => number): Plan {
  const nat = (): number => Math.floor(rand() * 0x7fff_ffff)
  const steps = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => ({ kind: Math.floor(rand() * STEP_KINDS), a: nat(), b: nat(), c: nat() }))
  return { base: nat(), other: nat(), steps }
}
