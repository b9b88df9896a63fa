/**
 * A peer's own tag change on its own event stream: `POST /tags` (what `murmur tags` sends) on a peer is a
 * `member` `updated` event on that peer's `GET /events` too, as it is on every peer the gossip reaches.
 * Before, membership raised events for other members only, so `murmur monitor` on the peer whose tags
 * changed showed nothing. In-process: a real peer (createPeer) behind the real HTTP API and server.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { HttpApi, MemberView, Peer } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'

interface MemberEvent { type: string, member: MemberView }

/** GET /events, read as it arrives: the `member` events' data so far. */
function memberEvents (base: string): Promise<{ seen: () => MemberEvent[], close: () => void }> {
  const url = new URL('/events', base)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, agent: false }, (res) => {
      if (res.statusCode !== 200) { reject(new Error(`events: ${res.statusCode ?? '?'}`)); return }
      let text = ''
      res.on('data', (d: Buffer) => { text += d.toString('utf8') })
      res.on('error', () => {})
      resolve({
        seen: () => text.split('\n\n').filter(b => b.startsWith('event: member\n')).map(b => JSON.parse(b.slice(b.indexOf('data: ') + 6)) as MemberEvent),
        close: () => { req.destroy() }
      })
    })
    req.on('error', () => {})
    req.end()
  })
}

async function postTags (base: string, body: unknown): Promise<number> {
  const res = await fetch(`${base}/tags`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(5_000) })
  await res.text()
  return res.status
}

describe('GET /events: this peer\'s own tag changes', () => {
  let dir: string
  let peer: Peer
  let api: HttpApi
  let server: RunningServer

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-events-self-'))
    peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], dataDir: dir, logger: silentLogger, tags: { role: 'web' } })
    api = createHttpApi(peer)
    server = await startHttpServer(async (req, res) => { if (!(await api.handle(req, res))) api.notFound(req, res) }, '127.0.0.1', 0)
  })
  afterAll(async () => {
    api.close()
    await server.close()
    await peer.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('POST /tags is a member updated event for this peer on its own stream, with the new tags; the same tags again are none', async () => {
    const stream = await memberEvents(server.url)
    try {
      const before = peer.self().incarnation
      expect(await postTags(server.url, { set: { zone: 'eu' } })).toBe(200)
      const deadline = Date.now() + 3_000
      while (stream.seen().length === 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
      expect(stream.seen().map(e => e.type)).toEqual(['updated'])
      const [e] = stream.seen()
      expect(e?.member).toEqual(peer.self())
      expect(e?.member.peerId).toBe(peer.id)
      expect(e?.member.tags).toEqual({ role: 'web', zone: 'eu' })
      expect(e?.member.state).toBe('alive')
      expect(e?.member.incarnation).toBeGreaterThan(before)
      // No change, no event (as for other members: `updated` is a change of name, addresses or tags).
      expect(await postTags(server.url, { set: { zone: 'eu' } })).toBe(200)
      expect(await postTags(server.url, { delete: ['zone'] })).toBe(200)
      const end = Date.now() + 3_000
      while (stream.seen().length < 2 && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 20))
      await new Promise(resolve => setTimeout(resolve, 200))
      expect(stream.seen().map(e => [e.type, e.member.tags])).toEqual([['updated', { role: 'web', zone: 'eu' }], ['updated', { role: 'web' }]])
    } finally {
      stream.close()
    }
  })
})
