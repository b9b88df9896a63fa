/**
 * A mass restart among more members than connections (issue 11). Gossip goes mostly to members we are
 * connected to (test/membership/gossip-dials.test.ts), and a member just restarted has few connections: the
 * news that other restarted members were alive again spread while it joined, and its seed's state holds
 * no record of members it listed dead. At 1,000 members with 100 restarted at once, a few of them missed
 * some of the others until the periodic push-pull, 28 s later (5.5 s before gossip preferred connections;
 * 3.9 s with the catch-up pull). Here 300 members keeping 16 connections each.
 * A joined member now pulls once more when the rumors of its join have run their course.
 */
import { describe, expect, test } from 'vitest'
import { useSeed } from '../helpers/replay.js'
import { SimCluster, simAddress } from '../../src/sim/index.js'

const FILE = 'test/membership/mass-restart.test.ts'
const N = 300
/** Connections each member keeps (64 by default): 1,000 members' ratio, at a test's size. */
const CONNECTIONS = 16
const RESTARTED = 30

describe('a tenth of the members restarted at once', () => {
  test(`${N} members, ${RESTARTED} restarted: all alive everywhere within 5 s`, () => {
    const seed = useSeed(1201, FILE, 'mass restart')
    const c = new SimCluster({ size: N, seed, startWindowMs: 3_000, network: { maxConnections: CONNECTIONS } })
    const { network } = c
    expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === N, 120_000, 500), 'the cluster formed').toBeDefined()
    network.runUntil(() => c.runningIds().every(id => c.membership(id).stats().broadcastQueue === 0), 120_000, 1_000)
    const restarted = network.random.fork().shuffle(c.ids.slice(3)).slice(0, RESTARTED)
    const down = new Set(restarted)
    for (const id of restarted) c.crash(id)
    expect(c.runUntilAll((_, ms) => ms.filter(m => down.has(m.id) && m.state === 'dead').length === RESTARTED, 120_000, 500), 'the crashes detected').toBeDefined()
    for (const id of restarted) c.restart(id)
    const ms = c.runUntilAll((_, members) => members.filter(m => m.state === 'alive').length === N, 60_000, 100)
    const short = c.runningIds().filter(id => c.membership(id).members().filter(m => m.state === 'alive').length !== N)
    console.log(`seed ${seed}: all alive everywhere ${ms === undefined ? 'not within 60 s' : `after ${ms} ms`}${short.length > 0 ? `; short: ${short.join(', ')}` : ''}`)
    // Without the catch-up pull, seed 1201: 11.0 s (a restarted member missing 3 others); seeds 1202–1204:
    // 1.7–1.9 s. With it, seeds 1201–1204: 1.5–1.7 s.
    expect(ms, 'ms until every member lists all alive').toBeLessThanOrEqual(5_000)
  })

  test('joins in quick succession (mDNS rediscoveries, API calls) leave one catch-up pull, not one each', () => {
    const seed = useSeed(1202, FILE, 'joins in quick succession')
    const c = new SimCluster({ size: 10, seed })
    const { network } = c
    expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === 10, 30_000, 100), 'formed').toBeDefined()
    network.runFor(5_000)
    const member = c.ids[5] as string
    const m = c.membership(member)
    const seedDest = { id: c.ids[0] as string, addrs: [simAddress(c.ids[0] as string)] }
    const JOINS = 20
    const before = m.stats().pushPulls
    for (let i = 0; i < JOINS; i++) network.at(network.now + 100 * i, () => { void m.join([seedDest]) })
    // Past the catch-up's delay (twice a rumor's lifetime, a few seconds here), before the periodic one is due twice.
    network.runFor(15_000)
    const pulls = m.stats().pushPulls - before
    console.log(`seed ${seed}: ${JOINS} joins, ${pulls} push-pulls in 15 s`)
    // Each join's own push-pull, one catch-up, and at most one periodic round. Before: a catch-up timer per
    // join, kept until stop; seed 1202 gave 24 (the other catch-ups hit the limit on pending push-pulls).
    expect(pulls).toBeGreaterThanOrEqual(JOINS + 1)
    expect(pulls).toBeLessThanOrEqual(JOINS + 2)
  })
})
