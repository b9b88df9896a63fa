/**
 * Probes over a lossy network (issue 11). With more members than connections (64 per peer) most probes
 * need a new connection, and TCP resends a lost SYN or SYN-ACK only after a second — twice the probe
 * timeout. At 5 % packet loss that is one dial in ten: its ping left too late to be answered, and the
 * helpers' own dials were as likely to be late, so healthy members were suspected all the time. The
 * prober now dials the members it probes in the next three seconds ahead (Prober.connectAhead), and asks
 * helpers it is already connected to first (Prober.startIndirect).
 *
 * The simulator's `packetLoss` is what TCP does with lost packets (src/sim/network.ts): resent after the
 * retransmission timeout, in order; 1 s for a SYN. Pings and acks go as datagrams (the simulator's default,
 * as peers send them), lost for good with the same probability.
 *
 * With datagrams on and any close by the remote dropping the key, the first test's minute recorded 270
 * suspicions of 3 healthy members (seed 1501): a member holding a key without a connection had closed that
 * connection itself, so the target held no key back and answered the datagram ping over a dial of its own,
 * lost SYNs and all, with nothing dialled ahead. The transport now keeps keys at both ends of a budget close
 * (src/net/datagrams.ts, the `keep` datagram; the simulator models it): 0.
 */
import { describe, expect, test } from 'vitest'
import { useSeed } from '../helpers/replay.js'
import { SimCluster } from '../../src/sim/index.js'

const FILE = 'test/membership/lossy-dials.test.ts'
const N = 150

describe('probes that need a dial, at 5 % packet loss', () => {
  test(`${N} members (more than the 64 connections each keeps): few suspicions, no deaths, in a minute`, () => {
    const seed = useSeed(1501, FILE, 'packet loss')
    const c = new SimCluster({ size: N, seed, startWindowMs: 3_000, record: ['suspect', 'dead'] })
    expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === N, 120_000, 500), 'the cluster formed').toBeDefined()
    c.network.runUntil(() => c.runningIds().every(id => c.membership(id).stats().broadcastQueue === 0), 120_000, 1_000)
    const dials0 = c.network.connectionStats.dials
    c.network.setDefaultLink({ packetLoss: 0.05 })
    const start = c.events.length
    c.network.runFor(60_000)
    const events = c.events.slice(start)
    const suspicions = events.filter(e => e.type === 'suspect').length
    const distinct = new Set(events.filter(e => e.type === 'suspect').map(e => e.subject)).size
    const dials = c.network.connectionStats.dials - dials0
    console.log(`${N} members, 60 s at 5 % packet loss: ${suspicions} suspicions recorded (${distinct} members), ${dials} dials, ${c.network.retransmits} frames resent`)
    expect(events.filter(e => e.type === 'dead').map(e => `${e.observer}→${e.subject}`), 'false deaths').toEqual([])
    // Dialling when the probe starts, helpers at random (seeds 1501–1503): 2,768–3,817 suspicions recorded in
    // this minute, of 19–26 healthy members. Dialling a period ahead (seeds 1501–1504): 445–1,026, of 4–7.
    // And connected helpers first (seeds 1501–1504): 0–35, of 0–1.
    expect(dials, 'probes dialled (the test needs more members than connections)').toBeGreaterThan(N * 30)
    expect(suspicions, 'suspicions recorded (observer × subject) in the minute').toBeLessThan(N)
  })
  test(`${N} members at 10 % packet loss: a probe's dial leaves three seconds ahead, so few rounds need helpers`, () => {
    // Dialled one period ahead, a dial whose SYN and its resend a second later were both lost (one in 30 at
    // 10 % loss, where a SYN or its SYN-ACK is lost one time in five) was still connecting when its round
    // ended; the helpers had to dial the target too, and a healthy member was suspected now and then. The
    // third SYN leaves 3 s after the first: dialled that far ahead, the probe finds the connection open.
    // One period ahead (seeds 1501–1503): 5.8–6.3 % of rounds asked helpers, 4–7 members suspected in the
    // minute. Three seconds ahead: 2.7–3.1 %, 2. Since the simulator's connection budget looks again a grace
    // period after a node was left above it (as the transport does), seeds 1501–1513: 2.7–3.1 %, 0–5
    // suspicions (0–3 before that change); the share of rounds that asked helpers is what tells the two apart.
    const seed = useSeed(1502, FILE, 'a probe\'s dial leaves three seconds ahead')
    const c = new SimCluster({ size: N, seed, startWindowMs: 3_000, record: ['suspect', 'dead'] })
    expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === N, 120_000, 500), 'the cluster formed').toBeDefined()
    c.network.runUntil(() => c.runningIds().every(id => c.membership(id).stats().broadcastQueue === 0), 120_000, 1_000)
    const totals = (): { probes: number, helpersAsked: number } => c.runningIds().reduce((t, id) => {
      const s = c.membership(id).stats()
      return { probes: t.probes + s.probes, helpersAsked: t.helpersAsked + s.indirectProbes }
    }, { probes: 0, helpersAsked: 0 })
    const before = totals()
    c.network.setDefaultLink({ packetLoss: 0.1 })
    const start = c.events.length
    c.network.runFor(60_000)
    const after = totals()
    const probes = after.probes - before.probes
    const indirectRounds = (after.helpersAsked - before.helpersAsked) / 3
    const events = c.events.slice(start)
    const suspected = new Set(events.filter(e => e.type === 'suspect').map(e => `${e.subject}@${e.incarnation}`)).size
    console.log(`${N} members, 60 s at 10 % packet loss: ${probes} probes, ${Math.round(indirectRounds)} asked helpers (${(100 * indirectRounds / probes).toFixed(1)} %), ${suspected} suspicions raised`)
    expect(events.filter(e => e.type === 'dead').map(e => `${e.observer}→${e.subject}`), 'false deaths').toEqual([])
    // Over datagrams a direct round fails whenever its ping or its ack is lost, 1 − 0.9² = 19 % of rounds at
    // 10 % loss, whatever the dials do (streams resent them: 2.7–3.1 % of rounds, and the bound was < 4 %). At
    // seed 1502: 19.0 %; 21.2 % while a budget close still cost the pruned end its key (every such ping's ack
    // waited for a dial). What the dials add on top is held to one point.
    const udp = 1 - (1 - 0.1) ** 2
    expect(indirectRounds / probes, 'share of probe rounds that needed helpers').toBeLessThan(udp + 0.01)
    // Open with datagrams on: 19 raised at seed 1502 (0–5 over streams). In the rounds traced, the direct ping or
    // its ack was lost; the stream fallback ping arrived, but its ack came back as a datagram (nothing tells the
    // target that a ping came on the stream) and was lost too; and each helper's path is four datagrams.
    expect(suspected, 'suspicions raised (member, incarnation)').toBeLessThanOrEqual(5)
  })
})
