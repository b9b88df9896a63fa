/**
 * `POST /mesh/links` when a peer it must tell cannot be told (here: a member that serves no HTTP, so it
 * advertises no address): the answer is a 502, and like every error answer of the API it carries
 * `{"error", "code"}` (README: "Every error is JSON {error, code}"), besides the per-peer `results` the
 * /mesh page shows. It answered `{results}` alone, so a script branching on `code` found none.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { HttpApi, Peer } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'
import { waitFor } from '../helpers/procs.js'

/** Peer A serving the API with fault injection; peer B, a member of its mesh, serving none. */
interface Mesh { a: Peer, b: Peer, api: HttpApi, server: RunningServer }

async function twoPeers (): Promise<Mesh> {
  const a = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, profile: 'local' })
  const b = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, profile: 'local', bootstrap: [a.addresses()[0] as string] })
  const api = createHttpApi(a, { allowFaultInjection: true })
  const server = await startHttpServer(async (req, res) => { if (!(await api.handle(req, res))) api.notFound(req, res) }, '127.0.0.1', 0, api.serverOptions)
  await waitFor('A sees B alive', () => a.members().some(m => m.peerId === b.id && m.state === 'alive'), 15_000)
  return { a, b, api, server }
}

describe('POST /mesh/links with a peer that cannot be told', () => {
  let mesh: Mesh | undefined
  beforeAll(async () => { mesh = await twoPeers() }, 30_000)
  afterAll(async () => {
    if (mesh === undefined) return
    mesh.api.close()
    await mesh.server.close()
    await mesh.b.stop()
    await mesh.a.stop()
  })

  test('a 502 with error and code, the per-peer results beside them, and counted as a rejection', async () => {
    const { a, b, server } = mesh as Mesh
    const res = await fetch(`${server.url}/mesh/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ op: 'cut', a: a.id, b: b.id }) })
    expect(res.status).toBe(502)
    const body = await res.json() as { error?: unknown, code?: unknown, results: Array<{ peerId: string, ok: boolean, error?: string }> }
    expect(body.code).toBe('links_failed')
    expect(body.error).toMatch(new RegExp(`1 of 2 peers.*${b.id}.*no HTTP address`))
    expect(body.results).toEqual([{ peerId: a.id, ok: true }, { peerId: b.id, ok: false, error: expect.stringMatching(/no HTTP address/) }])
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(/^murmur_http_rejected_total\{code="links_failed"\} 1$/m)
    a.heal()
  })

  // 'a and b must be member peer ids' for every mistake, an isolate (which takes no b) included.
  test('an id that is missing or names no member: a 400 naming the field and the id', async () => {
    const { a, server } = mesh as Mesh
    const links = async (body: unknown): Promise<unknown> => {
      const res = await fetch(`${server.url}/mesh/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return [res.status, await res.json()]
    }
    const stranger = '12D3KooWEaS6T89sGdRhiT4Hnakfyo4CojbxwrRWb4BBRntqyW23'
    expect(await links({ op: 'isolate', a: stranger })).toEqual([400, { code: 'invalid_body', error: `"a" "${stranger}" is not a member's peer id (GET /members lists them)` }])
    expect(await links({ op: 'cut', a: a.id })).toEqual([400, { code: 'invalid_body', error: 'cut needs "b": a member\'s peer id' }])
    expect(await links({ op: 'heal', a: a.id, b: 'x\u001b[2J' })).toEqual([400, { code: 'invalid_body', error: '"b" "x\\u001b[2J" is not a member\'s peer id (GET /members lists them)' }])
  })
})
