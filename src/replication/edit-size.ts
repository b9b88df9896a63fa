/**
 * How many bytes a local edit adds to its doc, and how many it frees, measured in the edit's own transaction
 * before Yjs commits it (so that a write past `maxDocBytes` can be withdrawn unseen, as well-formed.ts
 * withdraws malformed text). Only the edit's structs are encoded — what Yjs writes of them in the update —
 * never the whole doc: the cost is the edit's own size.
 */
import * as Y from 'yjs'
import type { EditMark } from './well-formed.js'

/** Encoded bytes of the doc's own structs from `clock` on (the edit that started there). */
export function editBytes (doc: Y.Doc, clock: number): number {
  const structs = doc.store.clients.get(doc.clientID) ?? []
  const encoder = new Y.UpdateEncoderV1()
  for (let i = structs.length - 1; i >= 0; i--) {
    const s = structs[i]
    if (s === undefined || s.id.clock + s.length <= clock) break
    // A struct Yjs merged with one from before the edit: only its part from `clock` on is the edit's.
    s.write(encoder, Math.max(0, clock - s.id.clock))
  }
  return encoder.toUint8Array().byteLength
}

/**
 * Encoded bytes of the content the edit (from `mark` on, in transaction `tr`) deleted: Yjs drops it when
 * the transaction commits (the doc collects garbage), so a write that replaces or deletes content shrinks
 * the doc by about this much. Asked only of a write near the limit (it encodes what was deleted).
 */
export function freedBytes (tr: Y.Transaction, mark: EditMark): number {
  const since = Y.createDeleteSet()
  for (const [client, items] of tr.deleteSet.clients) {
    const from = mark.deletes.get(client) ?? 0
    if (items.length > from) since.clients.set(client, items.slice(from))
  }
  const encoder = new Y.UpdateEncoderV1()
  Y.iterateDeletedStructs(tr, since, (s) => {
    if (s instanceof Y.Item && !(s.content instanceof Y.ContentDeleted)) s.content.write(encoder, 0)
  })
  return encoder.toUint8Array().byteLength
}
