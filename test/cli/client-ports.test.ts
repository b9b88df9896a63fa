/**
 * The operator commands reach an agent on any port it can listen on. They used `fetch`, which refuses
 * the Fetch standard's "bad ports" (6000, 6665–6669, 10080 and others): `murmur ready --http-addr
 * 127.0.0.1:6666` failed with "cannot reach the agent …: bad port" although the agent answered there.
 * Against a stand-in HTTP server: the point is the client, not the agent.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { afterEach, describe, expect, test } from 'vitest'
import { murmur } from './helpers.js'

/** Ports `fetch` refuses (a few of the Fetch standard's list); the test takes the first free one. */
const BAD_PORTS = [6666, 6665, 6667, 6668, 6669, 6000, 10080]

async function listenOnABadPort (server: Server): Promise<number> {
  for (const port of BAD_PORTS) {
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => { resolve(false) })
      server.listen(port, '127.0.0.1', () => { resolve(true) })
    })
    if (ok) return port
  }
  throw new Error(`none of ports ${BAD_PORTS.join(', ')} is free on 127.0.0.1`)
}

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => { if (server?.listening === true) server.close(() => { resolve() }); else resolve() })
  server = undefined
})

describe('murmur reaches an agent on any port', () => {
  test('a port fetch calls "bad" (e.g. 6666): the request is made and answered', async () => {
    const seen: string[] = []
    server = createServer((req, res) => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''}`)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ alive: 3 }))
    })
    const port = await listenOnABadPort(server)
    const r = await murmur(['ready', '--http-addr', `127.0.0.1:${port}`])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(seen).toEqual(['GET /ready'])
  })

  test('an answer outside HTTP\'s statuses (999) is an error naming the agent and the status, not a crash', async () => {
    server = createServer((_req, res) => {
      res.writeHead(999, { 'content-type': 'application/json' })
      res.end('{}')
    })
    await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
    const { port } = server.address() as { port: number }
    const r = await murmur(['ready', '--http-addr', `127.0.0.1:${port}`])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^murmur: cannot reach the agent at http:\/\/127\.0\.0\.1:\d+: an HTTP answer this client cannot read \(status 999: .+\)\n$/)
  })

  test('port 0 is refused before any request, with a message that says why (a usage error: exit 2)', async () => {
    const r = await murmur(['ready', '--http-addr', '127.0.0.1:0'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/port 0 is not an address an agent listens on/)
  })
})
