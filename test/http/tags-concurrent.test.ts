/**
 * `POST /tags` (`murmur tags set`) read the current tags when the request began, then its body: a second
 * request whose body arrived first was applied and answered 200, then undone by the first, which set its
 * own change over the tags it had read before. Both changes must hold. In-process: a real peer and HTTP
 * server, the slow request written in two parts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { httpPeer } from '../helpers/http-peer.js'
import type { HttpPeer } from '../helpers/http-peer.js'
import { rawHttpInParts } from '../helpers/raw-http.js'

let served: HttpPeer

beforeAll(async () => { served = await httpPeer() }, 20_000)
afterAll(async () => { await served.stop() })

const post = (body: string): Promise<Response> => fetch(`${served.base}/tags`, { method: 'POST', body, signal: AbortSignal.timeout(5_000) })

describe('two tag changes at once', () => {
  test('one whose body arrives late does not undo the other', async () => {
    const slowBody = '{"set":{"slow":"1"}}'
    const slow = await rawHttpInParts(served.port, `POST /tags HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${slowBody.length}\r\nConnection: close\r\n\r\n`, 5_000)
    await new Promise(resolve => setTimeout(resolve, 100)) // the slow request's handler has begun
    expect((await post('{"set":{"fast":"1"}}')).status).toBe(200)
    const answer = await slow.finish(slowBody)
    expect(answer).toMatch(/^HTTP\/1\.1 200 /)
    expect(served.peer.self().tags).toMatchObject({ slow: '1', fast: '1' })
  })
})
