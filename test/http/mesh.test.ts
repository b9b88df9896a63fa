/**
 * /mesh/state and /mesh/links on three peer processes sharing an HTTP token: every peer's view arrives over
 * the mesh; a link cut from a third peer's /mesh is applied at both ends over their HTTP APIs; the view of
 * a peer the mesh cannot reach comes over its advertised HTTP address; heal-all restores everything.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { api, cleanup, spawnPeer, waitFor, waitForStates } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'

const TOKEN = 'mesh-test-token-0123456789'
interface PeerState { peerId: string, name: string, source: string, http: string | null, members: Array<{ peerId: string, state: string }>, blocked: string[] | null }
interface MeshState { self: string, faultInjection: boolean, peers: PeerState[] }

describe('/mesh on three peer processes', () => {
  const peers: PeerProcess[] = []
  beforeAll(async () => {
    const a = await spawnPeer({ token: TOKEN, args: ['--profile', 'local', '--name', 'A'] })
    const b = await spawnPeer({ token: TOKEN, args: ['--profile', 'local', '--name', 'B'], bootstrap: [a.addrs[0] as string] })
    const c = await spawnPeer({ token: TOKEN, args: ['--profile', 'local', '--name', 'C'], bootstrap: [a.addrs[0] as string] })
    peers.push(a, b, c)
    await waitForStates(peers, peers.map(p => p.id), 'alive', 20_000)
  }, 60_000)
  afterAll(cleanup)

  const state = async (p: PeerProcess): Promise<MeshState> => {
    const r = await api<MeshState>(p, 'GET', '/mesh/state')
    expect(r.status).toBe(200)
    return r.body
  }

  // First: B has never collected the mesh's state (no /mesh page open on it), as for a script.
  test('a link cut through a peer whose /mesh page was never opened is cut at both ends, and heals', async () => {
    const [a, b, c] = peers as [PeerProcess, PeerProcess, PeerProcess]
    // Before, B knew the other peers' HTTP addresses only from a /mesh/state it had served: A blocked C,
    // C was told nothing (502 "no HTTP address known"), and the link was cut in one direction only.
    // The addresses are gossiped as member tags, once each peer's HTTP server listens.
    await waitFor('B knows the HTTP addresses A and C advertise', async () => {
      const members = (await api<Array<{ peerId: string, tags: Record<string, string> }>>(b, 'GET', '/members')).body
      return [a, c].every(p => members.find(m => m.peerId === p.id)?.tags['murmur.http'] === p.http)
    }, 10_000)
    try {
      const cut = await api<{ results: Array<{ peerId: string, ok: boolean, error?: string }> }>(b, 'POST', '/mesh/links', { op: 'cut', a: a.id, b: c.id })
      expect(cut.body.results.filter(r => !r.ok)).toEqual([])
      expect(cut.status).toBe(200)
      expect((await api<{ blocked: string[] }>(a, 'GET', '/admin/partition')).body.blocked).toEqual([c.id])
      expect((await api<{ blocked: string[] }>(c, 'GET', '/admin/partition')).body.blocked).toEqual([a.id])
      const heal = await api<{ results: Array<{ ok: boolean }> }>(b, 'POST', '/mesh/links', { op: 'heal-all' })
      expect(heal.status).toBe(200)
      for (const p of peers) expect((await api<{ blocked: string[] }>(p, 'GET', '/admin/partition')).body.blocked).toEqual([])
    } finally {
      for (const p of peers) await api(p, 'DELETE', '/admin/partition') // the next tests start from a whole mesh, whatever failed here
    }
  })

  test('every peer\'s view, over the mesh, with its advertised HTTP address; the page and its script are served', async () => {
    const [a, b, c] = peers as [PeerProcess, PeerProcess, PeerProcess]
    // Over the mesh (a loaded machine may answer one round late: then that view came over HTTP), and every
    // member alive in every view: a probe that fell in the previous test's brief cut may have left a member
    // suspect somewhere for a moment, until it refuted.
    const everyoneAlive = (st: MeshState): boolean => st.peers.every(p => p.members.filter(m => m.state === 'alive').length === 3)
    const s = await waitFor('every view over the mesh, everyone alive in each', async () => {
      const st = await state(c)
      return st.peers.every(p => p.source === 'mesh' || p.source === 'self') && everyoneAlive(st) ? st : undefined
    }, 10_000, 300)
    expect(s.self).toBe(c.id)
    expect(s.faultInjection).toBe(true)
    expect(Object.fromEntries(s.peers.map(p => [p.name, p.source]))).toEqual({ A: 'mesh', B: 'mesh', C: 'self' })
    expect(s.peers.find(p => p.peerId === a.id)?.http).toBe(a.http)
    for (const p of s.peers) expect(p.members.filter(m => m.state === 'alive').map(m => m.peerId).sort()).toEqual([a.id, b.id, c.id].sort())
    const page = await fetch(`${b.http}/mesh`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
    expect(await page.text()).toMatch(/<script type="module" src="\/mesh\/mesh.js">/)
    expect((await fetch(`${b.http}/mesh/mesh.js`)).status).toBe(200)
    expect((await fetch(`${b.http}/mesh/state`)).status).toBe(401) // the token is required, as on every API route
  })

  test('a link cut from C\'s /mesh is cut at both ends; the side the mesh cannot reach is seen over HTTP; heal-all restores it', async () => {
    const [a, b, c] = peers as [PeerProcess, PeerProcess, PeerProcess]
    const cut = await api<{ results: Array<{ peerId: string, ok: boolean }> }>(c, 'POST', '/mesh/links', { op: 'cut', a: a.id, b: b.id })
    expect(cut.status).toBe(200)
    expect(cut.body.results.every(r => r.ok)).toBe(true)
    expect((await api<{ blocked: string[] }>(a, 'GET', '/admin/partition')).body.blocked).toEqual([b.id])
    expect((await api<{ blocked: string[] }>(b, 'GET', '/admin/partition')).body.blocked).toEqual([a.id])
    // From A's /mesh: B is not reachable over the mesh, so its view comes over B's HTTP API. (B stays alive
    // in A's view: SWIM's indirect probes through C still reach it — one cut link is not a failure.)
    const s = await waitFor('B seen over HTTP from A', async () => {
      const st = await state(a)
      return st.peers.find(p => p.peerId === b.id)?.source === 'http' ? st : undefined
    }, 10_000)
    const bView = s.peers.find(p => p.peerId === b.id) as PeerState
    expect(bView.blocked).toEqual([a.id])
    expect(s.peers.find(p => p.peerId === c.id)?.source).toBe('mesh')

    const heal = await api<{ results: Array<{ ok: boolean }> }>(a, 'POST', '/mesh/links', { op: 'heal-all' })
    expect(heal.body.results.every(r => r.ok)).toBe(true)
    await waitForStates(peers, peers.map(p => p.id), 'alive', 30_000)
    for (const p of peers) expect((await api<{ blocked: string[] }>(p, 'GET', '/admin/partition')).body.blocked).toEqual([])
  })

  test('bad requests: unknown op or peer → 400; a peer id is checked against the members', async () => {
    const [a] = peers as [PeerProcess]
    expect((await api(a, 'POST', '/mesh/links', { op: 'explode' })).status).toBe(400)
    expect((await api(a, 'POST', '/mesh/links', { op: 'cut', a: a.id, b: '12D3KooWNotAMemberAtAll111111111111111111111111' })).status).toBe(400)
    expect((await api(a, 'POST', '/mesh/links', { op: 'cut', a: a.id, b: a.id })).status).toBe(400)
    expect((await api(a, 'DELETE', '/admin/partition', { unblock: ['not a peer id'] })).status).toBe(400)
  })
})
