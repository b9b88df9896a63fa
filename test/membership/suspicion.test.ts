/**
 * Defect 1 (issue 10): a suspicion whose incarnation rises while it runs. memberlist keeps the running
 * timer and declares the member dead at its current incarnation; murmur raised the stored incarnation, but
 * the timer still carried the old one, so its expiry did nothing and no new timer started: the member
 * stayed `suspect` at that observer for ever (probed every round, counted in n, never reaped).
 */
import { describe, expect, test } from 'vitest'
import { MemberState } from '../../src/membership/member.js'
import { SimCluster } from '../../src/sim/index.js'
import { useSeed } from '../helpers/replay.js'
import { allSee, forge, formed, notSeeing } from './helpers.js'

const FILE = 'test/membership/suspicion.test.ts'

describe('a suspicion whose incarnation rises while it runs', () => {
  test('O suspects X@i, then hears Q suspect X@i+1 (X refuted, Q suspected again) before the refutation; X crashes: O declares X dead', () => {
    const seed = useSeed(0x5a_0001, FILE, 'O suspects X@i, then hears Q suspect X@i+1')
    const c = formed(6, seed)
    const [o, x, q, f] = c.ids as [string, string, string, string]
    const i = c.membership(o).member(x)?.incarnation as number
    // O suspects X at i (F's accusation), then learns of Q's suspicion at i + 1 — Q heard X's refutation
    // first — and X crashes before its refutation reaches O.
    forge(c, o, f, [{ state: MemberState.suspect, id: x, incarnation: i, from: f }])
    forge(c, o, q, [{ state: MemberState.suspect, id: x, incarnation: i + 1, from: q }])
    c.crash(x)
    expect(c.stateOf(o, x)).toBe('suspect')
    const took = c.runUntilAll(() => allSee(c, x, 'dead'), 120_000)
    expect(took, `still not dead at: ${notSeeing(c, x, 'dead').join(', ')}`).toBeDefined()
    c.stopAll()
  })

  test('20 members at 5 % loss; a member stalls, refutes, then crashes: everyone declares it dead', () => {
    // Without injected frames: the 3 s pause gets it suspected, it refutes when it resumes, and it dies
    // 300 ms later while the refutation spreads. On the earlier simulator (frames reordered within a
    // stream, no queues) seed 5 reproduced defect 1: a member heard a suspicion at the refuted incarnation
    // before the refutation itself and kept the crashed member suspect for good. On the faithful simulator
    // this scenario no longer reaches that state (84 seed, loss and timing combinations tried with the defect put
    // back), and accusations above the incarnation we hold now count at ours; the injected test above is
    // the one that fails without the fix. This one stays as the end-to-end check of the scenario.
    const first = useSeed(4, FILE, '20 members at 5 % loss')
    const stuck: string[] = []
    for (let seed = first; seed < first + 3; seed++) {
      const c = new SimCluster({ size: 20, seed, link: { loss: 0.05 } })
      expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === 20, 60_000)).toBeDefined()
      const victim = c.ids[7] as string
      c.stall(victim, 3_000)
      c.network.runFor(3_300)
      c.crash(victim)
      c.network.runFor(300_000)
      const wrong = notSeeing(c, victim, 'dead')
      if (wrong.length > 0) stuck.push(`seed ${seed}: ${wrong.join(', ')}`)
      c.stopAll()
    }
    expect(stuck, '300 s after the crash, these still did not list it dead').toEqual([])
  })
})
