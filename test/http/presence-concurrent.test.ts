/**
 * `GET /docs/:name/presence` on a peer with no client of the doc: the first request waits (briefly) for the
 * other peers' states. Requests arriving during that wait answered at once, with none of them: a page
 * polling twice at once, or two people opening it together, saw nobody while a client was connected.
 * Two in-process peers in one mesh; the client (a real WebsocketProvider) is on A, the requests go to B.
 */
import { describe, expect, test } from 'vitest'
import { useMeshOfTwo } from '../helpers/http-peer.js'
import { synced, yClient } from '../yjs/clients.js'

const mesh = useMeshOfTwo()

describe('concurrent first requests for a doc\'s presence', () => {
  test('all see the client of another peer', async () => {
    const alice = yClient(mesh.a.base, 'together', 'alice')
    try {
      await synced(alice)
      const names = async (): Promise<string[]> => {
        const states = await (await fetch(`${mesh.b.base}/docs/together/presence`, { signal: AbortSignal.timeout(5_000) })).json() as Array<{ state: { user?: { name?: string } } }>
        return states.map(s => s.state.user?.name ?? '?')
      }
      expect(await Promise.all([names(), names(), names()])).toEqual([['alice'], ['alice'], ['alice']])
    } finally {
      alice.destroy()
    }
  }, 20_000)
})
