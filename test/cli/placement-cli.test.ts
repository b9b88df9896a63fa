/**
 * `murmur placement [doc]`: what `GET /placement` says — R, the docs this agent holds and which member
 * homes how many of them, the members using another --replicas — and, for a named doc, its homes
 * (`GET /placement?doc=<name>`, the same homes `GET /docs/:name` shows, for any name). Against real agents;
 * then against stand-ins answering what no agent would (checked like `members`: one line, exit 1).
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { PlacementView } from '../../src/api.js'
import { ROOT, api, cleanup, spawnPeer, waitFor, waitForStates } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { murmur } from './helpers.js'

const MURMUR = path.join(ROOT, 'dist', 'murmur.js')
const LOCAL = ['--profile', 'local']
const at = (p: PeerProcess): string[] => ['--http-addr', p.http]

type Answer = PlacementView & { doc?: { name: string, homes: string[] } }

describe('murmur placement against a mesh of agents', () => {
  let seed: PeerProcess
  let others: PeerProcess[]
  beforeAll(async () => {
    seed = await spawnPeer({ entry: MURMUR, entryArgs: ['agent'], args: [...LOCAL, '--replicas', '2'] })
    others = await Promise.all([0, 1].map(async () => await spawnPeer({ args: [...LOCAL, '--replicas', '3'], bootstrap: [seed.addrs[0] as string] })))
    await waitForStates([seed, ...others], [seed, ...others].map(p => p.id), 'alive', 15_000)
    for (const name of ['ops', 'notes', 'todo']) expect((await murmur(['docs', 'put', name, 'k', '1', ...at(seed)])).status).toBe(0)
    // Each says its R in its anti-entropy summaries: the seed (R = 2) hears both others say 3.
    await waitFor('both others listed as disagreeing', async () => Object.keys((await api<Answer>(seed, 'GET', '/placement')).body.disagreeing).length === 2, 20_000)
  }, 60_000)
  afterAll(cleanup)

  test('--json prints what GET /placement answers', async () => {
    const r = await murmur(['placement', '--json', ...at(seed)])
    expect(r.status, r.stderr).toBe(0)
    const printed = JSON.parse(r.stdout) as Answer
    const asked = (await api<Answer>(seed, 'GET', '/placement')).body
    // Only the counts of held docs can move between the two requests (a guest copy handed over).
    expect({ ...printed, docs: undefined, peers: undefined }).toEqual({ ...asked, docs: undefined, peers: undefined })
    expect(printed).toMatchObject({ scheme: 'rendezvous', replicas: 2, disagreeing: { [others[0]?.id as string]: 3, [others[1]?.id as string]: 3 } })
    expect(printed.members).toEqual([seed.id, ...others.map(o => o.id)].sort())
  })

  test('for people: R, the docs held here, who disagrees, and per member how many of those it homes', async () => {
    const r = await murmur(['placement', ...at(seed)])
    expect(r.status, r.stderr).toBe(0)
    const view = (await api<Answer>(seed, 'GET', '/placement')).body
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(new RegExp(`^replicas +2 \\(rendezvous over 3 member\\(s\\), placement version ${view.version}\\)$`))
    expect(lines[1]).toMatch(/^docs here +\d+ held: \d+ homed here, \d+ guest, 0 open in the app$/)
    const disagreeing = lines.filter(l => / uses --replicas 3$/.test(l))
    expect(disagreeing).toHaveLength(2)
    expect(disagreeing[0]).toMatch(/^disagreeing +12D3KooW/)
    for (const o of others) expect(disagreeing.some(l => l.includes(o.id))).toBe(true)
    const homing = lines.filter(l => /^(members)? +12D3KooW\S+ +homes \d+$/.test(l))
    expect(homing.map(l => l.trim().split(/ +/).slice(-3)[0])).toEqual(view.members)
    expect(homing[0]).toMatch(/^members /)
  })

  test('placement <doc> adds that doc\'s homes: those GET /docs/:name shows, for a doc nobody has written too', async () => {
    const homes = (await api<{ homes: string[] }>(seed, 'GET', '/docs/ops')).body.homes
    expect(homes).toHaveLength(2)
    const json = await murmur(['placement', 'ops', '--json', ...at(seed)])
    expect(json.status, json.stderr).toBe(0)
    expect((JSON.parse(json.stdout) as Answer).doc).toEqual({ name: 'ops', homes })
    const r = await murmur(['placement', 'ops', ...at(seed)])
    expect(r.status, r.stderr).toBe(0)
    const tail = r.stdout.trimEnd().split('\n').slice(-2)
    expect(tail[0]).toMatch(new RegExp(`^homes of ops +${homes[0] ?? ''}$`))
    expect(tail[1]).toMatch(new RegExp(`^ +${homes[1] ?? ''}$`))
    // Placement is a function of the name and the members: a doc that exists nowhere still has homes.
    const fresh = JSON.parse((await murmur(['placement', 'never-written', '--json', ...at(seed)])).stdout) as Answer
    expect(fresh.doc?.homes).toHaveLength(2)
    expect((await api(seed, 'GET', '/docs/never-written')).status).toBe(404)
    // The same doc asked of an agent with R = 3: all three members.
    const there = JSON.parse((await murmur(['placement', 'ops', '--json', ...at(others[0] as PeerProcess)])).stdout) as Answer
    expect(there.doc?.homes.slice().sort()).toEqual(there.members)
  })

  test('usage errors (exit 2) and names the agent refuses (exit 1, its code)', async () => {
    expect(await murmur(['placement', 'a', 'b', ...at(seed)])).toMatchObject({ status: 2, stderr: 'murmur: placement: usage: murmur placement [doc] [--json]\n' })
    expect((await murmur(['placement', '', ...at(seed)])).status).toBe(2)
    expect((await murmur(['placement', '--frob', ...at(seed)])).status).toBe(2)
    const control = await murmur(['placement', 'bad\u0007name', ...at(seed)])
    expect(control.status).toBe(1)
    expect(control.stderr).toMatch(/^murmur: 400 invalid_doc_name: .*control character/)
    const twice = await api(seed, 'GET', '/placement?doc=a&doc=b')
    expect(twice.status).toBe(400)
    expect(twice.body).toMatchObject({ code: 'invalid_doc_name' })
  })
})

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => { if (server?.listening === true) server.close(() => { resolve() }); else resolve() })
  server = undefined
})

/** A stand-in answering every request 200 with `body` as JSON; its address. */
async function answering (body: unknown): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
  return `127.0.0.1:${(server.address() as { port: number }).port}`
}

const GOOD: Answer = {
  scheme: 'rendezvous', replicas: 3, members: ['12D3KooWa', '12D3KooWb'], version: 4,
  docs: { held: 5, homed: 4, guest: 1, open: 0 }, peers: { '12D3KooWa': 5, '12D3KooWb': 4 }, disagreeing: {}
}

describe('murmur placement against answers no agent gives', () => {
  test('a well-formed answer prints (its names terminal-safe; a doc not asked about ignored)', async () => {
    const addr = await answering({ ...GOOD, members: ['12D3KooWa', 'evil\u001b[2J'], peers: { '12D3KooWa': 5, 'evil\u001b[2J': 4 }, disagreeing: { 'evil\u001b[2J': 5 }, doc: { homes: 7 } })
    expect(JSON.parse((await murmur(['placement', '--json', '--http-addr', addr])).stdout)).not.toHaveProperty('doc')
    const r = await murmur(['placement', '--http-addr', addr])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe([
      'replicas     3 (rendezvous over 2 member(s), placement version 4)',
      'docs here    5 held: 4 homed here, 1 guest, 0 open in the app',
      'disagreeing  evil\\u001b[2J uses --replicas 5',
      'members      12D3KooWa      homes 5',
      '             evil\\u001b[2J  homes 4',
      ''
    ].join('\n'))
  })

  test.each([
    ['a member list', [{ peerId: 'x' }]],
    ['an empty object', {}],
    ['R as a string', { ...GOOD, replicas: '3' }],
    ['R of 0', { ...GOOD, replicas: 0 }],
    ['a negative count', { ...GOOD, docs: { ...GOOD.docs, guest: -1 } }],
    ['a count that is not a whole number', { ...GOOD, peers: { '12D3KooWa': 1.5 } }],
    ['members that are not strings', { ...GOOD, members: [1, 2] }],
    ['a disagreeing R of 0', { ...GOOD, disagreeing: { '12D3KooWa': 0 } }],
    ['peers as a list', { ...GOOD, peers: [1, 2] }]
  ])('%s: one line, exit 1', async (_what, body) => {
    const addr = await answering(body)
    for (const args of [['placement'], ['placement', '--json']]) {
      const r = await murmur([...args, '--http-addr', addr])
      expect(r).toEqual({ status: 1, stdout: '', stderr: `murmur: http://${addr} answered GET /placement with something that is not a placement: is a murmur agent at that address?\n` })
    }
  })

  test('asked about a doc: an answer without its homes (an older agent) or about another doc is an error', async () => {
    const older = await answering(GOOD)
    const r = await murmur(['placement', 'ops', '--http-addr', older])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^murmur: http:\/\/\S+ did not say the homes of "ops" \(an agent older than this murmur ignores GET \/placement\?doc=\)/)
    await new Promise<void>((resolve) => { server?.close(() => { resolve() }) })
    for (const doc of [{ name: 'other', homes: [] }, { name: 'ops', homes: [1] }, { name: 'ops' }, 'ops']) {
      const addr = await answering({ ...GOOD, doc })
      const bad = await murmur(['placement', 'ops', '--http-addr', addr])
      expect(bad.status, JSON.stringify(doc)).toBe(1)
      expect(bad.stderr).toMatch(/answered GET \/placement\?doc= with something that is not "ops"'s homes/)
      await new Promise<void>((resolve) => { server?.close(() => { resolve() }) })
    }
    const none = await answering({ ...GOOD, doc: { name: 'ops', homes: [] } })
    expect((await murmur(['placement', 'ops', '--http-addr', none])).stdout).toMatch(/\nhomes of ops +none\n$/)
  })
})
