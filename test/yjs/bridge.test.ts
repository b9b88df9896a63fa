/**
 * The y-websocket endpoint of one in-process peer (real libp2p, real HTTP server, real ws and y-websocket
 * clients): auth and origin, bad names, limits and their close codes, awareness ownership, pacing instead
 * of dropping, and the awareness format against y-protocols' own encoder and decoder.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import type { Peer } from '../../src/api.js'
import { silentLogger } from '../../src/core/logger.js'
import { createHttpApi, startHttpServer } from '../../src/http/index.js'
import type { HttpApi, RunningServer } from '../../src/http/index.js'
import { createPeer } from '../../src/peer-node.js'
import { decodeAwarenessUpdate, encodeAwarenessUpdate } from '../../src/yjs/awareness-codec.js'
import type { ReplicationInit } from '../../src/replication/config.js'
import { pendingBytes } from '../../src/replication/doc-entry.js'
import { CloseCode } from '../../src/yjs/close-codes.js'
import { DEFAULT_YJS } from '../../src/yjs/config.js'
import type { YjsInit } from '../../src/yjs/config.js'
import { MessageType } from '../../src/yjs/messages.js'
import { nestedUpdate } from '../helpers/nested-update.js'
import { waitFor } from '../helpers/procs.js'
import { synced, yClient } from './clients.js'

const TOKEN = 'sesame-0123456789'

interface Served { peer: Peer, api: HttpApi, server: RunningServer }

async function serve (yjs: YjsInit = {}, token?: string, replication?: ReplicationInit): Promise<Served> {
  const peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, profile: 'local', ...(replication === undefined ? {} : { replication }) })
  const api = createHttpApi(peer, { ...(token === undefined ? {} : { token }), yjs })
  const server = await startHttpServer(async (req, res) => {
    if (!(await api.handle(req, res))) api.json(res, 404, {})
  }, '127.0.0.1', 0, api.serverOptions)
  return { peer, api, server }
}

async function stop (s: Served): Promise<void> {
  s.api.close()
  await s.server.close()
  await s.peer.stop()
}

/** A raw WebSocket: resolves with the close code and reason it got (and the messages before it). */
function rawSocket (url: string, headers: Record<string, string> = {}): { ws: WebSocket, messages: Uint8Array[], closed: Promise<{ code: number, reason: string }> } {
  const ws = new WebSocket(url, { headers })
  const messages: Uint8Array[] = []
  ws.on('message', (d: Buffer) => { messages.push(new Uint8Array(d)) })
  const closed = new Promise<{ code: number, reason: string }>((resolve) => { ws.on('close', (code, reason) => { resolve({ code, reason: reason.toString() }) }) })
  ws.on('error', () => {})
  return { ws, messages, closed }
}

const opened = (ws: WebSocket): Promise<void> => new Promise((resolve, reject) => { ws.once('open', () => { resolve() }); ws.once('error', reject) })

function awarenessMsg (entries: Array<{ clientId: number, clock: number, state: unknown }>): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MessageType.awareness)
  encoding.writeVarUint8Array(e, encodeAwarenessUpdate(entries.map(x => ({ clientId: x.clientId, clock: x.clock, state: x.state === null ? null : JSON.stringify(x.state) }))))
  return encoding.toUint8Array(e)
}

describe('y-websocket endpoint: auth, names, limits', () => {
  let guarded: Served
  let open: Served
  beforeAll(async () => {
    guarded = await serve({}, TOKEN)
    open = await serve({ maxConnections: 3, maxMessageBytes: 64 * 1024, messagesPerSec: 50, messageBurst: 10 })
  }, 30_000)
  afterAll(async () => {
    await stop(guarded)
    await stop(open)
  })

  it('without the token: 4401 after a permission-denied message, and the provider stops retrying; with ?access_token= it syncs', async () => {
    const ws = guarded.server.url.replace('http', 'ws')
    const raw = rawSocket(`${ws}/yjs/notes`)
    const { code } = await raw.closed
    expect(code).toBe(CloseCode.unauthorized)
    expect(raw.messages[0]?.[0]).toBe(MessageType.auth)
    const denied = yClient(guarded.server.url, 'notes', 'mallory', { token: 'wrong' })
    await waitFor('the provider gives up', () => !denied.provider.shouldConnect, 5000, 20)
    expect(denied.closes.map(c => c.code)).toEqual([CloseCode.unauthorized])
    denied.destroy()
    const ok = yClient(guarded.server.url, 'notes', 'ada', { token: TOKEN })
    await synced(ok)
    ok.destroy()
  })

  /** An upgrade refused before the handshake: the HTTP status and the API's JSON error code. */
  const refusedUpgrade = (url: string, headers: Record<string, string>): Promise<{ status: number, code: unknown }> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers })
      ws.on('open', () => { ws.close(); reject(new Error('the WebSocket opened')) })
      ws.on('error', () => {})
      ws.on('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (c: Buffer) => { body += c.toString() })
        res.on('end', () => { resolve({ status: res.statusCode ?? 0, code: (JSON.parse(body) as { code?: unknown }).code }) })
      })
    })

  it('a page of another site (foreign Origin) gets HTTP 403 cross_origin before any handshake, token or not; the peer\'s own origin is accepted', async () => {
    const ws = `${guarded.server.url.replace('http', 'ws')}/yjs/notes?access_token=${TOKEN}`
    expect(await refusedUpgrade(ws, { origin: 'https://evil.example' })).toEqual({ status: 403, code: 'cross_origin' })
    const plain = `${open.server.url.replace('http', 'ws')}/yjs/notes`
    expect(await refusedUpgrade(plain, { origin: 'http://evil.example' })).toEqual({ status: 403, code: 'cross_origin' })
    expect(await guarded.api.metrics.metrics()).toMatch(/murmur_yjs_refused_total\{reason="cross_origin"\} 1/)
    const own = rawSocket(ws, { origin: guarded.server.url })
    await opened(own.ws)
    own.ws.close()
  })

  it('a Host that is not ours (DNS rebinding: the page\'s Origin matches its Host) gets HTTP 403 host_not_allowed before any handshake', async () => {
    const url = `${open.server.url.replace('http', 'ws')}/yjs/notes`
    expect(await refusedUpgrade(url, { host: 'evil.example:8080', origin: 'http://evil.example:8080' })).toEqual({ status: 403, code: 'host_not_allowed' })
    expect(await refusedUpgrade(url, { host: 'evil.example' })).toEqual({ status: 403, code: 'host_not_allowed' })
    expect(await open.api.metrics.metrics()).toMatch(/murmur_yjs_refused_total\{reason="host_not_allowed"\} 2/)
  })

  it('an invalid document name is refused with 4400; a path outside /yjs/ gets a 404', async () => {
    const ws = open.server.url.replace('http', 'ws')
    expect((await rawSocket(`${ws}/yjs/bad%00name`).closed).code).toBe(CloseCode.badRequest)
    expect((await rawSocket(`${ws}/yjs/${'x'.repeat(300)}`).closed).code).toBe(CloseCode.badRequest)
    const other = new WebSocket(`${ws}/elsewhere`)
    const err = await new Promise<Error>((resolve) => { other.on('error', resolve) })
    expect(err.message).toMatch(/404/)
  })

  it('a new doc whose name holds a C1 control character is refused with 4400; one held here already opens', async () => {
    const ws = open.server.url.replace('http', 'ws')
    // U+009B is CSI, which an 8-bit terminal acts on: HTTP refuses to write such a name, so does a client creating one.
    const refused = await rawSocket(`${ws}/yjs/new%C2%9Bdoc`).closed
    expect(refused.code).toBe(CloseCode.badRequest)
    expect(refused.reason).toMatch(/control character \(\\u009b\) at character 4/)
    // The wire carries such names (a peer of an earlier version may hold one): a doc held here still opens.
    await open.peer.write('old\u009bdoc', (doc) => { doc.getMap('kv').set('x', 1) })
    const held = rawSocket(`${ws}/yjs/old%C2%9Bdoc`)
    await opened(held.ws)
    held.ws.close()
  })

  it('beyond maxConnections a client is closed with 1013 (try again later)', async () => {
    const ws = open.server.url.replace('http', 'ws')
    const held = [rawSocket(`${ws}/yjs/a`), rawSocket(`${ws}/yjs/b`), rawSocket(`${ws}/yjs/c`)]
    await Promise.all(held.map(async h => { await opened(h.ws) }))
    const extra = rawSocket(`${ws}/yjs/d`)
    expect((await extra.closed).code).toBe(CloseCode.tryAgainLater)
    for (const h of held) h.ws.close()
    await Promise.all(held.map(h => h.closed))
  })

  it('a message above maxMessageBytes closes the client with 1009; a malformed one with 4400', async () => {
    const ws = open.server.url.replace('http', 'ws')
    const big = rawSocket(`${ws}/yjs/big`)
    await opened(big.ws)
    big.ws.send(new Uint8Array(65 * 1024))
    expect((await big.closed).code).toBe(CloseCode.tooBig)
    const bad = rawSocket(`${ws}/yjs/big`)
    await opened(bad.ws)
    bad.ws.send(new Uint8Array([0, 9, 1, 1])) // sync message of an unknown sub-type
    expect((await bad.closed).code).toBe(CloseCode.badRequest)
    const text = await waitFor('both closes counted', async () => {
      const t = await open.api.metrics.metrics()
      return /murmur_yjs_closed_total\{code="1009",name="tooBig"\} 1/.test(t) ? t : undefined
    }, 5000, 20).catch(async () => await open.api.metrics.metrics())
    expect(text).toMatch(/murmur_yjs_malformed_total 1/)
    expect(text.split('\n').filter(l => l.startsWith('murmur_yjs_closed_total'))).toContain('murmur_yjs_closed_total{code="1009",name="tooBig"} 1')
  })

  it('a malformed message on a doc whose name is not ASCII closes the client with 4400 and a reason of at most 123 bytes (the reason quoted the name: 120 characters of \'é\' are 240 bytes, ws threw, and the peer process died)', async () => {
    const ws = open.server.url.replace('http', 'ws')
    for (const name of ['é'.repeat(100), '😀'.repeat(60)]) {
      const bad = rawSocket(`${ws}/yjs/${encodeURIComponent(name)}`)
      await opened(bad.ws)
      await waitFor('sync step 1', () => bad.messages.length > 0 ? true : undefined, 5000, 10)
      bad.ws.send(new Uint8Array([0, 2, 5, 1, 2, 3, 4, 5])) // an update message whose Yjs update is cut short
      const closed = await bad.closed
      expect(closed.code).toBe(CloseCode.badRequest)
      expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123)
      expect(closed.reason).toMatch(/^malformed Yjs update/)
    }
    const after = await fetch(`${open.server.url}/health`)
    expect(after.status).toBe(200)
  })

  it('an update whose value nests 2,000 levels deep is refused with 4400 and not applied (a peer process applied such updates, and past ~4,000 levels GET answered 500: a stack overflow)', async () => {
    const ws = open.server.url.replace('http', 'ws')
    const evil = rawSocket(`${ws}/yjs/deep`)
    await opened(evil.ws)
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, MessageType.sync)
    encoding.writeVarUint(e, 2) // update
    encoding.writeVarUint8Array(e, nestedUpdate(2_000))
    evil.ws.send(encoding.toUint8Array(e))
    const closed = await Promise.race([evil.closed, new Promise<undefined>(resolve => setTimeout(resolve, 3000))])
    evil.ws.terminate() // if it is still open (the refusal failed), it would count against the next test's connections
    expect(closed?.code, 'closed as malformed').toBe(CloseCode.badRequest)
    const res = await fetch(`${open.server.url}/docs/deep`)
    expect(res.status).not.toBe(500)
    expect((await open.peer.doc('deep')).getMap('kv').has('k')).toBe(false)
  })

  it('an awareness state nested 6,000 levels deep is refused with 4400 and not shared (held, it made GET /docs/:name/presence answer 500 on every peer: JSON.stringify overflowed)', async () => {
    const ws = open.server.url.replace('http', 'ws')
    const evil = rawSocket(`${ws}/yjs/deep-presence`)
    await opened(evil.ws)
    await waitFor('sync step 1', () => evil.messages.length > 0, 5000, 20)
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, MessageType.awareness)
    encoding.writeVarUint8Array(e, encodeAwarenessUpdate([{ clientId: 4242, clock: 1, state: `${'['.repeat(6_000)}${']'.repeat(6_000)}` }]))
    evil.ws.send(encoding.toUint8Array(e))
    const closed = await Promise.race([evil.closed, new Promise<undefined>(resolve => setTimeout(resolve, 3000))])
    const res = await fetch(`${open.server.url}/docs/deep-presence/presence`)
    evil.ws.terminate() // if it is still open (the refusal failed), it would count against the next test's connections
    expect(closed?.code, 'closed as malformed').toBe(CloseCode.badRequest)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual([])
  })

  it('an awareness state over 16 Ki characters is dropped, not shared, and the client stays connected: its edits still arrive', async () => {
    // It was closed with 4400, which y-websocket takes as final: a user whose presence grew (an avatar in
    // it) stopped syncing the document itself, for good.
    const ws = open.server.url.replace('http', 'ws')
    const big = rawSocket(`${ws}/yjs/big-presence`)
    await opened(big.ws)
    await waitFor('sync step 1', () => big.messages.length > 0, 5000, 20)
    const metric = async (): Promise<number> => Number(/murmur_yjs_awareness_refused_total\{reason="tooLarge"\} (\d+)/.exec(await open.api.metrics.metrics())?.[1] ?? 'NaN')
    const before = await metric()
    big.ws.send(awarenessMsg([{ clientId: 4343, clock: 1, state: { user: { name: 'big', avatar: 'x'.repeat(20_000) } } }]))
    // Then an edit, and a state of a sensible size: both arrive over the same connection.
    const writer = new Y.Doc()
    writer.getText('t').insert(0, 'still editing')
    const e = encoding.createEncoder()
    encoding.writeVarUint(e, MessageType.sync)
    encoding.writeVarUint(e, 2)
    encoding.writeVarUint8Array(e, Y.encodeStateAsUpdate(writer))
    big.ws.send(encoding.toUint8Array(e))
    big.ws.send(awarenessMsg([{ clientId: 4343, clock: 2, state: { user: { name: 'small' } } }]))
    const doc = await open.peer.doc('big-presence')
    await waitFor('the edit applied', () => doc.getText('t').toString() === 'still editing', 5000, 20)
    await waitFor('the small state held', () => open.peer.presence.states('big-presence').length === 1, 5000, 20)
    expect(JSON.parse(open.peer.presence.states('big-presence')[0]?.state ?? 'null')).toEqual({ user: { name: 'small' } })
    expect(await metric()).toBe(before + 1)
    expect(big.ws.readyState).toBe(WebSocket.OPEN)
    big.ws.close()
  })

  it('a client sending faster than its rate is paced, not dropped: every edit arrives', async () => {
    const ws = open.server.url.replace('http', 'ws')
    const fast = rawSocket(`${ws}/yjs/paced`)
    await opened(fast.ws)
    const writer = new Y.Doc()
    const text = writer.getText('t')
    writer.on('update', (u: Uint8Array) => {
      const e = encoding.createEncoder()
      encoding.writeVarUint(e, MessageType.sync)
      encoding.writeVarUint(e, 2)
      encoding.writeVarUint8Array(e, u)
      fast.ws.send(encoding.toUint8Array(e))
    })
    for (let i = 0; i < 60; i++) text.insert(text.length, `${i},`)
    const doc = await open.peer.doc('paced')
    const t0 = Date.now()
    await waitFor('all 60 edits applied', () => doc.getText('t').toString() === text.toString(), 10_000, 20)
    expect(Date.now() - t0).toBeGreaterThan(500) // 50 above the burst at 50/s
    const text2 = await open.api.metrics.metrics()
    expect(text2).toMatch(/murmur_yjs_throttled_total [1-9]/)
    // Each edit timed from arrival to durable, as a Prometheus histogram in seconds.
    expect(text2).toContain('# TYPE murmur_yjs_edit_durable_seconds histogram')
    await waitFor('60 edits timed', async () => /murmur_yjs_edit_durable_seconds_count (6\d|[7-9]\d|\d{3,})\n/.test(await open.api.metrics.metrics()), 5000, 20)
    fast.ws.close()
  })

  it('a connection cannot speak for a client id another live connection holds', async () => {
    const ws = open.server.url.replace('http', 'ws')
    const owner = rawSocket(`${ws}/yjs/aw`)
    const thief = rawSocket(`${ws}/yjs/aw`)
    await Promise.all([opened(owner.ws), opened(thief.ws)])
    owner.ws.send(awarenessMsg([{ clientId: 77, clock: 1, state: { user: { name: 'owner' } } }]))
    await waitFor('owner\'s state held', () => open.peer.presence.states('aw').length === 1, 5000, 20)
    thief.ws.send(awarenessMsg([{ clientId: 77, clock: 9, state: { user: { name: 'thief' } } }]))
    thief.ws.send(awarenessMsg([{ clientId: 78, clock: 1, state: { user: { name: 'thief' } } }]))
    await waitFor('thief\'s own state held', () => open.peer.presence.states('aw').length === 2, 5000, 20)
    expect(JSON.parse(open.peer.presence.states('aw').find(s => s.clientId === 77)?.state ?? 'null')).toEqual({ user: { name: 'owner' } })
    expect((await open.api.metrics.metrics())).toMatch(/murmur_yjs_awareness_refused_total\{reason="notOwner"\} 1/)
    owner.ws.close()
    await waitFor('the owner\'s state goes with its connection', () => open.peer.presence.states('aw').length === 1, 5000, 20)
    thief.ws.close()
  })

  it('one awareness message cannot make a connection speak for more than maxClientIdsPerConnection client ids', async () => {
    const ws = open.server.url.replace('http', 'ws')
    const spam = rawSocket(`${ws}/yjs/aw-spam`)
    await opened(spam.ws)
    const before = /murmur_yjs_awareness_refused_total\{reason="tooManyClientIds"\} (\d+)/.exec(await open.api.metrics.metrics())?.[1]
    const ids = Array.from({ length: 20 }, (_, i) => 1000 + i)
    spam.ws.send(awarenessMsg(ids.map(clientId => ({ clientId, clock: 1, state: { user: { name: `spam${clientId}` } } }))))
    const max = DEFAULT_YJS.maxClientIdsPerConnection
    // The message is handled in one go (setLocal is synchronous): once any state is held, all of it is.
    await waitFor('the spam was handled', () => open.peer.presence.states('aw-spam').length > 0, 5000, 20)
    expect(open.peer.presence.states('aw-spam').map(s => s.clientId).sort()).toEqual(ids.slice(0, max))
    const after = /murmur_yjs_awareness_refused_total\{reason="tooManyClientIds"\} (\d+)/.exec(await open.api.metrics.metrics())?.[1]
    expect(Number(after) - Number(before ?? 0)).toBe(ids.length - max)
    // A further message with ids of its own changes nothing; renewing a held id still works.
    spam.ws.send(awarenessMsg([{ clientId: 5000, clock: 1, state: {} }, { clientId: 1000, clock: 2, state: { renewed: true } }]))
    await waitFor('the renewal', () => open.peer.presence.states('aw-spam').find(s => s.clientId === 1000)?.clock === 2, 5000, 20)
    expect(open.peer.presence.states('aw-spam')).toHaveLength(max)
    spam.ws.close()
  })
})

describe('y-websocket endpoint: edits that wait for missing dependencies', () => {
  const LIMIT = 256 * 1024
  let gapped: Served
  beforeAll(async () => { gapped = await serve({}, undefined, { maxPendingUpdateBytes: LIMIT }) }, 30_000)
  afterAll(async () => { await stop(gapped) })

  /** An update of `client` that depends on the client's first insert, which is never sent: Yjs holds it as pending. */
  function gapUpdate (client: number, bytes: number): Uint8Array {
    const d = new Y.Doc()
    d.clientID = client
    const updates: Uint8Array[] = []
    d.on('update', (u: Uint8Array) => { updates.push(u) })
    d.getText('text').insert(0, 'a')
    d.getText('text').insert(1, 'y'.repeat(bytes))
    return updates[1] as Uint8Array
  }

  it('a client sending only gapped updates cannot grow the doc\'s pending structs past maxPendingUpdateBytes', async () => {
    const ws = gapped.server.url.replace('http', 'ws')
    const client = rawSocket(`${ws}/yjs/gaps`)
    await opened(client.ws)
    const doc = await gapped.peer.doc('gaps')
    const count = 12
    for (let i = 0; i < count; i++) {
      const e = encoding.createEncoder()
      encoding.writeVarUint(e, MessageType.sync)
      encoding.writeVarUint(e, 1) // sync step 2
      encoding.writeVarUint8Array(e, gapUpdate(5000 + i, 64 * 1024))
      client.ws.send(encoding.toUint8Array(e))
    }
    await waitFor('every gapped edit handled', async () => /murmur_yjs_edit_durable_seconds_count (\d+)/.exec(await gapped.api.metrics.metrics())?.[1] === String(count), 10_000, 20)
    expect(pendingBytes(doc)).toBeLessThanOrEqual(LIMIT)
    expect(await gapped.api.metrics.metrics()).toMatch(/murmur_pending_updates_dropped_total [1-9]/)
    expect(doc.getText('text').length).toBe(0)
    client.ws.close()
  })
})

describe('y-websocket endpoint: a doc at maxDocBytes', () => {
  let small: Served
  beforeAll(async () => { small = await serve({}, undefined, { maxDocBytes: 64 * 1024 }) }, 30_000)
  afterAll(async () => { await stop(small) })

  it('an edit refused because the doc is full closes its client with 4413, and the provider stops retrying (no reconnect loop)', async () => {
    const c = yClient(small.server.url, 'full', 'ada')
    try {
      await synced(c)
      const witness = yClient(small.server.url, 'full', 'witness')
      await synced(witness)
      c.text.insert(0, 'z'.repeat(80 * 1024)) // the first write of an empty doc may overshoot (docs/LIMITS.md 50c)
      await waitFor('the big edit is durable', () => witness.text.length === 80 * 1024, 10_000, 20)
      witness.destroy()
      c.text.insert(0, 'one more')
      await waitFor('the refusal', () => c.closes.length > 0, 5000, 20)
      await new Promise(resolve => setTimeout(resolve, 1500)) // a retrying provider would be back within 1.5 s
      expect(c.closes.map(x => x.code)).toEqual([CloseCode.tooLarge])
      expect(c.provider.shouldConnect).toBe(false)
      expect(await small.api.metrics.metrics()).toMatch(/murmur_writes_too_large_total 1\n/)
    } finally {
      c.destroy()
    }
  })
})

describe('y-websocket endpoint: a doc whose clients all left', () => {
  // The room opened its doc as the app does and never closed it: every name a client ever opened stayed a
  // live Y.Doc until restart, and one never written (a typo) was listed by GET /docs as a doc, forever.
  it('is closed once its last client goes, unless the app holds it open; a doc with content stays on disk', async () => {
    const s = await serve()
    try {
      const ws = s.server.url.replace('http', 'ws')
      const listed = (): string[] => s.peer.docs().map(d => d.name)
      const visit = async (name: string): Promise<void> => {
        const c = rawSocket(`${ws}/yjs/${name}`)
        await opened(c.ws)
        await waitFor(`${name} synced`, () => c.messages.length > 0, 5000, 20)
        expect(listed()).toContain(name)
        c.ws.close()
        await c.closed
      }
      await visit('typo')
      await waitFor('the visited doc closed', () => !listed().includes('typo'), 5000, 20)
      // The app's own open survives a room's release.
      await s.peer.doc('kept')
      await visit('kept')
      // So does a counter's (the app's too).
      await s.peer.counter('counted')
      await visit('counted')
      await new Promise(resolve => setTimeout(resolve, 300))
      expect(listed()).toContain('kept')
      expect(listed()).toContain('counted')
      // Written through a client, then left: closed in memory, still there to read.
      const c = yClient(s.server.url, 'written', 'w')
      await synced(c)
      c.doc.getMap('kv').set('x', 1)
      await waitFor('the edit is durable', async () => (await s.peer.read('written', d => d.getMap('kv').get('x'))) === 1, 5000, 20)
      c.destroy()
      expect(await s.peer.read('written', d => d.getMap('kv').get('x'))).toBe(1)
    } finally {
      await stop(s)
    }
  }, 30_000)
})

describe('y-websocket endpoint: shutting down', () => {
  // SIGTERM: the API closes every client with 1001, then the HTTP server closes, which waits for every
  // socket. A client that does not read never answers the close frame, and ws waits 30 s for it: one such
  // client made every shutdown run into the 2.8 s deadline and exit without stopping the peer.
  it('a client that stops reading does not hold the HTTP server open: closed with 1001 when it answers, cut off after a grace when it does not', async () => {
    const s = await serve()
    const ws = s.server.url.replace('http', 'ws')
    const polite = rawSocket(`${ws}/yjs/bye`)
    const stuck = rawSocket(`${ws}/yjs/bye`)
    await Promise.all([opened(polite.ws), opened(stuck.ws)])
    await waitFor('both synced', () => polite.messages.length > 0 && stuck.messages.length > 0, 5000, 20)
    const raw = (stuck.ws as unknown as { _socket: { pause: () => void } })._socket
    raw.pause() // reads nothing more: the close frame is never seen, never answered
    const started = Date.now()
    s.api.close()
    const closedIn = await Promise.race([s.server.close().then(() => Date.now() - started), new Promise<number>(resolve => setTimeout(() => { resolve(Number.POSITIVE_INFINITY) }, 8_000))])
    stuck.ws.terminate()
    await s.peer.stop()
    expect((await polite.closed).code).toBe(CloseCode.goingAway)
    expect(closedIn, 'the HTTP server closed').toBeLessThan(2_000)
  }, 30_000)
})

describe('awareness format: the bridge\'s lib0 codec agrees with y-protocols', () => {
  it('decodes what y-protocols encodes, and y-protocols applies what the bridge encodes', () => {
    const doc = new Y.Doc()
    const a = new awarenessProtocol.Awareness(doc)
    a.setLocalState({ user: { name: 'Ada', color: '#f00' }, cursor: { anchor: 3 } })
    a.setLocalStateField('cursor', { anchor: 4 })
    const bytes = awarenessProtocol.encodeAwarenessUpdate(a, [doc.clientID])
    expect(decodeAwarenessUpdate(bytes, 10)).toEqual({ entries: [{ clientId: doc.clientID, clock: 2, state: JSON.stringify(a.getLocalState()) }], tooLarge: 0 })
    const other = new awarenessProtocol.Awareness(new Y.Doc())
    awarenessProtocol.applyAwarenessUpdate(other, encodeAwarenessUpdate([{ clientId: 5, clock: 3, state: '{"user":{"name":"Bob"}}' }]), 'test')
    expect(other.getStates().get(5)).toEqual({ user: { name: 'Bob' } })
    awarenessProtocol.applyAwarenessUpdate(other, encodeAwarenessUpdate([{ clientId: 5, clock: 3, state: null }]), 'test')
    expect(other.getStates().has(5)).toBe(false)
    const d = decoding.createDecoder(encodeAwarenessUpdate([]))
    expect(decoding.readVarUint(d)).toBe(0)
    a.destroy()
    other.destroy()
  })
})
