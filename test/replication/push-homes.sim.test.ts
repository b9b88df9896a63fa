/**
 * After a heal, writers do not dial a doc's homes to push to them (issue 14). Every peer of a mesh larger
 * than pushAllMaxHosts writes one doc; its homes sit on one side of a partition. Once healed, every writer on
 * the other side lacked a connection to each home, and each write's push dialled all three: the homes —
 * already the busiest peers, every write reaching them — took a burst of handshakes (in the 30-peer soak,
 * update:direct was most of the messages sent with no connection after a heal). An unconnected home is now
 * one more host the epidemic may draw, and the writes still reach every peer.
 */
import { describe, expect, test } from 'vitest'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { settleMicrotasks } from '../helpers/sim-until.js'

const FILE = 'test/replication/push-homes.sim.test.ts'
const SIZE = 24
const DOC = 'shared'
const WRITES_PER_SEC = 2

describe('pushes after a heal', () => {
  test('go to the homes over connections that exist, and the writes still reach every peer', async () => {
    const seed = useSeed(7311, FILE, 'homes')
    const c = new ReplicaCluster({ size: SIZE, seed, profile: 'local', startWindowMs: 5_000 })
    const { network, ids } = c
    for (const id of ids) c.open(id, DOC)
    expect(c.runUntil(() => c.runningIds().length === SIZE && c.membershipSettled(), 120_000), 'the mesh formed').toBeDefined()
    const homes = c.replicator(ids[0] as string).homes(DOC)
    // The homes and two others on one side, the rest on the other.
    const near = [...homes, ...ids.filter(id => !homes.includes(id)).slice(0, 2)]
    const far = ids.filter(id => !near.includes(id))
    let n = 0
    for (const id of ids) {
      const write = (): void => {
        c.replicator(id).write(DOC, (d) => { d.getMap('kv').set(`${id}-${n++}`, n) }).catch(() => {})
        network.at(network.now + 1000 / WRITES_PER_SEC, write)
      }
      network.at(network.now + network.random.int(1000), write)
    }
    c.runFor(5_000)
    network.partition(near, far)
    c.runFor(20_000)
    const direct = (): number => ids.reduce((sum, id) => sum + (c.replicator(id).stats().unconnectedSends['update:direct'] ?? 0), 0)
    const before = direct()
    const dials0 = network.dialsFor.sync
    network.heal()
    const marker = `marker-${far[0] as string}`
    c.replicator(far[0] as string).write(DOC, (d) => { d.getMap('kv').set(marker, 1) }).catch(() => {})
    await settleMicrotasks()
    const healAt = network.now
    const merged = c.runUntil(() => ids.every(id => c.replicator(id).doc(DOC)?.getMap('kv').has(marker) === true), 30_000)
    await settleMicrotasks()
    const pushes = direct() - before // sent with no connection: queued behind a dial, or dialling
    const dials = network.dialsFor.sync - dials0
    console.log(`seed ${seed}: ${pushes} pushes to homes with no connection after the heal, ${dials} sync dials; a write on the far side everywhere in ${merged === undefined ? 'never' : `${((network.now - healAt) / 1000).toFixed(1)} s`}`)
    expect(merged, 'a write made after the heal reached every peer').toBeDefined()
    expect(network.now - healAt, 'within 10 s').toBeLessThanOrEqual(10_000)
    // Before: every far writer's pushes dialled each home (22 sync dials at this seed); now a writer draws an
    // unconnected host at most once every 5 s, and the rest wait for connections made anyway (2).
    expect(dials, 'sync dials after the heal').toBeLessThanOrEqual(SIZE / 2)
    c.stopAll()
  }, 120_000)
})
