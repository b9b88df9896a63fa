/** Yjs updates whose values nest deeper than Yjs's own (recursive) encoder could write. */
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

/**
 * An update setting kv.k to `depth` nested one-element arrays, written byte by byte (Yjs's own encoder
 * recurses, and would overflow first): lib0's "any" encoding is 117 for an array, then its length.
 */
export function nestedUpdate (depth: number): Uint8Array {
  const d = new Y.Doc()
  d.clientID = 4242
  d.getMap('kv').set('k', 'PLACEHOLDER')
  const update = Y.encodeStateAsUpdate(d)
  const e = encoding.createEncoder()
  encoding.writeAny(e, 'PLACEHOLDER')
  const placeholder = encoding.toUint8Array(e)
  const at = Buffer.from(update).indexOf(Buffer.from(placeholder))
  const nested = new Uint8Array(depth * 2 + 1)
  for (let i = 0; i < depth; i++) nested.set([117, 1], 2 * i)
  nested[depth * 2] = 127 // undefined, innermost
  return Buffer.concat([update.subarray(0, at), nested, update.subarray(at + placeholder.length)])
}
