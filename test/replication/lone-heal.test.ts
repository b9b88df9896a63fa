/**
 * Issue 14: the 20-peer soak's heal of one peer cut off alone (p00 | 19) — its members re-merged in ~1 s, its
 * writes took 4.5–5.9 s to be everywhere. The lone peer's write of the heal doc, a doc it did not hold, asked
 * every peer it saw alive for the doc (a fetch: 15–16 rounds, all into the partition), which filled its round
 * table (maxSessions 16) until those rounds timed out (sessionTimeoutMs, 5 s). After the heal its handoff of
 * that guest copy and its read repairs — the only rounds that carry its write to the doc's homes — found no
 * room (traced in the real soak: read repairs at +0.1 s and +1.1 s and a handoff at +0.2 s refused; the write
 * reached the homes at +2.3 s, when the oldest rounds expired). Fetch rounds now hold at most half the table.
 *
 * The simulator as the soak runs it: 20 peers at the `local` timing writing the soak doc twice a second; the
 * heal doc written and read everywhere by an earlier cycle; the partition as /admin/partition makes it —
 * what is sent across it is dropped at once (not left queued behind a dial that connects after the heal, as
 * in a TCP partition); a write on each side just before the heal; then every peer read every 250 ms until
 * its read holds both writes.
 */
import { describe, expect, it } from 'vitest'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { settleMicrotasks, until } from '../helpers/sim-until.js'

const FILE = 'test/replication/lone-heal.test.ts'
const SIZE = 20
const WRITES_PER_SEC = 2
const DOC = 'soak'
const HEAL_DOC = 'soak-heal'
const POLL_MS = 250
const PARTITION_MS = 10_000
/** The soak writes on each side, then heals: its writes are this much older than the heal. */
const WRITE_BEFORE_HEAL_MS = 30

interface LoneHeal {
  /** Heal → every peer sees every peer alive. */
  membersMs: number | undefined
  /** Heal → every home of the heal doc holds the lone peer's write. */
  homesMs: number | undefined
  /** Heal → every peer's read holds both writes (the soak's "both sides' writes everywhere"). */
  readsMs: number | undefined
}

async function run (seed: number, lone: number): Promise<LoneHeal> {
  const c = new ReplicaCluster({ size: SIZE, seed, profile: 'local', startWindowMs: 5_000 })
  const { network, ids } = c
  let n = 0
  for (const id of ids) {
    const write = (): void => {
      if (c.isRunning(id)) c.node(id).write(DOC, (doc) => { doc.getMap('kv').set(`${id}-${n++ % 100}`, n) }).catch(() => {})
      network.at(network.now + 1000 / WRITES_PER_SEC, write)
    }
    network.at(network.random.int(1000), write)
  }
  expect(c.runUntil(() => c.runningIds().length === SIZE && c.membershipSettled(), 60_000), `seed ${seed}: the mesh formed`).toBeDefined()
  c.runFor(5_000)
  // An earlier cycle: the heal doc written, and read on every peer (as the soak reads it after every heal).
  await until(c, c.node(ids[3] as string).write(HEAL_DOC, d => { d.getMap('kv').set('p0', 1) }))
  for (const id of ids) await until(c, c.node(id).read(HEAL_DOC, d => d.getMap('kv').size))
  c.runFor(10_000)
  const loneId = ids[lone] as string
  const rest = ids.filter(id => id !== loneId)
  network.partition([loneId], rest)
  const untap = network.tap((from, to) => (from === loneId) === (to === loneId))
  c.runFor(PARTITION_MS - WRITE_BEFORE_HEAL_MS)
  const writers = [loneId, rest[0] as string]
  const markers = writers.map(id => `marker-${id}`)
  writers.forEach((id, i) => { c.node(id).write(HEAL_DOC, d => { d.getMap('kv').set(markers[i] as string, 1) }).catch(() => {}) })
  c.runFor(WRITE_BEFORE_HEAL_MS)
  await settleMicrotasks()
  const healAt = network.now
  network.heal()
  untap()
  const homes = c.replicator(rest[0] as string).liveHomes(HEAL_DOC)
  const out: LoneHeal = { membersMs: undefined, homesMs: undefined, readsMs: undefined }
  // Each peer is read again POLL_MS after a read that lacked a write, as the soak polls (scripts/soak/chaos.ts).
  const held = new Set<string>()
  const readUntilHeld = (id: string): void => {
    const again = (): void => { network.at(network.now + POLL_MS, () => { readUntilHeld(id) }) }
    c.node(id).read(HEAL_DOC, d => markers.every(k => d.getMap('kv').has(k))).then(both => {
      if (both !== true) return again()
      held.add(id)
      if (held.size === ids.length) out.readsMs = network.now - healAt
    }, again)
  }
  for (const id of ids) readUntilHeld(id)
  while (network.now - healAt < 30_000 && (out.membersMs === undefined || out.readsMs === undefined || out.homesMs === undefined)) {
    c.runFor(10)
    await settleMicrotasks()
    out.membersMs ??= c.membershipSettled() ? network.now - healAt : undefined
    out.homesMs ??= homes.every(h => c.replicator(h).doc(HEAL_DOC)?.getMap('kv').has(markers[0] as string) === true) ? network.now - healAt : undefined
  }
  c.stopAll()
  return out
}

const s = (ms: number | undefined): string => (ms === undefined ? 'never (30 s)' : `${(ms / 1000).toFixed(2)} s`)

/**
 * The soak's bound is 5 s. Seeds 4321–4328, lone n00 and n07 (16 runs): before, the lone write on every
 * home after 0.64–5.02 s and both writes read everywhere after 1.52–5.80 s (14 of 16 reads past 2.5 s); with
 * fetch rounds held to half the table, 0.27–1.77 s and 0.52–2.26 s. The suite runs four of the slow ones.
 */
const HOMES_BOUND_MS = 2_000
const READS_BOUND_MS = 2_500
const TEST = 'a lone peer\'s write from the partition is on every home within 2 s of the heal, and read everywhere within 2.5 s'

describe('a peer cut off alone, healed back into 19 (issue 14)', () => {
  it(TEST, async () => {
    const lines: string[] = []
    // Before the fix: homes 3.04, 3.04, 4.03, 5.02 s; reads 3.80, 3.79, 4.88, 5.80 s. After: homes 1.02, 0.28, 1.77, 0.27 s.
    for (const [base, lone] of [[2, 7], [4, 7], [7, 7], [8, 0]] as const) {
      const seed = useSeed(0x10e0 + base, FILE, TEST)
      const r = await run(seed, lone)
      const line = `seed ${seed}, lone n${String(lone).padStart(2, '0')}: members ${s(r.membersMs)}, lone write on every home ${s(r.homesMs)}, both writes read everywhere ${s(r.readsMs)}`
      lines.push(line)
      expect(r.homesMs, line).toBeLessThanOrEqual(HOMES_BOUND_MS)
      expect(r.readsMs, line).toBeLessThanOrEqual(READS_BOUND_MS)
    }
    console.log(lines.join('\n'))
  }, 120_000)
})
