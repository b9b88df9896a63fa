/**
 * Hostile but well-formed swim frames (issue: hostile input): frames that pass decoding and validation
 * and still attack the protocol. Any peer that can connect can send them — in an open mesh anyone, in a
 * private mesh any key holder. Runs in the simulator, frames injected as if from the network.
 *
 * The `test.fails` cases are bugs found here (they pass while the bug is present); the report has the fix.
 */
import { describe, expect, test } from 'vitest'
import { Channel } from '../src/core/transport.js'
import { SWIM_LIMITS, encodeSwim } from '../src/membership/codec.js'
import type { MemberUpdate } from '../src/membership/member.js'
import { SimCluster } from '../src/sim/index.js'
import { useSeed } from './helpers/replay.js'

const FILE = 'test/hostile-membership.test.ts'
const SIZE = 5

function formed (seed: number): SimCluster {
  const c = new SimCluster({ size: SIZE, seed })
  expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === SIZE, 30_000)).toBeDefined()
  return c
}

/** A gossip frame carrying `updates`, delivered to `to` as if `from` had sent it. */
function forge (c: SimCluster, to: string, from: string, updates: MemberUpdate[]): void {
  c.network.node(to).transport.receive(Channel.swim, from, encodeSwim({ type: 'gossip', gossip: updates }))
}

describe('forged suspicions', () => {
  test('a forged suspicion with a large (but not maximal) incarnation is refuted; nobody dies', () => {
    const seed = useSeed(0x1ca_0001, FILE, 'a forged suspicion with a large (but not maximal) incarnation is refuted; nobody dies')
    const c = formed(seed)
    const [a, victim, accuser] = c.ids as [string, string, string]
    forge(c, a, accuser, [{ state: 'suspect', id: victim, incarnation: 1_000_000, from: accuser }])
    c.network.runFor(60_000)
    expect(c.allSeeAlive(c.ids)).toBe(true)
    expect(c.membership(a).member(victim)?.incarnation).toBeGreaterThan(1_000_000)
    c.stopAll()
  })

  // P-incarnation (high): one forged frame takes a healthy member out of the mesh for good. The victim
  // refutes with max(own, claimed) + 1 = 2^32, which the uint32 wire field truncates to 0 (protons writes
  // `value >>> 0`), so no refutation ever supersedes the suspicion. The last-chance ping keeps it from
  // being declared dead, so it stays `suspect` everywhere, forever — and replication only talks to
  // `alive` peers, so nothing is pushed to or synced with it any more. Fix (member-table.ts refute + codec.ts): never
  // raise the incarnation past SWIM_LIMITS.maxIncarnation, and refuse (DecodeError, counted) accusations
  // whose incarnation is within a margin of it; or widen `incarnation` to uint64 on the wire (varint
  // encoding is unchanged for existing values) with maxIncarnation = 2^53 − 1 and the same refusal.
  test.fails('a forged suspicion at the maximal incarnation is refuted; nobody dies', () => {
    const seed = useSeed(0x1ca_0002, FILE, 'a forged suspicion at the maximal incarnation is refuted; nobody dies')
    const c = formed(seed)
    const [a, victim, accuser] = c.ids as [string, string, string]
    forge(c, a, accuser, [{ state: 'suspect', id: victim, incarnation: SWIM_LIMITS.maxIncarnation, from: accuser }])
    c.network.runFor(60_000)
    const seen = c.ids.filter(id => id !== victim).map(id => `${id}: ${c.stateOf(id, victim)}`)
    console.log(`60 s after a forged suspect(${victim}, 2^32 − 1), a healthy ${victim} is seen as ${seen.join(', ')}; its own incarnation ${c.membership(victim).local().incarnation}`)
    expect(c.eventsAbout(victim, 'dead')).toHaveLength(0)
    expect(c.allSeeAlive(c.ids)).toBe(true)
    c.stopAll()
  })
})

describe('member table size', () => {
  // P-members (high): nothing bounds the member table. Each gossip frame may announce 512 new members
  // (SWIM_LIMITS.gossipEntries) and the transport admits 200 swim frames/s per peer, so one peer can add
  // ~100,000 fictitious members per second to every member of the mesh: they are re-gossiped, probed,
  // dialled, kept 24 h as dead (reconnectWindowMs), and paged into every push-pull. Fix: a
  // `maxMembers` config (e.g. 16,384, documented in LIMITS.md); past it, `applyAlive` refuses unknown
  // members (counted as membersRefused, warned rate-limited), and dead members are reaped oldest first.
  test.fails('one peer cannot grow every member table past 16,384 entries', () => {
    const seed = useSeed(0x1ca_0003, FILE, 'one peer cannot grow every member table past 16,384 entries')
    const c = formed(seed)
    const [a, sender] = c.ids as [string, string]
    const frames = 40
    for (let f = 0; f < frames; f++) {
      forge(c, a, sender, Array.from({ length: SWIM_LIMITS.gossipEntries }, (_, i) => ({
        state: 'alive' as const, id: `fake-${f}-${i}`, incarnation: 0, from: '', meta: { name: 'x', addrs: [], tags: {} }
      })))
    }
    c.network.runFor(1_000)
    const sizes = c.ids.map(id => c.membership(id).members().length)
    console.log(`after ${frames} forged gossip frames (${frames * SWIM_LIMITS.gossipEntries} fake members) and 1 s: member tables ${sizes.join(', ')}`)
    for (const n of sizes) expect(n).toBeLessThanOrEqual(16_384)
    c.stopAll()
  })
})

describe('partition heal', () => {
  // P-dead-hearsay (high; found by the 20-peer soak, reproduced here): while a minority is cut off it
  // declares majority members dead. On the heal those `dead` updates, still fresh in the minority's
  // broadcast queues, reach the majority by gossip, and MemberTable.applyDead applies them as they are:
  // majority members declare each other dead although they never lost contact (then the victims refute).
  // Push-pull already turns a remote `dead` into a suspicion (applyRemoteState) for exactly this reason;
  // gossip does not. Fix (member-table.ts applyGossip): a `dead` about a member we see `alive` starts a
  // suspicion with the accuser as its first confirmation instead of declaring it dead; only our own
  // suspicion expiring (after verification) declares it.
  test.fails('healing a minority partition makes no majority member declare another majority member dead', () => {
    const seed = useSeed(1, FILE, 'healing a minority partition makes no majority member declare another majority member dead')
    const c = new SimCluster({ size: 20, seed })
    expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === 20, 60_000)).toBeDefined()
    const minority = c.ids.slice(0, 4)
    const majority = new Set(c.ids.slice(4))
    const start = c.network.now
    c.network.partition(minority, [...majority])
    c.network.runFor(20_000)
    const healedAt = c.network.now
    c.network.heal()
    c.network.runFor(30_000)
    const hearsay = c.events.filter(e => e.type === 'dead' && e.time >= start && majority.has(e.observer) && majority.has(e.subject))
    console.log(`minority of 4 cut for 20 s: ${hearsay.length} dead events among the majority, ` +
      `${hearsay.slice(0, 3).map(e => `${e.observer} saw ${e.subject} dead ${(e.time - healedAt).toFixed(0)} ms after the heal`).join('; ')}`)
    expect(hearsay).toHaveLength(0)
    expect(c.allSeeAlive(c.ids)).toBe(true)
    c.stopAll()
  })
})
