/**
 * The alive view replication reads per update (issue 11): alivePeers() built N MemberInfo objects per
 * call, and replication made a Set of them for every update it pushed. aliveIds() is one frozen array per
 * change of who is alive.
 */
import { describe, expect, test } from 'vitest'
import { membershipDirectory } from '../../src/membership/directory.js'
import { aliveSet } from '../../src/replication/alive-set.js'
import { useSeed } from '../helpers/replay.js'
import { allSee, formed } from './helpers.js'

const FILE = 'test/membership/alive-view.test.ts'

describe('alive view', () => {
  test('aliveIds() is the same frozen array until someone stops or starts being alive, and matches alivePeers()', () => {
    const seed = useSeed(1111, FILE, 'alive view')
    const c = formed(8, seed)
    const observer = c.ids[0] as string
    const m = c.membership(observer)
    const first = m.aliveIds()
    expect(Object.isFrozen(first)).toBe(true)
    expect([...first].sort()).toEqual(m.alivePeers().map(i => i.id).sort())
    expect(m.aliveCount).toBe(7)
    c.network.runFor(10_000)
    expect(m.aliveIds()).toBe(first) // nothing changed: the same array, so derived sets are reused
    const directory = membershipDirectory(m)
    expect(aliveSet(directory)).toBe(aliveSet(directory))
    const victim = c.ids[5] as string
    c.crash(victim)
    expect(c.network.runUntil(() => allSee(c, victim, 'dead'), 60_000, 100)).toBeDefined()
    const after = m.aliveIds()
    expect(after).not.toBe(first)
    expect(after).not.toContain(victim)
    expect(m.aliveCount).toBe(6)
    expect(aliveSet(directory).has(victim)).toBe(false)
  })
})
