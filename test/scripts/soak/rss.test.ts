/**
 * The soak's RSS judge (scripts/soak/rss.ts): a peer's RSS may grow by FLAT_RATIO plus what the growth of
 * its docs' Yjs structs explains — the CRDT history every overwrite leaves (the 50-peer soak's median grew
 * 114 → 158 MB over 55,000 writes into one doc, and failed "flat") — and memory growing beyond both is
 * still judged a leak. With no struct growth the judge is the plain ratio it was.
 */
import { describe, expect, test } from 'vitest'
import { summaryTable } from '../../../scripts/soak/report.ts'
import type { SoakResult } from '../../../scripts/soak/report.ts'
import { FLAT_RATIO, STRUCT_MARGIN, STRUCT_RSS_BYTES, judgeRss, rssSummary, verdictOf } from '../../../scripts/soak/rss.ts'
import type { RssSample, StructsSample } from '../../../scripts/soak/rss.ts'

const MINUTE = 60_000
const PID = 4242

/**
 * A 10-minute run sampled like the soak (RSS every 5 s, heap and structs every 15 s), the memory and the
 * structs growing linearly from `from` to `to` over the run.
 */
function run (rssMb: [number, number], structs: [number, number], heapMb: [number, number] = [30, 30]): { rss: RssSample[], heap: RssSample[], structs: StructsSample[] } {
  const end = 10 * MINUTE
  const at = (t: number, [a, b]: [number, number]): number => a + (b - a) * t / end
  const times = (step: number): number[] => Array.from({ length: end / step + 1 }, (_, i) => i * step)
  return {
    rss: times(5_000).map(t => ({ t, pid: PID, mb: at(t, rssMb) })),
    heap: times(15_000).map(t => ({ t, pid: PID, mb: at(t, heapMb) })),
    structs: times(15_000).map(t => ({ t, pid: PID, structs: Math.round(at(t, structs)) }))
  }
}

const judge = (samples: ReturnType<typeof run>, name = 'p00'): ReturnType<typeof verdictOf> => verdictOf({ name, starts: 1 }, samples, 0, 10 * MINUTE)

describe('soak RSS judge', () => {
  test('RSS grown by what the structs explain (the 50-peer soak, one shared doc overwritten 55,000 times): flat', () => {
    // 114 → 158 MB at the run's ends; 5,000 live keys, then one struct per overwrite.
    const v = judge(run([110, 160], [5_000, 60_000], [28, 45]))
    expect(v.ratio).toBeGreaterThan(FLAT_RATIO) // what the old judge failed
    expect(v.structsGrowth).toBeGreaterThan(40_000)
    expect(v.allowanceMb).toBeCloseTo(v.structsGrowth * STRUCT_RSS_BYTES * STRUCT_MARGIN / 2 ** 20, 6)
    expect(v.lastWindowMedianMb).toBeLessThanOrEqual(v.limitMb)
    expect(v.flat).toBe(true)
    const summary = rssSummary([v])
    expect(summary.flat).toBe(true)
    expect(summary.notFlat).toEqual([])
    expect(summary.peers).toEqual([expect.objectContaining({ slot: 'p00', structsGrowth: v.structsGrowth, flat: true })])
    expect(summary.peers[0]?.allowanceMb).toBeGreaterThan(0)
  })

  test('RSS grown well beyond what the structs explain: a leak, not flat, though the doc grew too', () => {
    const leak = judge(run([110, 260], [5_000, 60_000]), 'p01')
    expect(leak.structsGrowth).toBeGreaterThan(40_000)
    expect(leak.lastWindowMedianMb).toBeGreaterThan(leak.limitMb)
    expect(leak.flat).toBe(false)
    const summary = rssSummary([judge(run([110, 160], [5_000, 60_000])), leak])
    expect(summary.flat).toBe(false)
    expect(summary.notFlat).toEqual(['p01'])
    expect(summary.maxAllowanceMb).toBeGreaterThan(0)
  })

  test('no struct growth: the plain ratio, no allowance', () => {
    const grown = judge(run([100, 150], [5_000, 5_000]))
    expect(grown.allowanceMb).toBe(0)
    expect(grown.flat).toBe(false)
    expect(judge(run([100, 125], [5_000, 5_000])).flat).toBe(true)
    // Structs that shrank (a doc evicted, then RSS kept) allow nothing either.
    expect(judge(run([100, 150], [60_000, 5_000])).allowanceMb).toBe(0)
    expect(judgeRss(100, 130, 0)).toEqual({ allowanceMb: 0, limitMb: 130, flat: true })
    expect(judgeRss(100, 131, 0).flat).toBe(false)
  })

  test('a small struct growth explains little: a peer over the ratio by more than it still fails', () => {
    // 1,000 structs explain ~1.3 MB.
    expect(judgeRss(100, 131, 1_000).flat).toBe(true)
    expect(judgeRss(100, 140, 1_000).flat).toBe(false)
  })

  test('only the last process of a slot is judged, and restarted slots are not counted in the verdict', () => {
    const first = run([100, 400], [5_000, 5_000])
    const second = run([100, 110], [5_000, 5_000])
    const samples = {
      rss: [...first.rss.filter(x => x.t < MINUTE), ...second.rss.filter(x => x.t >= MINUTE).map(x => ({ ...x, pid: PID + 1 }))],
      heap: second.heap.map(x => ({ ...x, pid: PID + 1 })),
      structs: [...first.structs.map(x => ({ ...x, structs: x.structs * 100 })), ...second.structs.map(x => ({ ...x, pid: PID + 1 }))]
    }
    const v = verdictOf({ name: 'p09', starts: 2 }, samples, 0, 10 * MINUTE)
    expect(v.structsGrowth).toBe(0) // the other process's structs are not this one's
    expect(v.stable).toBe(false)
    const leak = judge(run([100, 300], [5_000, 5_000]))
    expect(rssSummary([{ ...leak, stable: false }, judge(run([100, 110], [5_000, 5_000]), 'p02')])).toMatchObject({ flat: true, judged: 1, peers: [{ slot: 'p02' }] })
  })

  test('the report shows, per peer and in the summary, the structs growth and the allowance the verdict used', () => {
    const verdicts = [judge(run([110, 160], [5_000, 60_000])), judge(run([110, 260], [5_000, 60_000]), 'p01')]
    const rss = rssSummary(verdicts)
    const result: SoakResult = {
      peers: 2, minutes: 10, seed: 1, profile: 'local', durationS: 600,
      writes: { attempted: 0, acknowledged: 0, failed: 0, keys: 0 },
      lostWrites: 0, lostExamples: [], falseDeaths: 0, falseDeathExamples: [], deadEvents: 0, partitions: 0, kills: 0, crashes: [],
      healMembershipMs: [], healDocsMs: [], rejoinMs: [], finalConvergeMs: 1_000,
      handshakes: { started: 0, timedOut: 0, failed: 0, abandoned: 0, duplicates: 0 }, worstLoopDelayMs: 0,
      cpu: { peersS: 0, soakS: 0, wallS: 600, cores: 2, healCores: [] },
      rss, bounds: { healS: 10, rejoinS: 5, slowHeals: 0, slowRejoins: 0 }, failures: ['RSS not flat on p01'], ok: false
    }
    const lines = summaryTable(result, verdicts, new Map(), []).split('\n')
    const p00 = lines.find(l => l.startsWith('p00')) ?? ''
    const v = verdicts[0]
    expect(p00).toContain(`${v?.structsSecond}→${v?.structsLast}`)
    expect(p00).toContain(`${v?.allowanceMb.toFixed(1)} MB`)
    expect(p00).toMatch(/yes: flat$/)
    expect(lines.find(l => l.startsWith('p01'))).toMatch(/yes: NOT flat$/)
    const summary = lines.find(l => l.startsWith('rss:')) ?? ''
    expect(summary).toContain('NOT flat on p01')
    expect(summary).toContain(`× ${STRUCT_RSS_BYTES} B × ${STRUCT_MARGIN}`)
    expect(summary).toContain(`max structs growth ${rss.maxStructsGrowth} → max allowance ${rss.maxAllowanceMb.toFixed(1)} MB`)
  })
})
