/**
 * What the operator commands say when the address answers, but not as a murmur agent does (another
 * service on that port, a proxy's error page): an agent's every error is JSON {error, code}, and its every
 * success JSON. They used to print the first line of whatever came back ("murmur: 404: ", "murmur: 404:
 * <!DOCTYPE HTML>"), or call a reached server unreachable ("cannot reach the agent …: Unexpected token
 * '<' …"). Against stand-in HTTP servers.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { afterEach, describe, expect, test } from 'vitest'
import { murmur } from './helpers.js'

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => { if (server?.listening === true) server.close(() => { resolve() }); else resolve() })
  server = undefined
})

/** A server answering every request with `status`, `type` and `body`; its address. */
async function answering (status: number, type: string, body: string): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': type })
    res.end(body)
  })
  await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
  return `127.0.0.1:${(server.address() as { port: number }).port}`
}

describe('murmur against an address that is not a murmur agent', () => {
  test.each([
    ['an empty 404', 404, 'text/plain', '', /^murmur: 404 Not Found from http:\/\/127\.0\.0\.1:\d+, not a murmur error: is that address a murmur agent's HTTP API\?\n$/],
    ['an HTML error page', 502, 'text/html', '<!DOCTYPE html>\n<html><body>Bad gateway</body></html>', /^murmur: 502 Bad Gateway from http:\/\/127\.0\.0\.1:\d+, not a murmur error: is that address/],
    ['a 200 HTML page', 200, 'text/html', '<html>hello</html>', /^murmur: 200 from http:\/\/127\.0\.0\.1:\d+, but not a JSON answer: is that address a murmur agent's HTTP API\?\n$/]
  ])('%s: one line that says so, exit 1', async (_what, status, type, body, message) => {
    const addr = await answering(status, type, body)
    for (const args of [['members'], ['health'], ['docs', 'ls']]) {
      const r = await murmur([...args, '--http-addr', addr])
      expect(r.status, args[0]).toBe(1)
      expect(r.stderr).toMatch(message)
    }
  })

  test('monitor --json on an event stream whose data is not JSON: printed as text, not a crash', async () => {
    const addr = await answering(200, 'text/event-stream', 'event: note\ndata: plain text\n\n')
    const { status, stdout, stderr } = await murmur(['monitor', '--json', '--http-addr', addr])
    expect(JSON.parse(stdout)).toMatchObject({ event: 'note', data: 'plain text' })
    expect(status).toBe(1)
    expect(stderr).toMatch(/^murmur: the event stream was cut: /)
  })

  test('an agent\'s own error is still shown as status, code and text', async () => {
    const addr = await answering(401, 'application/json', JSON.stringify({ error: 'missing or wrong bearer token', code: 'unauthorized' }))
    const r = await murmur(['members', '--http-addr', addr], undefined, { MURMUR_HTTP_TOKEN: 'a-token-of-16-chars-or-more' })
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('murmur: 401 unauthorized: missing or wrong bearer token\n')
  })
})
