/**
 * The y-websocket URL of a peer with a token, `ws://…/yjs/<doc>?access_token=<token>` (browsers cannot set
 * headers on a WebSocket), tried with curl or a browser tab as a plain GET: it answered 401
 * `query_token_not_allowed`, "a token in the URL is accepted only on event streams and WebSockets" — at the
 * WebSocket endpoint. It is now the endpoint's own answer, 426 `upgrade_required`; a wrong token is still a
 * 401. In-process: a real peer and HTTP server on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { httpPeer } from '../helpers/http-peer.js'

const TOKEN = 'sesame-0123456789'

let base = ''
let stop: () => Promise<void> = async () => {}

beforeAll(async () => {
  const served = await httpPeer({ token: TOKEN })
  base = served.base
  stop = served.stop
}, 20_000)
afterAll(async () => { await stop() })

async function get (path: string): Promise<{ status: number, code: unknown }> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) })
  return { status: res.status, code: (await res.json() as { code?: unknown }).code }
}

describe('a plain GET of the y-websocket URL with its token', () => {
  test('the right token in the URL: 426 upgrade_required', async () => {
    expect(await get(`/yjs/notes?access_token=${TOKEN}`)).toEqual({ status: 426, code: 'upgrade_required' })
  })

  test('a wrong token, or none: 401 unauthorized', async () => {
    expect(await get('/yjs/notes?access_token=wrong-0123456789')).toEqual({ status: 401, code: 'unauthorized' })
    expect(await get('/yjs/notes')).toEqual({ status: 401, code: 'unauthorized' })
  })

  test('other routes still refuse a token in the URL', async () => {
    expect(await get(`/docs?access_token=${TOKEN}`)).toEqual({ status: 401, code: 'query_token_not_allowed' })
  })
})
