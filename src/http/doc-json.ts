/**
 * A Y.Doc as plain JSON for the HTTP API. Root types that arrived from peers before this process defined
 * them are untyped placeholders in Yjs; they are rendered from their items (placeholderToJSON) as what
 * their content says they are — a map, a text, XML or an array — and left undefined.
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
    } else if (type._map.size > 0 || type._start !== null) {
      setOwn(out, name, placeholderToJSON(type))
    }
  }
  return out
}

/**
 * A root type nobody in this process defined, read without defining it: `doc.getMap(name)` or
 * `doc.getArray(name)` would fix its type in the doc, which may be the live one (open in an app or behind
 * y-websocket), and the app's own `doc.getText(name)` on it would then throw ("already been defined with a
 * different constructor"). Keys: a map. Items: a text if any holds characters (Y.Text's toJSON: its
 * string, formatting and embeds left out), XML if its elements are XML nodes (Y.XmlFragment's toJSON: their
 * markup), else an array.
 */
function placeholderToJSON (type: Pick<Y.AbstractType<unknown>, '_map' | '_start'>): unknown {
  if (type._map.size > 0) {
    const out: Record<string, unknown> = {}
    for (const [k, item] of type._map) if (!item.deleted) setOwn(out, k, valueToJSON(item.content.getContent()[item.length - 1]))
    return out
  }
  let text = ''
  let isText = false
  const values: unknown[] = []
  for (let item = type._start; item !== null; item = item.right) {
    const content = item.content
    if (content instanceof Y.ContentString || content instanceof Y.ContentFormat || content instanceof Y.ContentEmbed) isText = true
    if (item.deleted || !item.countable) continue
    if (content instanceof Y.ContentString) text += content.str
    values.push(...content.getContent() as unknown[])
  }
  if (isText) return text
  if (values.length > 0 && values.every(v => v instanceof Y.XmlElement || v instanceof Y.XmlText)) return values.map(v => String(v)).join('')
  return values.map(valueToJSON)
}

/**
 * A value of the doc as JSON: what Yjs's toJSON gives, except that maps keep a "__proto__" key (Y.Map's
 * toJSON assigns `obj[key] = …`, which for that key sets the prototype: `GET /docs/:name` left out a key
 * that `PUT /docs/:name/kv/__proto__` had written and `GET …/kv/__proto__` read back). Recursive, as
 * toJSON is: a doc nested too deeply throws RangeError (see unrenderable).
 */
export function valueToJSON (value: unknown): unknown {
  // A key set to undefined (a Yjs client's `map.set(k, undefined)`) is held: `GET …/kv/:key` answered 200
  // with an empty body, which is no JSON. It reads as null, as JSON.stringify renders it in an array.
  if (value === undefined) return null
  if (value instanceof Y.Map) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of (value as Y.Map<unknown>).entries()) setOwn(out, k, valueToJSON(v))
    return out
  }
  if (value instanceof Y.Array) return (value as Y.Array<unknown>).toArray().map(valueToJSON)
  if (value instanceof Y.AbstractType) return value.toJSON() as unknown
  return value
}

/**
 * The JSON text of an answer that renders doc values (`JSON.stringify` of it, undefined → empty). Values JSON
 * has no word for, which lib0 encodes so any Yjs client can store them over y-websocket:
 *  - a BigInt (`map.set('n', 10n)`) is written as the JSON number of its exact digits (JSON.stringify threw
 *    on one: every read of such a doc answered 500 `internal`);
 *  - a Uint8Array (`map.set('b', bytes)`, also inside a value) as a string of its bytes in base64, as
 *    protobuf's JSON mapping and Go's encoding/json write bytes (it was an object of one key per byte,
 *    `{"0":1,"1":2}`, that read back as neither bytes nor text).
 * Either way the type is not told apart in JSON (`10n` reads as `10`, bytes as a string), as undefined
 * reads as null. Only a body holding one pays for the replacer: bytes are looked for first (a walk, no
 * copy), a BigInt is found by JSON.stringify throwing.
 * @throws RangeError for a doc nested too deeply (see unrenderable)
 */
export function docJsonText (body: unknown): string {
  if (holdsBytes(body)) return JSON.stringify(body, jsonOfValue)
  try {
    return JSON.stringify(body)
  } catch (err) {
    if (!(err instanceof TypeError)) throw err
    return JSON.stringify(body, jsonOfValue)
  }
}

/** JSON.rawJSON (Node ≥ 21; not in TypeScript's ES2023 lib): a value JSON.stringify writes as the text given. */
const rawJSON = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON

/** A replacer: a BigInt as its exact digits, bytes as base64 (looked up on the holder: a Buffer's toJSON ran already). */
function jsonOfValue (this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return rawJSON(value.toString())
  const original = (this as Record<string, unknown>)[key]
  return original instanceof Uint8Array ? Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') : value
}

/** Whether a Uint8Array is anywhere in `value` (without recursion: a deeply nested doc must not overflow here). */
function holdsBytes (value: unknown): boolean {
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const v = stack.pop()
    if (typeof v !== 'object' || v === null) continue
    if (v instanceof Uint8Array) return true
    if (Array.isArray(v)) {
      for (const x of v as unknown[]) if (typeof x === 'object' && x !== null) stack.push(x)
    } else {
      for (const k in v) {
        const x = (v as Record<string, unknown>)[k]
        if (typeof x === 'object' && x !== null) stack.push(x)
      }
    }
  }
  return false
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
