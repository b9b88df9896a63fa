/**
 * Rendezvous placement (replication/placement.ts) and anti-entropy summaries (replication/summary.ts) as
 * pure functions: balance, minimal movement on join and leave, preference lists, bucket differences.
 */
import { describe, expect, it } from 'vitest'
import { Placement, hashName, rank } from '../../src/replication/placement.js'
import { BUCKETS, MIN_GROUPS, Summary, bucketOf, groupsFor } from '../../src/replication/summary.js'

const ids = (n: number, prefix = '12D3KooWpeer'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}x${(i * 7919).toString(36)}`)
const docs = (n: number): string[] => Array.from({ length: n }, (_, i) => `doc-${i}`)

function homedCounts (p: Placement, names: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const d of names) for (const h of p.homes(d)) counts.set(h, (counts.get(h) ?? 0) + 1)
  return counts
}

describe('rendezvous placement', () => {
  it.each([[20, 10_000, 3, 1.12], [50, 10_000, 3, 1.2], [5, 2_000, 2, 1.12]])('N = %i, D = %i, R = %i: every doc has R distinct homes, max/mean ≤ %f', (n, d, r, bound) => {
    const members = ids(n)
    const p = new Placement(members[0] as string, r)
    p.setMembers(members.slice(1))
    for (const name of docs(200)) expect(new Set(p.homes(name)).size).toBe(r)
    const counts = [...homedCounts(p, docs(d)).values()]
    expect(counts).toHaveLength(n)
    const mean = r * d / n
    expect(Math.max(...counts) / mean).toBeLessThanOrEqual(bound)
  })

  it('a join moves only the docs the newcomer ranks in the top R: about R·D/(N+1), each to it', () => {
    const members = ids(20)
    const p = new Placement(members[0] as string, 3)
    p.setMembers(members.slice(1))
    const before = new Map(docs(10_000).map(d => [d, p.homes(d)]))
    p.setMembers([...members.slice(1), 'newcomer'])
    let moved = 0
    for (const [d, old] of before) {
      const now = p.homes(d)
      const gained = now.filter(h => !old.includes(h))
      if (gained.length > 0) {
        expect(gained).toEqual(['newcomer']) // nothing else moves
        moved++
      }
    }
    expect(moved / (3 * 10_000 / 21)).toBeGreaterThan(0.9)
    expect(moved / (3 * 10_000 / 21)).toBeLessThan(1.1)
  })

  it('a leave moves only the leaver\'s docs, each to the next of its preference list', () => {
    const members = ids(10)
    const p = new Placement(members[0] as string, 3)
    p.setMembers(members.slice(1))
    const gone = members[5] as string
    const prefs = new Map(docs(2_000).map(d => [d, p.preferenceList(d)]))
    p.setMembers(members.slice(1).filter(m => m !== gone))
    for (const [d, pref] of prefs) {
      expect(p.homes(d)).toEqual(pref.filter(m => m !== gone).slice(0, 3))
    }
  })

  it('with fewer members than R, every member is a home; the preference list starts with the homes', () => {
    const p = new Placement('a', 3)
    p.setMembers(['b'])
    expect(p.homes('x').sort()).toEqual(['a', 'b'])
    p.setMembers(['b', 'c', 'd', 'e'])
    expect(p.preferenceList('x').slice(0, 3)).toEqual(p.homes('x'))
    expect(rank(hashName('x'), ['a', 'b', 'c', 'd', 'e'].map(id => ({ id, hash: hashName(id) })), 3)).toEqual(p.homes('x'))
  })
})

describe('anti-entropy summaries', () => {
  it('equal sets have equal roots whatever the order; one changed digest changes the root and exactly its bucket', () => {
    const digest = (i: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, j) => (i * 31 + j * 7) & 255)
    const a = new Summary()
    const b = new Summary()
    const names = docs(1_000)
    names.forEach((n, i) => { a.add(n, digest(i)) })
    ;[...names].reverse().forEach((n) => { b.add(n, digest(names.indexOf(n))) })
    expect(a.root()).toEqual(b.root())
    expect(a.differing(b.encodeBuckets())).toEqual([])
    const c = new Summary()
    names.forEach((n, i) => { c.add(n, digest(i === 500 ? 9999 : i)) })
    expect(c.root()).not.toEqual(a.root())
    expect(a.differing(c.encodeBuckets())).toEqual([bucketOf('doc-500')])
    const missing = new Summary()
    names.slice(1).forEach((n, i) => { missing.add(n, digest(i + 1)) })
    expect(a.differing(missing.encodeBuckets())).toEqual([bucketOf('doc-0')])
    expect(bucketOf('doc-0')).toBeLessThan(BUCKETS)
  })

  it('a small set answers with folded group hashes: a changed doc marks exactly the buckets of its group', () => {
    const digest = (i: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, j) => (i * 13 + j * 5) & 255)
    const names = docs(40)
    const a = new Summary()
    const c = new Summary()
    names.forEach((n, i) => { a.add(n, digest(i)) })
    names.forEach((n, i) => { c.add(n, digest(i === 7 ? 999 : i)) })
    // About one group per doc: the largest power of two ≤ the count, within [MIN_GROUPS, BUCKETS].
    expect([groupsFor(0), groupsFor(8), groupsFor(40), groupsFor(64), groupsFor(600)]).toEqual([MIN_GROUPS, 8, 32, 64, BUCKETS])
    const groups = groupsFor(names.length)
    expect(c.encodeGroups(groups).byteLength).toBe(groups * 8)
    expect(a.differing(a.encodeGroups(groups))).toEqual([])
    const g = bucketOf('doc-7') % groups
    expect(a.differing(c.encodeGroups(groups))).toEqual(Array.from({ length: BUCKETS }, (_, b) => b).filter(b => b % groups === g))
    // Folding all the way down is the root; unfolded is encodeBuckets.
    expect(c.encodeGroups(1)).toEqual(c.root())
    expect(c.encodeGroups(BUCKETS)).toEqual(c.encodeBuckets())
  })
})
