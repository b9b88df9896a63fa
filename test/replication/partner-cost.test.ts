/**
 * A periodic anti-entropy tick in an idle mesh passes over up to five partners with nothing to compare
 * (empty-rounds.test.ts), and drawing each partner used to look up the alive list and prune what this
 * peer keeps per member (known hosts, cached summaries, members it had an empty round with) against it:
 * O(N) work per partner drawn, five times a tick — up to 41 times a tick while rounds are owed after a
 * change (8 rounds, 32 passed over). Now the alive set is taken and the per-member state pruned once per
 * tick. Measured in the simulator: an idle mesh of 40 with no docs, how often each peer asks its directory
 * for the alive list and how many membership tests it makes against the alive set, per tick.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { aliveSet } from '../../src/replication/alive-set.js'
import { useSeed } from '../helpers/replay.js'

const FILE = 'test/replication/partner-cost.test.ts'
const SIZE = 40
const WINDOW_MS = 60_000

afterEach(() => { vi.restoreAllMocks() })

describe('drawing shared-round partners', () => {
  it('costs one pass over the members per tick, not one per partner drawn', () => {
    const seed = useSeed(0xca_7701, FILE, 'one pass')
    const c = new ReplicaCluster({ size: SIZE, seed, profile: 'lan' })
    expect(c.runUntil(() => c.membershipSettled(), 60_000), `seed ${seed}: formed`).toBeDefined()
    // Past the first empty round with every member: from here on every tick passes its partners over.
    c.runFor(120_000)
    const intervalMs = c.replicator(c.ids[0] as string).config.antiEntropyIntervalMs
    const sets = new Set<ReadonlySet<string>>()
    let directoryCalls = 0
    for (const id of c.ids) {
      const m = c.membership(id)
      sets.add(aliveSet({ alivePeers: () => m.aliveIds() })) // the very Set replication uses (cached per array)
      const original = m.aliveIds.bind(m)
      vi.spyOn(m, 'aliveIds').mockImplementation(() => { directoryCalls++; return original() })
    }
    let lookups = 0
    const has = Set.prototype.has
    vi.spyOn(Set.prototype, 'has').mockImplementation(function (this: Set<unknown>, value: unknown) {
      if (has.call(sets, this)) lookups++ // not sets.has: that is this very spy
      return has.call(this, value)
    })
    const skippedBefore = c.ids.reduce((n, id) => n + c.replicator(id).stats().sharedRoundsSkipped, 0)
    c.runFor(WINDOW_MS)
    vi.restoreAllMocks()
    const skipped = c.ids.reduce((n, id) => n + c.replicator(id).stats().sharedRoundsSkipped, 0) - skippedBefore
    // The membership did not change meanwhile: every lookup was on one of the sets counted.
    for (const id of c.ids) {
      const m = c.membership(id)
      expect(sets.has(aliveSet({ alivePeers: () => m.aliveIds() })), `seed ${seed}: ${id}'s alive set changed`).toBe(true)
    }
    const ticks = SIZE * WINDOW_MS / intervalMs
    const perTick = { directory: directoryCalls / ticks, lookups: lookups / ticks, skipped: skipped / ticks }
    console.log(`seed ${seed}, ${SIZE} members idle: per tick ${perTick.directory.toFixed(2)} alive-list calls, ${perTick.lookups.toFixed(1)} alive-set lookups, ${perTick.skipped.toFixed(2)} partners passed over`)
    c.stopAll()
    // Partners are still passed over as before (five a tick, none started).
    expect(perTick.skipped).toBeGreaterThan(4)
    // Before: 5.33 alive-list calls and 394.9 lookups a tick (each of 5 draws pruned 2 × 39 entries). After: 1.33 and 82.9.
    expect(perTick.directory).toBeLessThan(1.5)
    expect(perTick.lookups).toBeLessThan(2.5 * (SIZE - 1))
  }, 120_000)
})
