/**
 * A probe whose ping is still waiting for its connection has not been answered because the ping has not
 * left: such a round says nothing about the target (issue 14). After a heal on a loaded machine every peer
 * dials dozens of members at once, two handshakes at a time (src/core/handshake-slots.ts), so the last in
 * line connect seconds later; their probes used to fail for that wait and the member was suspected. 15 of
 * the 16 accusations in the 10 s after a 6 | 24 heal of the 30-peer soak crossed the former partition.
 */
import { describe, expect, test } from 'vitest'
import { useSeed } from '../helpers/replay.js'
import { SimCluster } from '../../src/sim/index.js'

const FILE = 'test/membership/slow-dial.test.ts'

describe('probes of members still being dialled', () => {
  test('handshakes slower than a probe round: the cluster forms and runs without a single suspicion', () => {
    const seed = useSeed(1401, FILE, 'handshakes slower than a probe round')
    const c = new SimCluster({ size: 12, seed, profile: 'local', network: { handshakeMs: 1_300, dialTimeoutMs: 5_000 } })
    const formedIn = c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === 12, 60_000)
    expect(formedIn, 'the cluster formed').toBeDefined()
    c.network.runFor(30_000)
    const suspicions = c.events.filter(e => e.type === 'suspect')
    expect(suspicions.map(e => `${e.time} ${e.observer}→${e.subject}`), 'suspicions of healthy members').toEqual([])
  })
})

describe('probes of members cut off by a partition', () => {
  test('slow handshakes are no excuse for a dial that never connects: a 3 | 9 partition is detected as fast as with quick ones', () => {
    const seed = useSeed(1402, FILE, 'partition')
    // Time until the small side lists the whole large side dead (its connections to them close as they are
    // suspected, so its later probes must dial into the partition), with quick and with slow handshakes.
    const detect = (s: number, handshakeMs: number): { ms: number | undefined, deferred: number } => {
      const c = new SimCluster({ size: 12, seed: s, profile: 'local', network: { handshakeMs, dialTimeoutMs: 5_000 } })
      expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === 12, 60_000), 'the cluster formed').toBeDefined()
      c.network.runFor(10_000)
      const small = c.ids.slice(0, 3)
      const large = c.ids.slice(3)
      const deferred = (): number => small.reduce((sum, id) => sum + c.membership(id).stats().probesDeferred, 0)
      const before = deferred()
      c.network.partition(small, large)
      const ms = c.network.runUntil(() => small.every(s => large.every(l => c.stateOf(s, l) === 'dead')), 300_000, 100)
      return { ms, deferred: deferred() - before }
    }
    // Summed over four seeds: the handshake time changes the order of events, so one seed's two runs differ
    // by chance as much as by the handshakes. One seed alone (1402–1409) missed the 1.25 bound on two seeds of
    // eight both with datagrams (1402: 24,300 against 18,700 ms) and over streams only (1408, 1409).
    const seeds = [seed, seed + 1, seed + 2, seed + 3]
    const quick = seeds.map(s => detect(s, 50))
    const slow = seeds.map(s => detect(s, 1_300))
    const total = (runs: Array<{ ms: number | undefined }>): number => runs.reduce((n, r) => n + (r.ms as number), 0)
    console.log(`seeds ${seeds.join(', ')}: detected in ${quick.map(r => r.ms).join(', ')} ms with quick handshakes, ${slow.map(r => r.ms).join(', ')} ms with slow ones`)
    for (const r of [...quick, ...slow]) expect(r.ms, 'detected').toBeDefined()
    for (const r of slow) expect(r.deferred, 'rounds left undecided: every dial into the partition waits for TCP, none for a handshake').toBe(0)
    expect(total(slow), 'detection with slow handshakes (ms, summed over the seeds)').toBeLessThanOrEqual(total(quick) * 1.25)
  })
})
