/**
 * Peers configured with different R (`--replicas`) disagree on every doc's homes. Each peer says its R in
 * its anti-entropy summaries; a peer that hears another R logs one warning per member, counts the member
 * in `placement().disagreeing` (GET /placement, the gauge murmur_members_replicas_disagreeing), and
 * forgets it once it agrees again or is no longer a member.
 */
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/core/logger.js'
import type { LogLevelName } from '../../src/core/logger.js'
import { decodeSync, encodeSync } from '../../src/replication/codec.js'
import { ReplicasAgreement } from '../../src/replication/replicas-agreement.js'
import { simNodeId } from '../../src/sim/cluster.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'

const FILE = 'test/replication/replicas-agreement.test.ts'

interface Line { level: LogLevelName, message: string, fields: Record<string, unknown> | undefined }

function recorder (): { lines: Line[], log: ReturnType<typeof createLogger> } {
  const lines: Line[] = []
  return { lines, log: createLogger((level, _component, message, fields) => { lines.push({ level, message, fields }) }, 'debug') }
}

describe('the summary says the sender\'s R', () => {
  it('round-trips, and a summary without it (a peer from before) decodes without it', () => {
    const root = new Uint8Array(8).fill(7)
    expect(decodeSync(encodeSync({ type: 'summary', session: 9, root, count: 2, replicas: 5 }), 1 << 20)).toEqual({ type: 'summary', session: 9, root, count: 2, replicas: 5 })
    expect(decodeSync(encodeSync({ type: 'summary', session: 9, root, count: 2 }), 1 << 20)).toEqual({ type: 'summary', session: 9, root, count: 2 })
  })
})

describe('ReplicasAgreement', () => {
  it('warns once per member and value, and says when a member agrees again', () => {
    const { lines, log } = recorder()
    const a = new ReplicasAgreement(3, log, 100)
    a.note('p1', 3)
    expect(lines).toEqual([])
    a.note('p1', 5)
    a.note('p1', 5)
    expect(a.disagreeing()).toEqual({ p1: 5 })
    expect(lines.map(l => [l.level, l.fields])).toEqual([['warn', { peer: 'p1', theirs: 5, ours: 3 }]])
    a.note('p1', 4)
    expect(lines).toHaveLength(2)
    expect(a.disagreeing()).toEqual({ p1: 4 })
    a.note('p1', 3)
    expect(a.disagreeing()).toEqual({})
    expect(lines[2]?.level).toBe('info')
    a.note('p2', 1)
    a.forget('p2')
    expect(a.size).toBe(0)
  })

  it('remembers at most its bound, the oldest forgotten first', () => {
    const a = new ReplicasAgreement(3, createLogger(() => {}, 'silent'), 2)
    a.note('p1', 5)
    a.note('p2', 5)
    a.note('p3', 5)
    expect(a.disagreeing()).toEqual({ p2: 5, p3: 5 })
  })
})

describe('a mesh where one peer uses another R', () => {
  it('every peer names the odd one (and it names all the others) until it is gone; a mesh that agrees names nobody', () => {
    const seed = useSeed(0x4e9_1ca5, FILE, 'odd peer')
    const logs = new Map<string, Line[]>()
    const size = 5
    const odd = simNodeId(size - 1, size)
    const c = new ReplicaCluster({
      size,
      seed,
      replicationOf: { [odd]: { replicas: 5 } },
      logger: (id) => {
        const r = recorder()
        logs.set(id, r.lines)
        return r.log
      }
    })
    expect(c.runUntil(() => c.membershipSettled(), 30_000), 'membership formed').toBeDefined()
    const others = c.ids.filter(id => id !== odd)
    const named = (): boolean => others.every(id => c.node(id).placement().disagreeing[odd] === 5) &&
      Object.keys(c.node(odd).placement().disagreeing).length === others.length
    expect(c.runUntil(named, 60_000), 'every peer names the one that disagrees').toBeDefined()
    expect(Object.values(c.node(odd).placement().disagreeing)).toEqual(others.map(() => 3))
    for (const id of others) {
      expect(Object.keys(c.node(id).placement().disagreeing)).toEqual([odd])
      const warned = (logs.get(id) ?? []).filter(l => l.level === 'warn' && l.message.includes('--replicas'))
      expect(warned.map(l => l.fields)).toEqual([{ peer: odd, theirs: 5, ours: 3 }])
    }
    c.crash(odd)
    expect(c.runUntil(() => others.every(id => Object.keys(c.node(id).placement().disagreeing).length === 0), 60_000), 'forgotten once it is no longer a member').toBeDefined()
    c.stopAll()

    const same = new ReplicaCluster({ size, seed })
    expect(same.runUntil(() => same.membershipSettled(), 30_000)).toBeDefined()
    same.runFor(30_000)
    for (const id of same.ids) expect(same.node(id).placement().disagreeing).toEqual({})
    same.stopAll()
  })
})
