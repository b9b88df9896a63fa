/**
 * The replication property, in the deterministic simulator: whatever the edits, partitions (symmetric and
 * asymmetric), loss, reordering and crash/restarts, once the network heals and the mesh is quiet, every
 * replica of every doc has the same digest and content, and every acknowledged write is present.
 *
 * Replay a failure with the command it prints (MURMUR_SEED / MURMUR_PATH); MURMUR_RUNS raises the number
 * of runs (e.g. MURMUR_RUNS=2000 for a soak), MURMUR_SHRINK=1 shrinks a counterexample, MURMUR_DEBUG=1
 * prints one line per run.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type * as Y from 'yjs'
import { PNCounter } from '../../src/replication/pn-counter.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { checkProperty, contentOf, settle } from './helpers.js'

type Op =
  | { kind: 'set', key: number, value: number }
  | { kind: 'delete', key: number }
  | { kind: 'insert', pos: number, text: string }
  | { kind: 'erase', pos: number, len: number }
  | { kind: 'count', delta: number }

type Step =
  | { kind: 'edit', node: number, doc: number, op: Op }
  | { kind: 'partition', groups: number[], asymmetric: boolean }
  | { kind: 'heal' }
  | { kind: 'crash', node: number }
  | { kind: 'restart', node: number }
  | { kind: 'open', node: number, doc: number }
  | { kind: 'stall', node: number, ms: number }

interface Scenario {
  size: number
  seed: number
  docs: number
  /** hosting[d][n]: node n replicates doc d (every doc has at least two hosts). */
  hosting: boolean[][]
  loss: number
  jitterMs: number
  /** Small chunks make ordinary diffs chunked, so reassembly runs under loss and reordering. */
  chunkBytes: number | undefined
  storeLatencyMs: number
  steps: Array<{ step: Step, afterMs: number }>
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.nat(5), value: fc.integer({ min: -1000, max: 1000 }) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.nat(5) }),
  fc.record({ kind: fc.constant('insert' as const), pos: fc.nat(50), text: fc.string({ minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('erase' as const), pos: fc.nat(50), len: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('count' as const), delta: fc.integer({ min: -5, max: 10 }) })
)

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  size: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 3, max: 8 }) }, { weight: 1, arbitrary: fc.integer({ min: 9, max: 20 }) }),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  docs: fc.integer({ min: 1, max: 3 })
}).chain(({ size, seed, docs }) => fc.record({
  size: fc.constant(size),
  seed: fc.constant(seed),
  docs: fc.constant(docs),
  hosting: fc.array(fc.array(fc.boolean(), { minLength: size, maxLength: size }), { minLength: docs, maxLength: docs }),
  loss: fc.constantFrom(0, 0, 0.01, 0.05, 0.2),
  jitterMs: fc.constantFrom(0.5, 5, 30),
  chunkBytes: fc.constantFrom(undefined, undefined, 1024, 4096),
  storeLatencyMs: fc.constantFrom(0, 1, 5, 50),
  steps: fc.array(fc.record({
    step: fc.oneof(
      { weight: 12, arbitrary: fc.record({ kind: fc.constant('edit' as const), node: fc.nat(size - 1), doc: fc.nat(docs - 1), op: opArb }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('partition' as const), groups: fc.array(fc.nat(2), { minLength: size, maxLength: size }), asymmetric: fc.boolean() }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'heal' as const }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), node: fc.nat(size - 1) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const), node: fc.nat(size - 1) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('open' as const), node: fc.nat(size - 1), doc: fc.nat(docs - 1) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('stall' as const), node: fc.nat(size - 1), ms: fc.integer({ min: 10, max: 3_000 }) }) }
    ),
    // Often 0 or a few ms: a crash right after a write catches store operations in flight.
    afterMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 60, max: 1500 }))
  }), { minLength: 5, maxLength: 60 })
}))

/** Every doc hosted by at least two nodes: hosts are the flagged nodes, topped up from the first ones. */
function hostsOf (s: Scenario, doc: number): number[] {
  const flags = s.hosting[doc] ?? []
  const hosts = flags.flatMap((h, i) => h ? [i] : [])
  for (let i = 0; hosts.length < 2 && i < s.size; i++) if (!hosts.includes(i)) hosts.push(i)
  return hosts
}

function applyOp (doc: Y.Doc, op: Op, peerId: string): void {
  switch (op.kind) {
    case 'set': doc.getMap('kv').set(`k${op.key}`, op.value); break
    case 'delete': doc.getMap('kv').delete(`k${op.key}`); break
    case 'insert': {
      const t = doc.getText('text')
      t.insert(op.pos % (t.length + 1), op.text)
      break
    }
    case 'erase': {
      const t = doc.getText('text')
      if (t.length === 0) break
      const pos = op.pos % t.length
      t.delete(pos, Math.min(op.len, t.length - pos))
      break
    }
    case 'count': new PNCounter(doc, peerId).increment(op.delta); break
  }
}

interface WriteRecord { doc: string, id: number, delta: number, acked: boolean }

async function runScenario (s: Scenario): Promise<void> {
  const cluster = new ReplicaCluster({
    size: s.size,
    seed: s.seed,
    link: { jitterMs: s.jitterMs, loss: s.loss },
    storeLatencyMs: s.storeLatencyMs,
    ...(s.chunkBytes === undefined ? {} : { replication: { chunkBytes: s.chunkBytes, maxTransferBytes: s.chunkBytes * 1024 } })
  })
  const docNames = Array.from({ length: s.docs }, (_, d) => `doc${d}`)
  const hosts = docNames.map((_, d) => hostsOf(s, d))
  hosts.forEach((nodes, d) => { for (const n of nodes) cluster.open(cluster.ids[n] as string, docNames[d] as string) })
  const writes: WriteRecord[] = []
  try {
    cluster.runFor(2_000)
    for (const { step, afterMs } of s.steps) {
      perform(cluster, s, step, hosts, docNames, writes)
      cluster.runFor(afterMs)
      await settle()
    }
    // Heal everything, bring every node back, and wait for quiet.
    const divergedAtHeal = !cluster.converged(docNames)
    cluster.network.heal()
    cluster.network.setDefaultLink({ loss: 0 })
    for (const id of cluster.ids) if (!cluster.isRunning(id)) cluster.restart(id)
    const settled = cluster.runUntil(() => cluster.membershipSettled(), 120_000, 250)
    expect(settled, 'membership did not settle').toBeDefined()
    const converged = cluster.runUntil(() => cluster.converged(docNames), 60_000, 250)
    await settle()
    expect(converged, `replicas did not converge: ${describeDigests(cluster, docNames)}`).toBeDefined()
    checkContents(cluster, docNames, writes)
    if (process.env.MURMUR_DEBUG !== undefined) {
      const acked = writes.filter(w => w.acked).length
      console.log(`peers=${s.size} steps=${s.steps.length} writes=${writes.length} acked=${acked} divergedAtHeal=${divergedAtHeal} settleMs=${settled} convergeMs=${converged}`)
    }
  } finally {
    cluster.stopAll()
    await settle()
  }
}

function perform (cluster: ReplicaCluster, s: Scenario, step: Step, hosts: number[][], docNames: string[], writes: WriteRecord[]): void {
  const idOf = (n: number): string => cluster.ids[n] as string
  switch (step.kind) {
    case 'edit': {
      const docHosts = hosts[step.doc] as number[]
      const node = docHosts[step.node % docHosts.length] as number
      const id = idOf(node)
      const doc = docNames[step.doc] as string
      if (!cluster.isRunning(id) || !cluster.replicator(id).isReady(doc)) return
      const record: WriteRecord = { doc, id: writes.length + 1, delta: step.op.kind === 'count' ? step.op.delta : 0, acked: false }
      writes.push(record)
      cluster.replicator(id).write(doc, (d) => {
        applyOp(d, step.op, id)
        d.getArray('log').push([record.id])
      }).then(() => { record.acked = true }, () => {})
      return
    }
    case 'partition': {
      cluster.network.heal()
      for (let a = 0; a < s.size; a++) {
        for (let b = 0; b < s.size; b++) {
          if (step.groups[a] === step.groups[b]) continue
          // Asymmetric: only traffic from the lower group to the higher one is cut.
          if (!step.asymmetric || (step.groups[a] as number) < (step.groups[b] as number)) cluster.network.block(idOf(a), idOf(b))
        }
      }
      return
    }
    case 'heal': cluster.network.heal(); return
    case 'crash': {
      const id = idOf(step.node)
      if (cluster.isRunning(id) && cluster.runningIds().length > 1) cluster.crash(id)
      return
    }
    case 'restart': {
      const id = idOf(step.node)
      if (!cluster.isRunning(id)) cluster.restart(id)
      return
    }
    case 'open': {
      // A node starts replicating a doc mid-run: it must find the hosts and fetch the doc.
      const docHosts = hosts[step.doc] as number[]
      if (!docHosts.includes(step.node)) docHosts.push(step.node)
      cluster.open(idOf(step.node), docNames[step.doc] as string)
      return
    }
    case 'stall': cluster.network.stall(idOf(step.node), step.ms)
  }
}

function checkContents (cluster: ReplicaCluster, docNames: string[], writes: WriteRecord[]): void {
  for (const doc of docNames) {
    const replicas = [...cluster.digests(doc).keys()].map(id => ({ id, content: contentOf(cluster.replicator(id).doc(doc) as Y.Doc) }))
    const first = replicas[0]
    expect(first).toBeDefined()
    for (const r of replicas) expect(r.content, `${r.id} differs from ${first?.id} on ${doc}`).toEqual(first?.content)
    const present = new Set(first?.content.log)
    const mine = writes.filter(w => w.doc === doc)
    const lost = mine.filter(w => w.acked && !present.has(w.id))
    expect(lost.map(w => w.id), `acknowledged writes lost on ${doc}`).toEqual([])
    // The counter holds every acknowledged increment, plus possibly some unacknowledged ones.
    const acked = mine.filter(w => w.acked).reduce((sum, w) => sum + w.delta, 0)
    const unacked = mine.filter(w => !w.acked)
    const low = unacked.reduce((sum, w) => sum + Math.min(0, w.delta), 0)
    const high = unacked.reduce((sum, w) => sum + Math.max(0, w.delta), 0)
    const extra = (first?.content.counter ?? 0) - acked
    expect(extra >= low && extra <= high, `counter ${first?.content.counter} vs acknowledged ${acked} on ${doc}`).toBe(true)
  }
}

function describeDigests (cluster: ReplicaCluster, docNames: string[]): string {
  return docNames.map(doc => `${doc}: ${[...cluster.digests(doc)].map(([id, d]) => `${id}=${d?.slice(0, 8) ?? 'loading'}`).join(' ')}`).join('; ')
}

describe('replication under faults (simulated)', () => {
  it('converges and keeps every acknowledged write', async () => {
    await checkProperty(fc.asyncProperty(scenarioArb, runScenario), { file: 'test/replication/replication.sim.test.ts', defaultSeed: 0x6d75726d, defaultRuns: 50 })
  })
})
