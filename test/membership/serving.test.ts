/**
 * Defect 4 (issue 10): serving push-pull was unbounded. Any peer may ask for the full state as often as its
 * inbound frame rate allows (200 a second), and each answer encodes and sends the whole table: ~32 peer ids
 * asking at once saturate the victim's interface and fill its outbound queues and budget, and the CPU of
 * encoding them starves its probes (the simulator has no CPU model yet: here the work and the bytes are
 * what is measured). memberlist caps concurrent push-pulls at 128; murmur caps what it serves per
 * requester and overall (push-pull.ts SERVE_PER_PEER, SERVE_BYTES).
 */
import { describe, expect, test } from 'vitest'
import { Channel } from '../../src/core/transport.js'
import { encodeSwim } from '../../src/membership/codec.js'
import { useSeed } from '../helpers/replay.js'
import { signedAlive } from '../helpers/signed.js'
import { formed } from './helpers.js'

const FILE = 'test/membership/serving.test.ts'
const ATTACKERS = 32
const REQUESTS_PER_SEC = 20
const ATTACK_MS = 10_000

describe('serving push-pull', () => {
  test(`${ATTACKERS} peers asking for the full state ${REQUESTS_PER_SEC} times a second each get a bounded share; nothing of ours is dropped; refusals are counted`, () => {
    const seed = useSeed(0x5e_0001, FILE, `${ATTACKERS} peers asking for the full state`)
    const c = formed(4, seed, { record: ['suspect', 'dead'] })
    const [a, v] = c.ids as [string, string]
    // A 500 KB state: 300 members with large tags (minted identities, gossiped to v).
    const tags = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`k${i}`, 'v'.repeat(400)]))
    const gossip = Array.from({ length: 300 }, (_, i) => signedAlive(c.network, `m${i}`, 0, { name: `m${i}`, addrs: [], tags }))
    for (let i = 0; i < gossip.length; i += 100) c.network.node(v).transport.receive(Channel.swim, a, encodeSwim({ type: 'gossip', gossip: gossip.slice(i, i + 100) }))
    c.network.runFor(1_000)
    const start = c.network.now
    const attackers = new Set(Array.from({ length: ATTACKERS }, (_, i) => `h${i}`))
    let replyBytes = 0
    c.network.tap((from, to, channel, frame) => {
      if (from === v && to !== undefined && attackers.has(to) && channel === Channel.swim) replyBytes += frame.byteLength
    })
    const request = encodeSwim({ type: 'pushPull', seq: 1, page: 0, join: false, members: [], gossip: [] })
    for (const h of attackers) {
      const transport = c.network.addNode(h)
      for (let t = 0; t < ATTACK_MS; t += 1000 / REQUESTS_PER_SEC) {
        c.network.at(start + t, () => { transport.send(Channel.swim, { id: v, addrs: [] }, request) })
      }
    }
    const dropsBefore = c.network.drops.swim.queueOverflow
    c.network.runFor(ATTACK_MS + 5_000)
    const stats = c.membership(v).stats()
    const requests = ATTACKERS * REQUESTS_PER_SEC * ATTACK_MS / 1000
    const stateBytes = 500_000
    console.log(`${requests} push-pull requests from ${ATTACKERS} peers in ${ATTACK_MS / 1000} s: ${(replyBytes / 1e6).toFixed(1)} MB sent to them, ${stats.pushPullsServedRefused} refused; ` +
      `${c.network.drops.swim.queueOverflow - dropsBefore} of v's frames dropped from full queues; v suspected ${c.eventsAbout(v, 'suspect').length}×`)
    // Each requester: its burst of 3, then one a second; all of them: SERVE_BYTES (16 MiB, then 8 MiB/s).
    const perPeerBound = ATTACKERS * (3 + ATTACK_MS / 1000) * stateBytes
    const overallBound = (16 + 8 * ATTACK_MS / 1000) * 1024 * 1024
    expect(replyBytes).toBeLessThan(Math.min(perPeerBound, overallBound + stateBytes))
    expect(stats.pushPullsServedRefused).toBeGreaterThan(requests * 0.9)
    expect(c.network.drops.swim.queueOverflow - dropsBefore).toBe(0)
    expect(c.eventsAbout(v, 'suspect')).toEqual([])
    c.stopAll()
  }, 120_000)
})
