/**
 * Bytes in a doc, read over HTTP. Yjs stores a Uint8Array as it is (a Y.Map value, an array item, or inside
 * a value), so a library's `map.set('b', bytes)` or any Yjs client can write one; `GET /docs/:name` rendered
 * it as an object of one key per byte (`{"0":1,"1":2}`), which reads back as neither bytes nor text. Bytes
 * read as a base64 string (as protobuf's JSON mapping and Go's encoding/json write them), wherever they are.
 * In-process: a real peer and HTTP server on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { httpPeer } from '../helpers/http-peer.js'
import type { HttpPeer } from '../helpers/http-peer.js'

/** 2^53 + 1: a BigInt beside bytes still reads as its exact digits. */
const BIG = 9007199254740993n

let served: HttpPeer | undefined
beforeAll(async () => {
  served = await httpPeer()
  await served.peer.write('bytes', (d) => {
    const kv = d.getMap('kv')
    kv.set('b', new Uint8Array([1, 2, 255]))
    kv.set('empty', new Uint8Array(0))
    kv.set('o', { img: new Uint8Array([1, 2]), n: 1, list: [new Uint8Array([3])] })
    // A Buffer (a Uint8Array) inside a value: JSON.stringify would call its toJSON ({"type":"Buffer",...}).
    kv.set('buf', { raw: Buffer.from([1, 2]) })
    kv.set('big', BIG)
    d.getArray('list').push([new Uint8Array([7]), 'text'])
  })
}, 20_000)
afterAll(async () => { await served?.stop() })

async function get (path: string): Promise<{ status: number, text: string }> {
  const res = await fetch(`${served?.base ?? ''}${path}`, { signal: AbortSignal.timeout(5_000) })
  return { status: res.status, text: await res.text() }
}

describe('bytes in a doc, over HTTP', () => {
  test('GET /docs/:name renders every Uint8Array as a base64 string, at any depth, a BigInt beside them still exact', async () => {
    const doc = await get('/docs/bytes')
    expect(doc.status, doc.text).toBe(200)
    const content = JSON.parse(doc.text).content
    expect(content.kv).toEqual({
      b: 'AQL/',
      empty: '',
      o: { img: 'AQI=', n: 1, list: ['Aw=='] },
      buf: { raw: 'AQI=' },
      big: Number(BIG)
    })
    expect(content.list).toEqual(['Bw==', 'text'])
    expect(doc.text).toContain(`"big":${BIG}`)
  })

  test('GET /docs/:name/kv/:key renders a key holding bytes the same way', async () => {
    expect(await get('/docs/bytes/kv/b')).toEqual({ status: 200, text: '"AQL/"' })
    expect(await get('/docs/bytes/kv/o')).toEqual({ status: 200, text: '{"img":"AQI=","n":1,"list":["Aw=="]}' })
  })
})
