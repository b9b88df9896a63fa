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
      out[name] = type.toJSON()
    } else if (type._map.size > 0) {
      out[name] = doc.getMap(name).toJSON()
    } else if (type._start !== null) {
      out[name] = doc.getArray(name).toJSON()
    }
  }
  return out
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
