/**
 * A partition shorter than the suspicion timeout (issue 14). While cut off, the small side suspects the
 * members it probes, and the gossip of those suspicions is spent on frames that cannot arrive. After the
 * heal nobody but the accuser knows of them, so the accused cannot refute: each stayed suspect in the
 * accuser's view until the accuser's round-robin probe carried it (buddy system) or the suspicion timed
 * out, seconds after everyone else was alive again (a real 5-peer soak: 4.4 s, one with a loaded machine
 * 14 s). A member that hears from someone it holds suspect or dead now tells it so at once, and it refutes.
 */
import { describe, expect, test } from 'vitest'
import { useSeed } from '../helpers/replay.js'
import { formed } from './helpers.js'

const FILE = 'test/membership/short-partition.test.ts'

describe('a short partition', () => {
  for (const profile of ['local', 'sim'] as const) {
    test(`1 | 4 cut for 3 probe periods: after the heal, everyone lists everyone alive within 2 probe periods (${profile})`, () => {
      for (let i = 0; i < 8; i++) {
        const seed = useSeed(1400 + i, FILE, `short partition ${profile}`)
        const c = formed(5, seed, { profile })
        const periodMs = c.membership(c.ids[0] as string).config.probeIntervalMs
        const small = [c.ids[i % 5] as string]
        const large = c.ids.filter(id => !small.includes(id))
        c.network.partition(small, large)
        c.network.runFor(3 * periodMs)
        // Someone suspects someone (the cut was long enough to matter), and nobody is dead yet.
        expect(c.ids.some(o => c.ids.some(s => c.stateOf(o, s) === 'suspect')), `seed ${seed}: a suspicion during the cut`).toBe(true)
        expect(c.ids.every(o => c.ids.every(s => c.stateOf(o, s) !== 'dead')), `seed ${seed}: no one dead yet`).toBe(true)
        c.network.heal()
        const healed = c.network.runUntil(() => c.ids.every(o => c.ids.every(s => c.stateOf(o, s) === 'alive')), 60_000, 50)
        expect(healed, `seed ${seed}: everyone alive everywhere after the heal`).toBeDefined()
        expect(healed as number, `seed ${seed}: ms from the heal until everyone lists everyone alive`).toBeLessThanOrEqual(2 * periodMs)
      }
    })
  }
})
