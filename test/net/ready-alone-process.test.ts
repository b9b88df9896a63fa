/**
 * `/ready` of a peer whose bootstrap addresses are all its own, with real peer processes on 127.0.0.1 (no
 * root needed): the name `localhost` stands for the headless Service of a one-pod StatefulSet, which
 * answers with the pod's own address. Such a peer has nobody to join and must become ready; a peer whose
 * bootstrap names another address must still wait until it joined it. The same with a real DNS server and
 * a name listing one or two "pods" is in test/net/dns-bootstrap-netns.test.ts.
 */
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, describe, expect, test } from 'vitest'
import { api, cleanup, sleep, spawnPeer, waitFor } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'

const LOCAL = ['--profile', 'local']

/** A TCP port nothing listens on now (bound, then released). */
const freePort = (): Promise<number> => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as AddressInfo
    s.close(() => { resolve(port) })
  })
})

const readyStatus = async (p: PeerProcess): Promise<number> => (await api(p, 'GET', '/ready')).status

describe('/ready with bootstrap addresses that are the peer itself', () => {
  afterAll(cleanup)

  test('a bootstrap name answering with only this peer\'s address (a one-pod StatefulSet): ready alone', async () => {
    // Before: 503 not_ready for ever, since no other member ever came.
    const port = await freePort()
    const p = await spawnPeer({ tcpPort: port, args: LOCAL, bootstrap: [`/dns4/localhost/tcp/${port}`] })
    expect(await readyStatus(p)).toBe(503) // one answer is not enough (pods started together appear apart)
    await waitFor('/ready 200', async () => await readyStatus(p) === 200, 20_000)
    expect((await api<{ alive: number }>(p, 'GET', '/ready')).body).toMatchObject({ ready: true, alive: 1 })
  }, 40_000)

  test('an IP bootstrap address that is its own: ready alone at once', async () => {
    const port = await freePort()
    const p = await spawnPeer({ tcpPort: port, args: LOCAL, bootstrap: [`/ip4/127.0.0.1/tcp/${port}`] })
    await waitFor('/ready 200', async () => await readyStatus(p) === 200, 5_000)
  }, 20_000)

  test('a bootstrap name answering with another peer\'s address: not ready until it joined that peer', async () => {
    const [portA, portB] = [await freePort(), await freePort()]
    const a = await spawnPeer({ tcpPort: portA, args: LOCAL, bootstrap: [`/dns4/localhost/tcp/${portB}`] })
    // Longer than it takes a peer listed alone to count as alone (two answers, 5 s apart).
    for (let t = 0; t < 12; t++) {
      expect(await readyStatus(a)).toBe(503)
      await sleep(1_000)
    }
    const b = await spawnPeer({ tcpPort: portB, args: LOCAL, bootstrap: [`/dns4/localhost/tcp/${portA}`] })
    await waitFor('both ready, in one mesh', async () => await readyStatus(a) === 200 && await readyStatus(b) === 200, 20_000)
    expect((await api<{ alive: number }>(a, 'GET', '/ready')).body).toMatchObject({ alive: 2 })
  }, 60_000)
})
