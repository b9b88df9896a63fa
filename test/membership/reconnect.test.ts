/**
 * Reconnect attempts scaled by dead/alive (issue 11). Every member used to push-pull one random dead member
 * every reconnect interval, for the whole 24 h window: a member crashed for good drew (N − 1) requests per
 * interval — 49.5 a second at N = 100. As in Serf, a member now tries with probability dead/alive, so the
 * mesh as a whole makes about `dead` attempts per interval whatever N is, while a small side of a partition
 * (few alive, many dead) still tries every interval and heals as fast as before.
 */
import { describe, expect, test } from 'vitest'
import { useSeed } from '../helpers/replay.js'
import { allSee, formed } from './helpers.js'
import type { SimCluster } from '../../src/sim/index.js'

const FILE = 'test/membership/reconnect.test.ts'

function reconnectAttempts (c: SimCluster): number {
  return c.runningIds().reduce((sum, id) => sum + c.membership(id).stats().reconnectAttempts, 0)
}

describe('reconnect attempts', () => {
  test('a member crashed for good draws about one attempt per interval from the whole mesh (N = 100), not one per member', () => {
    const seed = useSeed(1201, FILE, 'crashed for good')
    const c = formed(100, seed)
    const victim = c.ids[37] as string
    c.crash(victim)
    expect(c.network.runUntil(() => allSee(c, victim, 'dead'), 120_000, 500), `${victim} dead everywhere`).toBeDefined()
    const intervalMs = c.membership(c.ids[0] as string).config.reconnectIntervalMs
    const before = reconnectAttempts(c)
    const minutes = 2
    c.network.runFor(minutes * 60_000)
    const perInterval = (reconnectAttempts(c) - before) / (minutes * 60_000 / intervalMs)
    // Before: 99 per interval (every member, every interval). Expected now: 99 · (1/98) ≈ 1.
    expect(perInterval, `attempts per ${intervalMs} ms interval, mesh-wide`).toBeLessThan(3)
    expect(perInterval, 'the dead member is still tried (it may come back)').toBeGreaterThan(0.2)
  })

  test('a 3 | 27 partition still heals within a few reconnect intervals: the small side tries every interval', () => {
    const seed = useSeed(1202, FILE, 'partition heal')
    const c = formed(30, seed)
    const small = c.ids.slice(0, 3)
    const large = c.ids.slice(3)
    c.network.partition(small, large)
    expect(c.network.runUntil(() => small.every(s => large.every(l => c.stateOf(s, l) === 'dead' && c.stateOf(l, s) === 'dead')), 180_000, 1000), 'each side lists the other dead').toBeDefined()
    c.network.heal()
    const intervalMs = c.membership(c.ids[0] as string).config.reconnectIntervalMs
    const healed = c.network.runUntil(() => c.ids.every(o => c.ids.every(s => c.stateOf(o, s) === 'alive')), 60_000, 250)
    expect(healed, 'everyone alive everywhere after the heal').toBeDefined()
    expect(healed as number, 'heal time (ms)').toBeLessThan(3 * intervalMs + 5_000)
  })
})
