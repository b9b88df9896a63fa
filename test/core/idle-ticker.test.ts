/** The loop that sleeps while it has nothing to do (src/core/idle-ticker.ts). */
import { describe, expect, test } from 'vitest'
import { idleTicker } from '../../src/core/idle-ticker.js'
import type { IdleTicker } from '../../src/core/idle-ticker.js'
import { ManualClock } from '../helpers/manual-clock.js'

/** A 100 ms idle ticker on a manual clock whose rounds are recorded in `ticks` (the times they ran). */
function recorded (round: (t: IdleTicker, ticks: readonly number[]) => boolean): { clock: ManualClock, ticks: number[], t: IdleTicker } {
  const clock = new ManualClock()
  const ticks: number[] = []
  const t: IdleTicker = idleTicker(clock, 100, () => {
    ticks.push(clock.now())
    return round(t, ticks)
  })
  return { clock, ticks, t }
}

describe('idleTicker', () => {
  test('ticks every interval while the round has more to do, arms nothing once it has not, and wake() resumes on the same grid', () => {
    let work = 3
    const { clock, ticks, t } = recorded(() => --work > 0)
    clock.advance(1_000)
    expect(ticks).toEqual([100, 200, 300])
    // Asleep: a woken loop runs at the next tick of its grid (400 s, 500 s, …), not at the moment of the wake.
    clock.advance(250) // now 1250
    work = 2
    t.wake()
    t.wake() // a second wake while armed arms nothing more
    clock.advance(1_000)
    expect(ticks).toEqual([100, 200, 300, 1300, 1400])
    t.cancel()
    work = 5
    t.wake()
    clock.advance(1_000)
    expect(ticks).toHaveLength(5)
  })

  test('a wake that falls exactly on a tick of the grid runs a full interval later', () => {
    let work = 1
    const { clock, ticks, t } = recorded(() => --work > 0)
    clock.advance(300)
    work = 1
    t.wake()
    clock.advance(300)
    expect(ticks).toEqual([100, 400])
    t.cancel()
  })

  test('a wake from inside the round (it queued work) keeps one loop, not a second one beside it', () => {
    // The gossip round sends, a send can queue an update, and the queue wakes the loop: a wake that armed
    // a timer while the round ran, overwritten by the round's own, left two loops — then four, eight…
    // The 30-peer heal simulation (test/sim/heal-storm.test.ts) ran for over half an hour instead of 46 s.
    const { clock, ticks, t } = recorded((self, done) => {
      const more = done.length < 20
      if (more) self.wake()
      return more
    })
    clock.advance(3_000)
    expect(ticks).toEqual(Array.from({ length: 20 }, (_, i) => 100 * (i + 1)))
    t.cancel()
  })

  test('a wake from inside a round that says it is done runs one more round, at the next tick', () => {
    let first = true
    const { clock, ticks, t } = recorded((self) => {
      if (first) self.wake() // something arrived while the round ran, after it looked
      first = false
      return false
    })
    clock.advance(1_000)
    expect(ticks).toEqual([100, 200])
    t.cancel()
  })
})
