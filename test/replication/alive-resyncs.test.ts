/**
 * A member that comes alive gets a round at once, but a member whose suspicion flaps (forged suspicions
 * refuted a few times a second, issue 10) gets at most one per anti-entropy interval — and still one after
 * its last flap, so a write it missed while suspect reaches it.
 */
import { describe, expect, it } from 'vitest'
import { AliveResyncs } from '../../src/replication/alive-resyncs.js'
import { ManualClock } from '../helpers/manual-clock.js'
import { StaticCluster } from './helpers.js'

const INTERVAL_MS = 1_000 // the sim profile's antiEntropyIntervalMs

describe('rounds for members that come alive', () => {
  it('a member flapping alive ten times a second costs at most one round per interval, not one per flap', () => {
    const c = new StaticCluster({ size: 2, seed: 0xa11e })
    c.network.runFor(3_000)
    const roundsOf = (): number => c.r('n0').stats().antiEntropyRounds
    const quietStart = roundsOf()
    c.network.runFor(5_000)
    const quiet = roundsOf() - quietStart
    const flapStart = roundsOf()
    for (let i = 0; i < 50; i++) {
      c.cameAlive('n0', 'n1')
      c.network.runFor(100)
    }
    const flapping = roundsOf() - flapStart
    // Periodic rounds go on; the flaps add at most one per interval (5 s: ≤ 5, plus the first at once).
    expect(flapping - quiet).toBeLessThanOrEqual(5_000 / INTERVAL_MS + 1)
    expect(flapping - quiet).toBeGreaterThanOrEqual(1) // the first one is not suppressed
    c.stop()
  })

  it('flaps within the interval are folded into one round at its end, skipped if the member went away', () => {
    const clock = new ManualClock()
    const runs: Array<[string, number]> = []
    const alive = new Set(['a', 'b'])
    const r = new AliveResyncs({ clock, gapMs: () => 1_000, run: (p) => { runs.push([p, clock.now()]) }, isAlive: (p) => alive.has(p) })
    r.cameAlive('a')
    expect(runs).toEqual([['a', 0]]) // at once
    for (let t = 0; t < 9; t++) {
      clock.advance(100)
      r.cameAlive('a')
    }
    expect(runs).toEqual([['a', 0]])
    expect(r.pending).toBe(1)
    clock.advance(100)
    expect(runs).toEqual([['a', 0], ['a', 1_000]]) // one round for the nine flaps, at the end of the interval
    r.cameAlive('b') // another member is not held back by a's rounds
    expect(runs.at(-1)).toEqual(['b', 1_000])
    clock.advance(500)
    r.cameAlive('b')
    alive.delete('b')
    clock.advance(2_000)
    expect(runs.filter(([p]) => p === 'b')).toHaveLength(1) // gone before its folded round: not run
    clock.advance(1_000)
    r.cameAlive('a') // an interval after its last round: at once again
    expect(runs.at(-1)).toEqual(['a', 4_500])
    r.clear()
  })
})
