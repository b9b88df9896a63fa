/**
 * Push-pull with a large state, over the simulator's model of the transport (its 2 MiB drop-oldest swim
 * queue per peer, the receiver's 1 MiB/s byte rate).
 *
 * Defect 3 (issue 10): every page of a push-pull was queued at once. Above ~2 MiB of state (N ≈ 6,000 at
 * ~340 B per entry) the queue dropped the oldest pages — page 0 first, the one that asks for the reply
 * (or, in a reply, the one a join waits for). The old simulator had no queue, so the paging test passed on
 * exactly the case that failed for real.
 */
import { describe, expect, test } from 'vitest'
import { Channel } from '../../src/core/transport.js'
import { encodeSwim, encodedUpdateSize } from '../../src/membership/codec.js'
import { Membership } from '../../src/membership/index.js'
import type { SimCluster } from '../../src/sim/index.js'
import { useSeed } from '../helpers/replay.js'
import { signedAlive } from '../helpers/signed.js'
import { formed } from './helpers.js'

const FILE = 'test/membership/push-pull.test.ts'
/** ~470 B per entry with these tags: 6,000 members ≈ 2.8 MB, six 512 KiB pages. */
const TAGS = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`k${i}`, 'v'.repeat(100)]))
const MEMBERS = 6_000

/** Gives `holder` MEMBERS more members (signed records of minted identities), as if gossiped to it. */
function fill (c: SimCluster, holder: string, from: string): number {
  let bytes = 0
  for (let f = 0; f < MEMBERS / 500; f++) {
    const gossip = Array.from({ length: 500 }, (_, i) => signedAlive(c.network, `m${f}-${i}`, 0, { name: `m${f}-${i}`, addrs: [], tags: TAGS }))
    for (const u of gossip) bytes += encodedUpdateSize(u)
    c.network.node(holder).transport.receive(Channel.swim, from, encodeSwim({ type: 'gossip', gossip }))
  }
  return bytes
}

function newcomer (c: SimCluster, id: string): Membership {
  c.network.addNode(id)
  const m = new Membership({ transport: c.network.node(id).transport, clock: c.network.clockFor(id), random: c.network.node(id).random }, { profile: 'sim' })
  m.start()
  return m
}

describe('push-pull of a state larger than the transport queue', () => {
  test('a member joining through a member with 2.8 MB of state gets the reply (page 0 included) and every member, with nothing dropped', async () => {
    const seed = useSeed(0x5d_0001, FILE, 'a member joining through a member with 2.8 MB of state')
    const c = formed(2, seed)
    const [a, b] = c.ids as [string, string]
    const bytes = fill(c, b, a)
    expect(bytes).toBeGreaterThan(2.5e6)
    const dropsBefore = c.network.drops.swim.queueOverflow
    const late = newcomer(c, 'late')
    const joining = late.join([{ id: b, addrs: [] }])
    const took = c.network.runUntil(() => late.members().length >= MEMBERS + 2, 30_000, 100)
    const joined = await joining
    console.log(`join through ${(bytes / 1e6).toFixed(1)} MB of state: contacted ${joined.contacted}, ${late.members().length} members learned in ${took} ms, ${c.network.drops.swim.queueOverflow - dropsBefore} frames dropped`)
    expect(joined.contacted).toBe(1)
    expect(took).toBeDefined()
    expect(c.network.drops.swim.queueOverflow - dropsBefore).toBe(0)
    expect(c.network.drops.swim.rateLimited).toBe(0)
    late.stop()
    c.stopAll()
  })

  test('a member with 2.8 MB of state joining through a new member: its request (page 0 asks for the reply) arrives and is answered', async () => {
    const seed = useSeed(0x5d_0002, FILE, 'a member with 2.8 MB of state joining through a new member')
    const c = formed(2, seed)
    const [a, b] = c.ids as [string, string]
    fill(c, b, a)
    const dropsBefore = c.network.drops.swim.queueOverflow
    const fresh = newcomer(c, 'fresh')
    const joining = c.membership(b).join([{ id: 'fresh', addrs: [] }])
    const took = c.network.runUntil(() => fresh.members().length >= MEMBERS + 2, 30_000, 100)
    const joined = await joining
    expect(joined.contacted).toBe(1)
    expect(took).toBeDefined()
    expect(c.network.drops.swim.queueOverflow - dropsBefore).toBe(0)
    fresh.stop()
    c.stopAll()
  })
})
