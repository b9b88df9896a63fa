/**
 * Defect 6 (issue 10), the smaller ones: seeds deduplicated by object identity (mDNS rediscovery grew
 * them for ever); stop() then start() left the prober stopped; setTags after leave() replaced the queued
 * `left` with `alive`; a library caller's own name and tags were length-checked only by the CLI, so a long
 * name made every receiver reject our frames.
 */
import { describe, expect, test } from 'vitest'
import { Membership } from '../../src/membership/index.js'
import { SWIM_LIMITS } from '../../src/membership/codec.js'
import { SimNetwork } from '../../src/sim/index.js'
import { useSeed } from '../helpers/replay.js'
import { allSee, formed, notSeeing } from './helpers.js'

const FILE = 'test/membership/lifecycle.test.ts'

function lone (id = 'solo'): Membership {
  const network = new SimNetwork({ seed: 1 })
  const transport = network.addNode(id)
  return new Membership({ transport, clock: network.clockFor(id), random: network.node(id).random }, { profile: 'sim' })
}

describe('seeds', () => {
  test('the same seed given again (a fresh object each time, as mDNS rediscovers it) is remembered once; distinct ones up to a bound', async () => {
    const m = lone()
    m.start()
    for (let i = 0; i < 1_000; i++) void m.join([{ id: 'seed', addrs: ['sim://seed'] }])
    expect(m.stats().seeds).toBe(1)
    for (let i = 0; i < 1_000; i++) void m.join([{ addrs: [`sim://other${i}`] }])
    expect(m.stats().seeds).toBeLessThanOrEqual(64)
    m.stop()
  })
})

describe('join', () => {
  // `murmur join` at a port nobody listens on waited the whole joinTimeoutMs (5 s) to say so: the dial had
  // failed within milliseconds, and the request with it.
  test('a seed whose dial fails ends the join at once, as unanswered; one that answers still counts', async () => {
    const network = new SimNetwork({ seed: 1 })
    const members = ['a', 'b'].map(id => new Membership({ transport: network.addNode(id), clock: network.clockFor(id), random: network.node(id).random }, { profile: 'sim' }))
    const [a] = members as [Membership, Membership]
    for (const m of members) m.start()
    const results: Array<{ at: number, contacted: number, unanswered: unknown[], dialFailures: ReadonlyMap<unknown, string> }> = []
    const join = (seeds: Array<{ id?: string, addrs: string[] }>): void => {
      void a.join(seeds).then((r) => { results.push({ at: network.now, ...r }) })
    }
    const start = network.now
    join([{ addrs: ['sim://nobody-listens-here'] }])
    join([{ id: 'gone', addrs: ['sim://gone'] }, { id: 'b', addrs: ['sim://b'] }])
    // Promises settle between the simulator's steps: run it 50 ms at a time.
    while (results.length < 2 && network.now - start < a.config.joinTimeoutMs + 1_000) {
      network.runFor(50)
      for (let i = 0; i < 5; i++) await Promise.resolve()
    }
    // Each failed dial with the transport's reason (the simulator gives none: "unreachable").
    expect(results.map(r => [...r.dialFailures.values()])).toEqual([['unreachable'], ['unreachable']])
    expect(results.map(r => ({ contacted: r.contacted, unanswered: r.unanswered }))).toEqual([
      { contacted: 0, unanswered: [{ addrs: ['sim://nobody-listens-here'] }] },
      { contacted: 1, unanswered: [{ id: 'gone', addrs: ['sim://gone'] }] }
    ])
    for (const r of results) expect(r.at - start, 'ms until the join resolved').toBeLessThan(a.config.joinTimeoutMs / 10)
    for (const m of members) m.stop()
  })
})

describe('lifecycle', () => {
  test('stop() while a join waits for a seed that never answers: the join resolves at once, and no join timer is left running', async () => {
    const m = lone()
    m.start()
    const results: Array<{ contacted: number }> = []
    void m.join([{ addrs: ['sim://nobody-listens-here'] }]).then((r) => { results.push(r) })
    void m.join([{ id: 'silent', addrs: ['sim://silent'] }]).then((r) => { results.push(r) })
    await Promise.resolve()
    expect(results).toEqual([])
    m.stop()
    // Before, each join held its joinTimeoutMs timer past stop(): a library peer's process stayed alive up
    // to 5 s after peer.stop(), and its promise resolved only then.
    for (let i = 0; i < 3; i++) await Promise.resolve()
    expect(results).toEqual([{ contacted: 0, unanswered: [{ addrs: ['sim://nobody-listens-here'] }], dialFailures: new Map(), notSent: [] }, { contacted: 0, unanswered: [{ id: 'silent', addrs: ['sim://silent'] }], dialFailures: new Map(), notSent: [] }])
  })

  test('stop() then start(): the member probes again (it detects a crash by itself)', () => {
    const seed = useSeed(0x5f_0001, FILE, 'stop() then start()')
    const c = formed(2, seed)
    const [a, b] = c.ids as [string, string]
    const m = c.membership(a)
    m.stop()
    c.network.runFor(1_000)
    m.start()
    const probes = m.stats().probes
    c.crash(b)
    const took = c.network.runUntil(() => m.member(b)?.state === 'dead', 60_000)
    expect(m.stats().probes).toBeGreaterThan(probes)
    expect(took, `b is still ${m.member(b)?.state} at a`).toBeDefined()
    c.stopAll()
  })

  test('setTags after leave() does not take the leave back: everyone lists the member left', () => {
    const seed = useSeed(0x5f_0002, FILE, 'setTags after leave()')
    const c = formed(5, seed)
    const x = c.ids[2] as string
    const m = c.membership(x)
    const incarnation = m.local().incarnation
    c.leave(x)
    m.setTags({ late: 'yes' })
    // The leave stands: no new incarnation, nothing queued in its place (an alive carrying the
    // signature of the left record would be refused by every member).
    expect(m.local().incarnation).toBe(incarnation)
    const took = c.runUntilAll(() => allSee(c, x, 'left'), 10_000)
    expect(took, notSeeing(c, x, 'left').join(', ')).toBeDefined()
    c.network.runFor(10_000)
    expect(allSee(c, x, 'left'), notSeeing(c, x, 'left').join(', ')).toBe(true)
    expect(c.runningIds().map(id => c.membership(id).stats().badSignatures)).toEqual(c.runningIds().map(() => 0))
    c.stopAll()
  })
})

describe('a leave right after start', () => {
  test('a member that leaves before its join was answered still reaches the mesh: everyone lists it left, not dead', async () => {
    const seed = useSeed(0x5f_0003, FILE, 'leave before the join answered')
    const c = formed(5, seed)
    const x = c.ids[3] as string
    c.crash(x)
    expect(c.runUntilAll(() => allSee(c, x, 'dead'), 60_000), notSeeing(c, x, 'dead').join(', ')).toBeDefined()
    c.restart(x) // joins through the seeds: their answer is a round trip away
    expect(c.membership(x).aliveCount).toBe(0)
    // A peer stopped at once (a refused HTTP port, a signal during start-up) stops when leave() resolves.
    let left = false
    void c.membership(x).leave().then(() => { left = true })
    for (let waited = 0; !left && waited < 10_000; waited += 10) {
      c.network.runFor(10)
      await new Promise(resolve => setImmediate(resolve))
    }
    expect(left).toBe(true)
    c.crash(x)
    const took = c.runUntilAll(() => allSee(c, x, 'left'), 10_000)
    expect(took, notSeeing(c, x, 'left').join(', ')).toBeDefined()
    c.stopAll()
  })
})

describe('our own name, addresses and tags are checked against the wire limits', () => {
  const tooMany = Object.fromEntries(Array.from({ length: SWIM_LIMITS.tags + 1 }, (_, i) => [`k${i}`, 'v']))
  test.each([
    ['a name longer than 128 characters', { name: 'n'.repeat(SWIM_LIMITS.nameChars + 1) }],
    ['an empty name', { name: '' }],
    ['33 tags', { tags: tooMany }],
    ['a tag key longer than 64 characters', { tags: { ['k'.repeat(SWIM_LIMITS.tagKeyChars + 1)]: 'v' } }],
    ['a tag value longer than 512 characters', { tags: { k: 'v'.repeat(SWIM_LIMITS.tagValueChars + 1) } }],
    ['17 addresses', { addrs: Array.from({ length: SWIM_LIMITS.addrs + 1 }, (_, i) => `sim://a${i}`) }],
    ['a lone surrogate in a tag', { tags: { k: '\ud800' } }]
  ])('%s: ConfigError at construction', (_what, options) => {
    const network = new SimNetwork({ seed: 1 })
    const transport = network.addNode('x')
    expect(() => new Membership({ transport, clock: network.clockFor('x'), random: network.node('x').random }, options))
      .toThrow(expect.objectContaining({ name: 'ConfigError' }))
  })

  test('setTags and setAddresses refuse what receivers would refuse', () => {
    const m = lone()
    m.start()
    expect(() => { m.setTags(tooMany) }).toThrow(expect.objectContaining({ name: 'ConfigError' }))
    expect(() => { m.setAddresses(['x'.repeat(SWIM_LIMITS.addrChars + 1)]) }).toThrow(expect.objectContaining({ name: 'ConfigError' }))
    expect(m.local().tags).toEqual({})
    m.stop()
  })
})
