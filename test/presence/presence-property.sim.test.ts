/**
 * The presence property, in the simulator: whatever clients do (connect, change, disconnect) across
 * partitions, loss and crashes, once the network heals and the clients keep renewing, every peer with
 * clients on a doc shows exactly the states of the clients still connected — no ghost, nobody missing.
 *
 * Replay: the failing case's seed and path are printed by fast-check; MURMUR_RUNS raises the run count.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CLIENT_RENEW_MS, PresenceSim } from './presence-sim.js'
import type { SimClient } from './presence-sim.js'

type Step =
  | { kind: 'connect', node: number, doc: number }
  | { kind: 'set', client: number }
  | { kind: 'disconnect', client: number }
  | { kind: 'partition', split: number }
  | { kind: 'heal' }
  | { kind: 'crash', node: number }

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('connect' as const), node: fc.nat(7), doc: fc.nat(1) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), client: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), client: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), split: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('heal' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), node: fc.nat(7) }) }
)

const scenarioArb = fc.record({
  size: fc.integer({ min: 3, max: 7 }),
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  loss: fc.constantFrom(0, 0.05, 0.2),
  steps: fc.array(fc.record({ step: stepArb, afterMs: fc.integer({ min: 0, max: 5000 }) }), { minLength: 5, maxLength: 30 })
})

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never

function run (s: Scenario): void {
  const sim = new PresenceSim({ size: s.size, seed: s.seed })
  sim.form()
  sim.network.setDefaultLink({ loss: s.loss })
  sim.renewClients()
  const running = (): string[] => sim.cluster.runningIds()
  for (const { step, afterMs } of s.steps) {
    sim.network.runFor(afterMs)
    const clients: SimClient[] = sim.clients
    switch (step.kind) {
      case 'connect': {
        const node = running()[step.node % Math.max(1, running().length)]
        if (node !== undefined) sim.connect(node, `doc${step.doc}`, { at: node, n: sim.network.now })
        break
      }
      case 'set': {
        const c = clients[step.client % Math.max(1, clients.length)]
        if (c !== undefined) sim.set(c, { moved: sim.network.now })
        break
      }
      case 'disconnect': {
        const c = clients[step.client % Math.max(1, clients.length)]
        if (c !== undefined) sim.disconnect(c)
        break
      }
      case 'partition': {
        const ids = [...sim.ids]
        sim.network.partition(ids.slice(0, step.split % ids.length), ids.slice(step.split % ids.length))
        break
      }
      case 'heal': sim.network.heal(); break
      case 'crash': {
        // Keep at least two peers running; a crashed node stays down (its clients are gone with it).
        const node = running()[step.node % running().length]
        if (node !== undefined && running().length > 2) sim.crash(node)
        break
      }
    }
  }
  sim.network.heal()
  sim.network.setDefaultLink({ loss: 0 })
  // Membership re-merges within seconds; the clients renew every 15 s; lost removals expire after 30 s.
  const settled = (): boolean => ['doc0', 'doc1'].every(doc => running().every(id =>
    !sim.presence(id).docs.isJoined(doc) || JSON.stringify(sim.seen(id, doc)) === JSON.stringify(sim.expected(doc))))
  const took = sim.runUntil(settled, 120_000)
  if (took === undefined) {
    const detail = ['doc0', 'doc1'].flatMap(doc => running().filter(id => sim.presence(id).docs.isJoined(doc)).map(id => `${id}/${doc}: ${JSON.stringify(sim.seen(id, doc))}`))
    throw new Error(`not settled; expected doc0 ${JSON.stringify(sim.expected('doc0'))} doc1 ${JSON.stringify(sim.expected('doc1'))}\n${detail.join('\n')}`)
  }
  expect(took).toBeLessThanOrEqual(2 * CLIENT_RENEW_MS + 60_000)
}

describe('presence property (simulator)', () => {
  it('after a heal, every peer with clients on a doc shows exactly the connected clients\' latest states', () => {
    const runs = Number(process.env.MURMUR_RUNS ?? 40)
    fc.assert(fc.property(scenarioArb, (s) => { run(s) }), { numRuns: runs, seed: Number(process.env.MURMUR_SEED ?? 1213), endOnFailure: process.env.MURMUR_SHRINK !== '1' })
  }, 120_000)
})
