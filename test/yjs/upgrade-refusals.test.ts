/**
 * WebSocket upgrades to /yjs/<doc> that are refused before any handshake get the API's JSON error, with
 * the status any other request would get:
 *  - a handshake ws cannot complete (a POST; no Sec-WebSocket-Key) was answered by ws in text/html
 *    (`Invalid HTTP method`, and a 405 without `Allow`);
 *  - an HTTP/1.1 upgrade without Host got 403 host_not_allowed, where any other such request gets 400.
 * In-process: a real peer and HTTP server, requests written byte for byte.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { httpPeer } from '../helpers/http-peer.js'
import { rawHttp } from '../helpers/raw-http.js'

let port = 0
let stop: () => Promise<void> = async () => {}

beforeAll(async () => {
  const served = await httpPeer()
  port = served.port
  stop = served.stop
}, 20_000)
afterAll(async () => { await stop() })

const KEY = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'
const UPGRADE = 'Upgrade: websocket\r\nConnection: Upgrade\r\n'

interface Answer { status: number, headers: string, body: { code?: string, error?: string } }

async function upgrade (request: string): Promise<Answer> {
  const raw = await rawHttp(port, request, 5_000)
  const [head = '', body = ''] = raw.split('\r\n\r\n')
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1])
  expect(head.toLowerCase(), raw).toContain('content-type: application/json')
  return { status, headers: head.toLowerCase(), body: JSON.parse(body) as Answer['body'] }
}

describe('refused WebSocket upgrades answer the API\'s JSON errors', () => {
  test('a POST upgrade: 405 method_not_allowed with Allow: GET', async () => {
    const a = await upgrade(`POST /yjs/doc HTTP/1.1\r\nHost: 127.0.0.1\r\n${UPGRADE}${KEY}Content-Length: 0\r\n\r\n`)
    expect(a.status).toBe(405)
    expect(a.body.code).toBe('method_not_allowed')
    expect(a.headers).toContain('allow: get')
  })

  test('no Sec-WebSocket-Key: 400 invalid_request naming what is wrong', async () => {
    const a = await upgrade(`GET /yjs/doc HTTP/1.1\r\nHost: 127.0.0.1\r\n${UPGRADE}Sec-WebSocket-Version: 13\r\n\r\n`)
    expect(a.status).toBe(400)
    expect(a.body.code).toBe('invalid_request')
    expect(a.body.error).toContain('Sec-WebSocket-Key')
  })

  test('an HTTP/1.1 upgrade without Host: 400 invalid_request, as any HTTP/1.1 request without one', async () => {
    const a = await upgrade(`GET /yjs/doc HTTP/1.1\r\n${UPGRADE}${KEY}\r\n`)
    expect(a.status).toBe(400)
    expect(a.body.code).toBe('invalid_request')
  })
})
