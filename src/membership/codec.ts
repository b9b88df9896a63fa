/**
 * Membership messages: a discriminated union in memory, one protobuf frame on the wire (wire.proto).
 * decode → validate (sizes, counts, ranges, required fields) → typed message; nothing downstream sees a
 * frame that failed validation.
 */
import { reader as protobufReader } from 'protons-runtime'
import { checkBytes, checkCount, checkEnum, checkInt, checkString, checkText, varintLength } from '../core/codec.js'
import { MAX_SIGNATURE_BYTES } from '../core/signer.js'
import { ConfigError, DecodeError, FrameTooLargeError } from '../core/errors.js'
import type { PeerId } from '../core/transport.js'
import { MemberState, STATE_FROM_WIRE, WIRE_STATE } from './member.js'
import type { MemberMeta, MemberUpdate } from './member.js'
import { MemberUpdate as WireUpdate } from './wire.js'
import { cachedUpdateBytes, decodeUpdate, updateBytes } from './update-cache.js'
import type { MemberMeta as WireMeta } from './wire.js'

/** Limits on decoded content. A frame exceeding any of them is rejected whole. */
export const SWIM_LIMITS = Object.freeze({
  idChars: 128,
  nameChars: 128,
  addrs: 16,
  addrChars: 256,
  tags: 32,
  tagKeyChars: 64,
  tagValueChars: 512,
  gossipEntries: 512,
  membersPerPage: 4096,
  pages: 64,
  maxIncarnation: 0xffff_ffff,
  signatureBytes: MAX_SIGNATURE_BYTES,
  digestBytes: 32
})

export const MessageType = {
  ping: 1,
  ack: 2,
  nack: 3,
  pingReq: 4,
  pushPull: 5,
  pushPullReply: 6,
  gossip: 7
} as const
export type MessageTypeName = keyof typeof MessageType
const TYPE_NAMES = new Map<number, MessageTypeName>(Object.entries(MessageType).map(([k, v]) => [v, k as MessageTypeName]))

interface WithGossip { readonly gossip: readonly MemberUpdate[] }
export type SwimMessage =
  | WithGossip & { readonly type: 'ping', readonly seq: number }
  | WithGossip & { readonly type: 'ack', readonly seq: number }
  | WithGossip & { readonly type: 'nack', readonly seq: number }
  | WithGossip & { readonly type: 'pingReq', readonly seq: number, readonly target: PeerId, readonly targetAddrs: readonly string[] }
  | WithGossip & { readonly type: 'pushPull', readonly seq: number, readonly page: number, readonly join: boolean, readonly members: readonly MemberUpdate[] } & PushPullExtras & { readonly noReply?: true }
  | WithGossip & { readonly type: 'pushPullReply', readonly seq: number, readonly page: number, readonly members: readonly MemberUpdate[] } & PushPullExtras
  | WithGossip & { readonly type: 'gossip' }

/** A push-pull's digest of the sender's table (state-digest.ts), present only when sent. */
interface PushPullExtras { readonly digest?: Uint8Array }

const PRINTABLE_ID = /^[\x21-\x7e]+$/

function validId (value: string, field: string): PeerId {
  checkString(value, SWIM_LIMITS.idChars, field)
  if (!PRINTABLE_ID.test(value)) throw new DecodeError(`${field}: not a peer id`)
  return value
}

function validAddrs (addrs: string[], field: string): string[] {
  checkCount(addrs.length, SWIM_LIMITS.addrs, field)
  for (const a of addrs) checkText(a, SWIM_LIMITS.addrChars, field)
  return addrs
}

function validMeta (meta: WireMeta): MemberMeta {
  checkText(meta.name, SWIM_LIMITS.nameChars, 'meta.name')
  validAddrs(meta.addrs, 'meta.addrs')
  checkCount(meta.tags.size, SWIM_LIMITS.tags, 'meta.tags')
  const tags: Record<string, string> = {}
  for (const [key, value] of meta.tags) {
    checkText(key, SWIM_LIMITS.tagKeyChars, 'meta.tags key')
    checkText(value, SWIM_LIMITS.tagValueChars, 'meta.tags value')
    tags[key] = value
  }
  return { name: meta.name, addrs: meta.addrs, tags }
}

/**
 * Our own name, addresses and tags, checked against what every receiver enforces (validMeta): a member
 * announcing more would have each of its frames rejected. The CLI checks its flags the same way.
 * @throws ConfigError naming the field
 */
export function checkOwnMeta (meta: MemberMeta): void {
  try {
    if (meta.name.trim() === '') throw new DecodeError('must not be blank')
    validMeta({ name: meta.name, addrs: [...meta.addrs], tags: new Map(Object.entries(meta.tags)) })
  } catch (err) {
    if (err instanceof DecodeError) throw new ConfigError(`own member description: ${err.message} (limits: name 1–${SWIM_LIMITS.nameChars} characters, ${SWIM_LIMITS.addrs} addresses of ${SWIM_LIMITS.addrChars}, ${SWIM_LIMITS.tags} tags, keys ${SWIM_LIMITS.tagKeyChars} and values ${SWIM_LIMITS.tagValueChars} characters)`)
    throw err
  }
}

function validUpdate (u: WireUpdate, field: string): MemberUpdate {
  const state = STATE_FROM_WIRE.get(checkEnum(u.state, [1, 2, 3, 4], `${field}.state`))
  if (state === undefined) throw new DecodeError(`${field}.state: unknown`)
  const id = validId(u.id, `${field}.id`)
  const incarnation = checkInt(u.incarnation, 0, SWIM_LIMITS.maxIncarnation, `${field}.incarnation`)
  const from = u.from === '' ? '' : validId(u.from, `${field}.from`)
  if (state === MemberState.alive && u.meta === undefined) throw new DecodeError(`${field}: alive update without meta`)
  const meta = u.meta === undefined ? undefined : validMeta(u.meta)
  const out: { -readonly [K in keyof MemberUpdate]: MemberUpdate[K] } = { state, id, incarnation, from }
  if (meta !== undefined) out.meta = meta
  if (u.signature !== undefined) out.signature = checkBytes(u.signature, SWIM_LIMITS.signatureBytes, `${field}.signature`, 1)
  return out
}

/** Repeated fields are bounded while they are parsed, so an oversized list costs nothing to refuse. */
const META_LIMITS = { meta: { addrs: SWIM_LIMITS.addrs, tags: SWIM_LIMITS.tags } }

function decodeValidUpdate (copy: Uint8Array, field: string, index: number): MemberUpdate {
  return validUpdate(WireUpdate.decode(copy, { limits: META_LIMITS }), `${field}[${index}]`)
}

/** The fields of a SwimFrame (wire.proto), its updates already decoded and validated. */
interface ParsedFrame {
  type: number
  seq: number
  target: string
  targetAddrs: string[]
  gossip: MemberUpdate[]
  members: MemberUpdate[]
  join: boolean
  page: number
  digest: Uint8Array | undefined
  noReply: boolean
}

const NO_BYTES = new Uint8Array(0)

/**
 * The one reader every frame is parsed with, pointed at each in turn (its buf, pos and len are public):
 * protons' reader() checks `bytes.buffer`, and reading `buffer` of a small typed array makes V8 move its
 * bytes off the JS heap into a new ArrayBuffer — a microsecond and an allocation for every ping and ack
 * (issue 11). A frame is never backed by a SharedArrayBuffer, the only case that check copies for. Not
 * re-entered: parsing an embedded update uses a reader of its own.
 */
const frameReader = protobufReader(NO_BYTES)

/**
 * Parses a SwimFrame as the generated decoder (wire.ts) does — same fields, same tolerance of unknown
 * ones, same bounds on repeated fields — except that each embedded MemberUpdate goes through the update
 * cache (update-cache.ts): bytes seen recently are not parsed or validated again. An embedded update must
 * lie within the frame and is parsed within its own length (the generated decoder let a malformed one
 * read past it).
 */
function parseFrame (bytes: Uint8Array): ParsedFrame {
  const f: ParsedFrame = { type: 0, seq: 0, target: '', targetAddrs: [], gossip: [], members: [], join: false, page: 0, digest: undefined, noReply: false }
  const r = frameReader
  r.buf = bytes
  r.pos = 0
  r.len = bytes.length
  const embedded = (list: MemberUpdate[], max: number, field: string): void => {
    if (list.length === max) throw new DecodeError(`repeated field "${field}" had too many elements`)
    const length = r.uint32()
    const start = r.pos
    if (start + length > r.len) throw new DecodeError(`${field}[${list.length}]: truncated`)
    r.pos = start + length
    list.push(decodeUpdate(bytes, start, start + length, decodeValidUpdate, field, list.length))
  }
  while (r.pos < r.len) {
    const tag = r.uint32()
    switch (tag >>> 3) {
      case 1: f.type = r.uint32(); break
      case 2: f.seq = r.uint32(); break
      case 3: f.target = r.string(); break
      case 4:
        if (f.targetAddrs.length === SWIM_LIMITS.addrs) throw new DecodeError('repeated field "targetAddrs" had too many elements')
        f.targetAddrs.push(r.string())
        break
      case 5: embedded(f.gossip, SWIM_LIMITS.gossipEntries, 'gossip'); break
      case 6: embedded(f.members, SWIM_LIMITS.membersPerPage, 'members'); break
      case 7: f.join = r.bool(); break
      case 8: f.page = r.uint32(); break
      case 9: f.digest = r.bytes(); break
      case 10: f.noReply = r.bool(); break
      default: r.skipType(tag & 7)
    }
  }
  return f
}

/**
 * Decodes and validates one frame.
 * @throws FrameTooLargeError, DecodeError
 */
export function decodeSwim (bytes: Uint8Array, maxFrameBytes: number): SwimMessage {
  if (bytes.byteLength > maxFrameBytes) throw new FrameTooLargeError(`frame of ${bytes.byteLength} bytes exceeds the limit of ${maxFrameBytes}`)
  if (bytes.byteLength === 0) throw new DecodeError('empty frame')
  let f: ParsedFrame
  try {
    f = parseFrame(bytes)
  } catch (err) {
    if (err instanceof DecodeError) throw err
    throw new DecodeError(`malformed frame: ${err instanceof Error ? err.message : String(err)}`)
  } finally {
    frameReader.buf = NO_BYTES // not keeping the frame (a push-pull page is up to 512 KiB) alive
  }
  const type = TYPE_NAMES.get(f.type)
  if (type === undefined) throw new DecodeError(`unknown message type ${f.type}`)
  const gossip = f.gossip
  const seq = checkInt(f.seq, 0, 0xffff_ffff, 'seq')
  if (type !== 'pushPull' && type !== 'pushPullReply' && f.members.length > 0) throw new DecodeError(`${type} must not carry members`)
  switch (type) {
    case 'ping':
    case 'ack':
    case 'nack':
      return { type, seq, gossip }
    case 'pingReq':
      return { type, seq, target: validId(f.target, 'target'), targetAddrs: validAddrs(f.targetAddrs, 'targetAddrs'), gossip }
    case 'pushPull':
    case 'pushPullReply': {
      const page = checkInt(f.page, 0, SWIM_LIMITS.pages, 'page')
      const members = f.members
      const extras = f.digest === undefined || f.digest.byteLength === 0 ? {} : { digest: checkBytes(f.digest, SWIM_LIMITS.digestBytes, 'digest').slice() }
      if (type === 'pushPullReply') return { type, seq, page, members, gossip, ...extras }
      return { type, seq, page, join: f.join, members, gossip, ...extras, ...(f.noReply ? { noReply: true } : {}) }
    }
    case 'gossip':
      return { type, gossip }
  }
}

export function toWireUpdate (u: MemberUpdate): WireUpdate {
  const wire: WireUpdate = { state: WIRE_STATE[u.state], id: u.id, incarnation: u.incarnation, from: u.from }
  if (u.meta !== undefined) {
    wire.meta = { name: u.meta.name, addrs: [...u.meta.addrs], tags: new Map(Object.entries(u.meta.tags)) }
  }
  if (u.signature !== undefined) wire.signature = u.signature as Uint8Array<ArrayBuffer>
  return wire
}

/**
 * Encoded size of one update inside a frame, including its field tag and length prefix — computed from
 * the fields, as protons would encode them, without encoding (paging a push-pull used to encode every
 * entry twice: once to measure it, once to send it).
 */
export function encodedUpdateSize (u: MemberUpdate): number {
  return lengthDelimited(updateBodySize(u))
}

/** Bytes of an update's encoding without its field tag and length prefix. */
function updateBodySize (u: MemberUpdate): number {
  let body = 1 + varintLength(WIRE_STATE[u.state]) + stringField(u.id) + stringField(u.from)
  if (u.incarnation !== 0) body += 1 + varintLength(u.incarnation)
  if (u.meta !== undefined) body += lengthDelimited(metaSize(u.meta))
  if (u.signature !== undefined) body += lengthDelimited(u.signature.byteLength)
  return body
}

function metaSize (m: MemberMeta): number {
  let size = stringField(m.name)
  for (const a of m.addrs) size += lengthDelimited(utf8Length(a))
  for (const k in m.tags) {
    const entry = stringField(k) + stringField(m.tags[k] as string)
    size += 1 + varintLength(entry) + entry
  }
  return size
}

/** A proto3 string field: omitted when empty. */
function stringField (s: string): number {
  return s === '' ? 0 : lengthDelimited(utf8Length(s))
}

function lengthDelimited (bytes: number): number {
  return 1 + varintLength(bytes) + bytes
}

/** UTF-8 bytes of `s`, as TextEncoder writes it (a lone surrogate becomes U+FFFD: 3 bytes). */
function utf8Length (s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

const textEncoder = new TextEncoder()

/**
 * Writes `n` as a varint at `at`; returns the position after it. (n ≤ 2³² − 1: division, not shifts.)
 */
function putVarint (out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 0x80)
  }
  out[at++] = n
  return at
}

/** Writes a string field (tag, length, UTF-8), omitted when empty as proto3 does; returns the position after it. */
function putString (out: Uint8Array, at: number, tag: number, s: string): number {
  if (s === '') return at
  return putText(out, at, tag, s)
}

/** Writes tag, length and the UTF-8 of `s` (also when empty: repeated fields); returns the position after it. */
function putText (out: Uint8Array, at: number, tag: number, s: string): number {
  const bytes = utf8Length(s)
  out[at++] = tag
  at = putVarint(out, at, bytes)
  if (bytes === s.length) {
    // ASCII (each UTF-16 unit one byte): copied as is, without a subarray per string.
    for (let i = 0; i < bytes; i++) out[at + i] = s.charCodeAt(i)
    return at + bytes
  }
  return at + textEncoder.encodeInto(s, out.subarray(at, at + bytes)).written
}

/**
 * Writes the body of update `u` (as the generated MemberUpdate encoder would, wire.ts: fields in number
 * order, proto3 defaults omitted, tags in Object.keys order) at `at`; returns the position after it.
 * Written straight into the frame: push-pull pages used to encode each entry into its own array through
 * the generated encoder first, a fifth of a forming N = 300 cluster's CPU time (issue 11).
 */
function putUpdateBody (out: Uint8Array, at: number, u: MemberUpdate): number {
  out[at++] = 8
  at = putVarint(out, at, WIRE_STATE[u.state])
  at = putString(out, at, 18, u.id)
  if (u.incarnation !== 0) {
    out[at++] = 24
    at = putVarint(out, at, u.incarnation)
  }
  at = putString(out, at, 34, u.from)
  const meta = u.meta
  if (meta !== undefined) {
    out[at++] = 42
    at = putVarint(out, at, metaSize(meta))
    at = putString(out, at, 10, meta.name)
    for (const a of meta.addrs) at = putText(out, at, 18, a)
    for (const k of Object.keys(meta.tags)) {
      const v = meta.tags[k] as string
      out[at++] = 26
      at = putVarint(out, at, stringField(k) + stringField(v))
      at = putString(out, at, 10, k)
      at = putString(out, at, 18, v)
    }
  }
  const sig = u.signature
  if (sig !== undefined) {
    out[at++] = 50
    at = putVarint(out, at, sig.byteLength)
    out.set(sig, at)
    at += sig.byteLength
  }
  return at
}

function encodeUpdate (u: MemberUpdate): Uint8Array {
  const out = new Uint8Array(updateBodySize(u))
  putUpdateBody(out, 0, u)
  return out
}

/**
 * Encodes one frame, byte for byte as the generated encoder (wire.ts) would. Gossip updates' bytes come
 * from the update cache (encoded once per update object, however often it is relayed); a push-pull page's
 * entries, fresh objects built from the table for each state sent, are written straight into the frame
 * unless already cached (remembering them would only grow the cache: none is sent twice).
 */
export function encodeSwim (msg: SwimMessage): Uint8Array {
  const type = MessageType[msg.type]
  const seq = msg.type === 'gossip' ? 0 : msg.seq
  const target = msg.type === 'pingReq' ? msg.target : ''
  const targetAddrs = msg.type === 'pingReq' ? msg.targetAddrs : []
  const pushPull = msg.type === 'pushPull' || msg.type === 'pushPullReply'
  const page = pushPull ? msg.page : 0
  const join = msg.type === 'pushPull' && msg.join
  const digest = pushPull ? msg.digest : undefined
  const noReply = msg.type === 'pushPull' && msg.noReply === true
  const gossip = msg.gossip.map(u => updateBytes(u, encodeUpdate))
  const members = pushPull ? msg.members : []
  // Per page entry: its cached bytes, or the size of its body to write.
  const memberBytes: Array<Uint8Array | undefined> = new Array(members.length)
  const memberSizes: number[] = new Array(members.length)
  let size = 1 + varintLength(type)
  if (seq !== 0) size += 1 + varintLength(seq)
  if (target !== '') size += lengthDelimited(utf8Length(target))
  for (const a of targetAddrs) size += lengthDelimited(utf8Length(a))
  for (const b of gossip) size += lengthDelimited(b.byteLength)
  for (let i = 0; i < members.length; i++) {
    const u = members[i] as MemberUpdate
    const cached = cachedUpdateBytes(u)
    const body = cached === undefined ? updateBodySize(u) : cached.byteLength
    memberBytes[i] = cached
    memberSizes[i] = body
    size += lengthDelimited(body)
  }
  if (join) size += 2
  if (page !== 0) size += 1 + varintLength(page)
  if (digest !== undefined && digest.byteLength > 0) size += lengthDelimited(digest.byteLength)
  if (noReply) size += 2
  const out = new Uint8Array(size)
  const embedded = (at: number, tag: number, b: Uint8Array): number => {
    out[at++] = tag
    at = putVarint(out, at, b.byteLength)
    out.set(b, at)
    return at + b.byteLength
  }
  let at = 0
  out[at++] = 8
  at = putVarint(out, at, type)
  if (seq !== 0) {
    out[at++] = 16
    at = putVarint(out, at, seq)
  }
  if (target !== '') at = putText(out, at, 26, target)
  for (const a of targetAddrs) at = putText(out, at, 34, a)
  for (const b of gossip) at = embedded(at, 42, b)
  for (let i = 0; i < members.length; i++) {
    const cached = memberBytes[i]
    if (cached !== undefined) {
      at = embedded(at, 50, cached)
      continue
    }
    out[at++] = 50
    at = putVarint(out, at, memberSizes[i] as number)
    at = putUpdateBody(out, at, members[i] as MemberUpdate)
  }
  if (join) {
    out[at++] = 56
    out[at++] = 1
  }
  if (page !== 0) {
    out[at++] = 64
    at = putVarint(out, at, page)
  }
  if (digest !== undefined && digest.byteLength > 0) at = embedded(at, 74, digest)
  if (noReply) {
    out[at++] = 80
    out[at++] = 1
  }
  return out
}
