/**
 * The gossip loop sleeps while it has nothing to send (issue 11: an idle peer's footprint). Every armed
 * timer is a wake-up of the process; the loop ran every gossipIntervalMs whether or not anything was queued,
 * 10 wake-ups a second per idle peer on the local profile (5 on lan). Asleep, it must still wake for news:
 * a crash after the idle minute is disseminated as before.
 */
import { describe, expect, test } from 'vitest'
import type { Clock } from '../../src/core/clock.js'
import { Membership } from '../../src/membership/index.js'
import { LAN_PRESET } from '../../src/membership/config.js'
import { SimNetwork, simAddress } from '../../src/sim/index.js'
import { useSeed } from '../helpers/replay.js'

const FILE = 'test/membership/idle-gossip.test.ts'
const IDLE_MS = 60_000

/** A clock that counts the timers armed through it. */
function counting (clock: Clock): Clock & { armed: number } {
  const c = {
    armed: 0,
    now: () => clock.now(),
    setTimeout: (fn: () => void, ms: number) => { c.armed++; return clock.setTimeout(fn, ms) }
  }
  return c
}

function mesh (size: number, seed: number): { network: SimNetwork, members: Membership[], clocks: Array<Clock & { armed: number }> } {
  const network = new SimNetwork({ seed })
  const ids = Array.from({ length: size }, (_, i) => `m${i}`)
  const clocks = ids.map(id => { network.addNode(id); return counting(network.clockFor(id)) })
  const members = ids.map((id, i) => new Membership(
    { transport: network.node(id).transport, clock: clocks[i] as Clock, random: network.node(id).random.fork() },
    { name: id, profile: 'sim', seeds: i === 0 ? [] : [{ id: 'm0', addrs: [simAddress('m0')] }] }))
  for (const m of members) m.start()
  for (const m of members.slice(1)) void m.join()
  return { network, members, clocks }
}

const aliveCount = (m: Membership): number => m.members().filter(x => x.state === 'alive').length

describe('idle gossip loop', () => {
  test('an idle formed mesh arms far fewer timers than one gossip tick per interval, and still spreads a crash', () => {
    const seed = useSeed(0x1d_1e01, FILE, 'an idle formed mesh')
    const { network, members, clocks } = mesh(5, seed)
    expect(network.runUntil(() => members.every(m => aliveCount(m) === 5), 30_000, 100), 'formed').toBeDefined()
    network.runFor(30_000) // the queues drain: every update sent its retransmit budget
    const before = clocks.map(c => c.armed)
    network.runFor(IDLE_MS)
    const armed = clocks.map((c, i) => c.armed - (before[i] as number))
    // Awake, the gossip loop alone arms IDLE_MS / gossipIntervalMs = 300 timers a minute (lan/sim: 200 ms);
    // probes (1 s), push-pull and reconnect rounds arm the rest.
    const gossipTicks = IDLE_MS / LAN_PRESET.gossipIntervalMs
    for (const n of armed) expect(n, `timers armed in an idle minute, per member: ${armed.join(' ')}`).toBeLessThan(gossipTicks)
    // Woken by news: a crash is detected and every survivor lists it dead.
    members[4]?.stop()
    network.crash('m4')
    expect(network.runUntil(() => members.slice(0, 4).every(m => m.members().find(x => x.id === 'm4')?.state === 'dead'), 60_000, 100), 'crash spread').toBeDefined()
    for (const m of members.slice(0, 4)) m.stop()
  })

  test('a lone member (nobody to gossip to) arms no gossip timer while idle, and gossips once someone joins', () => {
    const seed = useSeed(0x1d_1e02, FILE, 'a lone member')
    const network = new SimNetwork({ seed })
    network.addNode('solo')
    const clock = counting(network.clockFor('solo'))
    const solo = new Membership({ transport: network.node('solo').transport, clock, random: network.node('solo').random.fork() }, { name: 'solo', profile: 'sim' })
    solo.start()
    network.runFor(10_000)
    const before = clock.armed
    network.runFor(IDLE_MS)
    expect(clock.armed - before, 'timers armed in an idle minute').toBeLessThan(IDLE_MS / LAN_PRESET.gossipIntervalMs)
    network.addNode('late')
    const late = new Membership({ transport: network.node('late').transport, clock: network.clockFor('late'), random: network.node('late').random.fork() },
      { name: 'late', profile: 'sim', seeds: [{ id: 'solo', addrs: [simAddress('solo')] }] })
    late.start()
    void late.join()
    expect(network.runUntil(() => aliveCount(solo) === 2 && aliveCount(late) === 2, 30_000, 100), 'joined').toBeDefined()
    solo.stop()
    late.stop()
  })
})
