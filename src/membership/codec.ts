/**
 * Membership messages: a discriminated union in memory, one protobuf frame on the wire (wire.proto).
 * decode → validate (sizes, counts, ranges, required fields) → typed message; nothing downstream sees a
 * frame that failed validation.
 */
import { checkBytes, checkCount, checkEnum, checkInt, checkString, checkText, decodeBounded, varintLength } from '../core/codec.js'
import { MAX_SIGNATURE_BYTES } from '../core/signer.js'
import { ConfigError, DecodeError } from '../core/errors.js'
import type { PeerId } from '../core/transport.js'
import { MemberState, STATE_FROM_WIRE, WIRE_STATE } from './member.js'
import type { MemberMeta, MemberUpdate } from './member.js'
import { SwimFrame, MemberUpdate as WireUpdate } from './wire.js'
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
  signatureBytes: MAX_SIGNATURE_BYTES
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
  | WithGossip & { readonly type: 'pushPull', readonly seq: number, readonly page: number, readonly join: boolean, readonly members: readonly MemberUpdate[] }
  | WithGossip & { readonly type: 'pushPullReply', readonly seq: number, readonly page: number, readonly members: readonly MemberUpdate[] }
  | WithGossip & { readonly type: 'gossip' }

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

function validUpdates (list: WireUpdate[], max: number, field: string): MemberUpdate[] {
  checkCount(list.length, max, field)
  return list.map((u, i) => validUpdate(u, `${field}[${i}]`))
}

/** Repeated fields are bounded while protons parses them, so an oversized list costs nothing to refuse. */
const META_LIMITS = { meta: { addrs: SWIM_LIMITS.addrs, tags: SWIM_LIMITS.tags } }
const DECODE_LIMITS = {
  targetAddrs: SWIM_LIMITS.addrs,
  gossip: SWIM_LIMITS.gossipEntries,
  members: SWIM_LIMITS.membersPerPage,
  gossip$: META_LIMITS,
  members$: META_LIMITS
}

/**
 * Decodes and validates one frame.
 * @throws FrameTooLargeError, DecodeError
 */
export function decodeSwim (bytes: Uint8Array, maxFrameBytes: number): SwimMessage {
  const f = decodeBounded(SwimFrame, bytes, maxFrameBytes, DECODE_LIMITS)
  const type = TYPE_NAMES.get(f.type)
  if (type === undefined) throw new DecodeError(`unknown message type ${f.type}`)
  const gossip = validUpdates(f.gossip, SWIM_LIMITS.gossipEntries, 'gossip')
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
      const members = validUpdates(f.members, SWIM_LIMITS.membersPerPage, 'members')
      return type === 'pushPull' ? { type, seq, page, join: f.join, members, gossip } : { type, seq, page, members, gossip }
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
  let body = 1 + varintLength(WIRE_STATE[u.state]) + stringField(u.id) + stringField(u.from)
  if (u.incarnation !== 0) body += 1 + varintLength(u.incarnation)
  if (u.meta !== undefined) {
    const meta = metaSize(u.meta)
    body += 1 + varintLength(meta) + meta
  }
  if (u.signature !== undefined) body += 1 + varintLength(u.signature.byteLength) + u.signature.byteLength
  return 1 + varintLength(body) + body
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

export function encodeSwim (msg: SwimMessage): Uint8Array {
  const frame: Partial<SwimFrame> = { type: MessageType[msg.type], gossip: msg.gossip.map(toWireUpdate) }
  if (msg.type !== 'gossip') frame.seq = msg.seq
  if (msg.type === 'pingReq') {
    frame.target = msg.target
    frame.targetAddrs = [...msg.targetAddrs]
  }
  if (msg.type === 'pushPull' || msg.type === 'pushPullReply') {
    frame.members = msg.members.map(toWireUpdate)
    frame.page = msg.page
  }
  if (msg.type === 'pushPull') frame.join = msg.join
  return SwimFrame.encode(frame)
}
