/**
 * The real y-websocket client (Node, ws) against real peer processes: clients on different peers edit one
 * Y.Text; a late joiner receives everything; through a partition (/admin/partition) both sides keep
 * editing, and after the heal every client and every peer holds the same text with every acknowledged
 * edit; awareness set on peer A is seen by a client on peer C, and goes when its client does.
 *
 * "Acknowledged": a peer relays a client's edit to its other clients only once the edit is durable, so an
 * edit seen by a second client on the same peer (the "witness") is one that peer acknowledged.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanup, http, spawnPeer, waitFor, waitForStates } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { namesSeenBy, synced, yClient } from './clients.js'
import type { YClient } from './clients.js'

const LOCAL = ['--profile', 'local']
const DOC = 'notes'

interface DocJson { name: string, digest: string }
const digests = async (peers: readonly PeerProcess[]): Promise<string[]> =>
  await Promise.all(peers.map(async p => (await http<DocJson>(p.http, 'GET', `/docs/${DOC}`)).body.digest))

describe('y-websocket clients on three peer processes', () => {
  const peers: PeerProcess[] = []
  const clients: YClient[] = []
  const client = (p: PeerProcess, name: string): YClient => {
    const c = yClient(p.http, DOC, name, { maxBackoffTime: 500 })
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    const a = await spawnPeer({ args: [...LOCAL, '--name', 'A'] })
    const b = await spawnPeer({ args: [...LOCAL, '--name', 'B'], bootstrap: [a.addrs[0] as string] })
    const c = await spawnPeer({ args: [...LOCAL, '--name', 'C'], bootstrap: [a.addrs[0] as string] })
    peers.push(a, b, c)
    await waitForStates(peers, peers.map(p => p.id), 'alive', 20_000)
  }, 60_000)

  afterAll(async () => {
    for (const c of clients) c.destroy()
    await cleanup()
  })

  test('two clients on two peers edit one Y.Text and see each other; a late joiner on a third peer gets everything', async () => {
    const [a, b, c] = peers as [PeerProcess, PeerProcess, PeerProcess]
    const ada = client(a, 'ada')
    const bob = client(b, 'bob')
    await Promise.all([synced(ada), synced(bob)])
    ada.text.insert(0, 'Hello from A. ')
    bob.text.insert(0, 'Hello from B. ')
    for (const cl of [ada, bob]) await waitFor(`${cl.name} sees both`, () => cl.text.toString().includes('from A') && cl.text.toString().includes('from B'), 10_000, 20)
    expect(ada.text.toString()).toBe(bob.text.toString())
    const late = client(c, 'carol')
    await synced(late)
    await waitFor('the late joiner has the whole text', () => late.text.toString() === ada.text.toString(), 10_000, 20)
    await waitFor('identical digests on the three peers', async () => new Set(await digests(peers)).size === 1, 10_000)
  })

  test('awareness from a client on A is seen by a client on C, and by GET /docs/:name/presence on B; it goes with its client', async () => {
    const [a, b, c] = peers as [PeerProcess, PeerProcess, PeerProcess]
    const ada = clients.find(x => x.name === 'ada') as YClient
    const carol = clients.find(x => x.name === 'carol') as YClient
    ada.provider.awareness.setLocalStateField('cursor', { index: 3 })
    await waitFor('carol sees ada, bob and herself', () => JSON.stringify(namesSeenBy(carol)) === JSON.stringify(['ada', 'bob', 'carol']), 10_000, 20)
    await waitFor('carol sees ada\'s cursor', () => [...carol.provider.awareness.getStates().values()].some(s => (s as { cursor?: { index: number } }).cursor?.index === 3), 10_000, 20)
    const list = await waitFor('presence listed on B', async () => {
      const r = await http<Array<{ clientId: number, peerId: string, local: boolean, state: { user?: { name: string } } }>>(b.http, 'GET', `/docs/${DOC}/presence`)
      return r.body.length === 3 ? r.body : undefined
    }, 10_000)
    const onA = list.find(s => s.state.user?.name === 'ada')
    expect(onA).toMatchObject({ clientId: ada.doc.clientID, peerId: a.id })
    expect(list.find(s => s.state.user?.name === 'bob')).toMatchObject({ peerId: b.id, local: true })

    const temp = client(a, 'temporary')
    await waitFor('carol sees the temporary client', () => namesSeenBy(carol).includes('temporary'), 10_000, 20)
    temp.destroy()
    await waitFor('the temporary client is gone on C', () => !namesSeenBy(carol).includes('temporary'), 10_000, 20)
    expect((await http<unknown[]>(c.http, 'GET', `/docs/${DOC}/presence`)).body).toHaveLength(3)
  })

  test('partition A | B C: both sides keep editing; after the heal every client and peer holds the same text with every acknowledged edit', async () => {
    const [a, b, c] = peers as [PeerProcess, PeerProcess, PeerProcess]
    const ada = clients.find(x => x.name === 'ada') as YClient
    const bob = clients.find(x => x.name === 'bob') as YClient
    const carol = clients.find(x => x.name === 'carol') as YClient
    // Witnesses: a second client on each editing peer. An edit it has seen was relayed, hence durable there.
    const witnessA = client(a, 'witness-a')
    const witnessB = client(b, 'witness-b')
    await Promise.all([synced(witnessA), synced(witnessB)])

    await http(a.http, 'POST', '/admin/partition', { block: [b.id, c.id] })
    await http(b.http, 'POST', '/admin/partition', { block: [a.id] })
    await http(c.http, 'POST', '/admin/partition', { block: [a.id] })

    const edits: Array<{ token: string, writer: YClient, witness: YClient }> = []
    for (let i = 0; i < 20; i++) {
      for (const [writer, witness] of [[ada, witnessA], [bob, witnessB]] as const) {
        const token = `[${writer.name}-${i}]`
        writer.text.insert(writer.text.length, token)
        edits.push({ token, writer, witness })
      }
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    const acknowledged = await waitFor('every edit acknowledged by its own peer', () => {
      const acked = edits.filter(e => e.witness.text.toString().includes(e.token))
      return acked.length === edits.length ? acked : undefined
    }, 10_000, 20)
    // The sides really are apart.
    expect(carol.text.toString()).not.toContain('[ada-0]')
    expect(ada.text.toString()).not.toContain('[bob-0]')

    for (const p of peers) await http(p.http, 'DELETE', '/admin/partition')
    const t0 = Date.now()
    const all = clients.filter(x => x.provider.shouldConnect)
    await waitFor('identical text on every client', () => new Set(all.map(x => x.text.toString())).size === 1, 30_000, 50)
    console.log(`after heal: identical text on ${all.length} clients in ${Date.now() - t0} ms`)
    const text = ada.text.toString()
    for (const e of acknowledged) expect(text).toContain(e.token)
    await waitFor('identical digests on the three peers', async () => new Set(await digests(peers)).size === 1, 30_000)
  })
})
