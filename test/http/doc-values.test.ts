/**
 * Values a Yjs client can store that JSON has no word for, read back over HTTP. lib0 encodes a BigInt and
 * undefined, so any y-websocket client can `map.set('n', 10n)` or `map.set('u', undefined)`:
 *  - a BigInt made every read of the doc (`GET /docs/:name`, and of the key) a 500 `internal`, since
 *    JSON.stringify throws on one; it is now the JSON number of its exact digits;
 *  - undefined made `GET /docs/:name/kv/:key` a 200 with an empty body, which is no JSON; it is now null.
 * In-process: a real peer and HTTP server on 127.0.0.1, the edit sent by a raw WebSocket client.
 */
import * as encoding from 'lib0/encoding'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import { httpPeer } from '../helpers/http-peer.js'
import { waitFor } from '../helpers/procs.js'

/** 2^53 + 1: a double cannot hold it, the answer carries its digits. (lib0 stores a BigInt in 64 bits.) */
const BIG = 9007199254740993n

let base = ''
let stop: () => Promise<void> = async () => {}

/** Sends `edit`'s update to /yjs/<doc> as a y-websocket client would, and closes once the peer has it. */
async function editOverWebSocket (doc: string, edit: (d: Y.Doc) => void): Promise<void> {
  const d = new Y.Doc()
  edit(d)
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0) // sync
  syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(d))
  const ws = new WebSocket(`${base.replace('http', 'ws')}/yjs/${doc}`)
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  ws.send(encoding.toUint8Array(e))
  await waitFor('the edit applied', async () => (await fetch(`${base}/docs/${doc}`)).status !== 404, 5_000, 20)
  ws.close()
}

beforeAll(async () => {
  const served = await httpPeer()
  base = served.base
  stop = served.stop
  await editOverWebSocket('values', (d) => {
    const kv = d.getMap('kv')
    kv.set('n', BIG)
    kv.set('o', { deep: [1n, 2] })
    kv.set('u', undefined)
    kv.set('plain', 'ok')
  })
}, 20_000)
afterAll(async () => { await stop() })

async function get (path: string): Promise<{ status: number, text: string }> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) })
  return { status: res.status, text: await res.text() }
}

describe('doc values JSON has no word for, written by a Yjs client', () => {
  test('a BigInt reads as the JSON number of its exact digits, in the doc and as a key', async () => {
    const doc = await get('/docs/values')
    expect(doc.status, doc.text).toBe(200)
    expect(doc.text).toContain(`"n":${BIG}`)
    expect(JSON.parse(doc.text).content.kv.o).toEqual({ deep: [1, 2] })
    const n = await get('/docs/values/kv/n')
    expect(n).toEqual({ status: 200, text: BIG.toString() })
    const o = await get('/docs/values/kv/o')
    expect(o).toEqual({ status: 200, text: '{"deep":[1,2]}' })
  })

  test('a key set to undefined reads as null (JSON), not an empty body', async () => {
    expect(await get('/docs/values/kv/u')).toEqual({ status: 200, text: 'null' })
    expect(JSON.parse((await get('/docs/values')).text).content.kv).toEqual({ n: Number(BIG), o: { deep: [1, 2] }, u: null, plain: 'ok' })
  })
})
