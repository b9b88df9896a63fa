/**
 * Property (issue 15): clients retry with idempotency keys — duplicates, reordered and delayed retries,
 * retries on other peers, on both sides of partitions, on peers whose disk is full or that crash — and
 * after the mesh heals and converges, each key's effect is there exactly once on every replica: the
 * counter equals the sum of the distinct keys' deltas, each chat message (stored under an id derived from
 * its key) is shown once, each kv write is there. It still holds once the window has passed and every
 * record is forgotten or folded.
 *
 * Like a real client, each retries until it gets a durable answer (the last retries, after the heal, on a
 * healthy mesh), so every key is applied at least once; the property is that none is applied twice. And
 * no peer ever runs the write function of a key twice (a `log` op's plain array push is protected by the
 * key's record alone), except a restarted peer whose first application was lost with its memory.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import { writeOutcome } from '../../src/core/outcome.js'
import type { MeshNode } from '../../src/mesh-node.js'
import { opKey } from '../../src/replication/idempotency.js'
import { diskFullError } from '../../src/replication/memory-store.js'
import { OPS_ARRAY } from '../../src/replication/op-records.js'
import { PNCounter } from '../../src/replication/pn-counter.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { checkProperty, settle } from './helpers.js'

const FILE = 'test/replication/idempotency.property.test.ts'
/**
 * Long enough that every retry (the last ones come after the heal, ~15–45 s in) falls inside it: a retry
 * after the window is a new operation by design (README), and must not be judged as a duplicate.
 */
const WINDOW_MS = 60_000
const DOC = 'doc'

type Kind = 'counter' | 'chat' | 'kv' | 'log'
interface Op { kind: Kind, delta: number, attempts: Array<{ node: number, atMs: number }> }
interface Fault { type: 'partition' | 'full' | 'crash', node: number, atMs: number, forMs: number }
interface Plan { size: number, ops: Op[], faults: Fault[], seed: number }

const planArb: fc.Arbitrary<Plan> = fc.integer({ min: 3, max: 4 }).chain(size => fc.record({
  size: fc.constant(size),
  ops: fc.array(fc.record({
    kind: fc.constantFrom<Kind>('counter', 'counter', 'chat', 'kv', 'log'),
    delta: fc.integer({ min: -5, max: 5 }).filter(d => d !== 0),
    // The first attempt and its retries: same peer or another, now or later, in any order.
    attempts: fc.array(fc.record({ node: fc.integer({ min: 0, max: size - 1 }), atMs: fc.integer({ min: 0, max: 9_000 }) }), { minLength: 1, maxLength: 4 })
  }), { minLength: 1, maxLength: 12 }),
  faults: fc.array(fc.record({
    type: fc.constantFrom<Fault['type']>('partition', 'partition', 'full', 'crash'),
    node: fc.integer({ min: 0, max: size - 1 }),
    atMs: fc.integer({ min: 0, max: 8_000 }),
    forMs: fc.integer({ min: 200, max: 4_000 })
  }), { maxLength: 3 }),
  seed: fc.integer({ min: 1, max: 2 ** 30 })
}))

const chatId = (opId: string): string => `m-${opKey(opId)}`

/** Write functions run, per node instance (a restart is a new one) and key. */
type Runs = Map<MeshNode, Map<string, number>>

/** What each kind of op does, keyed by `opId` (the app's way: effects that converge to one per key). */
async function apply (node: MeshNode, op: Op, opId: string, runs: Runs): Promise<unknown> {
  const ran = (): void => {
    const mine = runs.get(node) ?? new Map<string, number>()
    runs.set(node, mine)
    mine.set(opId, (mine.get(opId) ?? 0) + 1)
  }
  switch (op.kind) {
    case 'counter': return await (await node.counter(DOC)).add(op.delta, { opId })
    case 'chat': return await node.write(DOC, d => { ran(); d.getArray('chat').push([{ id: chatId(opId), text: opId }]) }, { opId })
    case 'kv': return await node.write(DOC, d => { ran(); d.getMap('kv').set(opId, op.delta) }, { opId })
    case 'log': return await node.write(DOC, d => { ran(); d.getArray('log').push([opId]) }, { opId })
  }
}

/** Messages as the app shows them: one per id (the first in the array's order, the same on every replica). */
function shownChat (doc: Y.Doc): string[] {
  const seen = new Set<string>()
  for (const m of doc.getArray<{ id: string }>('chat').toArray()) seen.add(m.id)
  return [...seen].sort()
}

async function runPlan (plan: Plan): Promise<void> {
  const c = new ReplicaCluster({ size: plan.size, seed: plan.seed, replication: { idempotencyWindowMs: WINDOW_MS } })
  try {
    if (c.runUntil(() => c.membershipSettled(), 30_000) === undefined) throw new Error('mesh did not form')
    for (const id of c.ids) c.open(id, DOC)
    c.runFor(1_000)
    const start = c.network.now
    const id = (i: number): string => c.ids[i] as string
    const pending: Array<Promise<unknown>> = []
    const runs: Runs = new Map()
    const outcomes: string[] = []
    for (const f of plan.faults) {
      c.network.at(start + f.atMs, () => {
        if (f.type === 'partition') c.network.partition([id(f.node)], c.ids.filter(x => x !== id(f.node)))
        else if (f.type === 'full') c.store(id(f.node)).failWith = diskFullError()
        else c.crash(id(f.node))
      })
      c.network.at(start + f.atMs + f.forMs, () => {
        if (f.type === 'partition') c.network.heal()
        else if (f.type === 'full') c.store(id(f.node)).failWith = undefined
        else if (!c.isRunning(id(f.node))) c.restart(id(f.node))
      })
    }
    plan.ops.forEach((op, i) => {
      for (const a of op.attempts) {
        c.network.at(start + a.atMs, () => {
          if (!c.isRunning(id(a.node))) return // the client could not connect: never sent
          pending.push(apply(c.node(id(a.node)), op, `op-${i}`, runs).then(() => { outcomes.push('durable') }, (err: unknown) => { outcomes.push(writeOutcome(err)) }))
        })
      }
    })
    for (let t = 0; t < 14_000; t += 50) {
      c.runFor(50)
      await settle()
    }
    // The mesh is whole and healthy again: every client retries until it gets a durable answer.
    c.network.heal()
    for (const x of c.ids) {
      c.store(x).failWith = undefined
      if (!c.isRunning(x)) c.restart(x)
    }
    if (c.runUntil(() => c.membershipSettled() && c.ids.every(x => c.node(x).storeHealth().state === 'ok'), 30_000) === undefined) throw new Error('mesh did not heal')
    // An app whose open failed while its disk was full (a restart then) opens the doc again now.
    for (const x of c.ids) c.open(x, DOC)
    for (let i = 0; i < plan.ops.length; i++) {
      const op = plan.ops[i] as Op
      let done = false
      for (let attempt = 0; attempt < 10 && !done; attempt++) {
        const p = apply(c.node(id((i + attempt) % plan.size)), op, `op-${i}`, runs).then(() => { done = true }, () => {})
        for (let t = 0; t < 5_000 && !done; t += 20) {
          c.runFor(20)
          await settle()
        }
        await p
      }
      if (!done) throw new Error(`op-${i} never became durable`)
    }
    await Promise.all(pending)
    // The premise of the property (see WINDOW_MS): every attempt came within the window of the first.
    if (c.network.now - start > WINDOW_MS) throw new Error(`retries took ${c.network.now - start} ms, past the ${WINDOW_MS} ms window`)
    if (c.runUntil(() => c.converged([DOC]), 60_000) === undefined) throw new Error('replicas did not converge')
    const expectedCounter = plan.ops.reduce((s, op) => s + (op.kind === 'counter' ? op.delta : 0), 0)
    const expectedChat = plan.ops.map((op, i) => op.kind === 'chat' ? chatId(`op-${i}`) : undefined).filter((x): x is string => x !== undefined).sort()
    const expectedKv = Object.fromEntries(plan.ops.map((op, i) => [`op-${i}`, op.delta] as const).filter((_, i) => plan.ops[i]?.kind === 'kv'))
    const check = (when: string): void => {
      for (const x of c.ids) {
        const doc = c.replicator(x).doc(DOC)
        if (doc === undefined) throw new Error(`${x} has no ${DOC}`)
        expect(new PNCounter(doc, 'reader').value(), `${when}: counter on ${x}`).toBe(expectedCounter)
        expect(shownChat(doc), `${when}: chat on ${x}`).toEqual(expectedChat)
        expect(doc.getMap('kv').toJSON(), `${when}: kv on ${x}`).toEqual(expectedKv)
      }
    }
    for (const [node, keys] of runs) for (const [key, n] of keys) expect(n, `${node.id} ran ${key}`).toBe(1)
    check('after convergence')
    // Past the window every record is forgotten or folded into a slot, and nothing changes.
    c.runFor(3 * WINDOW_MS)
    if (c.runUntil(() => c.converged([DOC]), 60_000) === undefined) throw new Error('replicas did not converge after the window')
    check('after the window')
    for (const x of c.ids) expect(c.replicator(x).doc(DOC)?.getArray(OPS_ARRAY).length, `records left on ${x}`).toBe(0)
  } finally {
    c.stopAll()
  }
}

describe('idempotency keys: exactly one effect per key on every replica (property)', () => {
  it('holds for random retries, partitions, full disks and crashes', async () => {
    await checkProperty(fc.asyncProperty(planArb, runPlan), { file: FILE, defaultSeed: 0x15_2001, defaultRuns: 25 })
  }, 240_000)
})
