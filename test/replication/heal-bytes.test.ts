/**
 * What a partition heal costs in sync bytes, in the simulator, in the placement benchmark's shape: 5 peers,
 * R = 3, docs placed on their homes, a 2 | 3 partition (each side makes every one of its peers a home of
 * every doc), writes to the same docs on both sides, then the heal. What the homes lack afterwards is the
 * other side's update of each doc (and their own side's, if they were no home there); everything else sent
 * is overhead: listings, vectors, and whatever is sent twice or to a peer that does not need it.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { hashName, rank } from '../../src/replication/placement.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { until } from '../helpers/sim-until.js'

const FILE = 'test/replication/heal-bytes.test.ts'
const R = 3

const homesAmong = (doc: string, members: readonly string[]): string[] => rank(hashName(doc), members.map(id => ({ id, hash: hashName(id) })), Math.min(R, members.length))

function stored (c: ReplicaCluster, id: string, doc: string): Y.Doc {
  const d = new Y.Doc()
  for (const u of c.store(id).entries(doc)) Y.applyUpdate(d, u)
  return d
}

/** Every doc held by exactly its homes, all holding `keys`. */
function placed (c: ReplicaCluster, docs: readonly string[], keys: (doc: string) => readonly string[]): boolean {
  return placedOn(c, c.ids, docs, keys)
}

/** Sync bytes sent by every node, by message type. */
function bytesByType (c: ReplicaCluster): Record<string, number> {
  const out: Record<string, number> = {}
  for (const id of c.runningIds()) {
    for (const [t, v] of Object.entries(c.replicator(id).stats().bytesOut)) out[t] = (out[t] ?? 0) + v
  }
  return out
}

const total = (b: Record<string, number>): number => Object.values(b).reduce((n, v) => n + v, 0)

describe('partition heal bytes', () => {
  it('a 2 | 3 heal sends at most 1.5× the bytes the homes lack', async () => {
    const seed = useSeed(0x4ea1_b0, FILE, 'heal-bytes')
    // Over streams only, pinned. Open, with datagrams (the simulator's default): at seeds 5153200–05 this heal
    // took 4.9, 2.7, 2.4, 2.4, 4.8, 3.4 s and sent ×1.81, 1.18, 1.61, 1.20, 1.51, 1.35 the bytes the homes
    // lacked (mostly syncBatch: more copies sent twice); over streams 2.9, 3.1, 5.2, 2.6, 3.0, 4.6 s. Since a
    // write to a doc not held here fetches it first (src/mesh-node.ts `write`; the writes below are such),
    // 5.3, 5.0, 5.1, 4.6, 4.9, 4.7 s over streams: the guest copies made in the partition are dropped about
    // a second later (members alive everywhere later too, by the changed order of events; not explained yet).
    // The bound is the worst of either: a heal that places every doc takes at most 6 s here.
    const c = new ReplicaCluster({ size: 5, seed, replication: { replicas: R }, network: { datagrams: false } })
    expect(c.runUntil(() => c.membershipSettled(), 30_000)).toBeDefined()
    const docs = Array.from({ length: 120 }, (_, i) => `doc-${i}`)
    const pdocs = docs.slice(0, 60)
    const value = (k: string, i: number): string => `${k}${i}`.padEnd(1000, '.')
    for (const [i, doc] of docs.entries()) {
      const writer = c.node(c.ids[i % c.ids.length] as string)
      await until(c, writer.write(doc, d => { d.getMap('kv').set('v', value('v', i)) }))
    }
    expect(c.runUntil(() => placed(c, docs, () => ['v']), 60_000), 'placed before the partition').toBeDefined()
    const [a, b] = [c.ids.slice(0, 2), c.ids.slice(2)]
    c.network.partition(a, b)
    expect(c.runUntil(() => a.every(id => c.membership(id).alivePeers().length === a.length - 1) &&
      b.every(id => c.membership(id).alivePeers().length === b.length - 1), 30_000), 'each side sees the other dead').toBeDefined()
    for (const [i, doc] of pdocs.entries()) {
      await until(c, c.node(a[i % a.length] as string).write(doc, d => { d.getMap('kv').set('a', value('a', i)) }))
      await until(c, c.node(b[i % b.length] as string).write(doc, d => { d.getMap('kv').set('b', value('b', i)) }))
    }
    c.runFor(10_000)
    // What the homes lack at the heal: the other side's update, and their own side's if they held no copy
    // there (every peer of a side homes every doc on it, so each holds its side's update).
    const upd = updateBytes(value)
    let missing = 0
    for (const doc of pdocs) {
      for (const h of homesAmong(doc, c.ids)) {
        const kv = stored(c, h, doc).getMap('kv')
        missing += (kv.has('a') ? 0 : upd) + (kv.has('b') ? 0 : upd)
      }
    }
    const before = bytesByType(c)
    c.network.heal()
    const healed = c.network.now
    const at = c.runUntil(() => c.membershipSettled() && placed(c, docs, doc => pdocs.includes(doc) ? ['v', 'a', 'b'] : ['v']), 120_000)
    expect(at, `seed ${seed}: placed after the heal`).toBeDefined()
    // 2.8 s measured; 4.5 s while a guest copy whose last home had confirmed waited for the next handoff tick.
    // With datagrams, of the 4.9 s at this seed 1.3 s is membership (0.27 s over streams):
    // n03 closed its connection to n00 in the partition and kept its key, n00 dropped its own; after the heal
    // n03 pings n00 as a datagram, dialling nothing, and n00's ack and its restated accusation of n03 wait
    // behind n00's own dial begun in the partition, until TCP resends its SYN (about 1 s later).
    expect(c.network.now - healed, `seed ${seed}: ms from the heal to every doc on exactly its homes`).toBeLessThan(6_000)
    const spent = since(before, bytesByType(c))
    const ratio = total(spent) / missing
    if (process.env.MURMUR_DEBUG !== undefined) console.log(`heal: ${c.network.now - healed} ms, ${total(spent)} B for ${missing} B missing (×${ratio.toFixed(2)})`, spent)
    // 1.38× measured (1.43× with 600 docs); 2.21× when a home's step 3 sent guests what they were about to
    // drop, and every guest confirmed each home's copy with one more exchange.
    expect(ratio, `seed ${seed}: sync bytes ${total(spent)} vs ${missing} missing, by type ${JSON.stringify(spent)}`).toBeLessThanOrEqual(1.5)
    c.stopAll()
  }, 120_000)

  it('after 2 of 6 peers are lost for good, the survivors send at most 1.4× the bytes of the lost copies', async () => {
    const seed = useSeed(0x4ea1_b1, FILE, 'loss-bytes')
    const c = new ReplicaCluster({ size: 6, seed, replication: { replicas: R } })
    expect(c.runUntil(() => c.membershipSettled(), 30_000)).toBeDefined()
    const docs = Array.from({ length: 240 }, (_, i) => `doc-${i}`)
    for (const [i, doc] of docs.entries()) {
      await until(c, c.node(c.ids[i % c.ids.length] as string).write(doc, d => { d.getMap('kv').set('v', `v${i}`.padEnd(1000, '.')) }))
    }
    expect(c.runUntil(() => placed(c, docs, () => ['v']), 60_000), 'placed before the loss').toBeDefined()
    const victims = [c.ids[1], c.ids[2]] as string[]
    // Copies to make again: one per home lost (a doc that lost two homes gets two new ones).
    const lostCopies = docs.reduce((n, doc) => n + homesAmong(doc, c.ids).filter(h => victims.includes(h)).length, 0)
    const docBytes = Y.encodeStateAsUpdate(stored(c, homesAmong(docs[0] as string, c.ids)[0] as string, docs[0] as string)).byteLength
    for (const v of victims) c.crash(v)
    const before = bytesByType(c)
    const diffs = (): number => c.runningIds().reduce((n, id) => n + c.replicator(id).stats().diffsSent, 0)
    const diffsBefore = diffs()
    const survivors = c.runningIds()
    const killed = c.network.now
    const at = c.runUntil(() => c.membershipSettled() && docs.every(doc => {
      const homes = homesAmong(doc, survivors)
      return survivors.every(id => c.store(id).has(doc) === homes.includes(id))
    }), 120_000)
    expect(at, `seed ${seed}: back to ${R} copies`).toBeDefined()
    const spent = since(before, bytesByType(c))
    const needed = lostCopies * docBytes
    const ratio = total(spent) / needed
    if (process.env.MURMUR_DEBUG !== undefined) console.log(`loss: ${c.network.now - killed} ms, ${total(spent)} B for ${lostCopies} lost copies of ${docBytes} B (×${ratio.toFixed(2)}), ${diffs() - diffsBefore} diffs`, spent)
    // 1.33× measured (1.29× with 360 docs, 1.23× with 600); 1.45× (1.42×, 1.43×) while a doc created here
    // by a sync step was also fetched from every live peer once loaded.
    expect(ratio, `seed ${seed}: sync bytes ${total(spent)} vs ${needed} of lost copies, by type ${JSON.stringify(spent)}`).toBeLessThanOrEqual(1.4)
    c.stopAll()
  }, 120_000)

  /**
   * The placement benchmark's sequence at a size where each pair of peers shares only a few dozen docs and
   * a partition leaves thousands of guest copies behind (14 peers, 600 docs; the benchmark runs 20 and
   * 2,000): 2 of 14 lost for good, then a 6 | 6 partition with 100 docs written on both sides, and the heal.
   */
  it('at 14 peers and 600 docs, a loss of 2 costs at most 1.5× the lost copies and a 6 | 6 heal at most 1.5× what the homes lack', async () => {
    const seed = useSeed(0x4ea1_b2, FILE, 'bench shape')
    const c = new ReplicaCluster({ size: 14, seed, replication: { replicas: R } })
    expect(c.runUntil(() => c.membershipSettled(), 30_000)).toBeDefined()
    const docs = Array.from({ length: 600 }, (_, i) => `doc-${i}`)
    const value = (k: string, i: number): string => `${k}${i}`.padEnd(1000, '.')
    await until(c, Promise.all(docs.map(async (doc, i) => await c.node(c.ids[i % c.ids.length] as string).write(doc, d => { d.getMap('kv').set('v', value('v', i)) }))), 60_000)
    const everyDoc = (keys: (doc: string) => readonly string[]): boolean => c.membershipSettled() && placedOn(c, c.runningIds(), docs, keys)
    expect(c.runUntil(() => everyDoc(() => ['v']), 60_000, 500), 'placed before the loss').toBeDefined()
    const docBytes = Y.encodeStateAsUpdate(stored(c, homesAmong('doc-0', c.ids)[0] as string, 'doc-0')).byteLength

    // Loss: what the repair must move is one doc per lost copy.
    const victims = [c.ids[1], c.ids[2]] as string[]
    const lostCopies = docs.reduce((n, doc) => n + homesAmong(doc, c.ids).filter(h => victims.includes(h)).length, 0)
    for (const v of victims) c.crash(v)
    let before = bytesByType(c)
    expect(c.runUntil(() => everyDoc(() => ['v']), 120_000, 500), `seed ${seed}: back to ${R} copies`).toBeDefined()
    let spent = since(before, bytesByType(c))
    const loss = total(spent) / (lostCopies * docBytes)
    if (process.env.MURMUR_DEBUG !== undefined) console.log(`loss: ${total(spent)} B for ${lostCopies} lost copies (×${loss.toFixed(2)})`, spent)
    // The target (×1.5). Measured over 7 seeds: ×1.29–1.43 (mean 1.37) on main at 51a46b2, the same
    // spread with the calm-heal changes (the default seed moved from ×1.35 to ×1.43); 1.44–1.53× while every
    // shared set under 64 docs (here ~25 per pair) was listed whole. A bound of 1.4 sat inside that spread.
    expect(loss, `seed ${seed}: loss repair bytes ${total(spent)} vs ${lostCopies * docBytes} of lost copies, by type ${JSON.stringify(spent)}`).toBeLessThanOrEqual(1.5)

    // Partition of the 8 survivors: each side makes its peers homes of every doc it can (guest copies at the heal).
    const ids = c.runningIds()
    const [a, b] = [ids.slice(0, 6), ids.slice(6)]
    c.network.partition(a, b)
    expect(c.runUntil(() => a.every(id => c.membership(id).alivePeers().length === a.length - 1) &&
      b.every(id => c.membership(id).alivePeers().length === b.length - 1), 30_000), 'each side sees the other dead').toBeDefined()
    const pdocs = docs.slice(0, 100)
    await until(c, Promise.all(pdocs.map(async (doc, i) => {
      await c.node(a[i % a.length] as string).write(doc, d => { d.getMap('kv').set('a', value('a', i)) })
      await c.node(b[i % b.length] as string).write(doc, d => { d.getMap('kv').set('b', value('b', i)) })
    })), 60_000)
    // Each side placed what it holds (a doc whose homes were all on the other side has only its write here).
    const held = (side: readonly string[]): string[] => docs.filter(doc => side.some(id => c.store(id).has(doc)))
    expect(c.runUntil(() => placedOn(c, a, held(a), () => []) && placedOn(c, b, held(b), () => []), 60_000, 500), 'each side placed').toBeDefined()
    const upd = updateBytes(value)
    let missing = 0
    for (const doc of pdocs) {
      const [ha, hb] = [homesAmong(doc, a), homesAmong(doc, b)]
      for (const h of homesAmong(doc, ids)) missing += (ha.includes(h) ? 0 : upd) + (hb.includes(h) ? 0 : upd)
    }
    before = bytesByType(c)
    c.network.heal()
    expect(c.runUntil(() => everyDoc(doc => pdocs.includes(doc) ? ['v', 'a', 'b'] : ['v']), 120_000, 500), `seed ${seed}: placed after the heal`).toBeDefined()
    spent = since(before, bytesByType(c))
    const heal = total(spent) / missing
    if (process.env.MURMUR_DEBUG !== undefined) console.log(`heal: ${total(spent)} B for ${missing} B missing (×${heal.toFixed(2)})`, spent)
    // 1.26–1.27× measured (seeds 11–13 and the default); 1.29× while each step 3 carried the responder's
    // vector; 1.37–1.40× (seeds 11–13 and the default) while guests
    // handing their copies over also compared shared sets with the homes meanwhile (differing summaries,
    // listings and offers of docs the handoffs were bringing); 1.74–1.75× while every guest copy was listed
    // to each of its homes with its name and 16-byte digest (20 peers / 2,000 docs: ×1.97 then, ×1.37 later).
    expect(heal, `seed ${seed}: heal bytes ${total(spent)} vs ${missing} missing, by type ${JSON.stringify(spent)}`).toBeLessThanOrEqual(1.32)
    c.stopAll()
  }, 120_000)

  /**
   * A guest copy's handoff round can time out before a home answers (on a loaded machine step 1 came 6–14 s
   * after the listing): here the homes load the doc from a slow store (4 s an operation, against the 3 s
   * session timeout) before they answer. The guest still hands its copy over and asks for nothing: the
   * homes' updates would go to a copy about to be dropped.
   */
  it('a guest whose handoff round timed out before a home answered asks that home for nothing', async () => {
    const seed = useSeed(0x4ea1_b3, FILE, 'late step 1')
    const c = new ReplicaCluster({ size: 4, seed, replication: { replicas: R }, storeLatencyMs: 4_000 })
    expect(c.runUntil(() => c.membershipSettled(), 30_000)).toBeDefined()
    const guest = c.ids[0] as string
    const others = c.ids.slice(1)
    const doc = Array.from({ length: 100 }, (_, i) => `doc-${i}`).find(d => !homesAmong(d, c.ids).includes(guest)) as string
    c.network.partition([guest], others)
    expect(c.runUntil(() => c.membership(guest).alivePeers().length === 0 && others.every(id => c.membership(id).alivePeers().length === others.length - 1), 30_000)).toBeDefined()
    const value = (k: string): string => k.padEnd(1000, '.')
    await until(c, c.node(guest).write(doc, d => { d.getMap('kv').set('a', value('a')) }), 30_000)
    await until(c, c.node(others[0] as string).write(doc, d => { d.getMap('kv').set('b', value('b')) }), 30_000)
    expect(c.runUntil(() => others.every(id => c.store(id).has(doc)), 60_000), 'the other side placed the doc').toBeDefined()
    c.runFor(10_000) // the homes evict it: each step 1 waits for a 4 s load
    const sent = (): number => others.reduce((n, id) => n + c.replicator(id).stats().diffBytesSent, 0)
    const before = sent()
    c.network.heal()
    expect(c.runUntil(() => others.every(id => stored(c, id, doc).getMap('kv').has('a')), 60_000), `seed ${seed}: the homes took the guest's write`).toBeDefined()
    c.runFor(20_000)
    if (process.env.MURMUR_DEBUG !== undefined) console.log(`late step 1: the homes sent ${sent() - before} diff bytes after the heal`)
    // 24 bytes measured (seeds 1, 2 and the default: empty updates); 4,100–5,122 while a step 1 that came
    // after the round had timed out was answered asking for all the homes held: their update went to the
    // guest, once per exchange.
    expect(sent() - before, `seed ${seed}: diff bytes the homes sent after the heal`).toBeLessThan(100)
    c.stopAll()
  }, 120_000)
})

/** Every doc held by exactly its homes among `members`, all holding `keys`. */
function placedOn (c: ReplicaCluster, members: readonly string[], docs: readonly string[], keys: (doc: string) => readonly string[]): boolean {
  for (const doc of docs) {
    const homes = homesAmong(doc, members)
    for (const id of members) {
      const has = c.store(id).has(doc)
      if (has !== homes.includes(id)) return false
      if (has) {
        const kv = stored(c, id, doc).getMap('kv')
        if (!keys(doc).every(k => kv.has(k))) return false
      }
    }
  }
  return true
}

function since (before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [t, v] of Object.entries(after)) if (v > (before[t] ?? 0)) out[t] = v - (before[t] ?? 0)
  return out
}

/** Size of the update that sets one more key of a doc holding one value. */
function updateBytes (value: (k: string, i: number) => string): number {
  const d = new Y.Doc()
  d.getMap('kv').set('v', value('v', 0))
  let size = 0
  d.on('update', (u: Uint8Array) => { size = u.byteLength })
  d.getMap('kv').set('a', value('a', 0))
  return size
}
