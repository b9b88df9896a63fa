/**
 * Issue 11, "SIGKILL → dead on all ≤ 0.75× Serf": a refused dial is evidence of a crash (member-table.ts
 * noteRefused). Over TCP a process that is gone from a live host answers a dial at once with a reset; memberlist's
 * UDP probes get no such answer, so it waits Lifeguard's minimum (4 · log10 n probe intervals at LAN timing)
 * for a refutation that cannot come. Here a member whose own dial was refused suspects for at most two probe
 * intervals, and every member whose connection to the crashed one just closed checks its host itself.
 *
 * The first test fails before that change: at N = 50 a crashed member was dead everywhere ~8.3 s after the
 * crash (seed 0x11_0c01), the same with `refusalEvidence: false` now. The others hold what must not change:
 * a host that stops answering (no refusal), a stalled but live member, a partition, a restart.
 */
import { describe, expect, test } from 'vitest'
import type { MembershipInit } from '../../src/membership/config.js'
import { MemberState } from '../../src/membership/member.js'
import type { SimCluster } from '../../src/sim/index.js'
import type { SimClusterOptions } from '../../src/sim/index.js'
import { useSeed } from '../helpers/replay.js'
import { allSee, formed, notSeeing } from './helpers.js'

const FILE = 'test/membership/crash-evidence.test.ts'
const N = 50

interface Detection {
  /** From the fault until every other member lists the victim dead, ms (undefined: not within the bound). */
  allMs: number | undefined
  /** Dials refused, and dials made only to check a host, over all observers. */
  refused: number
  checks: number
  /** Members other than the victim that anyone lists as dead or suspect at the end. */
  collateral: string[]
}

function sum (c: SimCluster, key: 'dialsRefused' | 'refusalChecks', except: string): number {
  return c.runningIds().filter(id => id !== except).reduce((n, id) => n + c.membership(id).stats()[key], 0)
}

function detect (seed: number, config: MembershipInit, fault: (c: SimCluster, victim: string) => void, options: Partial<SimClusterOptions> = {}, boundMs = 120_000): Detection {
  const c = formed(N, seed, { config, ...options })
  // Long enough for every member to have probed, and so connected to, every other, as in a settled mesh.
  c.network.runFor(60_000)
  const victim = c.ids[17] as string
  const refused0 = sum(c, 'dialsRefused', victim)
  const checks0 = sum(c, 'refusalChecks', victim)
  fault(c, victim)
  const allMs = c.runUntilAll((observer) => observer === victim || c.stateOf(observer, victim) === MemberState.dead, boundMs)
  const collateral = c.runningIds().filter(o => o !== victim).flatMap(o => c.ids.filter(s => s !== victim && s !== o && c.network.isCrashed(s) === false && c.stateOf(o, s) !== MemberState.alive).map(s => `${o} sees ${s} ${c.stateOf(o, s) ?? 'absent'}`))
  const out = { allMs, refused: sum(c, 'dialsRefused', victim) - refused0, checks: sum(c, 'refusalChecks', victim) - checks0, collateral }
  if (allMs === undefined) console.log(`not dead everywhere: ${notSeeing(c, victim, 'dead').slice(0, 5).join(', ')}`)
  c.stopAll()
  return out
}

const crash = (c: SimCluster, victim: string): void => { c.crash(victim) }

describe('a refused dial is evidence of a crash (issue 11)', () => {
  test(`N = ${N}: a crashed member is dead everywhere in under half the time it took without the evidence`, () => {
    const seed = useSeed(0x11_0c01, FILE, 'N = 50: a crashed member is dead everywhere')
    const without = detect(seed, { refusalEvidence: false }, crash)
    const withIt = detect(seed, {}, crash)
    console.log(`crash at N = ${N}: dead everywhere after ${without.allMs} ms without the evidence, ${withIt.allMs} ms with it (${withIt.refused} dials refused, ${withIt.checks} of them checks after a lost connection)`)
    expect(without.allMs).toBeDefined()
    expect(withIt.allMs).toBeDefined()
    expect(without.checks).toBe(0)
    // Lifeguard's minimum alone is 4 · log10(50) = 6.8 probe intervals; with the evidence, two.
    expect(withIt.allMs as number).toBeLessThan((without.allMs as number) / 2)
    expect(withIt.allMs as number).toBeLessThan(5_000)
    // Most observers were connected to it and checked its host themselves: that is what makes it fast everywhere.
    expect(withIt.checks).toBeGreaterThan(N / 2)
    expect(withIt.collateral).toEqual([])
    expect(without.collateral).toEqual([])
  })

  test('a host that stops answering (no refusal) is detected as before: the evidence is never guessed', () => {
    const seed = useSeed(0x11_0c02, FILE, 'a host that stops answering')
    const options = { network: { refuseWhenCrashed: false } }
    const without = detect(seed, { refusalEvidence: false }, crash, options)
    const withIt = detect(seed, {}, crash, options)
    expect(withIt.refused).toBe(0)
    expect(withIt.allMs).toBeDefined()
    // Checks are dialled (connections closed at the crash) but time out: nothing else changes.
    expect(withIt.allMs as number).toBeGreaterThanOrEqual((without.allMs as number) * 0.8)
    expect(withIt.collateral).toEqual([])
  })

  test('a live member that stalls keeps its connections: no checks, no refusals, the usual suspicion', () => {
    const seed = useSeed(0x11_0c03, FILE, 'a live member that stalls')
    const stall = (c: SimCluster, victim: string): void => { c.stall(victim, 3_600_000) }
    const withIt = detect(seed, {}, stall)
    const without = detect(seed, { refusalEvidence: false }, stall)
    expect(withIt.refused).toBe(0)
    expect(withIt.checks).toBe(0)
    expect(withIt.allMs).toBe(without.allMs)
  })

  test('a short stall is not a crash: the member is never declared dead', () => {
    const seed = useSeed(0x11_0c04, FILE, 'a short stall is not a crash')
    const c = formed(N, seed)
    c.network.runFor(10_000)
    const victim = c.ids[5] as string
    const events0 = c.events.length
    c.stall(victim, 3_000)
    c.network.runFor(30_000)
    expect(c.events.slice(events0).filter(e => e.type === 'dead' && e.subject === victim).map(e => e.observer)).toEqual([])
    expect(allSee(c, victim, 'alive')).toBe(true)
    expect(c.runningIds().reduce((n, id) => n + c.membership(id).stats().dialsRefused, 0)).toBe(0)
    c.stopAll()
  })

  test('a crashed member that restarts with its id is alive everywhere again', () => {
    const seed = useSeed(0x11_0c05, FILE, 'a crashed member that restarts')
    const c = formed(N, seed)
    c.network.runFor(10_000)
    const victim = c.ids[9] as string
    c.crash(victim)
    expect(c.runUntilAll((o) => o === victim || c.stateOf(o, victim) === MemberState.dead, 60_000)).toBeDefined()
    c.restart(victim)
    const back = c.runUntilAll((o, ms) => ms.filter(m => m.state === 'alive').length === N, 60_000)
    expect(back, `not alive everywhere: ${notSeeing(c, victim, 'alive').slice(0, 5).join(', ')}`).toBeDefined()
    c.stopAll()
  })

  test('a crash soon after a restart, before most members connected to it: no slower than without the evidence', () => {
    // Only members whose connection to it closed check its host; the rest wait for their own suspicion and
    // a verifier's verdict, as before. Measured to say what the evidence does not cover.
    const seed = useSeed(0x11_0c06, FILE, 'a crash soon after a restart')
    const run = (config: MembershipInit): number => {
      const c = formed(N, seed, { config })
      c.network.runFor(10_000)
      const victim = c.ids[21] as string
      c.crash(victim)
      c.network.runFor(500)
      c.restart(victim)
      expect(c.runUntilAll((o, ms) => ms.filter(m => m.state === 'alive').length === N, 60_000)).toBeDefined()
      c.network.runFor(5_000)
      const start = c.network.now
      c.crash(victim)
      const took = c.runUntilAll((o) => o === victim || c.stateOf(o, victim) === MemberState.dead, 60_000)
      expect(took, `still not dead at: ${notSeeing(c, victim, 'dead').slice(0, 5).join(', ')}`).toBeDefined()
      c.stopAll()
      return c.network.now - start
    }
    const without = run({ refusalEvidence: false })
    const withIt = run({})
    console.log(`crash 5 s after a restart: dead everywhere after ${without} ms without the evidence, ${withIt} ms with it`)
    expect(withIt).toBeLessThanOrEqual(without)
  })
})
