/**
 * The newest member sees a crash as fast as the rest (issue 11, "SIGKILL → dead on all ≤ 0.75× Serf"). In the
 * detection benchmark at N = 50 the last member to declare a crashed one dead was, every time, the one that
 * had joined a second before the crash: it had no connection to the crashed member, so no refused dial of its
 * own (member-table.ts noteRefused), and waited out its whole suspicion minimum (6.8 s at N = 50), then, when
 * none of the suspect's few verifiers' verdicts happened to reach it among everyone else's, a second one.
 * Every other member took 2–3 s. Now `suspicionVerifiers` distinct members' own `dead` count as a verifier's
 * (member-table.ts noteVerdict): the suspicion ends within two probe intervals and takes their verdict.
 *
 * Before that change, this test's seeds, dead everywhere after (ms): streams 7,500, 7,300, 7,900, 7,300, 13,900,
 * 2,700; datagrams 7,300, 15,000, 3,000, 2,800, 2,400, 4,300: up to 12 s after everyone else. After: at most
 * 5,500, and 2.1 s after the others at worst.
 */
import { describe, expect, test } from 'vitest'
import { Channel } from '../../src/core/transport.js'
import { decodeSwim } from '../../src/membership/codec.js'
import { MemberState } from '../../src/membership/member.js'
import { useSeed } from '../helpers/replay.js'
import { forge, formed } from './helpers.js'

const FILE = 'test/membership/newest-member.test.ts'
const N = 50

interface Run {
  /** From the crash until every running member lists the victim dead, ms. */
  allMs: number
  /** The same for every member but the newest (the latest of them), ms. */
  othersMs: number
}

function crashAfterJoin (seed: number, datagrams: boolean): Run {
  const c = formed(N, seed, { network: { datagrams } })
  // A settled mesh: every member has probed, and so connected to, every other.
  c.network.runFor(60_000)
  // The newest member: a restart is a new life (new keys, no connections), joining through the seeds.
  const newest = c.ids[40] as string
  c.crash(newest)
  c.restart(newest)
  c.network.runFor(1_000)
  const victim = c.ids[17] as string
  c.crash(victim)
  const seenAt = new Map<string, number>()
  const start = c.network.now
  const allMs = c.runUntilAll((observer) => {
    if (observer === victim) return true
    const dead = c.stateOf(observer, victim) === MemberState.dead
    if (dead && !seenAt.has(observer)) seenAt.set(observer, c.network.now - start)
    return dead
  }, 60_000)
  const falseDeaths = c.events.filter(e => e.type === 'dead' && e.subject !== victim && !c.network.isCrashed(e.subject) && e.time >= start)
  c.stopAll()
  expect(allMs, `seed ${seed}: the crashed member is dead everywhere within 60 s`).toBeDefined()
  expect(falseDeaths.map(e => `${e.observer} declared ${e.subject} dead`)).toEqual([])
  const othersMs = Math.max(...[...seenAt].filter(([o]) => o !== newest).map(([, ms]) => ms))
  return { allMs: allMs as number, othersMs }
}

describe('a member that joined just before a crash', () => {
  for (const datagrams of [false, true]) {
    test(`N = ${N}, ${datagrams ? 'datagrams' : 'streams'}: it lists the crashed member dead within two probe intervals of the others`, () => {
      const runs: Run[] = []
      for (let i = 1; i <= 6; i++) runs.push(crashAfterJoin(useSeed(0x11_4e00 + i, FILE, `N = ${N}, datagrams ${datagrams}`), datagrams))
      const line = runs.map(r => `${r.allMs} (others ${r.othersMs})`).join(', ')
      console.log(`crash 1 s after a join, N = ${N}, ${datagrams ? 'datagrams' : 'streams'}: dead everywhere after ${line} ms`)
      // The others have a refused dial of their own: REFUSED_SUSPICION_INTERVALS (2 s) plus detection.
      for (const r of runs) expect(r.othersMs, line).toBeLessThan(4_000)
      // The newest takes their verdicts: two probe intervals, and a gossip round or two for them to reach it.
      for (const r of runs) expect(r.allMs - r.othersMs, line).toBeLessThanOrEqual(3_000)
      // Lifeguard's minimum alone (4 · log10 50 = 6.8 s) is what it waited before, and twice that at worst.
      expect(Math.max(...runs.map(r => r.allMs)), line).toBeLessThan(6_000)
    })
  }
})

describe('verdicts count by who sent them, not by whom they name', () => {
  test('one member forging three members\' `dead` about a live one does not shorten anyone\'s suspicion', () => {
    // Each verdict names its declarer in `from`, which any member can write; the sender of a frame is
    // authenticated by the transport. A hostile member sends the observer three verdicts naming three
    // others; the live accused's refutation is held back for 4 s (its first frames to the observer lost),
    // less than the suspicion minimum (4 · log10 20 = 5.2 s) but more than the two probe intervals that three
    // real verdicts leave. Counted by `from`, the observer declared the live member dead at ~2 s.
    const seed = useSeed(0x11_4f01, FILE, 'one member forging three verdicts')
    const c = formed(20, seed)
    c.network.runFor(10_000)
    const [observer, accused, hostile, a, b, d] = c.ids as [string, string, string, string, string, string]
    const start = c.network.now
    c.network.tap((from, to, channel, frame) => {
      if (to !== observer || channel !== Channel.swim || c.network.now - start >= 4_000) return
      const msg = decodeSwim(frame, 1 << 20)
      const members = msg.type === 'pushPull' || msg.type === 'pushPullReply' ? msg.members : []
      if ([...msg.gossip, ...members].some(u => u.id === accused && u.state === MemberState.alive && u.incarnation > 0)) return false
    })
    forge(c, observer, hostile, [a, b, d].map(from => ({ state: MemberState.dead, id: accused, incarnation: 0, from })))
    expect(c.stateOf(observer, accused)).toBe(MemberState.suspect)
    c.network.runFor(15_000)
    const deaths = c.events.filter(e => e.type === 'dead' && e.subject === accused && e.time >= start)
    expect(deaths.map(e => `${e.observer} declared it dead at ${Math.round(e.time - start)} ms`)).toEqual([])
    expect(c.runningIds().every(o => o === accused || c.stateOf(o, accused) === MemberState.alive)).toBe(true)
    c.stopAll()
  })
})
