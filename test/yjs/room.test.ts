/**
 * Room with a fake peer whose writes become durable when the test says so: a client's edit is relayed to
 * the other clients only after it is durable, a failed write closes its client (which keeps the edit and
 * re-sends it on reconnect), mesh changes are relayed at once, and a doc closed under the room closes
 * its clients with 1012 so they reconnect.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as syncProtocol from 'y-protocols/sync'
import * as Y from 'yjs'
import type { Peer, PeerPresence } from '../../src/api.js'
import { silentLogger } from '../../src/core/logger.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { DocPresence } from '../../src/presence/doc-presence.js'
import { resolvePresenceConfig } from '../../src/presence/config.js'
import { createCounters as createPresenceCounters } from '../../src/presence/stats.js'
import { PresenceLink } from '../../src/presence/link.js'
import { RateLimitedLog } from '../../src/core/logger.js'
import { SeededRandom } from '../../src/core/random.js'
import { FakeTransport } from '../helpers/fake-transport.js'
import { CloseCode } from '../../src/yjs/close-codes.js'
import { resolveYjsConfig } from '../../src/yjs/config.js'
import { ClientConnection } from '../../src/yjs/connection.js'
import { MessageType } from '../../src/yjs/messages.js'
import { Room } from '../../src/yjs/room.js'
import { createYjsCounters } from '../../src/yjs/stats.js'
import type { WebSocket } from 'ws'

/** A ws stand-in: records what is sent and how it was closed. */
class FakeSocket {
  readonly OPEN = 1
  readonly CONNECTING = 0
  readyState = 1
  isPaused = false
  bufferedAmount = 0
  readonly sent: Uint8Array[] = []
  closed: { code: number, reason: string } | undefined
  send (bytes: Uint8Array): void { this.sent.push(bytes) }
  close (code: number, reason: string): void { this.closed = { code, reason }; this.readyState = 3 }
  pause (): void { this.isPaused = true }
  resume (): void { this.isPaused = false }
  /** Yjs updates received (sync step 2 and update messages), applied to a fresh doc's text. */
  text (): string {
    const doc = new Y.Doc()
    for (const m of this.sent) {
      const decoder = decoding.createDecoder(m)
      if (decoding.readVarUint(decoder) !== MessageType.sync) continue
      const sub = decoding.readVarUint(decoder)
      if (sub === syncProtocol.messageYjsSyncStep2 || sub === syncProtocol.messageYjsUpdate) Y.applyUpdate(doc, decoding.readVarUint8Array(decoder))
    }
    return doc.getText('t').toString()
  }
}

/** Lets queued outbound messages (sent at setImmediate) go out. */
const turn = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)); await new Promise(resolve => setImmediate(resolve)) }

function updateMsg (update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MessageType.sync)
  syncProtocol.writeUpdate(e, update)
  return encoding.toUint8Array(e)
}

/** A peer whose doc is a plain Y.Doc and whose writes resolve (or fail) when the test decides. */
function fakePeer (doc: Y.Doc) {
  const pending: Array<{ resolve: () => void, reject: (err: Error) => void }> = []
  const clock = new ManualClock()
  const counters = createPresenceCounters()
  const warnings = new RateLimitedLog(silentLogger, () => clock.now())
  const config = resolvePresenceConfig(undefined)
  const transport = new FakeTransport('me')
  const docs = new DocPresence({
    localId: 'me',
    link: new PresenceLink({ transport, addressesOf: () => [], counters, warnings }),
    peers: { alivePeers: () => [], addressesOf: () => [], onPeerAlive: () => () => {}, onPeerGone: () => () => {} },
    clock, random: new SeededRandom(1), config, counters, warnings
  })
  const presence: PeerPresence = {
    join: d => docs.join(d), isJoined: d => docs.isJoined(d), setLocal: (d, e) => docs.setLocal(d, e), removeLocal: (d, ids) => docs.removeLocal(d, ids),
    states: d => docs.states(d), entry: (d, id) => docs.entry(d, id), onChange: l => docs.on('change', l)
  }
  const peer = {
    id: 'me',
    presence,
    doc: async () => doc,
    hold: async () => ({ doc, release: () => {} }),
    write: (_name: string, fn: (d: Y.Doc) => void) => {
      fn(doc)
      return new Promise((resolve, reject) => { pending.push({ resolve: () => { resolve({}) }, reject }) })
    }
  } as unknown as Peer
  return { peer, pending }
}

async function setup () {
  const doc = new Y.Doc()
  const { peer, pending } = fakePeer(doc)
  const config = resolveYjsConfig(undefined)
  const counters = createYjsCounters()
  const room = new Room('d', { peer, config, counters, log: silentLogger, onEmpty: () => {} })
  const conn = (): { socket: FakeSocket, conn: ClientConnection } => {
    const socket = new FakeSocket()
    const c = new ClientConnection(socket as unknown as WebSocket, 'd', 'test', { config, counters, now: () => performance.now() })
    room.add(c)
    return { socket, conn: c }
  }
  await new Promise(resolve => setTimeout(resolve, 0)) // peer.doc resolved: the room is ready
  return { doc, room, pending, counters, conn }
}

function clientEdit (text: string): Uint8Array {
  const d = new Y.Doc()
  d.getText('t').insert(0, text)
  return Y.encodeStateAsUpdate(d)
}

describe('Room: durable before relay', () => {
  it('relays a client\'s edit to the others only once peer.write resolved (durable)', async () => {
    const { pending, conn } = await setup()
    const a = conn()
    const b = conn()
    a.conn.receive(updateMsg(clientEdit('hello')))
    expect(pending).toHaveLength(1)
    expect(b.socket.text()).toBe('') // applied to the doc, not durable yet: not relayed
    pending[0]?.resolve()
    await turn()
    expect(b.socket.text()).toBe('hello')
    expect(a.socket.text()).toBe('') // never echoed to its sender
  })

  it('a write that fails closes its client with 1011 (it re-sends the edit on reconnect) and relays nothing', async () => {
    const { pending, conn, counters } = await setup()
    const a = conn()
    const b = conn()
    a.conn.receive(updateMsg(clientEdit('lost?')))
    pending[0]?.reject(Object.assign(new Error('disk full'), { name: 'StoreError' }))
    await new Promise(resolve => setTimeout(resolve, 0))
    expect(a.socket.closed?.code).toBe(CloseCode.internalError)
    expect(b.socket.text()).toBe('')
    expect(counters.updatesFailed).toBe(1)
  })

  it('a write refused by a full or failing store closes its client with 1013 (try again later: the store recovers by itself)', async () => {
    for (const name of ['StoreFullError', 'StoreFailingError']) {
      const { pending, conn, counters } = await setup()
      const a = conn()
      const b = conn()
      a.conn.receive(updateMsg(clientEdit('later')))
      pending[0]?.reject(Object.assign(new Error('storage full'), { name }))
      await new Promise(resolve => setTimeout(resolve, 0))
      expect(a.socket.closed?.code, name).toBe(CloseCode.tryAgainLater)
      expect(b.socket.text()).toBe('')
      expect(counters.updatesFailed).toBe(1)
    }
  })

  it('changes from elsewhere (the mesh, the HTTP API) reach every client at once (within the turn)', async () => {
    const { doc, conn } = await setup()
    const a = conn()
    const b = conn()
    doc.getText('t').insert(0, 'from the mesh')
    await turn()
    expect(a.socket.text()).toBe('from the mesh')
    expect(b.socket.text()).toBe('from the mesh')
  })

  it('changes of one turn leave as one update message per client (merged), in order with what came before', async () => {
    const { doc, conn, counters } = await setup()
    const a = conn()
    await turn()
    const before = counters.messagesOut.update
    for (let i = 0; i < 20; i++) doc.getText('t').insert(i, String.fromCharCode(97 + i))
    await turn()
    expect(counters.messagesOut.update - before).toBe(1)
    expect(a.socket.text()).toBe('abcdefghijklmnopqrst')
  })

  it('a client with maxPendingWrites edits waiting is paused until they are durable', async () => {
    const { pending, conn } = await setup()
    const a = conn()
    for (let i = 0; i < 70; i++) a.conn.receive(updateMsg(clientEdit(`e${i}`)))
    expect(pending).toHaveLength(64)
    expect(a.socket.isPaused).toBe(true)
    for (const p of pending.splice(0)) p.resolve()
    await new Promise(resolve => setTimeout(resolve, 0))
    expect(pending).toHaveLength(6)
    expect(a.socket.isPaused).toBe(false)
  })

  it('a doc closed under the room closes its clients with 1012 (service restart: they reconnect)', async () => {
    const { doc, conn } = await setup()
    const a = conn()
    doc.destroy()
    expect(a.socket.closed?.code).toBe(CloseCode.serviceRestart)
  })

  it('a malformed message or an invalid Yjs update closes the client with 4400', async () => {
    const { conn, counters } = await setup()
    const a = conn()
    a.conn.receive(new Uint8Array([7, 1, 2]))
    expect(a.socket.closed?.code).toBe(CloseCode.badRequest)
    const b = conn()
    b.conn.receive(updateMsg(new Uint8Array([1, 2, 3, 4, 5, 6])))
    expect(b.socket.closed?.code).toBe(CloseCode.badRequest)
    expect(counters.malformed).toBe(2)
  })
})
