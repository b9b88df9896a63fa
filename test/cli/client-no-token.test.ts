/**
 * An agent started with a token answers a command that gave none "401 unauthorized: missing or wrong bearer
 * token", and that was all: nothing said how murmur takes a token. Now, when none was given, the error
 * names --http-token-file, MURMUR_HTTP_TOKEN and MURMUR_HTTP_TOKEN_FILE; with one given (and refused), the
 * agent's message stands alone. Against a stand-in agent.
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

/** A stand-in agent with a token nobody here has: every request is a 401. */
async function guarded (): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: 'missing or wrong bearer token', code: 'unauthorized' }))
  })
  await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
  return `127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('murmur against an agent that wants a token', () => {
  test.each([['members'], ['docs', 'ls'], ['tags', 'set', 'a=b'], ['monitor']])('%s without a token: the error says how to give one', async (...command) => {
    const r = await murmur([...command, '--http-addr', await guarded()])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^murmur: 401 unauthorized: missing or wrong bearer token \(no token was given: pass --http-token-file <file>, or set MURMUR_HTTP_TOKEN or MURMUR_HTTP_TOKEN_FILE\)/)
  })

  test('with a token that is refused: the agent\'s message alone', async () => {
    const r = await murmur(['members', '--http-addr', await guarded()], undefined, { MURMUR_HTTP_TOKEN: 'not-the-token-of-this-agent' })
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('murmur: 401 unauthorized: missing or wrong bearer token\n')
  })
})
