/**
 * A y-websocket client may speak in awareness only for client ids no other live client holds, on its peer
 * or on another. Across peers it could: one awareness message from a client of peer B, naming the client id
 * of a client of peer A with the clock 2^53 - 1, reached that client as its own state removed; y-protocols
 * answers by counting on from it, so its next renewal carried clock 2^53, which the wire does not carry, and
 * A closed it with 4400 — for good (y-websocket does not reconnect after 44xx), its edits with it.
 * While the victim is away (its state gone), its client id is free to take, and the same message reaches it
 * when it comes back: its clock then stops at 2^53, which is now read and not shared, not a reason to close it.
 * Two in-process peers in one mesh, a real WebsocketProvider as the victim and a raw WebSocket as the other.
 */
import * as encoding from 'lib0/encoding'
import { describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { useMeshOfTwo } from '../helpers/http-peer.js'
import { waitFor } from '../helpers/procs.js'
import { MessageType } from '../../src/yjs/messages.js'
import { encodeAwarenessUpdate } from '../../src/yjs/awareness-codec.js'
import { synced, yClient } from './clients.js'
import type { YClient } from './clients.js'

const mesh = useMeshOfTwo()

function awareness (clientId: number, clock: number, state: string): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MessageType.awareness)
  encoding.writeVarUint8Array(e, encodeAwarenessUpdate([{ clientId, clock, state }]))
  return encoding.toUint8Array(e)
}

const presentIds = async (base: string, doc: string): Promise<number[]> =>
  (await (await fetch(`${base}/docs/${doc}/presence`)).json() as Array<{ clientId: number }>).map(s => s.clientId)

/**
 * The victim renews its presence (what counting on from a stolen clock broke) and edits: the edit must reach
 * A, and the victim must not have been closed.
 */
async function expectStillEditing (victim: YClient, doc: string, text: string): Promise<void> {
  victim.provider.awareness.setLocalStateField('user', { name: `victim: ${text}` })
  victim.text.insert(0, text)
  const edited = async (): Promise<boolean> => JSON.stringify(await (await fetch(`${mesh.a.base}/docs/${doc}`)).json()).includes(text)
  await waitFor('the edit on A, or the victim closed', async () => victim.closes.length > 0 || await edited(), 5_000, 20)
  expect(victim.closes).toEqual([])
  expect(await edited()).toBe(true)
}

describe('awareness entries for a client of another peer', () => {
  test('are refused: its client stays connected and present, and keeps editing', async () => {
    const victim = yClient(mesh.a.base, 'owned', 'victim')
    try {
      await synced(victim)
      const id = victim.doc.clientID
      await waitFor('the victim present on B', async () => (await presentIds(mesh.b.base, 'owned')).includes(id), 5_000, 20)
      const other = new WebSocket(`${mesh.b.base.replace('http', 'ws')}/yjs/owned`)
      await new Promise((resolve, reject) => { other.once('message', resolve); other.once('error', reject) })
      other.send(awareness(id, Number.MAX_SAFE_INTEGER, 'null'))
      other.send(awareness(id, Number.MAX_SAFE_INTEGER - 1, '{"user":{"name":"impostor"}}'))
      await waitFor('both messages handled on B', () => mesh.b.api.metrics.getSingleMetricAsString('murmur_yjs_messages_total')
        .then(t => t.includes('direction="in",type="awareness"} 2')), 5_000, 20)
      await new Promise(resolve => setTimeout(resolve, 300)) // B's change reaches A, and A's clients
      await expectStillEditing(victim, 'owned', 'still editing')
      expect(await presentIds(mesh.a.base, 'owned')).toContain(id)
      const states = await (await fetch(`${mesh.b.base}/docs/owned/presence`)).json() as Array<{ clientId: number, state: { user?: { name?: string } } }>
      expect(states.find(s => s.clientId === id)?.state.user?.name).toMatch(/^victim/)
      expect(await mesh.b.api.metrics.getSingleMetricAsString('murmur_yjs_awareness_refused_total')).toContain('reason="notOwner"} 2')
      other.close()
    } finally {
      victim.destroy()
    }
  }, 20_000)
})

describe('a client whose own awareness clock was pushed to 2^53', () => {
  test('stays connected and keeps editing (its presence is not shared)', async () => {
    const victim = yClient(mesh.a.base, 'away', 'victim')
    const other = new WebSocket(`${mesh.b.base.replace('http', 'ws')}/yjs/away`)
    try {
      await synced(victim)
      await new Promise((resolve, reject) => { other.once('message', resolve); other.once('error', reject) })
      const id = victim.doc.clientID
      victim.provider.disconnect()
      await waitFor('the victim gone on B', async () => !(await presentIds(mesh.b.base, 'away')).includes(id), 5_000, 20)
      other.send(awareness(id, Number.MAX_SAFE_INTEGER, '{"user":{"name":"impostor"}}'))
      await waitFor('the entry on A', async () => (await presentIds(mesh.a.base, 'away')).includes(id), 5_000, 20)
      victim.provider.connect()
      await synced(victim)
      await expectStillEditing(victim, 'away', 'back and editing')
    } finally {
      other.close()
      victim.destroy()
    }
  }, 20_000)
})
