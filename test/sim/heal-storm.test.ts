/**
 * Issue 14: a heal must not stampede. Thirty peers (membership and replication, the soak's `local`
 * timing, two writes a second each) whose CPU is modelled — one thread each; a handshake costs each end
 * HANDSHAKE_CPU_MS and a frame FRAME_CPU_MS, a peer's share of two cores shared by thirty, as in
 * `npm run soak -- --peers 30` — a 6 | 24 partition long enough for both sides to declare the other dead,
 * then a heal. On the branch's old base (42042d7), every peer dialled every member it saw come back, at
 * once: 1,305 dials, 1,139 handshake timeouts, 9 false deaths, not re-merged a minute later (seed 14). On
 * main, with the CPU model's line faithful (frames wait their turn, they are not starved), undoing the
 * fix gives seed 14: members 6.6 s, 144 dials; seed 1414: 6.3 s, 161 dials, 17 handshake timeouts. With
 * it: no false death, no abandoned handshake, members alive everywhere within 5 s, both sides' writes
 * everywhere within 10 s, at most 4 dials a peer. Over seeds 7, 14, 15, 16 and 1414 on b424eb1: members
 * 1.4–1.9 s, writes 2.3–4.3 s, 86–103 dials, 0–4 handshake timeouts (3 dials a peer and 0 timeouts held at
 * seed 14 alone). Those timeouts were dials to the minority's members, each dialled ~4 times a second by
 * gossip's one unconnected target per probe interval: their handshakes waited 2.0–2.6 s in line (seed 15,
 * all six at n02). With one every 5 intervals (GOSSIP_DIAL_INTERVALS), the same seeds: 0 timeouts, 81–94
 * dials, members 1.4–3.4 s, writes 1.9–3.1 s; before it, after 475f168: 0–6 timeouts (11 in all), 80–107
 * dials, members 1.6–3.5 s. Since a SYN lost in the partition is resent after 1 s as TCP does (a dial begun
 * just before the heal connects after it, where the model used to fail it at its deadline): members
 * 1.4–2.8 s, writes 2.4–3.0 s, 72–94 dials, and 1 and 3 handshake timeouts at seeds 15 and 1414 (0 at the
 * others): dials to a minority member wait in its inbound line behind the handshakes its thread is already
 * doing (seed 1414, n05: six inbound handshakes done in the 3.6 s after the heal, ~0.6 s each, beside its
 * own dials), which the old model spared it a few of. Without identify (five handshake messages, not six;
 * 160 ms of CPU an end instead of 250, as measured), seeds 14, 1414, 7, 15, 16: members 1.4–2.5 s, writes
 * 1.8–2.5 s, 74–96 dials, 0 handshake timeouts; the five-message model at the old 250 ms: 1–9 timeouts.
 */
import { describe, expect, it } from 'vitest'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { settleMicrotasks } from '../helpers/sim-until.js'

const SIZE = 30
const MINORITY = 6
/**
 * CPU of each end of a handshake, at a peer's share of the machine (two cores, thirty peers: 1/15). Calibrated
 * at 250 ms when a connection cost both ends 13.7 ms on a quiet machine (6.9 each, ×15 = 103 ms: a 2.4×
 * margin for a loaded machine's slower CPU); without identify (src/net/node.ts) it costs 8.7 ms
 * (`npm run bench -- connection-cost`), so 160 ms with the same margin. `MURMUR_HEAL_HANDSHAKE_MS=250`
 * replays the old calibration.
 */
const HANDSHAKE_CPU_MS = Number(process.env.MURMUR_HEAL_HANDSHAKE_MS || 160)
if (!Number.isFinite(HANDSHAKE_CPU_MS) || HANDSHAKE_CPU_MS < 0) throw new Error(`MURMUR_HEAL_HANDSHAKE_MS must be a number of ms ≥ 0, got ${process.env.MURMUR_HEAL_HANDSHAKE_MS}`)
/**
 * CPU per frame received. 0.2 ms leaves a peer's thread ~3 % busy under the writes; the real soak's peers
 * run at ~82 % of their share of the two cores (5.5 % of a core each of a fair 6.7 %), which this model
 * reaches at ~6 ms (median 0.83 of the line; the doc's three homes, sent every write directly, 1.2). The
 * suite's 0.2 ms tests the heal's dial storm, not CPU saturation. `MURMUR_HEAL_FRAME_MS=6` replays the
 * calibrated model (BENCHMARKS.md, "Heal at 30 peers"). It once failed there as the real soak did (the
 * overloaded homes stayed suspected); now, seeds 7, 14, 15, 16, 1414: members 2.3–4.4 s, writes 2.8–7.0 s,
 * 70–112 dials, no false death, but 1–6 handshake timeouts, so the test fails on those. The real soak's
 * slowest heals still take 11–15 s: the model misses part of what the real peers' load costs.
 */
const FRAME_CPU_MS = Number(process.env.MURMUR_HEAL_FRAME_MS || 0.2)
if (!Number.isFinite(FRAME_CPU_MS) || FRAME_CPU_MS < 0) throw new Error(`MURMUR_HEAL_FRAME_MS must be a number of ms ≥ 0, got ${process.env.MURMUR_HEAL_FRAME_MS}`)
const PARTITION_MS = 20_000
const WRITES_PER_SEC = 2
const DOC = 'soak'
/**
 * The soak's heal doc (scripts/soak/chaos.ts): nobody opens it; one write on each side while apart, then
 * every peer is read until its read holds both. A peer that does not home it fetches it at its first read and
 * answers the later ones from that guest copy, as the real peers do.
 */
const HEAL_DOC = 'soak-heal'
/** How often the soak asks a peer that did not yet hold both writes. */
const POLL_MS = 250

interface HealRun { healMs: number | undefined, docsMs: number | undefined, readsMs: number | undefined, falseDeaths: string[], handshakeTimeouts: number, dials: number }

async function run (seed: number): Promise<HealRun> {
  const cluster = new ReplicaCluster({
    size: SIZE,
    seed,
    profile: 'local',
    record: ['dead'],
    startWindowMs: 10_000
  })
  const { network, ids } = cluster
  for (const id of ids) cluster.open(id, DOC)
  // Every peer writes WRITES_PER_SEC keys a second, at its own phase, as the soak's writers do.
  let n = 0
  for (const id of ids) {
    const write = (): void => {
      if (cluster.isRunning(id)) cluster.replicator(id).write(DOC, (doc) => { doc.getMap('kv').set(`${id}-${n++}`, n) }).catch(() => {})
      network.at(network.now + 1000 / WRITES_PER_SEC, write)
    }
    network.at(network.random.int(1000), write)
  }
  const formed = cluster.runUntil(() => cluster.runningIds().length === SIZE && cluster.membershipSettled(), 120_000)
  expect(formed, `seed ${seed}: the mesh formed`).toBeDefined()
  // The machine is loaded from now on (forming the mesh is not what this test is about).
  network.setCpu({ handshakeMs: HANDSHAKE_CPU_MS, frameMs: FRAME_CPU_MS })
  cluster.runFor(10_000)
  const minority = ids.slice(0, MINORITY)
  const majority = ids.slice(MINORITY)
  const side = (id: string): number => (minority.includes(id) ? 0 : 1)
  const partitionAt = network.now
  network.partition(minority, majority)
  cluster.runFor(PARTITION_MS)
  const markers = [minority[0] as string, majority[0] as string].map(id => {
    const key = `marker-${id}`
    cluster.replicator(id).write(DOC, (doc) => { doc.getMap('kv').set(key, 1) }).catch(() => {})
    cluster.node(id).write(HEAL_DOC, (doc) => { doc.getMap('kv').set(key, 1) }).catch(() => {})
    return key
  })
  cluster.runFor(POLL_MS)
  await settleMicrotasks()
  const healAt = network.now
  const before = { ...network.connectionStats }
  network.heal()
  let healMs: number | undefined
  let docsMs: number | undefined
  let readsMs: number | undefined
  // Reads as the soak polls: every POLL_MS, each peer whose last read lacked a marker is read again.
  const unread = new Set(ids)
  const reading = new Set<string>()
  let nextPoll = network.now
  while (network.now - healAt < 60_000 && (healMs === undefined || docsMs === undefined || readsMs === undefined)) {
    if (network.now >= nextPoll) {
      nextPoll = network.now + POLL_MS
      for (const id of unread) {
        if (reading.has(id)) continue
        reading.add(id)
        cluster.node(id).read(HEAL_DOC, d => markers.every(k => d.getMap('kv').has(k))).then(holds => {
          reading.delete(id)
          if (holds === true) unread.delete(id)
          if (unread.size === 0) readsMs ??= network.now - healAt
        }, () => { reading.delete(id) })
      }
    }
    cluster.runFor(50)
    await settleMicrotasks()
    healMs ??= cluster.membershipSettled() ? network.now - healAt : undefined
    docsMs ??= ids.every(id => markers.every(k => cluster.replicator(id).doc(DOC)?.getMap('kv').has(k) === true)) ? network.now - healAt : undefined
  }
  cluster.runFor(10_000)
  const settledAt = healAt + (healMs ?? Infinity)
  // False: a member declared dead by one on its own side of the partition, or by anyone once all saw all alive.
  const falseDeaths = cluster.events
    .filter(e => e.type === 'dead' && e.time >= partitionAt && (side(e.observer) === side(e.subject) || e.time > settledAt))
    .map(e => `${e.observer} saw ${e.subject} dead at heal ${e.time >= healAt ? '+' : ''}${Math.round(e.time - healAt)} ms`)
  const after = network.connectionStats
  cluster.stopAll()
  return { healMs, docsMs, readsMs, falseDeaths, handshakeTimeouts: after.handshakeTimeouts - before.handshakeTimeouts, dials: after.dials - before.dials }
}

const s = (ms: number | undefined): string => (ms === undefined ? 'never (60 s)' : `${(ms / 1000).toFixed(1)} s`)

/**
 * Dials after the heal: a peer needs a few new connections, not one per member that came back. Every peer
 * used to tell every member that came back which docs it holds open, dialling it if need be: 72–96 dials at
 * seeds 14, 1414, 7, 15 and 16, 69 of 87 sync dials at seed 14 that listing. Beyond pushAllMaxHosts peers it
 * goes only over a connection already open (AntiEntropy.tellsOpenDocs), and an epidemic push draws at most
 * one host every 5 s regardless of connections and a local push no longer dials an unconnected home in a
 * mesh beyond pushAllMaxHosts (Pusher.spread, Pusher.send): 23–54 dials at the same seeds.
 */
const MAX_DIALS = 2 * SIZE
/**
 * Every peer's read of the heal doc holds both sides' writes. Until read repair (read-repair.ts) and homes
 * answering readers' listings at once (AntiEntropy.handleDigests), a guest copy fetched before the homes
 * merged answered without the other side's write until it was dropped and fetched again: seeds 14, 1414, 7,
 * 15, 16 took 4.8, 3.4, 5.3, 4.3, 5.6 s (6.3, 4.3, 5.4, 7.3, 4.8 s at 6 ms a frame); with them 3.0, 3.0,
 * 3.8, 3.0, 2.5 s (4.5, 4.8, 4.0, 3.8, 3.0 s). The real soak's bound is 10 s; this one says the fix holds.
 */
const READS_BOUND_MS = 4_000
const TEST = 're-merges writes within 10 s, the heal doc on every reader within 4 s and members within 5 s, with at most 2 dials a peer, without false deaths or abandoned handshakes'

describe('a heal at 30 peers on starved CPUs (issue 14)', () => {
  // One seed in the suite (~40 s); MURMUR_SEED=1414 and 7 pass too. Without the fix (handshake slots,
  // paced alive-syncs, gossip and probe changes all undone) on the same model: seed 14 members 6.6 s,
  // 144 dials; seed 1414 members 6.3 s, 161 dials, 17 handshake timeouts — see BENCHMARKS.md.
  it(TEST, async () => {
    const seed = useSeed(14, 'test/sim/heal-storm.test.ts', TEST)
    const r = await run(seed)
    const line = `seed ${seed}, ${FRAME_CPU_MS} ms a frame: members ${s(r.healMs)}, writes ${s(r.docsMs)}, heal doc read everywhere ${s(r.readsMs)}, ${r.dials} dials, ${r.handshakeTimeouts} handshake timeouts, false deaths ${r.falseDeaths.length} ${r.falseDeaths.slice(0, 3).join('; ')}`
    console.log(line)
    expect(r.falseDeaths, line).toEqual([])
    expect(r.healMs, line).toBeLessThanOrEqual(5_000)
    expect(r.docsMs, line).toBeLessThanOrEqual(10_000)
    expect(r.readsMs, line).toBeLessThanOrEqual(READS_BOUND_MS)
    expect(r.handshakeTimeouts, line).toBe(0)
    expect(r.dials, line).toBeLessThanOrEqual(MAX_DIALS)
  }, 180_000)
})
