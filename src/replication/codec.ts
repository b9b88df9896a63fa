/**
 * Sync-channel messages: a discriminated union in memory, one protobuf SyncFrame on the wire (wire.proto).
 * decode → validate (sizes, counts, ranges, which fields each type requires) → typed message; nothing
 * downstream sees a frame that failed validation. Yjs update bytes are checked structurally later, right
 * before they are applied (doc-entry.ts), because that needs the Yjs decoder.
 */
import { checkBytes, checkCount, checkInt, checkString, decodeBounded, hasLoneSurrogate } from '../core/codec.js'
import { DecodeError } from '../core/errors.js'
import type { PeerId } from '../core/transport.js'
import { MAX_REPLICA_ID, WIRE_DIGEST_BYTES } from './version-vector.js'
import type { VersionVector } from './version-vector.js'
import { SyncDoc, SyncFrame } from './wire.js'
import type { VectorEntry } from './wire.js'

/** Limits on decoded content. A frame exceeding any of them is rejected whole. */
export const SYNC_LIMITS = Object.freeze({
  /** Document names, in UTF-16 units (≤ 768 UTF-8 bytes). */
  docNameChars: 256,
  /** Digest entries per Digests page, and names / hints per reply. */
  docsPerFrame: 4096,
  /** Pages of one Digests listing: 64 × 4,096 docs per anti-entropy round at most. */
  pages: 64,
  /** Peers named per host hint. */
  hintPeers: 4,
  /** Peer ids (libp2p PeerId strings are ≤ 64 chars; the simulator's are short). */
  peerIdChars: 128,
  /** Entries of one version vector: one per writer instance that ever touched the doc. */
  vectorEntries: 65_536,
  /** Digest bytes on the wire (first 128 bits of the SHA-256). */
  digestBytes: WIRE_DIGEST_BYTES,
  /** Data bytes per chunk (the frame limit bounds it too; config.chunkBytes is usually far below). */
  chunkBytes: 1024 * 1024,
  /** Chunks per transfer. */
  chunksPerTransfer: 4096,
  /** Hard cap of one Yjs update (and of a reassembled frame); config.maxTransferBytes is at most this. */
  updateBytes: 256 * 1024 * 1024,
  /** Buckets of an anti-entropy summary (summary.ts), 8 bytes of hash each. */
  summaryBuckets: 256,
  /** Bytes of a summary hash (root or bucket). */
  summaryHashBytes: 8,
  /** Per-doc steps in one SyncBatch frame. */
  stepsPerBatch: 4096
})

export const MessageType = {
  digests: 1,
  digestsReply: 2,
  syncDoc: 3,
  update: 4,
  ack: 5,
  chunk: 6,
  summary: 7,
  summaryReply: 8,
  syncBatch: 9
} as const
export type MessageTypeName = keyof typeof MessageType
export const MESSAGE_TYPES: readonly MessageTypeName[] = Object.keys(MessageType) as MessageTypeName[]
const TYPE_NAMES = new Map<number, MessageTypeName>(Object.entries(MessageType).map(([k, v]) => [v, k as MessageTypeName]))

/** The three per-doc steps of an anti-entropy exchange (see anti-entropy.ts). */
export const SyncStep = { vector: 1, diffAndVector: 2, diff: 3 } as const
export type SyncStepName = keyof typeof SyncStep

/**
 * What a Digests listing is for: `plain` (these are docs I hold: compare), `shared` (these are every doc I
 * hold that we both home, within `buckets` if any: compare, and tell me of yours I lack), `handoff` (these
 * are docs you home that I hold as a guest: keep them, confirming what your store holds).
 */
export const DigestScope = { plain: 0, shared: 1, handoff: 2 } as const
export type DigestScopeName = keyof typeof DigestScope
const SCOPE_NAMES = new Map<number, DigestScopeName>(Object.entries(DigestScope).map(([k, v]) => [v, k as DigestScopeName]))

export interface DocDigest { readonly doc: string, readonly digest: Uint8Array }
/** A compact handoff page: per doc, its 32-bit name hash (4 bytes, big-endian) and its digest's first 2 bytes. */
export interface CompactPage { readonly names: Uint8Array, readonly marks: Uint8Array }
/** Bytes per doc of a compact page: name hash and digest mark. */
export const COMPACT_NAME_BYTES = 4
export const COMPACT_MARK_BYTES = 2
/** Bytes of a compact page's proof (a truncated SHA-256). */
export const PROOF_BYTES = 16
export interface HostHint { readonly doc: string, readonly peers: readonly PeerId[] }

export type SyncDocMessage =
  /** Responder → initiator: the responder's vector; asks for its missing diff and the initiator's vector. */
  | { readonly type: 'syncDoc', readonly session: number, readonly doc: string, readonly step: 'vector', readonly vector: VersionVector }
  /** Initiator → responder: the responder's missing diff, plus the initiator's vector to get its own. */
  /** `digest`: the initiator's stored digest the diff was computed from, for a doc a compact handoff page listed (the responder notes it covered). */
  | { readonly type: 'syncDoc', readonly session: number, readonly doc: string, readonly step: 'diffAndVector', readonly vector: VersionVector, readonly update: Uint8Array, readonly digest?: Uint8Array }
  /**
   * Responder → initiator, once step 2 is durable: the initiator's missing diff, the vector the responder
   * holds durably (as the wait began: it includes all of step 2) and whether its store is durable at all.
   * Ends the doc's exchange. `covers`: that vector dominates step 2's, and is left out (empty): the
   * initiator knows step 2's vector, which is all it needs of it (anti-entropy.ts).
   */
  | { readonly type: 'syncDoc', readonly session: number, readonly doc: string, readonly step: 'diff', readonly update: Uint8Array, readonly vector: VersionVector, readonly durable: boolean, readonly covers?: boolean }

export type SyncMessage =
  /**
   * `groups`: `buckets` are groups of a folded summary (summary.ts; 0 or absent: buckets). `compact`: a
   * handoff page naming its docs by name hash and digest mark instead of `entries` (anti-entropy.ts).
   * `open` (plain listings): a bitmap over `entries`, bit i set ⇔ the app holds entry i open at the sender;
   * absent from a peer that does not say it.
   */
  | { readonly type: 'digests', readonly session: number, readonly page: number, readonly pages: number, readonly full: boolean, readonly entries: readonly DocDigest[], readonly scope: DigestScopeName, readonly buckets: readonly number[], readonly groups?: number, readonly compact?: CompactPage, readonly open?: Uint8Array }
  /**
   * `unresolved`, `proof`: the answer to a compact page (anti-entropy.ts). `trimmed`: docs of the page were
   * left out — not compared, not counted in `differing` — because the sender's listing budget was spent
   * (listing-budget.ts) or another exchange of them was under way here (anti-entropy.ts `claim`); absent from
   * a peer that does not say it. `open`: a bitmap like `hosted`, bit i set ⇔ the app holds entry i open at the
   * responder; absent from a peer that does not say it.
   */
  | { readonly type: 'digestsReply', readonly session: number, readonly page: number, readonly hosted: Uint8Array, readonly differing: number, readonly others: readonly string[], readonly hints: readonly HostHint[], readonly equal: Uint8Array, readonly durable: boolean, readonly unresolved?: Uint8Array, readonly proof?: Uint8Array, readonly trimmed?: boolean, readonly open?: Uint8Array }
  | SyncDocMessage
  | { readonly type: 'syncBatch', readonly steps: readonly SyncDocMessage[] }
  /** `replicas`: the sender's R; absent from a peer that does not say it. */
  | { readonly type: 'summary', readonly session: number, readonly root: Uint8Array, readonly count: number, readonly replicas?: number }
  /** `later` (with `equal`): not compared — the responder is taking handoffs; ask it again at the next round (anti-entropy.ts). */
  /** `catchingUp`: the responder has not caught up itself since it started (catch-up.ts); its copies may be stale too. */
  | { readonly type: 'summaryReply', readonly session: number, readonly equal: boolean, readonly buckets: Uint8Array, readonly later?: boolean, readonly replicas?: number, readonly catchingUp?: boolean }
  /**
   * `spread`: the sender pushed to only k hosts; a receiver that learned something new forwards it once.
   * `open`: whether the app holds the doc open at the sender (host-directory.ts); absent if not said.
   */
  | { readonly type: 'update', readonly doc: string, readonly update: Uint8Array, readonly ackId: number, readonly spread: boolean, readonly open?: boolean }
  | { readonly type: 'ack', readonly doc: string, readonly ackId: number, readonly vector: VersionVector, readonly durable: boolean }
  | { readonly type: 'chunk', readonly transfer: number, readonly index: number, readonly count: number, readonly data: Uint8Array }

export type SyncMessageOf<T extends MessageTypeName> = Extract<SyncMessage, { type: T }>

// C0 controls and DEL: never part of a name a person would choose, and they break logs and URLs.
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/
const PRINTABLE_ID = /^[\x21-\x7e]+$/

/** @throws DecodeError unless `name` is a valid document name (1–256 chars, no control characters). */
export function checkDocName (name: string, field = 'doc'): string {
  checkString(name, SYNC_LIMITS.docNameChars, field)
  if (name.length === 0) throw new DecodeError(`${field}: empty document name`)
  if (CONTROL_CHARS.test(name)) throw new DecodeError(`${field}: control character in document name`)
  if (hasLoneSurrogate(name)) throw new DecodeError(`${field}: lone surrogate in document name`)
  return name
}

function checkPeerId (id: string, field: string): PeerId {
  checkString(id, SYNC_LIMITS.peerIdChars, field)
  if (!PRINTABLE_ID.test(id)) throw new DecodeError(`${field}: not a peer id`)
  return id
}

const UINT32_MAX = 0xffff_ffff

function vectorFromWire (entries: VectorEntry[], field: string): VersionVector {
  checkCount(entries.length, SYNC_LIMITS.vectorEntries, field)
  const out = new Map<number, number>()
  for (const e of entries) {
    const replica = checkInt(e.replica, 0, MAX_REPLICA_ID, `${field}.replica`)
    const clock = checkInt(e.clock, 1, Number.MAX_SAFE_INTEGER, `${field}.clock`)
    if (out.has(replica)) throw new DecodeError(`${field}: replica ${replica} listed twice`)
    out.set(replica, clock)
  }
  return out
}

function vectorToWire (v: VersionVector): VectorEntry[] {
  const out: VectorEntry[] = []
  for (const [replica, clock] of v) if (clock > 0) out.push({ replica, clock })
  return out
}

function checkUpdate (update: Uint8Array, field: string): Uint8Array {
  // A Yjs v1 update is never empty (it always carries a struct count and a delete set).
  return checkBytes(update, SYNC_LIMITS.updateBytes, field, 2)
}

const DECODE_LIMITS = {
  digests: { entries: SYNC_LIMITS.docsPerFrame },
  digestsReply: { others: SYNC_LIMITS.docsPerFrame, hints: SYNC_LIMITS.docsPerFrame, hints$: { peers: SYNC_LIMITS.hintPeers } },
  syncDoc: { vector: SYNC_LIMITS.vectorEntries },
  ack: { vector: SYNC_LIMITS.vectorEntries },
  syncBatch: { steps: SYNC_LIMITS.stepsPerBatch, steps$: { vector: SYNC_LIMITS.vectorEntries } }
}

export interface DecodeSyncOptions {
  /** Whether a `chunk` frame is acceptable (not inside a reassembled transfer: no nesting). Default true. */
  allowChunk?: boolean
}

/**
 * Decodes and validates one frame of at most `maxFrameBytes`.
 * @throws FrameTooLargeError, DecodeError — and nothing else.
 */
export function decodeSync (bytes: Uint8Array, maxFrameBytes: number, options: DecodeSyncOptions = {}): SyncMessage {
  const f = decodeBounded(SyncFrame, bytes, maxFrameBytes, DECODE_LIMITS)
  const type = TYPE_NAMES.get(f.type)
  if (type === undefined) throw new DecodeError(`unknown message type ${f.type}`)
  const present = [f.digests, f.digestsReply, f.syncDoc, f.update, f.ack, f.chunk, f.summary, f.summaryReply, f.syncBatch].filter(x => x !== undefined).length
  if (present !== 1) throw new DecodeError(`${type} frame must carry exactly one body, has ${present}`)
  switch (type) {
    case 'digests': return validDigests(required(f.digests, type))
    case 'digestsReply': return validDigestsReply(required(f.digestsReply, type))
    case 'syncDoc': return validSyncDoc(required(f.syncDoc, type))
    case 'syncBatch': {
      const b = required(f.syncBatch, type)
      checkCount(b.steps.length, SYNC_LIMITS.stepsPerBatch, 'syncBatch.steps')
      if (b.steps.length === 0) throw new DecodeError('syncBatch without steps')
      return { type, steps: b.steps.map(validSyncDoc) }
    }
    case 'summary': {
      const m = required(f.summary, type)
      const summary = { type, session: checkInt(m.session, 0, UINT32_MAX, 'summary.session'), root: checkBytes(m.root, SYNC_LIMITS.summaryHashBytes, 'summary.root', SYNC_LIMITS.summaryHashBytes), count: checkInt(m.count, 0, UINT32_MAX, 'summary.count') }
      return m.replicas === 0 ? summary : { ...summary, replicas: checkInt(m.replicas, 1, UINT32_MAX, 'summary.replicas') }
    }
    case 'summaryReply': {
      const m = required(f.summaryReply, type)
      if (m.equal && m.buckets.byteLength !== 0) throw new DecodeError('summaryReply: equal with buckets')
      // None (list the whole set), or 8 bytes per group: a power of two of groups up to summaryBuckets.
      const groups = m.buckets.byteLength / SYNC_LIMITS.summaryHashBytes
      const powerOfTwo = Number.isInteger(groups) && groups >= 1 && groups <= SYNC_LIMITS.summaryBuckets && (groups & (groups - 1)) === 0
      if (!m.equal && m.buckets.byteLength !== 0 && !powerOfTwo) throw new DecodeError(`summaryReply.buckets: ${m.buckets.byteLength} bytes, expected 8 × a power of two ≤ ${SYNC_LIMITS.summaryBuckets} (or none: list the whole set)`)
      if (m.later && !m.equal) throw new DecodeError('summaryReply: later without equal')
      return {
        type, session: checkInt(m.session, 0, UINT32_MAX, 'summaryReply.session'), equal: m.equal, buckets: m.buckets, ...(m.later ? { later: true } : {}), ...(m.catchingUp ? { catchingUp: true } : {}),
        ...(m.replicas === 0 ? {} : { replicas: checkInt(m.replicas, 1, UINT32_MAX, 'summaryReply.replicas') })
      }
    }
    case 'update': {
      const u = required(f.update, type)
      return { type, doc: checkDocName(u.doc), update: checkUpdate(u.update, 'update.update'), ackId: checkInt(u.ackId, 0, UINT32_MAX, 'update.ackId'), spread: u.spread, ...(u.open === undefined ? {} : { open: u.open }) }
    }
    case 'ack': {
      const a = required(f.ack, type)
      return { type, doc: checkDocName(a.doc), ackId: checkInt(a.ackId, 1, UINT32_MAX, 'ack.ackId'), vector: vectorFromWire(a.vector, 'ack.vector'), durable: a.durable }
    }
    case 'chunk': {
      if (options.allowChunk === false) throw new DecodeError('chunk inside a chunked transfer')
      const c = required(f.chunk, type)
      const count = checkInt(c.count, 2, SYNC_LIMITS.chunksPerTransfer, 'chunk.count')
      const index = checkInt(c.index, 0, count - 1, 'chunk.index')
      const data = checkBytes(c.data, SYNC_LIMITS.chunkBytes, 'chunk.data', 1)
      return { type, transfer: checkInt(c.transfer, 0, UINT32_MAX, 'chunk.transfer'), index, count, data }
    }
  }
}

function required<T> (body: T | undefined, type: MessageTypeName): T {
  if (body === undefined) throw new DecodeError(`${type} frame without its body`)
  return body
}

function validDigests (d: NonNullable<SyncFrame['digests']>): SyncMessageOf<'digests'> {
  const pages = checkInt(d.pages, 1, SYNC_LIMITS.pages, 'digests.pages')
  const page = checkInt(d.page, 0, pages - 1, 'digests.page')
  checkCount(d.entries.length, SYNC_LIMITS.docsPerFrame, 'digests.entries')
  const seen = new Set<string>()
  const entries = d.entries.map((e, i) => {
    const doc = checkDocName(e.doc, `digests.entries[${i}].doc`)
    if (seen.has(doc)) throw new DecodeError(`digests.entries: "${doc}" listed twice`)
    seen.add(doc)
    const digest = checkBytes(e.digest, SYNC_LIMITS.digestBytes, `digests.entries[${i}].digest`, SYNC_LIMITS.digestBytes)
    return { doc, digest }
  })
  const scope = SCOPE_NAMES.get(d.scope)
  if (scope === undefined) throw new DecodeError(`digests.scope: unknown value ${d.scope}`)
  checkCount(d.buckets.length, SYNC_LIMITS.summaryBuckets, 'digests.buckets')
  const buckets = d.buckets.map((b, i) => checkInt(b, 0, SYNC_LIMITS.summaryBuckets - 1, `digests.buckets[${i}]`))
  if (buckets.length > 0 && scope !== 'shared') throw new DecodeError('digests.buckets: only a shared listing has buckets')
  const groups = checkInt(d.groups, 0, SYNC_LIMITS.summaryBuckets - 1, 'digests.groups')
  if (groups > 0) {
    if ((groups & (groups - 1)) !== 0 || scope !== 'shared') throw new DecodeError('digests.groups: a power of two, in a shared listing only')
    if (buckets.some(b => b >= groups)) throw new DecodeError('digests.buckets: a group past digests.groups')
  }
  if (d.open.byteLength !== 0 && (scope !== 'plain' || d.open.byteLength !== Math.ceil(entries.length / 8))) throw new DecodeError(`digests.open: ${d.open.byteLength} bytes, expected a bitmap over the entries of a plain listing`)
  const open = d.open.byteLength === 0 ? {} : { open: d.open }
  const base = { type: 'digests' as const, session: checkInt(d.session, 0, UINT32_MAX, 'digests.session'), page, pages, full: d.full, entries, scope, buckets, ...(groups > 0 ? { groups } : {}), ...open }
  if (d.names.byteLength === 0) {
    if (d.marks.byteLength !== 0) throw new DecodeError('digests.marks without names')
    return base
  }
  const count = d.names.byteLength / COMPACT_NAME_BYTES
  if (!Number.isInteger(count) || count > SYNC_LIMITS.docsPerFrame) throw new DecodeError(`digests.names: ${d.names.byteLength} bytes, expected 4 per doc, at most ${SYNC_LIMITS.docsPerFrame} docs`)
  if (d.marks.byteLength !== count * COMPACT_MARK_BYTES) throw new DecodeError('digests.marks: not 2 bytes per name')
  if (scope !== 'handoff' || entries.length > 0) throw new DecodeError('digests.names: only a handoff page without entries is compact')
  return { ...base, compact: { names: d.names, marks: d.marks } }
}

function validDigestsReply (r: NonNullable<SyncFrame['digestsReply']>): SyncMessageOf<'digestsReply'> {
  const hosted = checkBytes(r.hosted, Math.ceil(SYNC_LIMITS.docsPerFrame / 8), 'digestsReply.hosted')
  const equal = checkBytes(r.equal, Math.ceil(SYNC_LIMITS.docsPerFrame / 8), 'digestsReply.equal')
  if (equal.byteLength !== 0 && equal.byteLength !== hosted.byteLength) throw new DecodeError('digestsReply.equal: not the size of hosted')
  if (r.open.byteLength !== 0 && r.open.byteLength !== hosted.byteLength) throw new DecodeError('digestsReply.open: not the size of hosted')
  checkCount(r.others.length, SYNC_LIMITS.docsPerFrame, 'digestsReply.others')
  checkCount(r.hints.length, SYNC_LIMITS.docsPerFrame, 'digestsReply.hints')
  const others = r.others.map((doc, i) => checkDocName(doc, `digestsReply.others[${i}]`))
  const hints = r.hints.map((h, i) => {
    checkCount(h.peers.length, SYNC_LIMITS.hintPeers, `digestsReply.hints[${i}].peers`)
    return { doc: checkDocName(h.doc, `digestsReply.hints[${i}].doc`), peers: h.peers.map(p => checkPeerId(p, `digestsReply.hints[${i}].peers`)) }
  })
  return {
    type: 'digestsReply',
    session: checkInt(r.session, 0, UINT32_MAX, 'digestsReply.session'),
    page: checkInt(r.page, 0, SYNC_LIMITS.pages - 1, 'digestsReply.page'),
    hosted,
    differing: checkInt(r.differing, 0, SYNC_LIMITS.docsPerFrame, 'digestsReply.differing'),
    others,
    hints,
    equal,
    durable: r.durable,
    ...compactReply(r, hosted),
    ...(r.trimmed ? { trimmed: true } : {}),
    ...(r.open.byteLength === 0 ? {} : { open: r.open })
  }
}

/** The answer to a compact page, if it is one: `unresolved` the size of `hosted`, a 16-byte proof or none. */
function compactReply (r: NonNullable<SyncFrame['digestsReply']>, hosted: Uint8Array): { unresolved?: Uint8Array, proof?: Uint8Array } {
  if (r.unresolved.byteLength === 0 && r.proof.byteLength === 0) return {}
  if (r.unresolved.byteLength !== hosted.byteLength) throw new DecodeError('digestsReply.unresolved: not the size of hosted')
  if (r.proof.byteLength !== 0 && r.proof.byteLength !== PROOF_BYTES) throw new DecodeError(`digestsReply.proof: ${r.proof.byteLength} bytes, expected ${PROOF_BYTES} or none`)
  return { unresolved: r.unresolved, proof: r.proof }
}

function validSyncDoc (s: NonNullable<SyncFrame['syncDoc']>): SyncDocMessage {
  const session = checkInt(s.session, 0, UINT32_MAX, 'syncDoc.session')
  const doc = checkDocName(s.doc)
  switch (s.step) {
    case SyncStep.vector:
      if (s.update.byteLength > 0) throw new DecodeError('syncDoc step vector must not carry an update')
      return { type: 'syncDoc', session, doc, step: 'vector', vector: vectorFromWire(s.vector, 'syncDoc.vector') }
    case SyncStep.diffAndVector:
      if (s.digest.byteLength !== 0 && s.digest.byteLength !== SYNC_LIMITS.digestBytes) throw new DecodeError(`syncDoc.digest: ${s.digest.byteLength} bytes, expected ${SYNC_LIMITS.digestBytes} or none`)
      return { type: 'syncDoc', session, doc, step: 'diffAndVector', vector: vectorFromWire(s.vector, 'syncDoc.vector'), update: checkUpdate(s.update, 'syncDoc.update'), ...(s.digest.byteLength > 0 ? { digest: s.digest } : {}) }
    case SyncStep.diff:
      if (s.covers && s.vector.length > 0) throw new DecodeError('syncDoc step diff: covers leaves the vector out')
      return { type: 'syncDoc', session, doc, step: 'diff', update: checkUpdate(s.update, 'syncDoc.update'), vector: vectorFromWire(s.vector, 'syncDoc.vector'), durable: s.durable, ...(s.covers ? { covers: true } : {}) }
    default:
      throw new DecodeError(`syncDoc.step: unknown value ${s.step}`)
  }
}

/** Encodes one message. The caller checks the size against the frame limit (or chunks it). */
export function encodeSync (msg: SyncMessage): Uint8Array {
  switch (msg.type) {
    case 'digests':
      return SyncFrame.encode({
        type: MessageType.digests,
        digests: {
          session: msg.session, page: msg.page, pages: msg.pages, full: msg.full, entries: msg.entries.map(e => ({ doc: e.doc, digest: plain(e.digest) })), scope: DigestScope[msg.scope], buckets: [...msg.buckets],
          groups: msg.groups ?? 0, names: plain(msg.compact?.names ?? EMPTY), marks: plain(msg.compact?.marks ?? EMPTY), open: plain(msg.open ?? EMPTY)
        }
      })
    case 'digestsReply':
      return SyncFrame.encode({
        type: MessageType.digestsReply,
        digestsReply: {
          session: msg.session, page: msg.page, hosted: plain(msg.hosted), differing: msg.differing, others: [...msg.others], hints: msg.hints.map(h => ({ doc: h.doc, peers: [...h.peers] })), equal: plain(msg.equal), durable: msg.durable,
          unresolved: plain(msg.unresolved ?? EMPTY), proof: plain(msg.proof ?? EMPTY), trimmed: msg.trimmed === true, open: plain(msg.open ?? EMPTY)
        }
      })
    case 'syncDoc':
      return SyncFrame.encode({ type: MessageType.syncDoc, syncDoc: stepToWire(msg) })
    case 'syncBatch':
      return SyncFrame.encode({ type: MessageType.syncBatch, syncBatch: { steps: msg.steps.map(stepToWire) } })
    case 'summary':
      return SyncFrame.encode({ type: MessageType.summary, summary: { session: msg.session, root: plain(msg.root), count: msg.count, replicas: msg.replicas ?? 0 } })
    case 'summaryReply':
      return SyncFrame.encode({ type: MessageType.summaryReply, summaryReply: { session: msg.session, equal: msg.equal, buckets: plain(msg.buckets), later: msg.later === true, replicas: msg.replicas ?? 0, catchingUp: msg.catchingUp === true } })
    case 'update':
      return SyncFrame.encode({ type: MessageType.update, update: { doc: msg.doc, update: plain(msg.update), ackId: msg.ackId, spread: msg.spread, ...(msg.open === undefined ? {} : { open: msg.open }) } })
    case 'ack':
      return SyncFrame.encode({ type: MessageType.ack, ack: { doc: msg.doc, ackId: msg.ackId, vector: vectorToWire(msg.vector), durable: msg.durable } })
    case 'chunk':
      return SyncFrame.encode({ type: MessageType.chunk, chunk: { transfer: msg.transfer, index: msg.index, count: msg.count, data: plain(msg.data) } })
  }
}

const EMPTY = new Uint8Array(0)

function stepToWire (msg: SyncDocMessage): SyncDoc {
  return {
    session: msg.session,
    step: SyncStep[msg.step],
    doc: msg.doc,
    vector: vectorToWire(msg.vector),
    update: msg.step === 'vector' ? new Uint8Array(0) : plain(msg.update),
    durable: msg.step === 'diff' && msg.durable,
    covers: msg.step === 'diff' && msg.covers === true,
    digest: msg.step === 'diffAndVector' && msg.digest !== undefined ? plain(msg.digest) : EMPTY
  }
}

/** Encoded size of one step inside a SyncBatch (to fill batches up to a byte budget). */
export function stepBytes (msg: SyncDocMessage): number {
  return fieldBytes(SyncDoc.encode(stepToWire(msg)).byteLength)
}

/** The generated encoder takes ArrayBuffer-backed arrays; anything else (a SharedArrayBuffer view) is copied. */
function plain (bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? bytes as Uint8Array<ArrayBuffer> : new Uint8Array(bytes)
}

/** Bytes a length-delimited field of `len` payload bytes takes (tag + length prefix + payload). */
export function fieldBytes (len: number): number {
  return 1 + varintBytes(len) + len
}

export function varintBytes (n: number): number {
  let size = 1
  while (n >= 0x80) { n = Math.floor(n / 128); size++ }
  return size
}

/** Encoded size of one digest entry inside a Digests page (used to fill pages up to a byte budget). */
export function digestEntryBytes (doc: string): number {
  return fieldBytes(fieldBytes(Buffer.byteLength(doc, 'utf8')) + fieldBytes(SYNC_LIMITS.digestBytes))
}

/** Encoded size of a doc name inside a repeated string field. */
export function nameBytes (doc: string): number {
  return fieldBytes(Buffer.byteLength(doc, 'utf8'))
}

/** Upper bound of the envelope around a chunk's data: frame type, transfer, index, count and length prefixes. */
export const CHUNK_ENVELOPE_BYTES = 40
