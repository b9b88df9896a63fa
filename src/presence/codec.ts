/**
 * Presence-channel messages: a discriminated union in memory, one protobuf PresenceFrame on the wire
 * (wire.proto). decode → validate (sizes, counts, ranges, JSON) → typed message; nothing downstream sees
 * a frame that failed validation.
 */
import { checkCount, checkInt, checkString, checkText, decodeBounded, jsonDepth } from '../core/codec.js'
import { DecodeError } from '../core/errors.js'
import type { PeerId } from '../core/transport.js'
import { checkDocName } from '../replication/codec.js'
import { PresenceFrame } from './wire.js'

/** Limits on decoded content. A frame exceeding any of them is rejected whole. */
export const PRESENCE_LIMITS = Object.freeze({
  /**
   * One awareness state as JSON text, in UTF-16 units. A cursor, a selection and a user's name and colour
   * take a few hundred bytes; 16 Ki leaves room for richer presence without letting one client make every
   * peer hold megabytes.
   */
  stateChars: 16 * 1024,
  /**
   * Nesting of arrays and objects in one state (a cursor nests 4–5 levels). Without it, 16 Ki chars hold
   * 8,000 levels: JSON.parse takes them, but JSON.stringify overflows the stack, and
   * `GET /docs/:name/presence` answered 500 on every peer while one client held such a state.
   */
  stateDepth: 64,
  /** Entries per DocStates frame (a larger set is paged over several frames). */
  entriesPerFrame: 1024,
  /** Members and docs per view reply; more are cut (and `truncated` is set). */
  membersPerView: 2048,
  docsPerView: 2048,
  /** Blocked peers listed per view reply. */
  blockedPerView: 256,
  /** Peer ids (libp2p PeerId strings are ≤ 64 chars; the simulator's are short). */
  peerIdChars: 128,
  /** Member names, digests and advertised URLs. */
  nameChars: 256,
  digestChars: 128,
  urlChars: 512
})

/** The Yjs client id is a uint32 (y-protocols draws it with random.uint32). */
export const MAX_CLIENT_ID = 0xffff_ffff

export const PresenceType = { states: 1, viewRequest: 2, viewReply: 3 } as const
export type PresenceTypeName = keyof typeof PresenceType
export const PRESENCE_TYPES: readonly PresenceTypeName[] = Object.keys(PresenceType) as PresenceTypeName[]
const TYPE_NAMES = new Map<number, PresenceTypeName>(Object.entries(PresenceType).map(([k, v]) => [v, k as PresenceTypeName]))

export const StatesFlag = { hello: 1, bye: 2 } as const

/** One y-protocols awareness entry: `state` is the JSON text of the state, or null once removed. */
export interface AwarenessEntry {
  readonly clientId: number
  readonly clock: number
  readonly state: string | null
}

export const MemberStateCode = { alive: 1, suspect: 2, dead: 3, left: 4 } as const
export type MemberStateName = keyof typeof MemberStateCode
const MEMBER_STATES = new Map<number, MemberStateName>(Object.entries(MemberStateCode).map(([k, v]) => [v, k as MemberStateName]))

export interface MemberViewEntry { readonly id: PeerId, readonly name: string, readonly state: MemberStateName, readonly incarnation: number }
export interface DocViewEntry { readonly name: string, readonly digest: string }

/** What one peer sees of the mesh. */
export interface MeshView {
  readonly name: string
  readonly http: string | undefined
  readonly members: readonly MemberViewEntry[]
  readonly docs: readonly DocViewEntry[]
  readonly blocked: readonly PeerId[]
  readonly truncated: boolean
}

export type PresenceMessage =
  | { readonly type: 'states', readonly doc: string, readonly hello: boolean, readonly bye: boolean, readonly entries: readonly AwarenessEntry[] }
  | { readonly type: 'viewRequest', readonly nonce: number }
  | { readonly type: 'viewReply', readonly nonce: number, readonly view: MeshView }

export type PresenceMessageOf<T extends PresenceTypeName> = Extract<PresenceMessage, { type: T }>

const UINT32_MAX = 0xffff_ffff
const PRINTABLE = /^[\x21-\x7e]+$/

const DECODE_LIMITS = {
  states: { entries: PRESENCE_LIMITS.entriesPerFrame },
  viewReply: { members: PRESENCE_LIMITS.membersPerView, docs: PRESENCE_LIMITS.docsPerView, blocked: PRESENCE_LIMITS.blockedPerView }
}

/**
 * The JSON text of an awareness state, validated: bounded, well-formed UTF-8, parseable (clients
 * JSON.parse it; a y-websocket client given bad JSON throws inside its message handler), and nested at
 * most `stateDepth` levels (the HTTP API re-serialises it).
 * @throws DecodeError
 */
export function checkStateJson (text: string, field: string): string {
  checkText(text, PRESENCE_LIMITS.stateChars, field)
  try {
    JSON.parse(text)
  } catch {
    throw new DecodeError(`${field}: not JSON`)
  }
  if (jsonDepth(text) > PRESENCE_LIMITS.stateDepth) throw new DecodeError(`${field}: nests arrays and objects deeper than ${PRESENCE_LIMITS.stateDepth} levels`)
  return text
}

function checkPeerId (id: string, field: string): PeerId {
  checkString(id, PRESENCE_LIMITS.peerIdChars, field)
  if (!PRINTABLE.test(id)) throw new DecodeError(`${field}: not a peer id`)
  return id
}

/**
 * Decodes and validates one frame of at most `maxFrameBytes`.
 * @throws FrameTooLargeError, DecodeError — and nothing else.
 */
export function decodePresence (bytes: Uint8Array, maxFrameBytes: number): PresenceMessage {
  const f = decodeBounded(PresenceFrame, bytes, maxFrameBytes, DECODE_LIMITS)
  const type = TYPE_NAMES.get(f.type)
  if (type === undefined) throw new DecodeError(`unknown message type ${f.type}`)
  const present = [f.states, f.viewRequest, f.viewReply].filter(x => x !== undefined).length
  if (present !== 1) throw new DecodeError(`${type} frame must carry exactly one body, has ${present}`)
  switch (type) {
    case 'states': return validStates(required(f.states, type))
    case 'viewRequest': return { type, nonce: checkInt(required(f.viewRequest, type).nonce, 0, UINT32_MAX, 'viewRequest.nonce') }
    case 'viewReply': return validViewReply(required(f.viewReply, type))
  }
}

function required<T> (body: T | undefined, type: PresenceTypeName): T {
  if (body === undefined) throw new DecodeError(`${type} frame without its body`)
  return body
}

function validStates (s: NonNullable<PresenceFrame['states']>): PresenceMessageOf<'states'> {
  const doc = checkDocName(s.doc, 'states.doc')
  const flags = checkInt(s.flags, 0, StatesFlag.hello | StatesFlag.bye, 'states.flags')
  const hello = (flags & StatesFlag.hello) !== 0
  const bye = (flags & StatesFlag.bye) !== 0
  if (hello && bye) throw new DecodeError('states: hello and bye at once')
  checkCount(s.entries.length, PRESENCE_LIMITS.entriesPerFrame, 'states.entries')
  if (bye && s.entries.length > 0) throw new DecodeError('states: a bye carries no entries')
  const seen = new Set<number>()
  const entries = s.entries.map((e, i): AwarenessEntry => {
    const clientId = checkInt(e.client, 0, MAX_CLIENT_ID, `states.entries[${i}].client`)
    if (seen.has(clientId)) throw new DecodeError(`states.entries: client ${clientId} listed twice`)
    seen.add(clientId)
    const clock = checkInt(e.clock, 0, Number.MAX_SAFE_INTEGER, `states.entries[${i}].clock`)
    const state = e.state === undefined ? null : checkStateJson(e.state, `states.entries[${i}].state`)
    return { clientId, clock, state: state === 'null' ? null : state }
  })
  return { type: 'states', doc, hello, bye, entries }
}

function validViewReply (r: NonNullable<PresenceFrame['viewReply']>): PresenceMessageOf<'viewReply'> {
  checkCount(r.members.length, PRESENCE_LIMITS.membersPerView, 'viewReply.members')
  checkCount(r.docs.length, PRESENCE_LIMITS.docsPerView, 'viewReply.docs')
  checkCount(r.blocked.length, PRESENCE_LIMITS.blockedPerView, 'viewReply.blocked')
  const members = r.members.map((m, i): MemberViewEntry => {
    const state = MEMBER_STATES.get(m.state)
    if (state === undefined) throw new DecodeError(`viewReply.members[${i}].state: unknown value ${m.state}`)
    return {
      id: checkPeerId(m.id, `viewReply.members[${i}].id`),
      name: checkText(m.name, PRESENCE_LIMITS.nameChars, `viewReply.members[${i}].name`),
      state,
      incarnation: checkInt(m.incarnation, 0, Number.MAX_SAFE_INTEGER, `viewReply.members[${i}].incarnation`)
    }
  })
  const docs = r.docs.map((d, i): DocViewEntry => ({
    name: checkDocName(d.name, `viewReply.docs[${i}].name`),
    digest: checkString(d.digest, PRESENCE_LIMITS.digestChars, `viewReply.docs[${i}].digest`)
  }))
  let http: string | undefined
  if (r.http !== undefined) {
    http = checkText(r.http, PRESENCE_LIMITS.urlChars, 'viewReply.http')
    if (!/^https?:\/\/[^\s/]+$/.test(http)) throw new DecodeError('viewReply.http: not an http(s) origin')
  }
  return {
    type: 'viewReply',
    nonce: checkInt(r.nonce, 0, UINT32_MAX, 'viewReply.nonce'),
    view: {
      name: checkText(r.name, PRESENCE_LIMITS.nameChars, 'viewReply.name'),
      http,
      members,
      docs,
      blocked: r.blocked.map((b, i) => checkPeerId(b, `viewReply.blocked[${i}]`)),
      truncated: r.truncated
    }
  }
}

/** Encodes one message. The caller checks the size against the frame limit (or pages the entries). */
export function encodePresence (msg: PresenceMessage): Uint8Array {
  switch (msg.type) {
    case 'states':
      return PresenceFrame.encode({
        type: PresenceType.states,
        states: {
          doc: msg.doc,
          flags: (msg.hello ? StatesFlag.hello : 0) | (msg.bye ? StatesFlag.bye : 0),
          entries: msg.entries.map(e => e.state === null ? { client: e.clientId, clock: e.clock } : { client: e.clientId, clock: e.clock, state: e.state })
        }
      })
    case 'viewRequest':
      return PresenceFrame.encode({ type: PresenceType.viewRequest, viewRequest: { nonce: msg.nonce } })
    case 'viewReply': {
      const v = msg.view
      return PresenceFrame.encode({
        type: PresenceType.viewReply,
        viewReply: {
          nonce: msg.nonce,
          name: v.name,
          ...(v.http === undefined ? {} : { http: v.http }),
          members: v.members.map(m => ({ id: m.id, name: m.name, state: MemberStateCode[m.state], incarnation: m.incarnation })),
          docs: v.docs.map(d => ({ name: d.name, digest: d.digest })),
          truncated: v.truncated,
          blocked: [...v.blocked]
        }
      })
    }
  }
}

/** Bytes one entry adds to a DocStates frame (tag, length prefix, fields), an upper bound for paging. */
export function entryWireBytes (e: AwarenessEntry): number {
  // client (≤ 6) + clock (≤ 11) + state (tag 1 + length ≤ 5 + UTF-8 ≤ 3 bytes per UTF-16 unit) + envelope (≤ 6)
  return 23 + (e.state === null ? 0 : 6 + e.state.length * 3)
}
