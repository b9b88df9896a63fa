/**
 * A real peer process (dist/peer.js) whose data dir an operator damages while it runs or between runs:
 * every answer must say what happened, and nothing answered 200 may be lost.
 */
import { rmSync } from 'node:fs'
import { afterAll, describe, expect, test } from 'vitest'
import { cleanup, http, spawnPeer, stopPeer } from '../helpers/procs.js'

afterAll(async () => { await cleanup() })

describe('a peer whose data dir is removed while it runs', () => {
  test('answers the write that found it gone as unknown, refuses the next ones, is not ready, and says why in its log', async () => {
    const peer = await spawnPeer({ args: ['--profile', 'local'] })
    expect((await http(peer.http, 'PUT', '/docs/a/kv/before', '1')).status).toBe(200)
    rmSync(peer.dataDir, { recursive: true })

    // Before the fix: 200, for a write in files the restarted peer can never see.
    const first = await http(peer.http, 'PUT', '/docs/a/kv/after', '2')
    expect(first).toMatchObject({ status: 500, body: { code: 'outcome_unknown' } })
    const next = await http<{ error: string }>(peer.http, 'PUT', '/docs/a/kv/later', '3')
    expect(next).toMatchObject({ status: 503, body: { code: 'store_failing' } })
    expect(next.body.error).toContain('data directory removed or replaced; restart the peer')
    expect(await http(peer.http, 'GET', '/ready')).toMatchObject({ status: 503, body: { code: 'store_failing' } })
    expect(peer.log()).toMatch(/ERROR storage store is failing: .*reason="data directory removed or replaced; restart the peer"/)
    expect(await stopPeer(peer)).toEqual({ code: 0, signal: null })
    // The unknown write was applied in memory only: stopping loses it, and the log says so.
    expect(peer.log()).toMatch(/WARN {2}replication stopping with changes the store never persisted: .* docs=1 names=a$/m)
  }, 60_000)
})
