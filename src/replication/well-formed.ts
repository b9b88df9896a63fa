/**
 * Local edits must hold well-formed text. Yjs (lib0) encodes strings as UTF-8, and UTF-8 cannot carry a
 * lone surrogate (half a UTF-16 pair, `'\ud800'`): it is written as U+FFFD. A local edit holding one would
 * leave the writer with `'\ud800'` in memory while its own store, every other replica and the writer after
 * a restart hold U+FFFD — under the same digest and version vector (they count items, not characters), so
 * nothing would ever notice or repair the difference. The encoded update cannot show it either: it already
 * holds U+FFFD. So the check looks at what the edit put in the doc, before Yjs commits it.
 *
 * Yjs has no rollback: an edit can only be taken back by more edits. `withdrawSince` does that inside the
 * edit's own transaction, so no observer, store or peer ever sees the text: every item the edit added is
 * deleted again (it travels as an empty deleted item), and a map value it overwrote or deleted is set back
 * (a copy: Yjs cannot undelete). What else it deleted — list or text content, a nested type — cannot be
 * put back; the count of such items is returned.
 *
 * Checked: what lib0 writes as UTF-8 — text (Y.Text, strings in values), map keys, keys of objects in
 * values, names of root types, XML element and hook names, format attribute names, subdocument guids and
 * options. Not: format attribute values, embeds and legacy JSON content, which Yjs encodes as JSON
 * (escaping a lone surrogate, so it survives).
 */
import * as Y from 'yjs'
import { hasLoneSurrogate } from '../core/codec.js'

/** Where a write's own edits start in its transaction (a write may run inside an outer transaction). */
export interface EditMark {
  /** The doc's own clock before the edit: items from here on are the edit's. */
  readonly clock: number
  /** Per client, how many entries the transaction's delete set had before the edit. */
  readonly deletes: ReadonlyMap<number, number>
}

/** Marks the start of an edit in transaction `tr` of `doc`. */
export function markEdit (doc: Y.Doc, tr: Y.Transaction): EditMark {
  const deletes = new Map<number, number>()
  for (const [client, items] of tr.deleteSet.clients) deletes.set(client, items.length)
  return { clock: Y.getState(doc.store, doc.clientID), deletes }
}

/** The doc's own items from `clock` on, in clock order (including one that starts before and runs past it, once merged). */
function ownItemsFrom (doc: Y.Doc, clock: number): Y.Item[] {
  const structs = doc.store.clients.get(doc.clientID) ?? []
  const out: Y.Item[] = []
  for (let i = structs.length - 1; i >= 0; i--) {
    const s = structs[i]
    if (s === undefined || s.id.clock + s.length <= clock) break
    if (s instanceof Y.Item) out.push(s)
  }
  return out.reverse()
}

/** Whether a lone surrogate is in `values` (as lib0 writes them: strings, and keys of objects, at any depth). */
function inValues (values: readonly unknown[]): boolean {
  const stack: unknown[] = [...values]
  const seen = new Set<object>()
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v === 'string') {
      if (hasLoneSurrogate(v)) return true
    } else if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !seen.has(v)) {
      seen.add(v)
      if (Array.isArray(v)) {
        for (const x of v) stack.push(x)
      } else {
        for (const [k, x] of Object.entries(v)) {
          if (hasLoneSurrogate(k)) return true
          stack.push(x)
        }
      }
    }
  }
  return false
}

/** What in `item` UTF-8 would not carry, described for an error message; undefined if nothing. */
function describe (item: Y.Item, roots: Map<Y.AbstractType<unknown>, string>): string | undefined {
  if (item.parentSub !== null && hasLoneSurrogate(item.parentSub)) return `the key ${JSON.stringify(item.parentSub)}`
  const parent = item.parent
  if (parent instanceof Y.AbstractType && parent._item === null) {
    let root = roots.get(parent)
    if (root === undefined) {
      root = Y.findRootTypeKey(parent)
      roots.set(parent, root)
    }
    if (hasLoneSurrogate(root)) return `the name of the shared type ${JSON.stringify(root)}`
  }
  const c = item.content
  if (c instanceof Y.ContentString) return hasLoneSurrogate(c.str) ? 'a text' : undefined
  if (c instanceof Y.ContentAny) return inValues(c.arr) ? 'a value' : undefined
  if (c instanceof Y.ContentFormat) return hasLoneSurrogate(c.key) ? `the format attribute ${JSON.stringify(c.key)}` : undefined
  if (c instanceof Y.ContentDoc) return hasLoneSurrogate(c.doc.guid) || inValues([c.opts]) ? 'a subdocument\'s guid or options' : undefined
  if (c instanceof Y.ContentType) {
    const t: unknown = c.type
    if (t instanceof Y.XmlElement && hasLoneSurrogate(t.nodeName)) return `the XML element name ${JSON.stringify(t.nodeName)}`
    if (t instanceof Y.XmlHook && hasLoneSurrogate(t.hookName)) return `the XML hook name ${JSON.stringify(t.hookName)}`
  }
  return undefined
}

/**
 * What the doc's own edits from `clock` on hold that UTF-8 cannot carry (a lone surrogate), described for
 * an error message ("a text", "the key …"); undefined if they hold none. `liveOnly`: skip deleted items.
 */
export function loneSurrogateSince (doc: Y.Doc, clock: number, liveOnly = false): string | undefined {
  const roots = new Map<Y.AbstractType<unknown>, string>()
  for (const item of ownItemsFrom(doc, clock)) {
    const found = liveOnly && item.deleted ? undefined : describe(item, roots)
    if (found !== undefined) return found
  }
  return undefined
}

/** Forgets the search markers of lists changed by direct deletions (Yjs' UndoManager does the same). */
function dropSearchMarkers (tr: Y.Transaction): void {
  tr.changed.forEach((subs, type) => {
    if (subs.has(null) && type._searchMarker !== null) type._searchMarker.length = 0
  })
}

/**
 * Takes back, inside its own transaction `tr`, the edit that started at `mark`: deletes every item it added
 * and sets back every plain map value (not a nested type) it overwrote or deleted. Returns how many earlier
 * items it deleted that cannot be put back (list or text content, nested types): 0 means the doc's content
 * is as before the edit.
 */
export function withdrawSince (doc: Y.Doc, tr: Y.Transaction, mark: EditMark): number {
  const since = Y.createDeleteSet()
  for (const [client, items] of tr.deleteSet.clients) {
    const from = mark.deletes.get(client) ?? 0
    if (items.length > from) since.clients.set(client, items.slice(from))
  }
  const restore: Array<{ map: Y.Map<unknown>, key: string, value: unknown }> = []
  let lost = 0
  Y.iterateDeletedStructs(tr, since, (s) => {
    if (!(s instanceof Y.Item) || (s.id.client === doc.clientID && s.id.clock >= mark.clock)) return // the edit's own
    const parent = s.parent
    if (parent instanceof Y.AbstractType && parent._item?.deleted === true) return // goes (and is counted) with its parent
    const c = s.content
    if (s.parentSub !== null && parent instanceof Y.Map && (c instanceof Y.ContentAny || c instanceof Y.ContentBinary)) {
      restore.push({ map: parent, key: s.parentSub, value: c.getContent().at(-1) })
    } else {
      lost++
    }
  })
  const added = ownItemsFrom(doc, mark.clock)
  for (let i = added.length - 1; i >= 0; i--) {
    const item = added[i]
    if (item !== undefined && !item.deleted) item.delete(tr)
  }
  for (const r of restore) if (!r.map.has(r.key)) r.map.set(r.key, r.value)
  dropSearchMarkers(tr)
  return lost
}

/**
 * For an edit already committed (made on the doc directly, outside `write`): deletes, in a new transaction
 * with `origin`, every item of the doc's own from `clock` on that holds a lone surrogate. Returns what was
 * found (undefined: nothing, nothing done).
 */
export function withdrawLoneSurrogates (doc: Y.Doc, clock: number, origin: unknown): string | undefined {
  const found = loneSurrogateSince(doc, clock, true)
  if (found === undefined) return undefined
  doc.transact((tr) => {
    // Yjs may have merged the edit's first item into an earlier one of ours: split it where the edit starts.
    const first = ownItemsFrom(doc, clock)[0]
    if (first !== undefined && first.id.clock < clock) Y.getItemCleanStart(tr, Y.createID(doc.clientID, clock))
    const roots = new Map<Y.AbstractType<unknown>, string>()
    for (const item of ownItemsFrom(doc, clock)) {
      if (item.id.clock >= clock && !item.deleted && describe(item, roots) !== undefined) item.delete(tr)
    }
    dropSearchMarkers(tr)
  }, origin)
  return found
}
