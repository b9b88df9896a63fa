/**
 * The operator commands print what members of the mesh chose — their names and tags, doc names — and any
 * member can choose an ANSI escape or a newline (the wire only bounds their length). They were printed
 * as they came: a name could clear the operator's screen, retitle the window, colour the rest of the
 * output or forge a row of `murmur members`. Now every control character reaches the terminal as a
 * `\u…` escape, and --json still parses back to exactly what the agent sent. Against a stand-in agent.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { afterEach, describe, expect, test } from 'vitest'
import { murmur } from './helpers.js'

const EVIL_NAME = 'evil\u001b]0;pwned\u0007\u001b[2J\nvm:1  /ip4/6.6.6.6/tcp/1  alive  12D3KooWfake\u009b31m\u202e'
const ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const MEMBERS = [
  { peerId: ID, name: EVIL_NAME, state: 'alive', incarnation: 1, addrs: [`/ip4/127.0.0.1/tcp/4001/p2p/${ID}`], tags: { 'k\u001b[31m': 'v\r\u0085' } }
]
const DOCS = [{ name: 'notes\u001b[8m', digest: 'ab'.repeat(16), version: { 1: 1 } }]

/** Anything a terminal acts on, but the newline that ends each line of output. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => { if (server?.listening === true) server.close(() => { resolve() }); else resolve() })
  server = undefined
})

async function agent (): Promise<string> {
  server = createServer((req, res) => {
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(`event: member\ndata: ${JSON.stringify({ type: 'joined', member: MEMBERS[0] })}\n\n`)
      res.end(`event: doc\ndata: ${JSON.stringify({ origin: 'remote', name: DOCS[0]?.name, digest: 'ab'.repeat(16) })}\n\n`)
      return
    }
    const body = req.url === '/members' ? MEMBERS : req.url === '/docs' ? DOCS : req.url === '/tags' ? { tags: MEMBERS[0]?.tags } : { value: EVIL_NAME }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
  return `127.0.0.1:${(server.address() as { port: number }).port}`
}

async function printed (args: string[]): Promise<string> {
  return (await murmur(args)).stdout
}

describe('operator output is terminal-safe', () => {
  test('members, docs ls, tags, docs get, monitor: no control character reaches the terminal', async () => {
    const addr = await agent()
    const members = await printed(['members', '--http-addr', addr])
    expect(members.split('\n')).toHaveLength(2) // one row and the final newline: no forged row
    // Quoted as a JSON string (members-names.test.ts), whose newline is `\n`.
    expect(members).toContain('"evil\\u001b]0;pwned\\u0007\\u001b[2J\\nvm:1')
    for (const args of [['members'], ['docs', 'ls'], ['tags', 'set', 'a=b'], ['docs', 'get', 'n'], ['monitor']]) {
      const out = await printed([...args, '--http-addr', addr])
      expect(out.length, args.join(' ')).toBeGreaterThan(0)
      expect(out, args.join(' ')).not.toMatch(CONTROL)
    }
  })

  test('--json: nothing a terminal acts on, and it parses back to what the agent sent', async () => {
    const addr = await agent()
    const members = await printed(['members', '--json', '--http-addr', addr])
    expect(members).not.toMatch(CONTROL)
    expect(JSON.parse(members)).toEqual(MEMBERS)
    const docs = await printed(['docs', 'ls', '--json', '--http-addr', addr])
    expect(docs).not.toMatch(CONTROL)
    expect(JSON.parse(docs)).toEqual(DOCS)
    const events = (await printed(['monitor', '--json', '--http-addr', addr])).trim().split('\n')
    expect(events).toHaveLength(2)
    for (const line of events) expect(line).not.toMatch(CONTROL)
    expect((JSON.parse(events[0] ?? '') as { data: { member: { name: string } } }).data.member.name).toBe(EVIL_NAME)
  })
})
