/**
 * docToJSON (src/http/doc-json.ts), the `content` of `GET /docs/:name`: every key the doc holds is shown,
 * "__proto__" included. `PUT /docs/d/kv/__proto__` answered 200, and `GET /docs/d/kv/__proto__` read the
 * value back on every peer, but `GET /docs/d` left the key out: Yjs's Y.Map toJSON assigns `obj[key] = …`,
 * which for "__proto__" sets the result's prototype instead of a key.
 */
import { describe, expect, test } from 'vitest'
import * as Y from 'yjs'
import { KV_MAP, docToJSON } from '../../src/http/index.js'

/** The doc as a peer that received it over the mesh sees it (decoded from its update). */
function replica (doc: Y.Doc): Y.Doc {
  const other = new Y.Doc()
  Y.applyUpdate(other, Y.encodeStateAsUpdate(doc))
  return other
}

describe('docToJSON: a "__proto__" key', () => {
  test('a kv key named "__proto__" is rendered as a key, on the writer and on a replica', () => {
    const doc = new Y.Doc()
    doc.getMap(KV_MAP).set('__proto__', 'p')
    doc.getMap(KV_MAP).set('a', 1)
    for (const d of [doc, replica(doc)]) {
      const text = JSON.stringify(docToJSON(d))
      expect(JSON.parse(text)).toEqual(JSON.parse('{"kv":{"__proto__":"p","a":1}}'))
      expect(Object.getPrototypeOf(docToJSON(d).kv)).toBe(Object.prototype)
    }
  })

  test('a nested type and a root type named "__proto__" are rendered too; a deleted key is not', () => {
    const doc = new Y.Doc()
    const inner = new Y.Map<unknown>()
    doc.getMap('m').set('__proto__', inner)
    inner.set('x', 1)
    doc.getArray('__proto__').push([1, 2])
    doc.getMap(KV_MAP).set('__proto__', 'gone')
    doc.getMap(KV_MAP).delete('__proto__')
    for (const d of [doc, replica(doc)]) {
      expect(JSON.parse(JSON.stringify(docToJSON(d)))).toEqual(JSON.parse('{"m":{"__proto__":{"x":1}},"__proto__":[1,2],"kv":{}}'))
    }
  })
})
