/**
 * The placement property (issue 9, "How it is proven"), in the deterministic simulator on full mesh nodes:
 * 50 peers, 1,000 documents, R = 3; random writes from any peer (some with a write concern of R), joins,
 * graceful leaves, crashes, restarts, asymmetric partitions and heals. Invariants:
 *
 *  I1  every write acknowledged with `replicas: R` is then on R stores, and survives the permanent loss of
 *      any R − 1 peers (checked by losing two peers for good at the end);
 *  I2  once the network is stable, every document's homes hold identical digests, and every document has
 *      at least R durable copies (and none off its homes);
 *  I3  no peer drops a copy before R other stores hold everything it had.
 *
 * Seeded: MURMUR_SEED replays a run (the failing seed is printed), MURMUR_RUNS runs more seeds, and
 * MURMUR_PLACEMENT_SCALE=n multiplies the chaos phase (the default run stays within a minute).
 */
import { describe, expect, it, onTestFailed } from 'vitest'
import * as Y from 'yjs'
import { SeededRandom } from '../../src/core/random.js'
import type { Random } from '../../src/core/random.js'
import { hashName, rank } from '../../src/replication/placement.js'
import { digest } from '../../src/replication/version-vector.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'

const FILE = 'test/replication/placement-property.test.ts'
const PEERS = 50
const DOCS = 1_000
const R = 3
const LATE = 5
const CHAOS_MS = 30_000 * Number(process.env.MURMUR_PLACEMENT_SCALE ?? 1)

interface Written { doc: string, key: string, acked: boolean, ackedR: boolean }

/** The doc as the store of `id` holds it (its disk), or undefined if the store has nothing of it. */
function stored (c: ReplicaCluster, id: string, doc: string): Y.Doc | undefined {
  const entries = c.store(id).entries(doc)
  if (entries.length === 0) return undefined
  const d = new Y.Doc({ guid: doc }) // a guid: otherwise Yjs draws a random uuid (32 OS random calls) per doc
  for (const u of entries) Y.applyUpdate(d, u)
  return d
}

/** Whether `holder` contains everything of `state` (applying it changes nothing). */
function contains (holder: Y.Doc, state: readonly Uint8Array[]): boolean {
  const probe = new Y.Doc({ guid: 'probe' })
  Y.applyUpdate(probe, Y.encodeStateAsUpdate(holder))
  const before = digest(probe)
  for (const u of state) Y.applyUpdate(probe, u)
  return digest(probe) === before
}

function homesOf (doc: string, members: readonly string[]): string[] {
  return rank(hashName(doc), members.map(id => ({ id, hash: hashName(id) })), Math.min(R, members.length))
}

async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

async function runProperty (seed: number): Promise<void> {
  const rnd: Random = new SeededRandom(seed)
  const ids = Array.from({ length: PEERS }, (_, i) => `n${String(i).padStart(2, '0')}`)
  const late = ids.slice(PEERS - LATE)
  const c = new ReplicaCluster({ size: PEERS, seed, late })
  const docs = Array.from({ length: DOCS }, (_, i) => `doc-${i}`)
  const writes: Written[] = []
  const violations: string[] = []
  const left = new Set<string>()

  // I3: whenever a store removes a copy, R other stores must already hold all of it.
  for (const id of ids) {
    c.store(id).beforeRemove = (doc, entries) => {
      const holders = ids.filter(other => other !== id && (() => { const d = stored(c, other, doc); return d !== undefined && contains(d, entries) })())
      if (holders.length < R) violations.push(`I3: ${id} dropped ${doc} at ${c.network.now} with only ${holders.length} other stores holding it`)
    }
  }

  const running = (): string[] => c.runningIds()
  const write = (id: string, doc: string, withConcern: boolean): void => {
    const w: Written = { doc, key: `w${writes.length}`, acked: false, ackedR: false }
    writes.push(w)
    const node = c.node(id)
    node.write(doc, d => { d.getMap('kv').set(w.key, id) }).then(() => {
      w.acked = true
      if (!withConcern) return
      node.flush(doc, { replicas: R, timeoutMs: 5_000 }).then(() => {
        w.ackedR = true
        // I1, at the moment of the acknowledgement: R stores hold it.
        const holding = ids.filter(other => stored(c, other, doc)?.getMap('kv').has(w.key) === true).length
        if (holding < R) violations.push(`I1: ${w.key} in ${doc} acknowledged with replicas ${R} on ${holding} stores`)
      }, () => {})
    }, () => {})
  }

  try {
    expect(c.runUntil(() => c.membershipSettled(), 60_000), 'formed').toBeDefined()
    // Every doc written once, from anywhere.
    for (const doc of docs) write(rnd.sample(running(), 1)[0] as string, doc, false)
    for (let t = 0; t < 5_000; t += 100) { c.runFor(100); await settle() }

    // Chaos.
    const crashed = new Set<string>()
    const pending = [...late]
    let island: string[] = []
    for (let t = 0; t < CHAOS_MS; t += 100) {
      const roll = rnd.next()
      const up = running()
      if (roll < 0.78) {
        for (let i = 0; i < 3; i++) {
          // Writers inside an island (cut off from most of the mesh) half the time: where a write concern is hard.
          const inIsland = island.filter(id => c.isRunning(id))
          const writer = inIsland.length > 0 && rnd.next() < 0.5 ? inIsland[rnd.int(inIsland.length)] as string : up[rnd.int(up.length)] as string
          write(writer, docs[rnd.int(DOCS)] as string, rnd.next() < 0.25)
        }
      } else if (roll < 0.80) {
        // An island of 2–3 peers, cut off both ways from everyone else.
        c.network.heal()
        island = rnd.sample(up, 2 + rnd.int(2))
        c.network.partition(island, ids.filter(id => !island.includes(id)))
      } else if (roll < 0.83 && pending.length > 0) {
        c.restart(pending.shift() as string) // a join
      } else if (roll < 0.85 && up.length > 40) {
        const id = up[rnd.int(up.length)] as string
        c.leave(id)
        left.add(id)
      } else if (roll < 0.88 && up.length > 40) {
        const id = up[rnd.int(up.length)] as string
        c.crash(id)
        crashed.add(id)
      } else if (roll < 0.91 && crashed.size > 0) {
        const id = [...crashed][rnd.int(crashed.size)] as string
        crashed.delete(id)
        c.restart(id)
      } else if (roll < 0.94) {
        // Asymmetric partition: a random group stops hearing from another (one direction only).
        const from = rnd.sample(ids, 1 + rnd.int(10))
        const to = rnd.sample(ids.filter(id => !from.includes(id)), 1 + rnd.int(10))
        for (const a of from) for (const b of to) c.network.block(a, b)
      } else if (roll < 0.97) {
        c.network.heal()
        island = []
      }
      c.runFor(100)
      await settle()
    }

    // Stable: heal, everyone back (the peers that left rejoin too), wait for quiet.
    c.network.heal()
    for (const id of ids) if (!c.isRunning(id)) c.restart(id)
    left.clear()
    for (let t = 0; t < 10_000; t += 100) { c.runFor(100); await settle() }
    expect(c.runUntil(() => c.membershipSettled(), 120_000), 'membership settled').toBeDefined()
    const stable = (): boolean => checkPlaced(c, docs, running(), []).length === 0
    const settled = c.runUntil(stable, 300_000, 1_000)
    await settle()
    const problems = checkPlaced(c, docs, running(), writes)
    expect(settled === undefined ? problems.slice(0, 10) : [], 'I2 (stable): homes identical, R durable copies, none elsewhere').toEqual([])
    expect(violations.slice(0, 10), 'I1/I3').toEqual([])
    expect(writes.filter(w => w.ackedR).length, 'some writes were acknowledged with replicas R').toBeGreaterThan(20)

    // I1: lose R − 1 peers for good; every write acknowledged with R copies is still there, on every home.
    const lost = rnd.sample(running(), R - 1)
    for (const id of lost) c.crash(id)
    const survivors = running()
    expect(c.runUntil(() => checkPlaced(c, docs, survivors, []).length === 0, 300_000, 1_000), 're-placed after the loss').toBeDefined()
    const afterLoss = checkPlaced(c, docs, survivors, writes.filter(w => w.ackedR))
    expect(afterLoss.slice(0, 10), `I1: after losing ${lost.join(', ')} for good`).toEqual([])
    const bugs = survivors.reduce((n, id) => n + c.replicator(id).stats().handlerErrors, 0)
    expect(bugs, 'handler errors (bugs)').toBe(0)
    if (process.env.MURMUR_DEBUG !== undefined) {
      console.log(`seed=${seed} writes=${writes.length} acked=${writes.filter(w => w.acked).length} ackedR=${writes.filter(w => w.ackedR).length} settledMs=${settled} now=${c.network.now}`)
    }
  } finally {
    c.stopAll()
  }
}

/**
 * What is wrong with placement right now, given the members `members`: a doc's homes differ (or one lacks
 * it), a doc is stored off its homes, or one of `expected` (acknowledged writes) is missing from a home.
 */
function checkPlaced (c: ReplicaCluster, docs: readonly string[], members: readonly string[], expected: readonly Written[]): string[] {
  const out: string[] = []
  const byDoc = new Map<string, Written[]>()
  for (const w of expected) if (w.acked) byDoc.set(w.doc, [...byDoc.get(w.doc) ?? [], w])
  for (const doc of docs) {
    const homes = homesOf(doc, members)
    const copies = homes.map(h => stored(c, h, doc))
    const digests = copies.map(d => d === undefined ? 'none' : digest(d))
    if (digests.includes('none') || new Set(digests).size !== 1) out.push(`${doc}: homes ${homes.join(',')} hold ${digests.map(d => d.slice(0, 6)).join(',')}`)
    for (const id of members) {
      if (!homes.includes(id) && c.store(id).has(doc) && !c.replicator(id).isOpen(doc)) out.push(`${doc}: still on ${id}, not a home`)
    }
    for (const w of byDoc.get(doc) ?? []) {
      if (copies.some(d => d?.getMap('kv').has(w.key) !== true)) out.push(`${doc}: acknowledged ${w.key} missing on a home`)
    }
  }
  return out
}

describe('placement under faults (simulated, 50 peers, 1,000 docs, R = 3)', () => {
  it('acknowledged writes survive R − 1 losses, homes converge with R copies, no copy is dropped early', async () => {
    const seeds = process.env.MURMUR_SEED !== undefined && process.env.MURMUR_SEED !== ''
      ? [Number(process.env.MURMUR_SEED)]
      : Array.from({ length: Number(process.env.MURMUR_RUNS ?? 1) }, (_, i) => 0x5eed_0009 + i)
    for (const seed of seeds) {
      onTestFailed(() => { console.error(`replay: MURMUR_SEED=${seed} npx vitest run ${FILE}`) })
      await runProperty(seed)
    }
  }, 600_000)
})
