/**
 * The `murmur.http` tag is whatever a member says. A peer without `--allow-fault-injection` must never follow
 * it: a member pointing the tag at itself would otherwise receive this peer's bearer token (which opens
 * /leave and the admin routes) with every /mesh/state the operator loads while that member is unreachable.
 */
import { createServer } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, test } from 'vitest'
import { api, cleanup, sleep, spawnPeer, stateOf, waitFor, waitForStates } from '../helpers/procs.js'

const TOKEN = 'mesh-token-test-0123456789'

describe('/mesh/state without fault injection', () => {
  const seen: Array<{ url: string, headers: IncomingHttpHeaders }> = []
  const bait = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers })
    res.writeHead(404).end()
  })
  afterAll(async () => {
    await cleanup()
    await new Promise<void>(resolve => bait.close(() => resolve()))
  })

  test('a member whose advertised HTTP address points elsewhere is shown unreachable; nothing is sent there, least of all the token', async () => {
    await new Promise<void>(resolve => bait.listen(0, '127.0.0.1', resolve))
    const baitUrl = `http://127.0.0.1:${(bait.address() as AddressInfo).port}`
    const d = await spawnPeer({ token: TOKEN, faultInjection: false, args: ['--profile', 'local', '--name', 'D'] })
    const e = await spawnPeer({ args: ['--profile', 'local', '--name', 'E', '--tag', `murmur.http=${baitUrl}`], bootstrap: [d.addrs[0] as string] })
    await waitForStates([d], [d.id, e.id], 'alive', 20_000)
    const tagged = await api<Array<{ peerId: string, tags: Record<string, string> }>>(d, 'GET', '/members')
    expect(tagged.body.find(m => m.peerId === e.id)?.tags['murmur.http']).toBe(baitUrl)

    e.proc.kill('SIGKILL')
    await waitFor('E no longer alive at D', async () => (await stateOf(d, e.id)) !== 'alive', 20_000)
    for (let i = 0; i < 4; i++) {
      const s = await api<{ faultInjection: boolean, peers: Array<{ peerId: string, source: string }> }>(d, 'GET', '/mesh/state')
      expect(s.status).toBe(200)
      expect(s.body.faultInjection).toBe(false)
      expect(s.body.peers.find(p => p.peerId === e.id)?.source).toBe('unreachable')
      await sleep(600) // past the state cache, so each round collects again
    }
    expect(seen).toEqual([])
  }, 60_000)
})
