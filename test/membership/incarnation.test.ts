/**
 * Defect 2 (issue 10): incarnation plausibility locked members out. Unknown members were checked against
 * incarnation 0 and updates about ourselves against our own incarnation, with a jump limit of 65,536: a
 * member past it was invisible to new joiners, a restarted member could not refute its own old `dead`,
 * and one forged suspect(X, current + 65,536) sent to X made X refute to an incarnation every other member
 * then refused. Now only a member's own signed record moves its incarnation (any jump), and accusations
 * never do (member-table.ts).
 */
import { describe, expect, test } from 'vitest'
import { MemberState } from '../../src/membership/member.js'
import { SimCluster } from '../../src/sim/index.js'
import { useSeed } from '../helpers/replay.js'
import { allSee, forge, formed, notSeeing } from './helpers.js'

const FILE = 'test/membership/incarnation.test.ts'
const HIGH = 70_000

describe('incarnations past 65,536', () => {
  test('a member at incarnation 70,000 (e.g. tags updated every 30 s for 24 days) is learned by members joining after it', () => {
    const seed = useSeed(0x5c_0001, FILE, 'a member at incarnation 70,000')
    const c = new SimCluster({ size: 4, seed, memberOptions: (id) => id === 'n01' ? { incarnation: HIGH } : {} })
    const took = c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === 4, 60_000)
    expect(took, `not everyone learned n01: ${notSeeing(c, 'n01', 'alive').join(', ')}`).toBeDefined()
    expect(c.membership('n00').member('n01')?.incarnation).toBe(HIGH)
    c.stopAll()
  })

  test('a member that died at incarnation 70,000 and restarts at 0 refutes its own death and is alive everywhere', () => {
    const seed = useSeed(0x5c_0002, FILE, 'a member that died at incarnation 70,000')
    const c = formed(5, seed)
    const x = c.ids[3] as string
    // Raised step by step, as tag updates do (each step well within the old jump limit).
    for (let step = 0; step < 7; step++) {
      for (let k = 0; k < 10_000; k++) c.membership(x).setTags({ step: String(step), k: String(k) })
      expect(c.runUntilAll((o, ms) => o === x || ms.find(m => m.id === x)?.incarnation === (step + 1) * 10_000, 30_000), `step ${step}`).toBeDefined()
    }
    c.crash(x)
    expect(c.runUntilAll(() => allSee(c, x, 'dead'), 60_000), 'the crash is detected').toBeDefined()
    c.restart(x)
    const took = c.runUntilAll(() => allSee(c, x, 'alive'), 30_000)
    expect(took, `still: ${notSeeing(c, x, 'alive').join(', ')}; its own incarnation ${c.membership(x).local().incarnation}`).toBeDefined()
    expect(c.membership(x).local().incarnation).toBe(HIGH + 1)
    c.stopAll()
  })

  test('one forged suspect(X, current + 65,536) sent to X does not lock X out: it refutes one step up and survives its next real suspicion', () => {
    const seed = useSeed(0x5c_0003, FILE, 'one forged suspect(X, current + 65,536)')
    const c = formed(5, seed)
    const [, x, h] = c.ids as [string, string, string]
    const current = c.membership(x).local().incarnation
    forge(c, x, h, [{ state: MemberState.suspect, id: x, incarnation: current + 65_536, from: h }])
    c.network.runFor(5_000)
    // A real suspicion next: a 5 s pause (probes fail, it must refute when it resumes).
    c.stall(x, 5_000)
    c.network.runFor(60_000)
    expect(c.eventsAbout(x, 'dead'), `seen dead by ${c.eventsAbout(x, 'dead').map(e => e.observer).join(', ')}`).toHaveLength(0)
    expect(allSee(c, x, 'alive'), notSeeing(c, x, 'alive').join(', ')).toBe(true)
    expect(c.membership(x).local().incarnation).toBeLessThan(current + 10)
    c.stopAll()
  })
})
