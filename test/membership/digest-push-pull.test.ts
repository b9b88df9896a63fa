/**
 * Digest-first push-pull (issue 11). The periodic push-pull carried each member's whole table both ways,
 * so idle bytes per member grew with N (N/log N: the interval scales with log N). Now a push-pull starts
 * with a digest of the table, and two members with the same table exchange nothing else.
 */
import { describe, expect, test } from 'vitest'
import { useSeed } from '../helpers/replay.js'
import { allSee, formed } from './helpers.js'
import type { SimCluster } from '../../src/sim/index.js'

const FILE = 'test/membership/digest-push-pull.test.ts'

/** Push-pull bytes sent per member per second over `minutes` idle simulated minutes, once gossip has drained. */
function idlePushPullBytes (c: SimCluster, minutes: number): number {
  c.network.runUntil(() => c.runningIds().every(id => c.membership(id).stats().broadcastQueue === 0), 120_000, 1000)
  const sent = (): number => c.runningIds().reduce((sum, id) => {
    const s = c.membership(id).stats()
    return sum + s.bytesOut.pushPull + s.bytesOut.pushPullReply
  }, 0)
  const before = sent()
  c.network.runFor(minutes * 60_000)
  return (sent() - before) / c.runningIds().length / (minutes * 60)
}

describe('digest-first push-pull', () => {
  test('idle push-pull bytes per member per second do not grow with N (N = 10 vs N = 80)', () => {
    const seed = useSeed(1101, FILE, 'idle push-pull bytes')
    const small = idlePushPullBytes(formed(10, seed), 6)
    const large = idlePushPullBytes(formed(80, seed), 6)
    // Whole tables: ~8× the bytes per exchange at N = 80, a third of the exchanges (interval × 3): ~2.7×.
    expect(large / small, `N=10: ${small.toFixed(1)} B/s, N=80: ${large.toFixed(1)} B/s per member`).toBeLessThan(1.5)
    expect(small).toBeGreaterThan(0) // the exchanges still happen
  })

  test('a table that differs is still repaired both ways: a member that missed a death learns it, and the other side learns what it missed', () => {
    const seed = useSeed(1102, FILE, 'repair')
    const c = formed(12, seed)
    const [a, b] = [c.ids[5] as string, c.ids[6] as string]
    // a hears nothing for a while (gossip to it is lost), during which b crashes and is declared dead.
    for (const id of c.ids) if (id !== a) c.network.block(id, a)
    c.crash(b)
    expect(c.network.runUntil(() => c.runningIds().every(o => o === a || c.stateOf(o, b) === 'dead'), 120_000, 200)).toBeDefined()
    for (const id of c.ids) if (id !== a) c.network.unblock(id, a)
    // Gossip about b's death has been sent its allotted number of times by now: a learns it by push-pull.
    c.network.runFor(30_000)
    expect(c.network.runUntil(() => allSee(c, b, 'dead'), 10 * 60_000, 1000), `${a} learns of ${b}'s death`).toBeDefined()
    expect(c.runningIds().reduce((n, id) => n + c.membership(id).stats().pushPullsSame, 0)).toBeGreaterThan(0)
  })
})
