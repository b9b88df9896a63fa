/**
 * The soak's verdict (scripts/soak/report.ts): a heal that re-merged members in time but writes late, a
 * restart back late, or either never, fails it with the reason named — the soak said "OK" for a run whose
 * heals took 13 s, issue 14's bound being 10.
 */
import { describe, expect, test } from 'vitest'
import { failures, overBounds } from '../../../scripts/soak/report.ts'
import type { SoakResult } from '../../../scripts/soak/report.ts'

const passing: Omit<SoakResult, 'failures' | 'ok'> = {
  peers: 30, minutes: 5, seed: 777, profile: 'local', durationS: 309,
  writes: { attempted: 10, acknowledged: 10, failed: 0, keys: 10 },
  lostWrites: 0, lostExamples: [], falseDeaths: 0, falseDeathExamples: [], deadEvents: 40, partitions: 2, kills: 2, crashes: [],
  healMembershipMs: [4_000, 9_000], healDocsMs: [6_000, 9_900], rejoinMs: [800, 4_900], finalConvergeMs: 2_000,
  handshakes: { started: 0, timedOut: 0, failed: 0, abandoned: 0, duplicates: 0 }, worstLoopDelayMs: 100,
  cpu: { peersS: 1, soakS: 1, wallS: 1, cores: 2, healCores: [] },
  rss: { flat: true, ratio: 1.3, maxRatio: 1.1, judged: 28, medianFirstMb: 120, medianLastMb: 130, maxSlopeMbPerMin: 1, medianHeapFirstMb: 30, medianHeapLastMb: 35, structRssBytes: 880, structMargin: 1.5, maxStructsGrowth: 0, maxAllowanceMb: 0, notFlat: [], peers: [] },
  bounds: { healS: 10, rejoinS: 5, slowHeals: 0, slowRejoins: 0 }
}

function judged (over: Partial<typeof passing>): string[] {
  const r = { ...passing, ...over }
  return failures({ ...r, bounds: { ...r.bounds, ...overBounds(r, r.bounds.healS * 1000, r.bounds.rejoinS * 1000) } }, true)
}

describe('soak verdict', () => {
  test('everything within its bound: no failure', () => {
    expect(judged({})).toEqual([])
  })

  test('a heal whose writes took longer than the bound fails it, though its members were back in time', () => {
    expect(judged({ healDocsMs: [13_400, 9_900] })).toEqual(['1 of 2 heals not re-merged within 10 s'])
    expect(judged({ healMembershipMs: [11_100, 9_000], healDocsMs: [13_400, 10_800] })).toEqual(['2 of 2 heals not re-merged within 10 s'])
  })

  test('a heal or a restart that never got there is over its bound too', () => {
    expect(judged({ healDocsMs: [6_000, null] })).toEqual(['1 of 2 heals not re-merged within 10 s'])
    expect(judged({ rejoinMs: [null, 11_100] })).toEqual(['2 of 2 restarts not alive everywhere within 5 s'])
  })

  test('other bounds as given; every failed check named', () => {
    expect(judged({ bounds: { healS: 5, rejoinS: 5, slowHeals: 0, slowRejoins: 0 } })).toEqual(['2 of 2 heals not re-merged within 5 s'])
    expect(failures({ ...passing, falseDeaths: 3, lostWrites: 1, crashes: ['p1'], rss: { ...passing.rss, flat: false, notFlat: ['p03', 'p07'] } }, false))
      .toEqual(['RSS not flat on p03, p07', '3 false death(s)', '1 lost write(s)', '1 crash(es)', 'did not converge'])
  })
})
