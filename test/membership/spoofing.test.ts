/**
 * Defect 5 (issue 10): a member that holds the key but lies. The transport authenticates who sent each
 * frame; membership must use it. An ack counts only from the peer that was pinged (or, in the indirect
 * phase, from a helper that was asked), a push-pull reply only from the peer asked.
 */
import { describe, expect, test } from 'vitest'
import { Channel } from '../../src/core/transport.js'
import { decodeSwim } from '../../src/membership/codec.js'
import { useSeed } from '../helpers/replay.js'
import { allSee, formed, inject, notSeeing } from './helpers.js'

const FILE = 'test/membership/spoofing.test.ts'

describe('forged acks', () => {
  test('a member that acks every ping sent to a crashed member does not keep it alive; its acks are refused and counted', () => {
    const seed = useSeed(0x5b_0001, FILE, 'a member that acks every ping sent to a crashed member')
    // The crashed member's host is gone (no TCP reset: a dial to it times out), so the forged ack, 1 ms
    // after each ping, always beats the transport's verdict.
    const c = formed(6, seed, { network: { refuseWhenCrashed: false } })
    const [, x] = c.ids as [string, string]
    const h = c.ids[5] as string
    // H sees every ping sent to X (the strongest forger: it need not guess sequence numbers) and answers
    // each with an ack of its own, 1 ms later.
    let forged = 0
    c.network.tap((from, to, channel, frame) => {
      if (to !== x || channel !== Channel.swim || from === h) return
      const msg = decodeSwim(frame, 1 << 20)
      if (msg.type !== 'ping') return
      c.network.at(c.network.now + 1, () => {
        if (!c.isRunning(from)) return
        forged++
        inject(c, from, h, { type: 'ack', seq: msg.seq, gossip: [] })
      })
    })
    c.crash(x)
    const took = c.runUntilAll(() => allSee(c, x, 'dead'), 120_000)
    expect(took, `still not dead at: ${notSeeing(c, x, 'dead').join(', ')} (${forged} forged acks)`).toBeDefined()
    expect(forged).toBeGreaterThan(0)
    const refused = c.runningIds().filter(id => id !== h).reduce((n, id) => n + c.membership(id).stats().unexpectedAcks, 0)
    expect(refused).toBeGreaterThanOrEqual(forged)
    c.stopAll()
  })

  test('a push-pull reply counts only from the peer asked: a forged reply with the right sequence number is refused', () => {
    const seed = useSeed(0x5b_0002, FILE, 'a push-pull reply counts only from the peer asked')
    const c = formed(4, seed)
    const [o, y, , h] = c.ids as [string, string, string, string]
    let forged = 0
    c.network.tap((from, to, channel, frame) => {
      if (from !== o || to !== y || channel !== Channel.swim) return
      const msg = decodeSwim(frame, 1 << 20)
      if (msg.type !== 'pushPull' || msg.page !== 0) return
      forged++
      c.network.at(c.network.now, () => {
        inject(c, o, h, {
          type: 'pushPullReply',
          seq: msg.seq,
          page: 0,
          members: [{ state: 'alive', id: 'ghost', incarnation: 1, from: '', meta: { name: 'ghost', addrs: ['sim://ghost'], tags: {} } }],
          gossip: []
        })
      })
    })
    const before = c.membership(o).stats().unexpectedFrames
    c.network.runFor(120_000) // several periodic push-pulls (every 30 s, with a random partner)
    expect(forged).toBeGreaterThan(0)
    expect(c.membership(o).member('ghost')).toBeUndefined()
    expect(c.membership(o).stats().unexpectedFrames - before).toBe(forged)
    c.stopAll()
  })
})

