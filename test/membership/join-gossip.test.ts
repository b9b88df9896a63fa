/**
 * What a joiner passes on (issue 11). A member that joins — or restarts with an empty table — learns every
 * other member from its seed's state. Each of those records is news to the joiner only: whoever sent the
 * state, and most likely everyone else, had it already. The joiner used to pass each one on as fresh news,
 * `retransmitLimit` times (24 at N = 200, 28 at N = 1,000): O(N · limit) stale updates per join, most of
 * the gossip a forming or restarting mesh sent. Now a member first heard of through another's full state
 * is passed on MERGED_NEWS_TRANSMITS times, and the member's own news (its alive) as before.
 *
 * Seed 1301, before the change: the restarted member sent 491,327 B in the minute after its restart, a
 * bystander 3,334 B; the difference is 4,980 alive updates' worth (25 N). After: 85,251 B, 834 updates'
 * worth (4.2 N). The second test keeps what those sends were for (it passes before too): two meshes that
 * never met, merged through one bootstrap, still learn each other by epidemic (600 ms before, 700 after).
 */
import { describe, expect, test } from 'vitest'
import { useSeed } from '../helpers/replay.js'
import { SimCluster, simAddress } from '../../src/sim/index.js'
import { MERGED_NEWS_TRANSMITS } from '../../src/membership/member-table.js'
import { retransmitLimit } from '../../src/membership/math.js'
import { SIM_PRESET } from '../../src/membership/config.js'
import { encodedUpdateSize } from '../../src/membership/codec.js'
import { MemberState } from '../../src/membership/member.js'

const FILE = 'test/membership/join-gossip.test.ts'
const N = 200

/** Bytes of every kind of frame the member sent so far. */
function bytesSent (c: SimCluster, id: string): number {
  return Object.values(c.membership(id).stats().bytesOut).reduce((a, b) => a + b, 0)
}

describe('a joiner passes on its seed\'s state only a few times', () => {
  test(`N = ${N}: a member restarted with an empty table sends O(N) gossip, not O(N · retransmit limit)`, () => {
    const seed = useSeed(1301, FILE, 'restarted member')
    const c = new SimCluster({ size: N, seed, startWindowMs: 3_000 })
    const { network } = c
    expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === N, 120_000, 500), 'formed').toBeDefined()
    network.runUntil(() => c.runningIds().every(id => c.membership(id).stats().broadcastQueue === 0), 120_000, 1_000)
    const joiner = c.ids[50] as string
    const bystander = c.ids[60] as string
    c.crash(joiner)
    expect(c.runUntilAll((_, ms) => ms.find(m => m.id === joiner)?.state === 'dead', 120_000, 500), 'the crash detected').toBeDefined()
    network.runUntil(() => c.runningIds().every(id => c.membership(id).stats().broadcastQueue === 0), 120_000, 1_000)
    c.restart(joiner)
    const bystander0 = bytesSent(c, bystander)
    network.runFor(60_000)
    const sent = bytesSent(c, joiner)
    const bystanderSent = bytesSent(c, bystander) - bystander0
    const info = c.membership(bystander).member(joiner)
    expect(info).toBeDefined()
    const { name, addrs, tags, incarnation } = info as NonNullable<typeof info>
    // An alive record as gossiped, with a signature's worth of bytes (the simulator signs records).
    const entry = encodedUpdateSize({ state: MemberState.alive, id: joiner, incarnation, from: '', meta: { name, addrs, tags }, signature: new Uint8Array(64) })
    const limit = retransmitLimit(SIM_PRESET.retransmitMult, N)
    const stale = (sent - bystanderSent) / entry
    console.log(`seed ${seed}: the restarted member sent ${sent} B in its first minute, a bystander ${bystanderSent} B; ` +
      `the difference is ${Math.round(stale)} entries of ${entry} B (N = ${N}, retransmit limit ${limit})`)
    expect(c.runningIds().every(id => c.membership(id).members().filter(m => m.state === 'alive').length === N)).toBe(true)
    // The joiner's own push-pulls (a full state each way) are part of the difference: allow two more N.
    expect(stale).toBeLessThan((MERGED_NEWS_TRANSMITS + 2) * N)
  })

  test('two meshes that never met, bootstrapped through one member, learn each other everywhere', () => {
    const seed = useSeed(1302, FILE, 'two meshes merged')
    const half = 40
    const dest = (id: string) => ({ id, addrs: [simAddress(id)] })
    const sideOf = (id: string): number => Number(id.slice(1)) < half ? 0 : 1
    const c = new SimCluster({ size: 2 * half, seed, startWindowMs: 2_000, memberOptions: id => ({ seeds: [dest(sideOf(id) === 0 ? 'n00' : `n${half}`)] }) })
    const left = c.ids.slice(0, half)
    const right = c.ids.slice(half)
    expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === half, 60_000, 500), 'two meshes formed apart').toBeDefined()
    void c.membership(right[7] as string).join([dest(left[3] as string)])
    const ms = c.runUntilAll((_, members) => members.filter(m => m.state === 'alive').length === 2 * half, 60_000, 100)
    console.log(`seed ${seed}: all ${2 * half} alive everywhere ${ms === undefined ? 'not within 60 s' : `${ms} ms after the bootstrap`}`)
    expect(ms).toBeDefined()
    expect(ms as number).toBeLessThanOrEqual(10_000)
  })
})
