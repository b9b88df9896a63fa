/**
 * Replication backs off from a peer it cannot dial (src/replication/dial-backoff.ts, issue 14). A writer cut
 * off from one of its doc's homes — membership still lists that home alive through the others — pushes
 * every write to it; without a back-off every batch after a failed dial dialled it again, each dial waiting
 * out its deadline. After a heal of the 50-peer soak those dials went to the busiest peers of the mesh (the
 * soak doc's homes), timed out there, and were retried.
 */
import { describe, expect, test } from 'vitest'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'

const FILE = 'test/replication/dial-backoff.sim.test.ts'
const SIZE = 20
const WRITER = 'n00'
const HOME = 'n05'
const WINDOW_MS = 30_000
const WRITES_PER_SEC = 4

describe('sync frames to a peer whose dial failed', () => {
  test('are held back for a while, so a writer cut off from a home does not re-dial it with every push', () => {
    const seed = useSeed(7301, FILE, 'held back')
    const c = new ReplicaCluster({ size: SIZE, seed, startWindowMs: 2_000 })
    const { network } = c
    // Cut off from the start: the two never hold a connection, and each lists the other alive through the rest.
    network.partition([WRITER], [HOME])
    expect(c.runUntil(() => c.membershipSettled(), 120_000), 'the mesh formed').toBeDefined()
    c.runFor(10_000)
    const doc = Array.from({ length: 200 }, (_, i) => `doc-${i}`).find(d => {
      const homes = c.replicator(WRITER).homes(d)
      return homes.includes(HOME) && !homes.includes(WRITER)
    })
    expect(doc, 'a doc homed on HOME, not on WRITER').toBeDefined()
    expect(c.membership(WRITER).members().find(m => m.id === HOME)?.state, 'the writer lists the home alive').toBe('alive')
    const syncDials0 = network.dialsFor.sync
    const heldBack0 = c.replicator(WRITER).stats().framesHeldBack
    let n = 0
    const write = (): void => {
      c.replicator(WRITER).write(doc as string, (d) => { d.getMap('kv').set(`k${n++}`, n) }).catch(() => {})
      if (n < WINDOW_MS / 1000 * WRITES_PER_SEC) network.at(network.now + 1000 / WRITES_PER_SEC, write)
    }
    write()
    c.runFor(WINDOW_MS)
    const dials = network.dialsFor.sync - syncDials0
    const heldBack = c.replicator(WRITER).stats().framesHeldBack - heldBack0
    console.log(`seed ${seed}: ${dials} sync dials in ${WINDOW_MS / 1000} s of ${WRITES_PER_SEC} writes a second to a doc homed on a peer the writer cannot reach; ${heldBack} frames held back`)
    expect(heldBack, 'frames held back').toBeGreaterThan(0)
    // Those that went (and waited for, or made, a dial) are counted by kind: here the writer's pushes to the home.
    expect(c.replicator(WRITER).stats().unconnectedSends['update:direct'], 'pushes sent with no connection').toBeGreaterThan(0)
    // Each dial through the cut fails at its deadline and was re-dialled by the next push: 8 in 30 s at this
    // seed; backing off 1, 2, 4 and 8 s between them, 3.
    expect(dials, 'sync dials').toBeLessThanOrEqual(5)
    // The home still gets the writes: through the other homes' anti-entropy.
    expect(c.runUntil(() => c.replicator(HOME).doc(doc as string)?.getMap('kv').size === n, 30_000), 'the home holds every write').toBeDefined()
    c.stopAll()
  }, 120_000)
})
