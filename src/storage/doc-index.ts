/**
 * The in-memory index of persisted docs: per doc, the next update seq, the seqs the next compaction will
 * delete, and what is pending since the last compaction. Rebuilt on open by scanning the update keys
 * (with their values, for byte counts: that is only what was written since the last compaction) and the
 * state keys (keys only: the big compacted values are not read).
 */
import type { ClassicLevel } from 'classic-level'
import type { Logger } from '../core/logger.js'
import {
  NS_DOC_META, NS_STATE, NS_UPDATE, decodeDocMetaKey, decodeStateKey, decodeUpdateKey, docMetaKey, encodeDocName,
  namespaceRange, stateKey, updatePrefix
} from './keys.js'

export interface DocMeta {
  readonly stateKey: Buffer
  readonly metaKey: Buffer
  /** The replicator's bytes kept beside the doc (listDocs reports them). */
  meta: Uint8Array | undefined
  /** `u <name> 0x00`, the prefix of every update key of this doc. */
  readonly updatePrefix: Buffer
  /** Seq of the next append. Seqs are assigned at call time, so call order = key order. */
  nextSeq: number
  /** Lowest seq that may still be stored: a compaction deletes [compactFrom, nextSeq). */
  compactFrom: number
  /** Appends accepted since the last compaction was issued, and their bytes (for `pending`). */
  pendingUpdates: number
  pendingBytes: number
  /** Something of this doc is durable (listDocs lists it). */
  persisted: boolean
  /** Writes of this doc accepted and not yet called back: a load waits for them, and only for them. */
  inFlight: number
}

export type LevelDb = ClassicLevel<Uint8Array, Uint8Array>

/** @throws InvalidDocNameError (see encodeDocName). */
export function newDocMeta (doc: string): DocMeta {
  const escaped = encodeDocName(doc)
  return {
    stateKey: stateKey(escaped),
    metaKey: docMetaKey(escaped),
    meta: undefined,
    updatePrefix: updatePrefix(escaped),
    nextSeq: 0,
    compactFrom: 0,
    pendingUpdates: 0,
    pendingBytes: 0,
    persisted: false,
    inFlight: 0
  }
}

export interface RecoveredIndex {
  docs: Map<string, DocMeta>
  /** Keys in our namespaces that did not parse (logged, left alone). */
  foreignKeys: number
}

/** Scans an open database and rebuilds the index. */
export async function recoverIndex (db: LevelDb, log: Logger): Promise<RecoveredIndex> {
  const docs = new Map<string, DocMeta>()
  let foreignKeys = 0
  /** The doc's entry, created on first sight; undefined (and counted) for a name we would refuse today. */
  const metaOf = (doc: string): DocMeta | undefined => {
    let meta = docs.get(doc)
    if (meta !== undefined) return meta
    try {
      meta = newDocMeta(doc)
    } catch {
      foreignKeys++
      return undefined
    }
    meta.persisted = true
    docs.set(doc, meta)
    return meta
  }
  for await (const [key, value] of db.iterator(namespaceRange(NS_UPDATE))) {
    const parsed = decodeUpdateKey(key)
    if (parsed === undefined) {
      foreignKeys++
      continue
    }
    const meta = metaOf(parsed.doc)
    if (meta === undefined) continue
    // Keys come in order, so the first seq seen is the lowest and the last the highest.
    if (meta.pendingUpdates === 0) meta.compactFrom = parsed.seq
    meta.nextSeq = parsed.seq + 1
    meta.pendingUpdates++
    meta.pendingBytes += value.byteLength
  }
  for await (const key of db.keys(namespaceRange(NS_STATE))) {
    const doc = decodeStateKey(key)
    if (doc === undefined) foreignKeys++
    else metaOf(doc)
  }
  // Metas are small (a digest and a few flags): read with their values.
  for await (const [key, value] of db.iterator(namespaceRange(NS_DOC_META))) {
    const doc = decodeDocMetaKey(key)
    const meta = doc === undefined ? undefined : metaOf(doc)
    if (doc === undefined) foreignKeys++
    if (meta !== undefined) meta.meta = value
  }
  if (foreignKeys > 0) log.warn('ignored keys that do not parse', { foreignKeys })
  return { docs, foreignKeys }
}
