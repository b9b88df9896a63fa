/**
 * A suspect's last-chance pings come from k verifiers, not from every member (issue 11): when a suspicion
 * runs out, only the k members with the highest rendezvous score for the suspect ping it once more; the
 * others declare it dead once k verdicts reached them, or verify it themselves if none came within one more
 * minimum timeout (the verifiers may have failed with it).
 */
import { describe, expect, test } from 'vitest'
import { hashName, score } from '../../src/core/hash.js'
import type { SimCluster } from '../../src/sim/index.js'
import { useSeed } from '../helpers/replay.js'
import { allSee, formed } from './helpers.js'

const FILE = 'test/membership/verifiers.test.ts'
const N = 40

const verifications = (c: SimCluster): number => c.runningIds().reduce((sum, id) => sum + c.membership(id).stats().verifications, 0)

/** Time until every running member lists `victim` dead, and the last-chance pings sent meanwhile. */
function crashAndDetect (c: SimCluster, victim: string): { ms: number, pings: number } {
  const before = verifications(c)
  const start = c.network.now
  c.crash(victim)
  expect(c.network.runUntil(() => allSee(c, victim, 'dead'), 120_000, 100), `${victim} dead everywhere`).toBeDefined()
  return { ms: c.network.now - start, pings: verifications(c) - before }
}

/** The `k` members (of `ids`, `subject` excluded) with the highest score for `subject`: its verifiers. */
function verifiersOf (subject: string, ids: readonly string[], k: number): string[] {
  const key = hashName(subject)
  return ids.filter(id => id !== subject).map(id => ({ id, s: score(key, hashName(id)) })).sort((a, b) => b.s - a.s || (a.id < b.id ? -1 : 1)).slice(0, k).map(x => x.id)
}

describe('suspect verifiers', () => {
  test(`a crash at N = ${N} draws about k = 3 last-chance pings, not N − 1, and is detected about as fast`, () => {
    const seed = useSeed(0x7e41, FILE, 'k pings')
    const every = crashAndDetect(formed(N, seed, { config: { suspicionVerifiers: 0 } }), 'n17')
    const k3 = crashAndDetect(formed(N, seed), 'n17')
    console.log(`every member verifies: ${every.pings} pings, all see dead in ${every.ms} ms; k = 3: ${k3.pings} pings, ${k3.ms} ms`)
    expect(every.pings).toBeGreaterThanOrEqual(N - 5) // nearly every member pinged it once more (the old rule)
    expect(k3.pings).toBeLessThanOrEqual(6)
    expect(k3.ms / every.ms, 'detection time, k = 3 / every member').toBeLessThan(1.5)
  })

  test('the victim crashes together with its three verifiers: the others verify it themselves, one timeout later', () => {
    const seed = useSeed(0x7e42, FILE, 'verifiers crash too')
    const c = formed(N, seed)
    const victim = 'n05'
    const verifiers = verifiersOf(victim, c.ids, 3)
    for (const v of verifiers) c.crash(v)
    const { ms } = crashAndDetect(c, victim)
    console.log(`victim and its verifiers ${verifiers.join(', ')} crashed: all see the victim dead in ${ms} ms`)
    for (const v of verifiers) expect(c.network.runUntil(() => allSee(c, v, 'dead'), 60_000, 100), `${v} dead everywhere`).toBeDefined()
    expect(ms).toBeLessThan(120_000)
  })
})
