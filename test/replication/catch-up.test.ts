/**
 * Caught up (src/replication/catch-up.ts): a restarted peer calls itself caught up — `GET /ready` waits for
 * it — once every doc it homes has been compared with another of its homes. The rule alone, then in the
 * simulator: a home restarted after missing writes holds them all at the moment it is caught up, where the
 * old readiness (another member alive) came while some of its docs were still stale.
 */
import { describe, expect, it } from 'vitest'
import { CatchUp } from '../../src/replication/catch-up.js'
import type { CatchUpOutcome } from '../../src/replication/catch-up.js'
import { CATCH_UP_BOUND_MS } from '../../src/replication/replicator.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { until } from '../helpers/sim-until.js'

const FILE = 'test/replication/catch-up.test.ts'

describe('the rule', () => {
  const homesOf: Record<string, string[]> = { a: ['me', 'p', 'q'], b: ['me', 'q', 'r'], c: ['p', 'q', 'r'], alone: ['me'] }
  const tracker = (bound = 10_000): { c: CatchUp, told: Array<[CatchUpOutcome, number]> } => {
    const told: Array<[CatchUpOutcome, number]> = []
    return { c: new CatchUp('me', bound, (outcome, pending) => { told.push([outcome, pending]) }), told }
  }
  const input = (now: number, members: string[], compared: string[], held = Object.keys(homesOf)) => ({
    now, held: held.map(name => ({ name })), homes: (d: string) => homesOf[d] ?? [], members: new Set(members), compared: (p: string) => compared.includes(p)
  })

  it('waits for one compared home per doc homed here, ignores guest copies and docs with no other live home', () => {
    const { c, told } = tracker()
    // a (p, q alive) and b (q alive) wait; c is a guest copy; alone has no other home.
    expect(c.check(input(0, ['me', 'p', 'q'], []))).toEqual({ done: false, pending: 2 })
    expect(c.check(input(1, ['me', 'p', 'q'], ['p']))).toEqual({ done: false, pending: 1 }) // b is homed by q and r
    expect(c.check(input(2, ['me', 'p'], ['p']))).toEqual({ done: true, pending: 0 }) // q gone: b has no other live home
    expect(told).toEqual([['caught up', 0]])
    // Done stays done, whatever comes after.
    expect(c.check(input(3, ['me', 'p', 'q', 'r'], []))).toEqual({ done: true, pending: 0 })
    expect(told).toHaveLength(1)
  })

  it('is not done while nobody else is in the placement (not even with nothing to compare)', () => {
    const { c, told } = tracker()
    expect(c.check(input(0, ['me'], [], []))).toEqual({ done: false, pending: 0 })
    expect(c.check(input(99_999, ['me'], []))).toEqual({ done: false, pending: 0 })
    expect(told).toEqual([])
    expect(c.check(input(100_000, ['me', 'p'], [], []))).toEqual({ done: true, pending: 0 })
  })

  it('is called done at the bound, counted from the first check with another member, and says what was pending', () => {
    const { c, told } = tracker(5_000)
    expect(c.check(input(0, ['me'], []))).toEqual({ done: false, pending: 0 })
    expect(c.check(input(1_000, ['me', 'p', 'q'], [])).done).toBe(false)
    expect(c.check(input(5_999, ['me', 'p', 'q'], [])).done).toBe(false)
    expect(c.check(input(6_000, ['me', 'p', 'q'], []))).toEqual({ done: true, pending: 0 })
    expect(told).toEqual([['bound passed', 2]])
  })
})

describe('a home restarted after missing writes (simulator)', () => {
  it('holds every write it missed, on every doc it homes, once it is caught up; being in a mesh was not enough', async () => {
    const seed = useSeed(0xca7c_0001, FILE, 'restart')
    const docs = Array.from({ length: 30 }, (_, i) => `doc${i}`)
    const c = new ReplicaCluster({ size: 5, seed, replication: { replicas: 3 } })
    expect(c.runUntil(() => c.membershipSettled(), 20_000)).toBeDefined()
    const value = (id: string, doc: string): unknown => c.replicator(id).doc(doc)?.getMap('kv').get('k')
    for (const id of c.ids) for (const doc of docs) c.open(id, doc) // held open: readable at any instant
    for (const doc of docs) await until(c, c.node('n00').write(doc, d => { d.getMap('kv').set('k', 1) }))
    expect(c.runUntil(() => c.converged(docs), 20_000)).toBeDefined()

    const homed = docs.filter(doc => c.replicator('n00').homes(doc).includes('n04')) // with all five members
    c.crash('n04')
    expect(c.runUntil(() => c.ids.slice(0, 4).every(id => c.membership(id).member('n04')?.state === 'dead'), 30_000)).toBeDefined()
    for (const doc of docs) await until(c, c.node('n01').write(doc, d => { d.getMap('kv').set('k', 2) }))
    c.restart('n04')
    expect(homed.length).toBeGreaterThan(0)
    const stale = (): string[] => homed.filter(doc => value('n04', doc) !== 2)

    // The old readiness: another member alive. At that moment some homed docs were still stale.
    expect(c.runUntil(() => c.membership('n04').aliveCount > 0, 10_000, 1)).toBeDefined()
    const staleWhenInMesh = stale().length
    expect(c.replicator('n04').catchUp().done).toBe(false)
    // Caught up: nothing homed there is stale any more, well inside the bound.
    const took = c.runUntil(() => c.replicator('n04').catchUp().done, CATCH_UP_BOUND_MS - 1_000, 5)
    expect(took, 'caught up before the bound').toBeDefined()
    expect(stale()).toEqual([])
    expect(staleWhenInMesh, 'homed docs stale when the restarted peer first saw another member alive').toBeGreaterThan(0)
    c.stopAll()
  })
})
