/**
 * A forgotten member revived by a replay of its own old record (found by a review playing a hostile
 * member). A member's `alive` is signed by that member, so nobody can forge one; but anyone who relayed it
 * holds a copy. Once a member that left (after leftRetentionMs) or died (after reconnectWindowMs) was
 * forgotten, its peers no longer knew which incarnation it had reached, and the copy, sent again, was taken
 * as news of a new member: listed alive, gossiped on, probed and dialled until declared dead again — and
 * then again at the next replay. Now a peer remembers the last record of each member it forgot
 * (forgotten.ts) and refuses an `alive` that does not supersede it; the member itself, restarted, is told
 * that record and refutes it above, with a record it signs afresh.
 */
import { describe, expect, test } from 'vitest'
import { Channel } from '../../src/core/transport.js'
import { decodeSwim } from '../../src/membership/codec.js'
import { FORGOTTEN_BYTES_PER_ENTRY, ForgottenMembers, recordBytes } from '../../src/membership/forgotten.js'
import { MemberState } from '../../src/membership/member.js'
import type { MemberUpdate } from '../../src/membership/member.js'
import { simAddress } from '../../src/sim/index.js'
import type { SimCluster } from '../../src/sim/index.js'
import { useSeed } from '../helpers/replay.js'
import { signedAlive, signedLeft } from '../helpers/signed.js'
import { allSee, forge, formed, notSeeing } from './helpers.js'

const FILE = 'test/membership/forgotten-replay.test.ts'
const RECORD = ['joined', 'alive', 'suspect', 'dead', 'left'] as const

/** The latest signed `alive` about `victim` that reached `h` (what a hostile member keeps to replay). */
function capture (c: SimCluster, h: string, victim: string): () => MemberUpdate | undefined {
  let kept: MemberUpdate | undefined
  c.network.tap((_from, to, channel, frame) => {
    if (to !== h || channel !== Channel.swim) return
    const msg = decodeSwim(frame, 1 << 20)
    const all = [...msg.gossip, ...('members' in msg ? msg.members : [])]
    for (const u of all) {
      if (u.id === victim && u.state === MemberState.alive && u.signature !== undefined && (kept === undefined || u.incarnation >= kept.incarnation)) kept = u
    }
  })
  return () => kept
}

/** Frames sent to `victim` by members other than `h` from now on (probes, gossip, dials). */
function framesTo (c: SimCluster, h: string, victim: string): () => number {
  let n = 0
  c.network.tap((from, to) => { if (to === victim && from !== h) n++ })
  return () => n
}

/** After 5 s, `victim` leaves or crashes, is listed left or dead everywhere, then forgotten everywhere. */
function goneAndForgotten (c: SimCluster, victim: string, how: 'leave' | 'crash'): void {
  c.network.runFor(5_000)
  if (how === 'leave') c.leave(victim)
  else c.crash(victim)
  const gone = how === 'leave' ? 'left' : 'dead'
  expect(c.runUntilAll(() => allSee(c, victim, gone), 120_000), `${victim} ${gone} everywhere: ${notSeeing(c, victim, gone).join(', ')}`).toBeDefined()
  const config = c.membership(c.runningIds()[0] as string).config
  const horizon = how === 'leave' ? config.leftRetentionMs : config.reconnectWindowMs
  c.network.runFor(horizon + 2 * config.reconnectIntervalMs + 1_000)
  expect(c.runningIds().filter(id => c.membership(id).member(victim) !== undefined), 'forgotten everywhere').toEqual([])
}

/**
 * `victim` goes (`how`), is forgotten everywhere, and `h` replays its old signed alive record to every
 * honest member twice, 30 s apart.
 */
function replayAfterForget (c: SimCluster, victim: string, h: string, how: 'leave' | 'crash'): void {
  const kept = capture(c, h, victim)
  goneAndForgotten(c, victim, how)
  const honest = c.runningIds().filter(id => id !== h)
  const record = kept()
  expect(record, 'h holds a copy of the victim\'s signed alive record').toBeDefined()
  const replayedAt = c.network.now
  const sent = framesTo(c, h, victim)
  for (let round = 0; round < 2; round++) {
    for (const id of honest) forge(c, id, h, [record as MemberUpdate])
    c.network.runFor(30_000)
  }
  const revived = c.events.filter(e => e.subject === victim && e.time >= replayedAt && e.observer !== h && (e.type === 'joined' || e.type === 'alive' || e.type === 'suspect'))
  const listing = honest.filter(id => c.membership(id).member(victim) !== undefined).map(id => `${id}: ${c.stateOf(id, victim) ?? ''}`)
  expect(revived.map(e => `${e.observer} ${e.type} at +${e.time - replayedAt} ms`), 'nobody took the replay').toEqual([])
  expect(listing, 'nobody lists the victim').toEqual([])
  expect(sent(), 'frames sent to the replayed member').toBe(0)
  const refused = honest.reduce((n, id) => n + c.membership(id).stats().staleRecords, 0)
  expect(refused).toBeGreaterThanOrEqual(honest.length)
}

describe('a forgotten member replayed', () => {
  test('a member that left is forgotten; its old signed alive, replayed, revives it nowhere', () => {
    const seed = useSeed(0x4f_0001, FILE, 'a member that left is forgotten')
    const c = formed(6, seed, { record: RECORD })
    replayAfterForget(c, c.ids[3] as string, c.ids[5] as string, 'leave')
    c.stopAll()
  })

  test('a member that crashed is declared dead, then forgotten; its old signed alive, replayed, revives it nowhere', () => {
    const seed = useSeed(0x4f_0002, FILE, 'a member that crashed is declared dead, then forgotten')
    const c = formed(6, seed, { record: RECORD })
    replayAfterForget(c, c.ids[3] as string, c.ids[5] as string, 'crash')
    c.stopAll()
  })
})

/** Runs until every running member but `victim` lists `victim` alive, and it lists them all alive; ms taken. */
function rejoin (c: SimCluster, victim: string): number | undefined {
  return c.runUntilAll((observer, ms) => observer === victim ? ms.filter(m => m.state === 'alive').length === c.runningIds().length : c.stateOf(observer, victim) === 'alive', 60_000, 10)
}

/** `victim` restarted: alive everywhere within 3 s (logged as `what`), and still 30 s later. */
function expectRejoin (c: SimCluster, seed: number, victim: string, what: string): void {
  c.restart(victim)
  const took = rejoin(c, victim)
  const refused = c.runningIds().reduce((n, id) => n + c.membership(id).stats().staleRecords, 0)
  console.log(`seed ${seed}: ${what}: alive everywhere in ${took ?? 'never'} ms, at incarnation ${c.membership(victim).local().incarnation}; ${refused} of its alive records refused as stale meanwhile`)
  expect(took, `not alive at: ${notSeeing(c, victim, 'alive').join(', ')}`).toBeDefined()
  expect(took).toBeLessThanOrEqual(3_000)
  c.network.runFor(30_000)
  expect(allSee(c, victim, 'alive'), notSeeing(c, victim, 'alive').join(', ')).toBe(true)
}

describe('an honest member back after it was forgotten', () => {
  for (const how of ['leave', 'crash'] as const) {
    test(`a member that ${how === 'leave' ? 'left' : 'crashed'} and was forgotten restarts with the same identity: alive everywhere within 3 s`, () => {
      const seed = useSeed(how === 'leave' ? 0x4f_0003 : 0x4f_0004, FILE, `a member that ${how === 'leave' ? 'left' : 'crashed'} and was forgotten restarts`)
      const c = formed(6, seed, { record: RECORD })
      const victim = c.ids[3] as string
      goneAndForgotten(c, victim, how)
      expectRejoin(c, seed, victim, `a member that ${how === 'leave' ? 'left' : 'crashed'}, forgotten, restarted`)
      c.stopAll()
    })
  }

  test('a forgotten member restarts and joins through a peer that never knew it: the others refuse its first alive, tell it when it probes them, and it is alive everywhere within 3 s', () => {
    const seed = useSeed(0x4f_0007, FILE, 'joins through a peer that never knew it')
    const victim = 'n03'
    // The victim joins through n00 alone, which is restarted after the victim was forgotten: n00 holds no
    // memory of it and takes its first alive, at incarnation 0, as news; the others remember its leave.
    const c = formed(6, seed, { record: RECORD, memberOptions: (id) => id === victim ? { seeds: [{ id: 'n00', addrs: [simAddress('n00')] }] } : {} })
    goneAndForgotten(c, victim, 'leave')
    c.crash('n00')
    c.network.runFor(1_000)
    c.restart('n00')
    expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === 5, 60_000), 'n00 back').toBeDefined()
    c.network.runFor(5_000)
    expectRejoin(c, seed, victim, 'a forgotten member joining through a peer that never knew it')
    c.stopAll()
  })

  test('a member restarted before it was forgotten (the common case) rejoins as before', () => {
    const seed = useSeed(0x4f_0005, FILE, 'a member restarted before it was forgotten')
    const c = formed(6, seed, { record: RECORD })
    const victim = c.ids[3] as string
    c.network.runFor(5_000)
    c.leave(victim)
    expect(c.runUntilAll(() => allSee(c, victim, 'left'), 120_000)).toBeDefined()
    c.network.runFor(10_000)
    c.restart(victim)
    const took = rejoin(c, victim)
    console.log(`seed ${seed}: a member that left, restarted 10 s later: alive everywhere in ${took ?? 'never'} ms`)
    expect(took).toBeDefined()
    expect(took).toBeLessThanOrEqual(3_000)
    c.stopAll()
  })
})

describe('the memory of forgotten members is bounded', () => {
  test('a member minting 3,000 identities that join and leave: each peer remembers at most forgottenMembers of them', () => {
    const seed = useSeed(0x4f_0006, FILE, 'a member minting 3,000 identities')
    const limit = 1_000
    const c = formed(4, seed, { config: { leftRetentionMs: 60_000, forgottenMembers: limit } })
    const [a, , , h] = c.ids as [string, string, string, string]
    const minted = Array.from({ length: 3_000 }, (_, i) => `minted-${i}`)
    for (let i = 0; i < minted.length; i += 500) forge(c, a, h, minted.slice(i, i + 500).map(id => signedAlive(c.network, id, 0)))
    for (let i = 0; i < minted.length; i += 500) forge(c, a, h, minted.slice(i, i + 500).map(id => signedLeft(c.network, id, 0)))
    expect(c.membership(a).members().filter(m => m.state === 'left').length).toBe(minted.length)
    c.network.runFor(70_000)
    const s = c.membership(a).stats()
    console.log(`seed ${seed}: after ${minted.length} minted members left and were forgotten: ${c.membership(a).members().length} members, ${s.forgottenMembers} remembered as forgotten`)
    expect(c.membership(a).members().length).toBeLessThanOrEqual(4)
    expect(s.forgottenMembers).toBe(limit)
    // Replayed, the records of those remembered are refused; the others, evicted, are taken again.
    const before = s.staleRecords
    for (let i = 0; i < minted.length; i += 500) forge(c, a, h, minted.slice(i, i + 500).map(id => signedAlive(c.network, id, 0)))
    expect(c.membership(a).stats().staleRecords - before).toBe(limit)
    expect(c.membership(a).members().length).toBe(4 + minted.length - limit)
    c.stopAll()
  })
})

describe('ForgottenMembers', () => {
  const record = (id: string, tagBytes = 0): MemberUpdate => ({ state: MemberState.left, id, incarnation: 2, from: id, meta: { name: id, addrs: [`sim://${id}`], tags: tagBytes === 0 ? {} : { t: 'x'.repeat(tagBytes) } }, signature: new Uint8Array(64) })

  test('bounded by count and by bytes, oldest out; remembering again makes an entry the newest; 0 remembers nothing', () => {
    const f = new ForgottenMembers(100)
    for (let i = 0; i < 250; i++) f.remember(record(`m${i}`))
    expect(f.size).toBe(100)
    expect(f.get('m149')).toBeUndefined()
    expect(f.get('m150')?.incarnation).toBe(2)
    f.remember(record('m150'))
    f.remember(record('new'))
    expect(f.get('m150')).toBeDefined()
    expect(f.get('m151')).toBeUndefined()
    // Records of 20 KiB of tags each (what a member minting identities can give them): the byte bound,
    // 100 KiB here, holds four.
    for (let i = 0; i < 50; i++) f.remember(record(`big${i}`, 10_000))
    expect(f.bytes).toBeLessThanOrEqual(100 * FORGOTTEN_BYTES_PER_ENTRY)
    expect(f.size).toBe(Math.floor(100 * FORGOTTEN_BYTES_PER_ENTRY / recordBytes(record('big0', 10_000))))
    f.delete('big49')
    expect(f.get('big49')).toBeUndefined()
    const none = new ForgottenMembers(0)
    none.remember(record('x'))
    expect(none.size).toBe(0)
  })
})
