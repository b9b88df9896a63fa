/**
 * A member declared dead that restarts before anyone reaches it again (behind a partition, or its host down:
 * no connection close reaches the others) is a new process with the same peer id. The others still hold the
 * datagram key its previous life issued them (forget keeps keys, at both ends, for a cheap heal), and the new
 * process drops what is sealed with it without a word. They must still find it: the reconnect round's
 * push-pull to a dead member is what heals a split, and a datagram of it lost for good must not be all
 * there is.
 */
import { describe, expect, test } from 'vitest'
import { MemberState } from '../../src/membership/member.js'
import { useSeed } from '../helpers/replay.js'
import { formed, notSeeing } from './helpers.js'

const FILE = 'test/membership/restart-behind-partition.sim.test.ts'

describe('a member restarted behind a partition', () => {
  test('the seed of the mesh (no seeds of its own), declared dead, restarted and then reachable again: the mesh finds it', () => {
    const seed = useSeed(0x4b_0001, FILE, 'the seed of the mesh')
    const N = 6
    // One seed: n00 started the mesh, and joins through nobody but itself.
    const c = formed(N, seed, { seeds: 1, network: { datagrams: true } })
    c.network.runFor(10_000)
    const [victim, ...rest] = c.ids as [string, ...string[]]
    c.network.partition([victim], rest)
    expect(c.runUntilAll((o) => o === victim || c.stateOf(o, victim) === MemberState.dead, 120_000), 'the others declare it dead').toBeDefined()
    // They hold the key its previous life issued them: forget kept it.
    expect(rest.filter(id => c.network.datagramPath(c.network.node(id), victim)).length, 'members holding its old key').toBe(rest.length)
    c.crash(victim)
    c.restart(victim)
    c.network.runFor(5_000)
    c.network.heal()
    const took = c.runUntilAll((o, ms) => ms.filter(m => m.state === MemberState.alive).length === N, 120_000)
    expect(took, `not healed; others about ${victim}: ${notSeeing(c, victim, 'alive').join(', ')}`).toBeDefined()
    console.log(`the restarted ${victim} and the ${rest.length} others see each other alive ${Math.round(took as number)} ms after the heal`)
    c.stopAll()
  }, 60_000)
})
