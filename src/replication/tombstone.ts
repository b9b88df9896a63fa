/**
 * Replicated delete, as a CRDT operation inside the doc (observed-remove): deleting a doc deletes every
 * item the deleting peer holds, in every root type, and sets a tombstone flag in the reserved root map
 * `__murmur`. It replicates like any other update, and anti-entropy cannot resurrect the content: a
 * replica that was offline during the delete merges the delete set and loses the same items.
 *
 * A doc is *deleted* while its tombstone is set and it holds no live content. Writes the delete had not
 * seen (concurrent ones, made across a partition) survive the merge, and so does any write made after it:
 * either revives the doc with just that content (no acknowledged write is lost to a concurrent delete).
 * What remains of a deleted doc is its tombstone: the GC'd skeleton Yjs keeps of deleted items (a few
 * bytes per run of them after compaction), kept on its homes for ever, so that an old replica coming back
 * cannot bring the content back.
 */
import type * as Y from 'yjs'

/** The root map murmur reserves in every doc (applications must not use this name). */
export const MURMUR_MAP = '__murmur'
const DELETED_KEY = 'deleted'

/**
 * Whether a root type is murmur's own: every name starting with `__murmur` (the tombstone map, the
 * idempotency records `__murmur.ops`). Apps do not see them, and a delete keeps them: the records of
 * what was applied must outlive the content, or a retry could bring it back.
 */
export function isReservedType (name: string): boolean {
  return name.startsWith(MURMUR_MAP)
}

/** Root types the app sees: every one but murmur's own. */
function appTypes (doc: Y.Doc): Array<Y.Doc['share'] extends Map<string, infer T> ? T : never> {
  return [...doc.share].filter(([name]) => !isReservedType(name)).map(([, type]) => type)
}

/** Whether any root type (but murmur's) holds a live item. Works on untyped placeholders too. */
export function hasLiveContent (doc: Y.Doc): boolean {
  for (const type of appTypes(doc)) {
    if (type._length > 0) return true
    for (const item of type._map.values()) if (!item.deleted) return true
  }
  return false
}

function tombstoneSet (doc: Y.Doc): boolean {
  const map = doc.share.get(MURMUR_MAP)
  const item = map?._map.get(DELETED_KEY)
  return item !== undefined && !item.deleted
}

/** Deleted: tombstone set and nothing live. O(1) for a doc that was never deleted. */
export function isDeleted (doc: Y.Doc): boolean {
  return tombstoneSet(doc) && !hasLiveContent(doc)
}

/** Deletes every live item of every app root type and sets the tombstone, in the caller's transaction. */
export function deleteContents (doc: Y.Doc, tr: Y.Transaction): void {
  for (const type of appTypes(doc)) {
    for (const item of type._map.values()) if (!item.deleted) item.delete(tr)
    for (let item = type._start; item !== null; item = item.right) if (!item.deleted) item.delete(tr)
  }
  doc.getMap(MURMUR_MAP).set(DELETED_KEY, true)
}
