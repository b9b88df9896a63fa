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

/**
 * A replica holds root types no code of its process defined (placeholders): a y-websocket client's notes
 * (Y.Text) read over `GET /docs/:name` came out as an array of characters (`"t": ["a","b","c"]`), and the
 * read defined the live doc's root as a Y.Array, so the app's own `doc.getText('t')` then threw.
 */
describe('docToJSON: root types a replica has not defined', () => {
  test('text, formatted text, XML, arrays and maps render as what they are, and stay undefined', () => {
    const doc = new Y.Doc()
    doc.getText('notes').insert(0, 'hello world')
    doc.getText('notes').format(0, 5, { bold: true })
    doc.getText('notes').delete(5, 6)
    doc.getText('emptied').insert(0, 'gone')
    doc.getText('emptied').delete(0, 4)
    doc.getArray('list').push([1, 'a', { b: 2 }])
    doc.getMap('m').set('k', 1)
    const p = new Y.XmlElement('p')
    p.insert(0, [new Y.XmlText('hi')])
    doc.getXmlFragment('prose').insert(0, [p])
    const r = replica(doc)
    // A text whose every character was deleted keeps no trace of being text: an empty array, as before.
    expect(docToJSON(r)).toEqual({ notes: 'hello', emptied: [], list: [1, 'a', { b: 2 }], m: { k: 1 }, prose: '<p>hi</p>' })
    expect({ ...docToJSON(r), emptied: '' }).toEqual(docToJSON(doc)) // as the writer, which defined them, renders them
    // Reading defined nothing: the app (or a y-websocket client's server side) still chooses each type.
    expect(r.getText('notes').toString()).toBe('hello')
    expect(r.getXmlFragment('prose').toString()).toBe('<p>hi</p>')
    expect(r.getArray('list').length).toBe(3)
  })
})
