/**
 * After a heal, the other side's stale verdicts (issue 14). While apart, each side declared the other
 * dead. At the heal, a member's push-pull with the other side brings that side's view: every member of
 * our own side dead. memberlist's merge makes us *suspect* each of them (a remote `dead` is only hearsay),
 * and the suspicions are gossiped, so every member of a side suspected most of its own side — members it
 * had been talking to the whole time — and each had to refute. 30 real idle peers, 15 | 15: 12 of p29's
 * own 14 suspect 0.6 s after the heal, everyone alive everywhere only after 7–14 s. A member we heard from
 * within the last probe period is alive by our own evidence: a remote verdict older than that evidence is
 * not a reason to suspect it (the member learns of the verdict from the other side itself, directly).
 */
import { describe, expect, test } from 'vitest'
import { useSeed } from '../helpers/replay.js'
import { formed } from './helpers.js'

const FILE = 'test/membership/heal-hearsay.test.ts'
const SIZE = 30

describe('a heal after each side declared the other dead', () => {
  test('15 | 15: nobody suspects a member of its own side, and everyone lists everyone alive soon after', () => {
    const healMs: number[] = []
    const ownSideSuspicions: number[] = []
    let periodMs = 0
    for (let i = 0; i < 4; i++) {
      const seed = useSeed(1500 + i, FILE, 'heal hearsay')
      const c = formed(SIZE, seed, { profile: 'local' })
      periodMs = c.membership(c.ids[0] as string).config.probeIntervalMs
      const a = c.ids.slice(0, SIZE / 2)
      const b = c.ids.slice(SIZE / 2)
      const sideOf = (id: string): readonly string[] => a.includes(id) ? a : b
      c.network.partition(a, b)
      const apart = c.network.runUntil(() => c.ids.every(o => c.ids.every(s => sideOf(o) === sideOf(s) || c.stateOf(o, s) === 'dead')), 120_000, 100)
      expect(apart, `seed ${seed}: each side lists the other dead`).toBeDefined()
      const from = c.events.length
      c.network.heal()
      const healed = c.network.runUntil(() => c.ids.every(o => c.ids.every(s => c.stateOf(o, s) === 'alive')), 60_000, 50)
      expect(healed, `seed ${seed}: everyone alive everywhere after the heal`).toBeDefined()
      healMs.push(healed as number)
      const ownSide = c.events.slice(from).filter(e => e.type === 'suspect' && e.observer !== e.subject && sideOf(e.observer) === sideOf(e.subject))
      ownSideSuspicions.push(ownSide.length)
    }
    const seen = `seeds 1500–1503: heal → everyone alive everywhere ${healMs.join(', ')} ms; suspicions of a member of the observer's own side ${ownSideSuspicions.join(', ')}`
    expect(ownSideSuspicions.every(n => n === 0), seen).toBe(true)
    expect(Math.max(...healMs), seen).toBeLessThanOrEqual(2 * periodMs)
  })
})
