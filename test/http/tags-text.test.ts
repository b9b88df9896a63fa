/**
 * `POST /tags` (what `murmur tags set` sends) and the library's `setTags`: a key or value holding a control
 * character (a newline, an escape, a NUL) was taken and gossiped, while the agent's `--tag` with the same text
 * is now refused. Both refuse it too — 400 `invalid_body` / a ConfigError — and change nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ConfigError, createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { HttpApi, Peer } from '../../src/index.js'
import type { RunningServer } from '../../src/http/index.js'

describe('member tags holding control characters', () => {
  let peer: Peer
  let api: HttpApi
  let server: RunningServer

  beforeAll(async () => {
    peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, profile: 'local', tags: { role: 'db' } })
    api = createHttpApi(peer)
    server = await startHttpServer(async (req, res) => { if (!(await api.handle(req, res))) api.notFound(req, res) }, '127.0.0.1', 0, api.serverOptions)
  }, 30_000)
  afterAll(async () => {
    api.close()
    await server.close()
    await peer.stop()
  })

  const post = async (body: unknown): Promise<{ status: number, body: unknown }> => {
    const res = await fetch(`${server.url}/tags`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, body: await res.json() }
  }

  test('POST /tags: 400 invalid_body naming the control character, the tags unchanged; other text is taken', async () => {
    for (const set of [{ zone: 'a\nb' }, { 'k\u001b[31m': 'v' }, { zone: 'nul\u0000' }, { zone: 'c1\u0085' }]) {
      const r = await post({ set })
      expect(r.status, JSON.stringify(set)).toBe(400)
      expect(r.body).toEqual({ code: 'invalid_body', error: expect.stringMatching(/^tag (key|value) ".*" holds a control character \(\\u00[0-9a-f]{2}\)/) as unknown })
    }
    expect(peer.self().tags).toEqual({ role: 'db', 'murmur.http': server.url })
    const ok = await post({ set: { who: '東京 👩‍💻' } })
    expect(ok.status).toBe(200)
    expect(peer.self().tags.who).toBe('東京 👩‍💻')
  })

  test('setTags: a ConfigError, the tags unchanged', () => {
    const before = peer.self().tags
    expect(() => { peer.setTags({ zone: 'two\nlines' }) }).toThrow(ConfigError)
    expect(() => { peer.setTags({ zone: 'two\nlines' }) }).toThrow(/^tags\.zone holds a control character \(\\u000a\)/)
    expect(peer.self().tags).toEqual(before)
  })

  // U+202E and the other bidi controls were taken (only C0, DEL and C1 were refused) and gossiped.
  test('POST /tags and setTags: a bidi control is refused like a control character', async () => {
    const before = peer.self().tags
    for (const set of [{ zone: 'eu\u202e' }, { 'k\u2066': 'v' }, { zone: '\u200f' }]) {
      const r = await post({ set })
      expect(r.status, JSON.stringify(set)).toBe(400)
      expect(r.body).toEqual({ code: 'invalid_body', error: expect.stringMatching(/^tag (key|value) ".*" holds a bidirectional-text control \(\\u[0-9a-f]{4}\)/) as unknown })
    }
    expect(() => { peer.setTags({ zone: 'a\u202eb' }) }).toThrow(/^tags\.zone holds a bidirectional-text control \(\\u202e\)/)
    expect(peer.self().tags).toEqual(before)
  })

  // A member holds 32 tags, and murmur.http (this peer's HTTP API address) is one of them: with 31 of the
  // user's own, POST /tags answered "at most 32 tags" to a 32nd; and a peer started with 32 went without it.
  test('POST /tags: 31 tags of the user\'s own beside murmur.http; a 32nd is refused naming murmur.http, which stays', async () => {
    const own = Object.keys(peer.self().tags).filter(k => k !== 'murmur.http')
    const fill = Object.fromEntries(Array.from({ length: 31 - own.length }, (_, i) => [`fill${i}`, 'v']))
    const ok = await post({ set: fill })
    expect(ok.status).toBe(200)
    expect(Object.keys(peer.self().tags)).toHaveLength(32)
    expect(peer.self().tags['murmur.http']).toBe(server.url)
    const more = await post({ set: { one: 'more' } })
    expect(more).toEqual({ status: 400, body: { code: 'invalid_body', error: 'at most 31 tags, got 32 (a member has 32, and murmur.http, the peer\'s HTTP API address, which it adds itself, is the last)' } })
    // Swapping one for another is still taken.
    expect((await post({ set: { one: 'more' }, delete: ['fill0'] })).status).toBe(200)
    expect(peer.self().tags['murmur.http']).toBe(server.url)
    expect((await post({ delete: ['one', ...Object.keys(fill).slice(1)] })).status).toBe(200)
  })

  // `murmur tags del` of a key not set, or a value set again, moved the incarnation and gossiped it to every
  // member, each time (a config tool re-applying its tags every minute churned the whole mesh's gossip).
  test('POST /tags that changes nothing answers the tags and leaves the incarnation as it was', async () => {
    expect((await post({ set: { zone: 'eu' } })).status).toBe(200)
    const before = peer.self()
    for (const body of [{ delete: ['not-a-tag'] }, { set: { zone: 'eu' } }, { set: { zone: 'eu' }, delete: ['nope'] }]) {
      const r = await post(body)
      expect(r, JSON.stringify(body)).toEqual({ status: 200, body: { tags: before.tags } })
      expect(peer.self().incarnation, JSON.stringify(body)).toBe(before.incarnation)
    }
    expect((await post({ set: { zone: 'us' } })).status).toBe(200)
    expect(peer.self().incarnation).toBeGreaterThan(before.incarnation)
    expect((await post({ delete: ['zone'] })).status).toBe(200)
  })
})
