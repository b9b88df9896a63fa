/**
 * How many bytes a local edit adds to its doc, measured in the edit's own transaction before Yjs commits it
 * (so that a write past `maxDocBytes` can be withdrawn unseen, as well-formed.ts withdraws malformed text).
 * Only the edit's structs are encoded — what Yjs writes of them in the update — never the whole doc: the
 * cost is the edit's own size. Content the edit replaces or deletes is not subtracted (it leaves the doc
 * only when Yjs collects it, after the commit), as a write's `bytes` option counts what it adds.
 */
import * as Y from 'yjs'

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
