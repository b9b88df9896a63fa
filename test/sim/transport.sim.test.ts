/**
 * The Transport contract on the simulator: virtual time, deterministic from the seed.
 */
import { SimNetwork, simAddress } from '../../src/sim/index.js'
import type { Transport } from '../../src/core/transport.js'
import { transportAcceptance } from '../helpers/transport-acceptance.js'
import type { TransportHarness } from '../helpers/transport-acceptance.js'

const SEED = 0x5eed

function simHarness (k: number): TransportHarness {
  const network = new SimNetwork({ seed: SEED })
  const ids = Array.from({ length: k }, (_, i) => `p${i}`)
  const transports: Transport[] = ids.map(id => network.addNode(id))
  const idOf = (i: number): string => {
    const id = ids[i]
    if (id === undefined) throw new Error(`no peer ${i}`)
    return id
  }
  return {
    transports,
    until: async (cond, maxMs, what) => {
      // Check every virtual millisecond: cheap, and exact enough for link delays of ~1 ms.
      if (network.runUntil(cond, maxMs, 1) === undefined) {
        throw new Error(`sim (seed ${SEED}): not within ${maxMs} virtual ms: ${what}`)
      }
    },
    pass: async (ms) => { network.runFor(ms) },
    bareAddress: (i) => simAddress(idOf(i)),
    crash: async (i) => { network.crash(idOf(i)) },
    block: async (i, blocked) => { network.partition([idOf(i)], blocked) },
    heal: async () => { network.heal() },
    close: async () => {}
  }
}

transportAcceptance('simulator', async (k) => simHarness(k))
