/**
 * One in-process peer (real libp2p on 127.0.0.1) with the HTTP API served on a free loopback port, for
 * tests that talk to it as clients do: fetch, raw sockets, WebSockets.
 */
import { createHttpApi, createPeer, silentLogger, startHttpServer } from '../../src/index.js'
import type { Peer } from '../../src/api.js'
import type { HttpApi, HttpApiOptions } from '../../src/http/index.js'

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
