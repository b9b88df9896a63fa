/**
 * `murmur members`, `murmur tags` and `murmur monitor` print names, addresses and tags that each member chose
 * for itself (the wire bounds only their length, and even this version's own rules allow spaces, `=` and `,`).
 * They were printed as they came, escaped: the member `vm:1 ` (a trailing space) looked like `vm:1`, a name
 * holding ESC like one holding the six characters `\u001b`, a name with a run of spaces forged a column, and
 * the one tag `role=db,zone=x` looked like the two tags `role=db` and `zone=x`. Now such a name or tag part is
 * shown as a JSON string, as `docs ls` shows doc names (unambiguousName); plain ones as they are.
 * Against a stand-in agent.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { murmur } from './helpers.js'

const ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => { if (server?.listening === true) server.close(() => { resolve() }); else resolve() })
  server = undefined
})

/** A stand-in agent: `/events` streams `events`, every other GET or POST answers `body` as JSON. */
async function agentAnswering (body: unknown, events: Array<{ event: string, data: unknown }> = []): Promise<string> {
  server = createServer((req, res) => {
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end(events.map(e => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join(''))
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
  return `127.0.0.1:${(server.address() as AddressInfo).port}`
}

const member = (name: string, tags: Record<string, string> = {}, addr = '/ip4/127.0.0.1/tcp/4001'): Record<string, unknown> =>
  ({ peerId: ID, name, state: 'alive', incarnation: 1, addrs: [`${addr}/p2p/${ID}`], tags })

describe('murmur members: names, addresses and tags shown unambiguously', () => {
  test.each([
    ['vm:4001', 'vm:4001'],
    ['with inner space', 'with inner space'],
    ['节点', '节点'],
    ['a\\u001bb', 'a\\u001bb'],
    ['vm:1 ', '"vm:1 "'],
    [' vm:1', '" vm:1"'],
    ['a  b', '"a  b"'],
    ['\u200b', '"\u200b"'],
    ['a\u001bb', '"a\\u001bb"'],
    ['x\u009b2J', '"x\\u009b2J"'],
    ['abc\u202ecba', '"abc\\u202ecba"'],
    ['"quoted"', '"\\"quoted\\""']
  ])('name %j is shown as %s', async (name, shown) => {
    const r = await murmur(['members', '--http-addr', await agentAnswering([member(name)])])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe(`${shown}  /ip4/127.0.0.1/tcp/4001  alive  ${ID}\n`)
  })

  test.each([
    [{ role: 'db', zone: 'x' }, 'role=db,zone=x'],
    [{ role: 'db,zone=x' }, 'role="db,zone=x"'],
    [{ 'a=b': 'c' }, '"a=b"=c'],
    [{ k: ' v' }, 'k=" v"'],
    [{ k: 'v\u001b[31m' }, 'k="v\\u001b[31m"'],
    [{ k: '' }, 'k=']
  ])('tags %j are shown as %s', async (tags, shown) => {
    const r = await murmur(['members', '--http-addr', await agentAnswering([member('m', tags)])])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe(`m  /ip4/127.0.0.1/tcp/4001  alive  ${ID}  ${shown}\n`)
  })

  test('an address with a run of spaces is quoted: it cannot forge the state column', async () => {
    const r = await murmur(['members', '--http-addr', await agentAnswering([member('m', {}, '/ip4/6.6.6.6/tcp/1  dead')])])
    expect(r.stdout).toBe(`m  "/ip4/6.6.6.6/tcp/1  dead"  alive  ${ID}\n`)
  })

  test('murmur tags prints the agent\'s tags the same way', async () => {
    const r = await murmur(['tags', 'set', 'role=db,zone=x', '--http-addr', await agentAnswering({ tags: { role: 'db,zone=x', dc: 'a' } })])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe('tags  role="db,zone=x",dc=a\n')
  })

  test('murmur monitor quotes a member or doc name holding a space (its words are one space apart)', async () => {
    const forged = `x ${ID} (dead, incarnation 9)`
    const addr = await agentAnswering(null, [
      { event: 'member', data: { type: 'joined', member: member(forged) } },
      { event: 'member', data: { type: 'joined', member: member('vm:1') } },
      { event: 'doc', data: { origin: 'remote', name: 'notes digest 000', digest: 'ab'.repeat(16) } },
      { event: 'doc', data: { origin: 'remote', name: 'notes', digest: 'ab'.repeat(16) } }
    ])
    const r = await murmur(['monitor', '--http-addr', addr])
    const lines = r.stdout.trim().split('\n').map(l => l.replace(/^\S+ /, ''))
    expect(lines).toEqual([
      `member joined "${forged}" ${ID} (alive, incarnation 1)`,
      `member joined vm:1 ${ID} (alive, incarnation 1)`,
      'doc remote "notes digest 000" digest abababababab',
      'doc remote notes digest abababababab'
    ])
  })
})
