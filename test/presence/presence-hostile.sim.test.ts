/**
 * Hostile presence frames from a peer (in the simulator): malformed, oversized and over-limit frames are
 * dropped and counted, never change state and never stop the peer from serving honest peers.
 */
import { describe, expect, it } from 'vitest'
import { Channel } from '../../src/core/transport.js'
import { encodePresence } from '../../src/presence/codec.js'
import { PresenceFrame } from '../../src/presence/wire.js'
import { useSeed } from '../helpers/replay.js'
import { PresenceSim } from './presence-sim.js'

const FILE = 'test/presence/presence-hostile.sim.test.ts'

describe('hostile presence frames (simulator)', () => {
  it('garbage, invalid JSON, oversized states and bad flags are counted and dropped; honest presence carries on', () => {
    const seed = useSeed(1210, FILE, 'garbage, invalid JSON, oversized states and bad flags are counted and dropped; honest presence carries on')
    const sim = new PresenceSim({ size: 3, seed })
    sim.form()
    const [a, b] = sim.ids as [string, string]
    const evil = sim.network.addNode('evil')
    const honest = sim.connect(a, 'doc', { name: 'Ada' })
    sim.connect(b, 'doc', { name: 'Grace' })
    sim.network.runFor(100)
    const before = JSON.stringify(sim.seen(b, 'doc'))
    const frames = [
      new Uint8Array([1, 2, 3, 4, 5]),
      PresenceFrame.encode({ type: 1, states: { doc: 'doc', flags: 0, entries: [{ client: 1, clock: 9, state: '{nope' }] } }),
      PresenceFrame.encode({ type: 1, states: { doc: 'doc', flags: 0, entries: [{ client: 2, clock: 9, state: JSON.stringify('x'.repeat(20_000)) }] } }),
      PresenceFrame.encode({ type: 1, states: { doc: 'doc', flags: 3, entries: [] } }),
      // A valid frame whose second entry is invalid: nothing of it may be applied.
      PresenceFrame.encode({ type: 1, states: { doc: 'doc', flags: 0, entries: [{ client: 3, clock: 9, state: '{"ok":1}' }, { client: 4, clock: 9, state: '"\uDC00"' }] } })
    ]
    for (const f of frames) evil.send(Channel.presence, { id: b, addrs: [] }, f)
    sim.network.runFor(100)
    expect(sim.presence(b).stats().decodeErrors).toBe(frames.length)
    expect(JSON.stringify(sim.seen(b, 'doc'))).toBe(before)
    sim.set(honest, { name: 'Ada', cursor: 3 })
    expect(sim.runUntil(() => sim.seen(b, 'doc')[honest.clientId] === JSON.stringify(honest.state), 200)).toBeDefined()
  })

  it('a peer flooding entries fills at most maxEntriesPerDoc; the rest is refused and counted', () => {
    const seed = useSeed(1211, FILE, 'a peer flooding entries fills at most maxEntriesPerDoc; the rest is refused and counted')
    const sim = new PresenceSim({ size: 2, seed, presence: { maxEntriesPerDoc: 100 } })
    sim.form()
    const [a] = sim.ids as [string]
    const evil = sim.network.addNode('evil')
    sim.connect(a, 'doc', { me: 1 })
    sim.network.runFor(50)
    for (let page = 0; page < 5; page++) {
      const entries = Array.from({ length: 50 }, (_, i) => ({ clientId: page * 50 + i + 1, clock: 1, state: '{}' }))
      evil.send(Channel.presence, { id: a, addrs: [] }, encodePresence({ type: 'states', doc: 'doc', hello: false, bye: false, entries }))
    }
    sim.network.runFor(100)
    const stats = sim.presence(a).stats()
    expect(stats.states).toBe(100)
    expect(stats.entriesRefused).toBe(151) // 250 sent, 99 fit beside our own client
    // States for docs nobody here has clients on are not held at all, and answered with one bye.
    evil.send(Channel.presence, { id: a, addrs: [] }, encodePresence({ type: 'states', doc: 'other', hello: false, bye: false, entries: [{ clientId: 1, clock: 1, state: '{}' }] }))
    evil.send(Channel.presence, { id: a, addrs: [] }, encodePresence({ type: 'states', doc: 'other', hello: false, bye: false, entries: [{ clientId: 2, clock: 1, state: '{}' }] }))
    sim.network.runFor(50)
    expect(sim.presence(a).docs.states('other')).toEqual([])
    expect(sim.presence(a).stats().uninterestedFrames).toBe(2)
    expect(sim.presence(a).stats().messagesOut.states).toBeGreaterThan(0)
  })

  it('view requests beyond the rate limit are refused (a reply is up to a frame: no cheap amplification)', () => {
    const seed = useSeed(1212, FILE, 'view requests beyond the rate limit are refused (a reply is up to a frame: no cheap amplification)')
    const sim = new PresenceSim({ size: 2, seed })
    sim.form()
    const [a] = sim.ids as [string]
    const evil = sim.network.addNode('evil')
    for (let i = 0; i < 100; i++) evil.send(Channel.presence, { id: a, addrs: [] }, encodePresence({ type: 'viewRequest', nonce: i }))
    sim.network.runFor(50)
    const stats = sim.presence(a).stats()
    expect(stats.messagesOut.viewReply).toBe(1) // one per asker per 250 ms
    expect(stats.viewRequestsRefused).toBe(99)
  })
})
