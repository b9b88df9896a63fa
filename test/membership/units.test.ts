/** Units of the membership state machine: precedence, the dissemination queue, suspicion timers, config. */
import { describe, expect, test } from 'vitest'
import { BroadcastQueue } from '../../src/membership/broadcast-queue.js'
import { encodedUpdateSize } from '../../src/membership/codec.js'
import { LAN_PRESET, LOCAL_PRESET, resolveMembershipConfig, withoutLifeguard } from '../../src/membership/config.js'
import { needsRefutation, supersedes } from '../../src/membership/member.js'
import type { MemberState, MemberUpdate } from '../../src/membership/member.js'
import { Suspicion } from '../../src/membership/suspicion.js'
import { SimNetwork } from '../../src/sim/network.js'
import { signedAlive } from '../helpers/signed.js'

describe('SWIM precedence (§4.2)', () => {
  const v = (state: MemberState, incarnation: number) => ({ state, incarnation })
  test.each([
    // current, update, expected
    [undefined, v('alive', 0), true],
    [undefined, v('suspect', 5), false],
    [undefined, v('dead', 5), false],
    [v('alive', 1), v('alive', 1), false],
    [v('alive', 1), v('alive', 2), true],
    [v('suspect', 1), v('alive', 1), false],
    [v('suspect', 1), v('alive', 2), true],
    [v('alive', 1), v('suspect', 1), true],
    [v('alive', 2), v('suspect', 1), false],
    [v('suspect', 1), v('suspect', 1), false],
    [v('suspect', 1), v('suspect', 2), true],
    [v('alive', 1), v('dead', 1), true],
    [v('suspect', 3), v('dead', 3), true],
    [v('alive', 2), v('dead', 1), false],
    [v('dead', 1), v('dead', 2), false],
    [v('dead', 1), v('suspect', 2), false],
    [v('dead', 1), v('alive', 1), false],
    [v('dead', 1), v('alive', 2), true],
    [v('dead', 1), v('left', 1), true],
    [v('left', 1), v('dead', 1), false],
    [v('left', 1), v('alive', 2), true],
    [v('alive', 3), v('left', 2), false]
  ])('%o then %o → %s', (current, update, expected) => {
    expect(supersedes(current, update)).toBe(expected)
  })

  test('only claims at or above our incarnation need refuting, and never while leaving', () => {
    expect(needsRefutation(v('alive', 3), v('suspect', 3))).toBe(true)
    expect(needsRefutation(v('alive', 3), v('suspect', 2))).toBe(false)
    expect(needsRefutation(v('alive', 3), v('dead', 4))).toBe(true)
    expect(needsRefutation(v('alive', 3), v('alive', 3))).toBe(false)
    expect(needsRefutation(v('alive', 3), v('alive', 4))).toBe(true)
    expect(needsRefutation(v('left', 3), v('dead', 3))).toBe(false)
  })
})

describe('BroadcastQueue', () => {
  const u = (id: string, state: MemberState = 'alive', incarnation = 0): MemberUpdate =>
    ({ state, id, incarnation, from: '', meta: { name: id, addrs: [], tags: {} } })

  test('fewest-sent first, newest first among equals, dropped after the transmit limit', () => {
    const q = new BroadcastQueue(100, encodedUpdateSize)
    q.enqueue(u('a'))
    q.enqueue(u('b'))
    expect(q.take(10_000, 3).map(x => x.id)).toEqual(['b', 'a'])
    q.enqueue(u('c'))
    expect(q.take(10_000, 3).map(x => x.id)).toEqual(['c', 'b', 'a'])
    expect(q.take(10_000, 3).map(x => x.id)).toEqual(['c', 'b', 'a'])
    expect(q.length).toBe(1)
    expect(q.take(10_000, 3).map(x => x.id)).toEqual(['c'])
    expect(q.length).toBe(0)
  })

  test('an update queued with fewer transmits than the limit leaves after those; a newer one about it gets the limit', () => {
    const q = new BroadcastQueue(100, encodedUpdateSize)
    q.enqueue(u('merged'), 2)
    q.enqueue(u('news'))
    expect(q.take(10_000, 4).map(x => x.id)).toEqual(['news', 'merged'])
    expect(q.take(10_000, 4).map(x => x.id)).toEqual(['news', 'merged'])
    expect(q.has('merged')).toBe(false)
    expect(q.take(10_000, 4).map(x => x.id)).toEqual(['news'])
    q.enqueue(u('merged', 'suspect'))
    for (let i = 0; i < 3; i++) q.take(10_000, 4)
    expect(q.transmitsOf('merged')).toBe(3)
    // A cap above the limit changes nothing: the limit given to take() still ends it.
    q.enqueue(u('big'), 100)
    for (let i = 0; i < 4; i++) q.take(10_000, 4)
    expect(q.has('big')).toBe(false)
  })

  test('a newer update about a member replaces the queued one, with a fresh transmit count', () => {
    const q = new BroadcastQueue(100, encodedUpdateSize)
    q.enqueue(u('a', 'alive', 0))
    q.take(10_000, 5)
    q.enqueue(u('a', 'suspect', 0))
    const sent = q.take(10_000, 5)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.state).toBe('suspect')
    expect(q.transmitsOf('a')).toBe(1)
  })

  test('respects the byte budget and skips members the caller placed itself', () => {
    const q = new BroadcastQueue(100, encodedUpdateSize)
    for (const id of ['a', 'b', 'c', 'd']) q.enqueue(u(id))
    const one = encodedUpdateSize(u('a'))
    expect(q.take(one * 2, 10)).toHaveLength(2)
    expect(q.take(10_000, 10, new Set(['a'])).map(x => x.id)).not.toContain('a')
  })

  test('is bounded: overflow drops the updates sent most often', () => {
    const q = new BroadcastQueue(3, encodedUpdateSize)
    q.enqueue(u('old'))
    q.take(10_000, 10)
    q.take(10_000, 10)
    q.enqueue(u('x'))
    q.enqueue(u('y'))
    q.enqueue(u('z'))
    expect(q.length).toBe(3)
    expect(q.has('old')).toBe(false)
    expect(q.stats().dropped).toBe(1)
  })

  test('stays small under heavy churn (lazy deletion is compacted)', () => {
    const q = new BroadcastQueue(10_000, encodedUpdateSize)
    for (let i = 0; i < 20_000; i++) {
      q.enqueue(u(`m${i % 50}`, 'alive', i))
      if (i % 7 === 0) q.take(2_000, 4)
    }
    expect(q.length).toBeLessThanOrEqual(50)
    const drained = new Set<string>()
    for (let i = 0; i < 10; i++) for (const x of q.take(100_000, 4)) drained.add(x.id)
    expect(q.length).toBe(0)
  })
})

describe('Suspicion (Lifeguard dynamic timeout)', () => {
  const setup = () => {
    const net = new SimNetwork({ seed: 1 })
    net.addNode('x')
    return { net, clock: net.clockFor('x') }
  }

  test('expires at max without confirmations', () => {
    const { net, clock } = setup()
    let expiredAt: number | undefined
    const s = new Suspicion(clock, 'a', 3, 2_000, 30_000, () => { expiredAt = net.now })
    net.runFor(29_999)
    expect(expiredAt).toBeUndefined()
    net.runFor(1)
    expect(expiredAt).toBe(30_000)
    s.cancel()
  })

  test('each new confirmation shortens the timeout; duplicates and the accuser do not', () => {
    const { net, clock } = setup()
    let expiredAt: number | undefined
    const s = new Suspicion(clock, 'a', 3, 2_000, 30_000, () => { expiredAt = net.now })
    net.runFor(1_000)
    expect(s.confirm('a')).toBe(false)
    expect(s.confirm('b')).toBe(true)
    expect(s.confirm('b')).toBe(false)
    net.runFor(1_000)
    expect(s.confirm('c')).toBe(true)
    // After 2 confirmations of k = 3 at t = 2 s: total 7,810 ms.
    net.runFor(5_809)
    expect(expiredAt).toBeUndefined()
    net.runFor(1)
    expect(expiredAt).toBe(7_810)
    expect(s.confirmationCount).toBe(2)
  })

  test('k = 0 means a fixed minimum timeout', () => {
    const { net, clock } = setup()
    let fired = 0
    const s = new Suspicion(clock, 'a', 0, 2_000, 30_000, () => { fired++ })
    expect(s.confirm('b')).toBe(false)
    net.runFor(2_000)
    expect(fired).toBe(1)
  })
})

describe('membership config', () => {
  test('presets resolve, and the local preset is faster than LAN', () => {
    expect(resolveMembershipConfig()).toEqual(LAN_PRESET)
    expect(resolveMembershipConfig({}, 'local').probeTimeoutMs).toBeLessThan(LAN_PRESET.probeTimeoutMs)
    expect(LOCAL_PRESET.gossipIntervalMs).toBeLessThan(LAN_PRESET.gossipIntervalMs)
  })

  test.each([
    [{ probeIntervalMs: 0 }, /probeIntervalMs must be a positive/],
    [{ probeTimeoutMs: 1_000 }, /must be below probeIntervalMs/],
    [{ indirectChecks: -1 }, /indirectChecks must be ≥ 0/],
    [{ indirectChecks: 1.5 }, /integers/],
    [{ suspicionVerifiers: -1 }, /suspicionVerifiers must be ≥ 0/],
    [{ suspicionVerifiers: 2.5 }, /integers/],
    [{ gossipNodes: Number.NaN }, /gossipNodes must be a positive/],
    [{ maxPiggybackBytes: 100 }, /at least 512/],
    [{ nope: 1 } as never, /unknown membership option "nope"/],
    [{ buddySystem: 'yes' } as never, /buddySystem must be a boolean/]
  ])('%o is refused', (init, message) => {
    expect(() => resolveMembershipConfig(init)).toThrow(message)
    expect(() => resolveMembershipConfig(init)).toThrow(expect.objectContaining({ name: 'ConfigError' }))
  })

  test('withoutLifeguard switches off local health, dynamic suspicion and the buddy system', () => {
    const c = resolveMembershipConfig(withoutLifeguard())
    expect(c.awarenessMaxMultiplier).toBe(1)
    expect(c.suspicionMaxTimeoutMult).toBe(1)
    expect(c.buddySystem).toBe(false)
  })
})

describe('push-pull paging', () => {
  test('a member table larger than one frame is exchanged in pages, and every page of the reply is merged', async () => {
    const { SimCluster } = await import('../../src/sim/index.js')
    const c = new SimCluster({ size: 2, seed: 9 })
    c.network.runFor(2_000)
    const [a, b] = c.ids as [string, string]
    // Give `b` 3,000 members (tags make each ~700 bytes: > 4 pages of the 512 KiB frame) by feeding it
    // their alive updates directly, as if they had been gossiped.
    const { Channel } = await import('../../src/core/transport.js')
    const { encodeSwim } = await import('../../src/membership/codec.js')
    const tags = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'v'.repeat(70)]))
    for (let f = 0; f < 10; f++) {
      const gossip = Array.from({ length: 300 }, (_, i) => signedAlive(c.network, `m${f}-${i}`, 0, { name: `m${f}-${i}`, addrs: [], tags }))
      c.network.node(b).transport.receive(Channel.swim, a, encodeSwim({ type: 'gossip', gossip }))
    }
    expect(c.membership(b).members().length).toBe(3_002)
    // A new member joining through `b` learns all of them from the paged push-pull reply.
    c.network.addNode('late')
    const { Membership } = await import('../../src/membership/index.js')
    const late = new Membership({ transport: c.network.node('late').transport, clock: c.network.clockFor('late'), random: c.network.node('late').random }, { profile: 'sim' })
    late.start()
    void late.join([{ id: b, addrs: [] }])
    // Pages past the first MiB follow at the push-pull pace (512 KiB/s: push-pull.ts).
    c.network.runFor(5_000)
    expect(late.members().length).toBeGreaterThanOrEqual(3_002)
    expect(c.membership(b).stats().messagesOut.pushPullReply).toBeGreaterThan(1)
    late.stop()
    c.stopAll()
  })
})
