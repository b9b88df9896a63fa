/**
 * Presence across the mesh, in the deterministic simulator (SWIM membership + presence on the same
 * simulated transport and virtual clock). A failing seed is printed with its replay command.
 */
import { describe, expect, it } from 'vitest'
import { useSeed } from '../helpers/replay.js'
import { CLIENT_RENEW_MS, PresenceSim } from './presence-sim.js'

const FILE = 'test/presence/presence.sim.test.ts'
/** y-protocols' outdatedTimeout. */
const OUTDATED_MS = 30_000
/** Change → seen on another peer: a frame on the simulated LAN (sub-ms); bound generously. */
const SHOW_MS = 200

function mesh (size: number, seed: number, loss = 0): PresenceSim {
  const sim = new PresenceSim({ size, seed, link: { loss } })
  sim.form()
  return sim
}

describe('awareness across the mesh (simulator)', () => {
  it('a client on A is seen on C, changes follow, and its removal too', () => {
    const seed = useSeed(1201, FILE, 'a client on A is seen on C, changes follow, and its removal too')
    const sim = mesh(4, seed)
    const [a, , c] = sim.ids as [string, string, string]
    const ada = sim.connect(a, 'notes', { user: { name: 'Ada' } })
    const grace = sim.connect(c, 'notes', { user: { name: 'Grace' } })
    expect(sim.runUntil(() => JSON.stringify(sim.seen(c, 'notes')) === JSON.stringify(sim.expected('notes')), SHOW_MS)).toBeDefined()
    expect(sim.runUntil(() => JSON.stringify(sim.seen(a, 'notes')) === JSON.stringify(sim.expected('notes')), SHOW_MS)).toBeDefined()
    expect(sim.presence(c).docs.states('notes').find(s => s.clientId === ada.clientId)?.peer).toBe(a)

    sim.set(ada, { user: { name: 'Ada' }, cursor: 7 })
    expect(sim.runUntil(() => sim.seen(c, 'notes')[ada.clientId] === JSON.stringify(ada.state), SHOW_MS)).toBeDefined()

    sim.disconnect(ada)
    expect(sim.runUntil(() => sim.seen(c, 'notes')[ada.clientId] === undefined, SHOW_MS)).toBeDefined()
    expect(sim.seen(c, 'notes')[grace.clientId]).toBe(JSON.stringify(grace.state))
  })

  it('peers without clients on the doc hold nothing of it, and a late joiner gets every state', () => {
    const seed = useSeed(1202, FILE, 'peers without clients on the doc hold nothing of it, and a late joiner gets every state')
    const sim = mesh(5, seed)
    const [a, b, c, d] = sim.ids as [string, string, string, string]
    sim.connect(a, 'notes', { n: 'a' })
    sim.connect(b, 'notes', { n: 'b' })
    sim.network.runFor(1000)
    expect(sim.presence(c).stats().states).toBe(0)
    expect(sim.presence(d).docs.states('notes')).toEqual([])
    sim.connect(d, 'notes', { n: 'd' })
    expect(sim.runUntil(() => JSON.stringify(sim.seen(d, 'notes')) === JSON.stringify(sim.expected('notes')), SHOW_MS)).toBeDefined()
    expect(sim.runUntil(() => JSON.stringify(sim.seen(a, 'notes')) === JSON.stringify(sim.expected('notes')), SHOW_MS)).toBeDefined()
  })

  it('a client that stops renewing is removed everywhere after the outdated timeout (30 s), a renewing one never', () => {
    const seed = useSeed(1203, FILE, 'a client that stops renewing is removed everywhere after the outdated timeout (30 s), a renewing one never')
    const sim = mesh(3, seed)
    const [a, b] = sim.ids as [string, string]
    const quiet = sim.connect(a, 'doc', { q: 1 })
    const busy = sim.connect(a, 'doc', { b: 1 })
    sim.connect(b, 'doc', { watcher: true })
    sim.network.runFor(100)
    const t0 = sim.network.now
    // Only `busy` renews, every 15 s, as y-protocols clients do.
    const renew = (): void => {
      sim.set(busy, busy.state)
      sim.network.at(sim.network.now + CLIENT_RENEW_MS, renew)
    }
    sim.network.at(t0 + CLIENT_RENEW_MS, renew)
    const gone = sim.runUntil(() => sim.seen(b, 'doc')[quiet.clientId] === undefined, 2 * OUTDATED_MS)
    expect(gone).toBeDefined()
    expect(sim.network.now - t0).toBeGreaterThanOrEqual(OUTDATED_MS)
    expect(sim.network.now - t0).toBeLessThanOrEqual(OUTDATED_MS + 4000) // one expire check (3 s) + delivery
    expect(sim.seen(a, 'doc')[quiet.clientId]).toBeUndefined()
    sim.network.runFor(3 * OUTDATED_MS)
    expect(sim.seen(b, 'doc')[busy.clientId]).toBe(JSON.stringify(busy.state))
  })

  it('a crashed peer\'s clients disappear once membership declares it dead; a gracefully stopped one\'s at once', () => {
    const seed = useSeed(1204, FILE, 'a crashed peer\'s clients disappear once membership declares it dead; a gracefully stopped one\'s at once')
    const sim = mesh(5, seed)
    const [a, b, c] = sim.ids as [string, string, string]
    const onA = sim.connect(a, 'doc', { on: 'a' })
    const onB = sim.connect(b, 'doc', { on: 'b' })
    sim.connect(c, 'doc', { on: 'c' })
    sim.renewClients()
    expect(sim.runUntil(() => sim.seen(c, 'doc')[onA.clientId] !== undefined && sim.seen(c, 'doc')[onB.clientId] !== undefined, SHOW_MS)).toBeDefined()

    sim.stop(b)
    expect(sim.runUntil(() => sim.seen(c, 'doc')[onB.clientId] === undefined, SHOW_MS)).toBeDefined()

    const t0 = sim.network.now
    sim.crash(a)
    expect(sim.runUntil(() => sim.seen(c, 'doc')[onA.clientId] === undefined, 2 * OUTDATED_MS)).toBeDefined()
    const took = sim.network.now - t0
    expect(sim.cluster.stateOf(c, a)).toBe('dead') // membership, not the 30 s timeout, removed it
    expect(took).toBeLessThan(OUTDATED_MS)
  })

  it('partition: each side loses the other\'s clients when it declares them dead; after the heal every state is back everywhere', () => {
    const seed = useSeed(1205, FILE, 'partition: each side loses the other\'s clients when it declares them dead; after the heal every state is back everywhere')
    const sim = mesh(4, seed)
    const [a, b, c, d] = sim.ids as [string, string, string, string]
    for (const id of [a, b, c, d]) sim.connect(id, 'doc', { on: id })
    sim.renewClients()
    const all = (): boolean => [a, b, c, d].every(id => JSON.stringify(sim.seen(id, 'doc')) === JSON.stringify(sim.expected('doc')))
    expect(sim.runUntil(all, SHOW_MS)).toBeDefined()
    sim.network.partition([a, b], [c, d])
    const split = (): boolean => Object.keys(sim.seen(a, 'doc')).length === 2 && Object.keys(sim.seen(c, 'doc')).length === 2
    expect(sim.runUntil(split, 2 * OUTDATED_MS)).toBeDefined()
    sim.network.heal()
    const healed = sim.runUntil(all, 60_000)
    expect(healed).toBeDefined()
    // Back as soon as membership sees the other side alive (a hello goes to each returning peer): well
    // before the clients' next renewal would have repaired it.
    expect(healed).toBeLessThan(10_000)
  })

  it('converges under 20 % frame loss: the renewals and refreshes repair lost changes', () => {
    const seed = useSeed(1206, FILE, 'converges under 20 % frame loss: the renewals and refreshes repair lost changes')
    const sim = mesh(6, seed)
    sim.network.setDefaultLink({ loss: 0.2 })
    const clients = sim.ids.map((id, i) => sim.connect(id, 'doc', { i }))
    sim.renewClients()
    for (let round = 0; round < 20; round++) {
      const cl = clients[round % clients.length]
      if (cl !== undefined) sim.set(cl, { i: round, moved: true })
      sim.network.runFor(200)
    }
    sim.network.setDefaultLink({ loss: 0 })
    const all = (): boolean => sim.ids.every(id => JSON.stringify(sim.seen(id, 'doc')) === JSON.stringify(sim.expected('doc')))
    expect(sim.runUntil(all, 2 * CLIENT_RENEW_MS)).toBeDefined()
  })

  it('a peer restarted with the same id is dropped as a subscriber by its bye, and gets everything again when a client joins', () => {
    const seed = useSeed(1207, FILE, 'a peer restarted with the same id is dropped as a subscriber by its bye, and gets everything again when a client joins')
    const sim = mesh(3, seed)
    const [a, b] = sim.ids as [string, string]
    sim.connect(a, 'doc', { on: 'a' })
    sim.connect(b, 'doc', { on: 'b' })
    sim.network.runFor(100)
    expect(sim.presence(a).stats().subscriptions).toBe(1)
    sim.crash(b)
    sim.restart(b)
    // A's next refresh reaches the fresh B, which has no clients on the doc and answers bye.
    expect(sim.runUntil(() => sim.presence(a).stats().subscriptions === 0, 20_000)).toBeDefined()
    expect(sim.presence(b).stats().uninterestedFrames).toBeGreaterThan(0)
    sim.connect(b, 'doc', { on: 'b again' })
    expect(sim.runUntil(() => JSON.stringify(sim.seen(b, 'doc')) === JSON.stringify(sim.expected('doc')), SHOW_MS)).toBeDefined()
  })

  it('changes made in one turn go to each interested peer as one frame', () => {
    const seed = useSeed(1214, FILE, 'changes made in one turn go to each interested peer as one frame')
    const sim = mesh(4, seed)
    const [a, b, c] = sim.ids as [string, string, string]
    const clients = [sim.connect(a, 'doc', { n: 1 }), sim.connect(a, 'doc', { n: 2 }), sim.connect(a, 'doc', { n: 3 })]
    sim.connect(b, 'doc', { n: 'b' })
    sim.connect(c, 'doc', { n: 'c' })
    sim.network.runFor(100)
    const before = sim.presence(a).stats().messagesOut.states
    for (const cl of clients) sim.set(cl, { moved: true })
    sim.network.runFor(50)
    expect(sim.presence(a).stats().messagesOut.states - before).toBe(2) // one to B, one to C
    expect(JSON.stringify(sim.seen(b, 'doc'))).toBe(JSON.stringify(sim.expected('doc')))
  })

  it('views: a peer gets every other peer\'s member view in one request', () => {
    const seed = useSeed(1208, FILE, 'views: a peer gets every other peer\'s member view in one request')
    const sim = mesh(5, seed)
    const [a, ...others] = sim.ids as [string, ...string[]]
    let got: Map<string, unknown> | undefined
    sim.presence(a).views.request(others, 1000, (views) => { got = views })
    expect(sim.runUntil(() => got !== undefined, 1000)).toBeDefined()
    expect([...(got?.keys() ?? [])].sort()).toEqual([...others].sort())
    // A second request within the per-asker interval is refused by the responders (rate limit).
    let again: Map<string, unknown> | undefined
    sim.presence(a).views.request(others, 100, (views) => { again = views })
    sim.network.runFor(150)
    expect(again?.size).toBe(0)
    expect(sim.presence(others[0] as string).stats().viewRequestsRefused).toBe(1)
  })
})
