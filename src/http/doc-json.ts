/**
 * A Y.Doc as plain JSON for the HTTP API. Root types that arrived from peers before this process defined
 * them are untyped placeholders in Yjs; they are read as maps if they hold keys, else as arrays.
 */
import * as Y from 'yjs'
import { isReservedType } from '../replication/tombstone.js'
import { HttpError } from './errors.js'

export const KV_MAP = 'kv'

export function docToJSON (doc: Y.Doc): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, type] of doc.share) {
    if (isReservedType(name)) continue // murmur's own (the delete tombstone, idempotency records), not the app's
    if (type instanceof Y.Map || type instanceof Y.Array || type instanceof Y.Text || type instanceof Y.XmlFragment) {
      setOwn(out, name, valueToJSON(type))
    } else if (type._map.size > 0) {
      setOwn(out, name, valueToJSON(doc.getMap(name)))
    } else if (type._start !== null) {
      setOwn(out, name, valueToJSON(doc.getArray(name)))
    }
  }
  return out
}

/**
 * A value of the doc as JSON: what Yjs's toJSON gives, except that maps keep a "__proto__" key (Y.Map's
 * toJSON assigns `obj[key] = …`, which for that key sets the prototype: `GET /docs/:name` left out a key
 * that `PUT /docs/:name/kv/__proto__` had written and `GET …/kv/__proto__` read back). Recursive, as
 * toJSON is: a doc nested too deeply throws RangeError (see unrenderable).
 */
export function valueToJSON (value: unknown): unknown {
  if (value instanceof Y.Map) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of (value as Y.Map<unknown>).entries()) setOwn(out, k, valueToJSON(v))
    return out
  }
  if (value instanceof Y.Array) return (value as Y.Array<unknown>).toArray().map(valueToJSON)
  if (value instanceof Y.AbstractType) return value.toJSON() as unknown
  return value
}

/** `obj[key] = value`, as an own key even for "__proto__". */
function setOwn (obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * `err` as the answer to a read that could not render a doc as JSON: Yjs's toJSON and JSON.stringify
 * recurse, and a doc whose types nest a few thousand levels deep (a chain of Y.Maps, which the Yjs API
 * builds without recursion) overflows the stack. The doc itself is intact; over y-websocket it reads fine.
 * Any other error is returned as it is.
 */
export function unrenderable (err: unknown, doc: string): unknown {
  if (!(err instanceof RangeError)) return err
  return new HttpError(500, 'doc_too_deep', `"${doc}" nests its types or values too deeply to render as JSON (${err.message}); it is intact: read it over y-websocket at /yjs/${encodeURIComponent(doc)}`)
}
