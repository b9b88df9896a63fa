/**
 * One in-process peer (real libp2p on 127.0.0.1) with the HTTP API served on a free loopback port, for
 * tests that talk to it as clients do: fetch, raw sockets, WebSockets.
 */
import { afterAll, beforeAll } from 'vitest'
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { Peer } from '../../src/api.js'
import type { HttpApi, HttpApiOptions } from '../../src/http/index.js'
import { waitFor } from './procs.js'

export interface HttpPeer {
  peer: Peer
  api: HttpApi
  /** http://127.0.0.1:<port> */
  base: string
  port: number
  stop(): Promise<void>
}

/** `bootstrap`: addresses of peers to join (another httpPeer's `peer.addresses()`). */
export async function httpPeer (options: HttpApiOptions = {}, bootstrap: readonly string[] = []): Promise<HttpPeer> {
  const peer = await createPeer({ listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger, profile: 'local', bootstrap: [...bootstrap] })
  const api = createHttpApi(peer, options)
  const server = await startHttpServer(async (req, res) => {
    if (!(await api.handle(req, res))) api.notFound(req, res)
  }, '127.0.0.1', 0, api.serverOptions)
  return {
    peer,
    api,
    base: server.url,
    port: Number(new URL(server.url).port),
    stop: async () => { api.close(); await server.close(); await peer.stop() }
  }
}

/** `n` httpPeers in one mesh (each joined through the first), once every one sees all of them alive. */
export async function httpMesh (n: number, options: HttpApiOptions = {}): Promise<HttpPeer[]> {
  const first = await httpPeer(options)
  const peers = [first]
  for (let i = 1; i < n; i++) peers.push(await httpPeer(options, first.peer.addresses()))
  const meshed = (): boolean => peers.every(p => p.peer.members().filter(m => m.state === 'alive').length === n)
  await waitFor(`a mesh of ${n}`, meshed, 10_000, 20)
  return peers
}

/** Starts a mesh of two httpPeers before the file's tests (beforeAll) and stops it after them (afterAll). */
export function useMeshOfTwo (): { readonly a: HttpPeer, readonly b: HttpPeer } {
  let peers: HttpPeer[] = []
  beforeAll(async () => { peers = await httpMesh(2) }, 20_000)
  afterAll(async () => { for (const p of peers.reverse()) await p.stop() })
  const at = (i: number): HttpPeer => {
    const p = peers[i]
    if (p === undefined) throw new Error('the mesh is not started: use it inside a test')
    return p
  }
  return { get a () { return at(0) }, get b () { return at(1) } }
}
