/**
 * The operator's token from MURMUR_HTTP_TOKEN as a Secret gives it: with a trailing newline (a Secret
 * made from a file). Sent as it was, the header was refused by node:http before any request ("cannot
 * reach the agent …: Invalid character in header content") although the agent was there. Against a
 * stand-in agent that records the Authorization header.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { murmur } from './helpers.js'

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => { if (server?.listening === true) server.close(() => { resolve() }); else resolve() })
  server = undefined
})

describe('murmur and MURMUR_HTTP_TOKEN', () => {
  test('a token with surrounding whitespace (a trailing newline) is sent without it', async () => {
    const seen: Array<string | undefined> = []
    server = createServer((req, res) => {
      seen.push(req.headers.authorization)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('[]')
    })
    await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
    const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`
    const token = 't'.repeat(24)
    const r = await murmur(['members', '--http-addr', addr], undefined, { MURMUR_HTTP_TOKEN: `${token}\n` })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(seen).toEqual([`Bearer ${token}`])
  })
})
