/**
 * Digest-first push-pull (issue 11). The periodic push-pull carried each member's whole table both ways,
 * so idle bytes per member grew with N (N/log N: the interval scales with log N). Now a push-pull starts
 * with a digest of the table, and two members with the same table exchange nothing else.
 */
import { describe, expect, test } from 'vitest'
import { useSeed } from '../helpers/replay.js'
import { formed } from './helpers.js'
import { Channel } from '../../src/core/transport.js'
import { decodeSwim } from '../../src/membership/codec.js'
import type { SimCluster } from '../../src/sim/index.js'

const FILE = 'test/membership/digest-push-pull.test.ts'
const MAX_FRAME = 512 * 1024

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

  test('tables that differ are still merged both ways: a member that missed a tag change learns it by push-pull, and sends its own state after the digest', () => {
    const seed = useSeed(1102, FILE, 'repair')
    const c = formed(12, seed)
    const [a, b] = [c.ids[5] as string, c.ids[6] as string]
    const noReplyStates: string[] = []
    const repliesWithState: string[] = []
    c.network.tap((from, _to, channel, frame) => {
      if (channel !== Channel.swim) return
      const msg = decodeSwim(frame, MAX_FRAME)
      if (msg.type === 'pushPull' && msg.noReply === true && msg.members.length > 0) noReplyStates.push(from)
      if (msg.type === 'pushPullReply' && msg.members.length > 0) repliesWithState.push(from)
    })
    // a hears nothing while b changes its tags, until that gossip has been sent its allotted number of times.
    for (const id of c.ids) if (id !== a) c.network.block(id, a)
    c.membership(b).setTags({ role: 'changed' })
    c.network.runFor(20_000)
    for (const id of c.ids) if (id !== a) c.network.unblock(id, a)
    expect(c.membership(a).member(b)?.tags).not.toEqual({ role: 'changed' })
    // Only a push-pull can bring b's record to a now (nobody gossips it any more).
    expect(c.network.runUntil(() => c.membership(a).member(b)?.tags.role === 'changed', 10 * 60_000, 500), `${a} learns ${b}'s tags`).toBeDefined()
    expect(c.network.runUntil(() => c.runningIds().every(o => c.runningIds().every(s => c.stateOf(o, s) === 'alive')), 10 * 60_000, 1000)).toBeDefined()
    expect(repliesWithState.length, 'a differing digest is answered with the state').toBeGreaterThan(0)
    expect(noReplyStates.length, 'requesters sent their state after a differing digest').toBeGreaterThan(0)
    c.network.runFor(5 * 60_000) // settled: the tables are the same again, and exchanges end at the digest
    expect(c.runningIds().reduce((n, id) => n + c.membership(id).stats().pushPullsSame, 0)).toBeGreaterThan(0)
  })
})
