/**
 * The Transport contract on real libp2p: TCP on 127.0.0.1, Noise, yamux, no mocks.
 */
import { CODE_P2P, multiaddr } from '@multiformats/multiaddr'
import type { Libp2pTransport } from '../../src/net/index.js'
import { sleep, startTransport, waitFor } from './helpers.js'
import { transportAcceptance } from '../helpers/transport-acceptance.js'
import type { TransportHarness } from '../helpers/transport-acceptance.js'

async function libp2pHarness (k: number): Promise<TransportHarness> {
  const transports = await Promise.all(Array.from({ length: k }, async (_, i) => await startTransport({}, `p${i}`)))
  const at = (i: number): Libp2pTransport => {
    const t = transports[i]
    if (t === undefined) throw new Error(`no peer ${i}`)
    return t
  }
  return {
    transports,
    until: waitFor,
    pass: sleep,
    bareAddress: (i) => {
      const addr = at(i).addresses().find(a => a.startsWith('/ip4/127.0.0.1/'))
      if (addr === undefined) throw new Error('no loopback address')
      return multiaddr(addr).decapsulateCode(CODE_P2P).toString()
    },
    crash: async (i) => { await at(i).close(500) },
    block: async (i, ids) => { at(i).block(ids) },
    heal: async (i) => { at(i).heal() },
    close: async () => { await Promise.all(transports.map(async t => { await t.close(1000) })) }
  }
}

transportAcceptance('libp2p over TCP', libp2pHarness)
