/**
 * What a started peer process (dist/peer.js, or `murmur agent`: the same peer) has loaded (issue 11: an idle peer's memory): not undici nor
 * node:http2 (which an ESM import of node:http loads through its WebSocket getter), not ws nor node:zlib
 * (the y-websocket bridge, until a client asks for it), not node:tls nor node:https (no TLS configured),
 * not prom-client's Pushgateway (`murmur agent` loaded undici and http2 through the operator's HTTP client,
 * which it does not use). Then each works on first use in that process: /metrics answers in full, and
 * a y-websocket client syncs and edits, ws now loaded.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { synced, yClient } from '../yjs/clients.js'
import { ROOT, api, cleanup, spawnPeer, tempDir, waitFor } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'

const PROBE = path.join(ROOT, 'test', 'fixtures', 'module-list-probe.mjs')
/** Modules a peer loaded at start before issue 11, and needs only for a client it may never have. */
const NOT_AT_START = ['http2', 'internal/deps/undici/undici', 'zlib', 'tls', 'https']

const ENTRIES = [
  { name: 'node dist/peer.js', spawn: {} },
  { name: 'murmur agent', spawn: { entry: path.join(ROOT, 'dist', 'murmur.js'), entryArgs: ['agent'] } }
]

describe.each(ENTRIES)('$name loads what it uses', ({ spawn }) => {
  let peer: PeerProcess
  let list: string

  /** The built-in modules the peer has loaded, as its probe last wrote them (at least `after` ms from now). */
  const loaded = async (after = 250): Promise<string[]> => {
    await new Promise(resolve => setTimeout(resolve, after))
    await waitFor('the module list', () => existsSync(list), 5_000, 50)
    return readFileSync(list, 'utf8').split('\n')
  }

  beforeAll(async () => {
    list = path.join(tempDir('murmur-modules-'), 'modules.txt')
    peer = await spawnPeer({ ...spawn, args: ['--profile', 'local'], faultInjection: false, env: { NODE_OPTIONS: `--import=${PROBE}`, MURMUR_MODULE_LIST: list } })
  }, 30_000)
  afterAll(cleanup)

  test('at start: the HTTP server, without undici, http2, ws, zlib, tls or https', async () => {
    const mods = await loaded()
    expect(mods).toContain('http')
    for (const m of NOT_AT_START) expect(mods, m).not.toContain(m)
  })

  test('/metrics answers in full on first use', async () => {
    expect((await api(peer, 'GET', '/members')).status).toBe(200)
    const res = await api<string>(peer, 'GET', '/metrics')
    expect(res.status).toBe(200)
    const text = String(res.body)
    expect(text).toMatch(/^murmur_build_info\{version="[^"]+",node="v\d+/m)
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m)
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+/m)
    expect(text).toMatch(/^murmur_yjs_connections 0$/m)
    expect(text).toMatch(/^murmur_http_request_duration_seconds_count\{route="members"\} 1$/m)
    // The scrape needs none of them either.
    const mods = await loaded()
    for (const m of NOT_AT_START) expect(mods, m).not.toContain(m)
  })

  test('a y-websocket client on first use: syncs, edits; ws is loaded then', async () => {
    const c = yClient(peer.http, 'first', 'ada')
    try {
      await synced(c)
      c.doc.getMap('kv').set('k', 'v1')
      await waitFor('the edit over HTTP', async () => {
        const r = await api<{ value?: unknown }>(peer, 'GET', '/docs/first/kv/k')
        return r.status === 200 && JSON.stringify(r.body).includes('v1')
      }, 10_000, 50)
    } finally {
      c.destroy()
    }
    const text = String((await api<string>(peer, 'GET', '/metrics')).body)
    expect(text).toMatch(/^murmur_yjs_accepted_total 1$/m)
    expect(await loaded()).toContain('zlib')
  })
})
