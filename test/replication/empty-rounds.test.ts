/**
 * A shared anti-entropy round with a member this peer holds nothing in common with (no doc both home) only
 * hears "equal", or brings what the member holds, which the member's own round brings anyway. After a heal
 * every member that came back got one, over a connection dialled for it alone: `npm run bench -- heal`
 * (30 real peers, no docs, 15 | 15) started 516–552 handshakes in the heal's 15 s, 414–422 without those
 * dials. Here: the same heal in the simulator with no docs anywhere, and the dials replication made from
 * the heal until 15 s after it (before: 70–92 of 122–142 over seeds 1–4 and the default; after: 0 of 115–129, membership dialling a few more for its probes); then the same with one doc that
 * every peer writes, so that rounds with something to compare still run and the doc converges. And over an
 * open connection: one empty round per pair since the member came alive (it tells both ends the other's R),
 * then none; an idle mesh of 20 exchanged 0.40 sync frames per member per second before, for ever.
 */
import { describe, expect, it } from 'vitest'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { settleMicrotasks } from '../helpers/sim-until.js'

const FILE = 'test/replication/empty-rounds.test.ts'
const SIZE = 30

async function healDials (seed: number, withDoc: boolean): Promise<{ dials: number, syncDials: number, skipped: number, converged: boolean }> {
  const c = new ReplicaCluster({ size: SIZE, seed, profile: 'local' })
  expect(c.runUntil(() => c.membershipSettled(), 60_000), `seed ${seed}: formed`).toBeDefined()
  const half = c.ids.slice(0, SIZE / 2)
  const rest = c.ids.slice(SIZE / 2)
  if (withDoc) {
    for (const id of c.ids) c.node(id).write('doc', d => { d.getMap('kv').set(id, 1) }).catch(() => {})
    c.runFor(10_000)
    await settleMicrotasks()
  }
  c.runFor(5_000)
  c.network.partition(half, rest)
  const apart = c.runUntil(() => half.every(a => rest.every(b => c.membership(a).member(b)?.state === 'dead' && c.membership(b).member(a)?.state === 'dead')), 60_000)
  expect(apart, `seed ${seed}: each side saw the other dead`).toBeDefined()
  if (withDoc) {
    c.node(half[0] as string).write('doc', d => { d.getMap('kv').set('left', 1) }).catch(() => {})
    c.node(rest[0] as string).write('doc', d => { d.getMap('kv').set('right', 1) }).catch(() => {})
  }
  c.runFor(2_000)
  await settleMicrotasks()
  const before = c.network.connectionStats.dials
  const syncBefore = c.network.dialsFor.sync
  const skippedBefore = c.ids.reduce((n, id) => n + c.replicator(id).stats().sharedRoundsSkipped, 0)
  c.network.heal()
  c.runFor(15_000)
  await settleMicrotasks()
  const dials = c.network.connectionStats.dials - before
  const syncDials = c.network.dialsFor.sync - syncBefore
  const skipped = c.ids.reduce((n, id) => n + c.replicator(id).stats().sharedRoundsSkipped, 0) - skippedBefore
  let converged = c.membershipSettled()
  if (withDoc) {
    c.runFor(15_000)
    await settleMicrotasks()
    const homes = c.node(c.ids[0] as string).homes('doc')
    converged = homes.every(h => ['left', 'right', ...c.ids].every(k => c.replicator(h).doc('doc')?.getMap('kv').has(k) === true))
  }
  c.stopAll()
  return { dials, syncDials, skipped, converged }
}

describe('shared rounds with nothing to compare', () => {
  it('stop in an idle mesh once each pair has had one (which tells each end the other\'s R)', () => {
    const seed = useSeed(0xe3_9773, FILE, 'idle')
    const c = new ReplicaCluster({ size: 20, seed, profile: 'lan' })
    expect(c.runUntil(() => c.membershipSettled(), 60_000), `seed ${seed}: formed`).toBeDefined()
    c.runFor(120_000)
    const before = c.network.traffic.sync.frames
    c.runFor(60_000)
    const perMemberPerSec = (c.network.traffic.sync.frames - before) / 20 / 60
    console.log(`seed ${seed}: idle sync frames per member per second ${perMemberPerSec.toFixed(3)}`)
    // Before: 0.40 (one summary and its reply per member every 5 s, forever).
    expect(perMemberPerSec).toBeLessThan(0.05)
    c.stopAll()
  })

  it('are not dialled for after a heal: in a mesh with no docs, replication dials nobody', async () => {
    const seed = useSeed(0xe3_9771, FILE, 'no docs')
    const r = await healDials(seed, false)
    console.log(`seed ${seed}, no docs: ${r.dials} dials in the 15 s after the heal, ${r.syncDials} of them for replication; ${r.skipped} empty rounds skipped`)
    expect(r.converged).toBe(true)
    expect(r.syncDials).toBe(0)
    expect(r.skipped).toBeGreaterThan(0)
  }, 120_000)

  it('still run where there is something to compare: a doc written on both sides converges on its homes', async () => {
    const seed = useSeed(0xe3_9772, FILE, 'one doc')
    const r = await healDials(seed, true)
    console.log(`seed ${seed}, one doc: ${r.dials} dials in the 15 s after the heal, ${r.syncDials} of them for replication; ${r.skipped} empty rounds skipped`)
    expect(r.converged).toBe(true)
  }, 120_000)
})
