/**
 * Placement, hinted handoff and rebalancing (issue 9, points 1–3) in the simulator, on full mesh nodes:
 * every doc ends up on exactly its R homes whoever wrote it, a write concern counts durable copies on
 * distinct peers and is covered by the next peer of the preference list when a home is unreachable, a peer
 * cut off from every home keeps its writes and hands them over at the heal, and a join moves about R·D/N docs.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { nameHash } from '../../src/replication/catalog.js'
import { hashName, rank } from '../../src/replication/placement.js'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { until } from '../helpers/sim-until.js'

const FILE = 'test/replication/placement.test.ts'

function formed (o: ConstructorParameters<typeof ReplicaCluster>[0]): ReplicaCluster {
  const c = new ReplicaCluster(o)
  expect(c.runUntil(() => c.membershipSettled(), 30_000), 'membership formed').toBeDefined()
  return c
}

/** The doc as `id`'s store would restore it. */
function stored (c: ReplicaCluster, id: string, doc: string): Y.Doc {
  const d = new Y.Doc()
  for (const u of c.store(id).entries(doc)) Y.applyUpdate(d, u)
  return d
}

/** The homes of `doc` when every node of `c` is a member. */
function trueHomes (c: ReplicaCluster, doc: string, r = 3, members: readonly string[] = c.ids): string[] {
  return rank(hashName(doc), members.map(id => ({ id, hash: hashName(id) })), r)
}

/** Every doc held on exactly its homes, each home with every acknowledged key. */
function placedExactly (c: ReplicaCluster, docs: ReadonlyMap<string, string[]>, members: readonly string[] = c.ids): boolean {
  for (const [doc, keys] of docs) {
    const homes = trueHomes(c, doc, 3, members)
    for (const id of c.runningIds()) {
      const has = c.store(id).has(doc)
      if (has !== homes.includes(id)) return false
      if (has && !keys.every(k => stored(c, id, doc).getMap('kv').has(k))) return false
    }
  }
  return true
}

describe('placement', () => {
  it('every doc ends up on exactly its R homes, whoever wrote it, and all peers agree on the homes', async () => {
    const c = formed({ size: 7, seed: useSeed(0x91ace_01, FILE, 'homes') })
    const docs = new Map<string, string[]>()
    for (let i = 0; i < 40; i++) {
      const doc = `doc-${i}`
      const writer = c.ids[i % c.ids.length] as string
      await until(c, c.node(writer).write(doc, d => { d.getMap('kv').set(`k${i}`, i) }))
      docs.set(doc, [`k${i}`])
    }
    for (const id of c.ids) for (const doc of docs.keys()) expect(c.node(id).homes(doc)).toEqual(trueHomes(c, doc))
    expect(c.runUntil(() => placedExactly(c, docs), 60_000), 'guest copies handed over and dropped').toBeDefined()
    // Any peer serves any doc, homed there or not (a read does not keep a copy for long: it is handed back).
    for (const [doc, [k]] of docs) expect(await until(c, c.node('n00').read(doc, d => d.getMap('kv').get(k as string)))).toBe(Number(doc.slice(4)))
    const info = c.node('n00').placement()
    expect(info).toMatchObject({ scheme: 'rendezvous', replicas: 3, members: [...c.ids] })
    c.stopAll()
  })

  it('a peer that holds a doc open without homing it keeps receiving its writes (interest), and keeps its copy', async () => {
    const c = formed({ size: 7, seed: useSeed(0x91ace_08, FILE, 'interest') })
    const doc = 'watched'
    const outsiders = c.ids.filter(id => !trueHomes(c, doc).includes(id))
    const [watcher, writer] = outsiders as [string, string]
    const live = await until(c, c.node(watcher).doc(doc))
    c.runFor(2_000)
    for (let i = 0; i < 5; i++) {
      await until(c, c.node(writer).write(doc, d => { d.getMap('kv').set(`k${i}`, i) }))
      // Pushed to the homes, which know the watcher: there within a few network hops, not a sync round.
      const start = c.network.now
      expect(c.runUntil(() => live.getMap('kv').get(`k${i}`) === i, 2_000, 1)).toBeDefined()
      expect(c.network.now - start).toBeLessThan(100)
    }
    c.runFor(20_000)
    expect(c.store(watcher).has(doc)).toBe(true) // open here: never dropped
    expect(c.store(writer).has(doc)).toBe(false) // a guest copy: handed over and dropped
    c.stopAll()
  })

  it('with fewer live peers than R, every peer is a home of every doc', async () => {
    const c = formed({ size: 2, seed: useSeed(0x91ace_02, FILE, 'few') })
    await until(c, c.node('n00').write('small', d => { d.getMap('kv').set('a', 1) }))
    expect(c.node('n00').homes('small').sort()).toEqual(['n00', 'n01'])
    expect(c.runUntil(() => c.ids.every(id => c.store(id).names().includes('small')), 10_000)).toBeDefined()
    c.stopAll()
  })

  it('reads that arrive one after another on a non-home peer all find their docs while its session table is full', async () => {
    // Each read of a doc new here asks the doc's homes (and, in a small mesh, every live peer): one round
    // per peer. Reads a few ms apart over 20 ms links fill the round table (maxSessions); a read whose fetch
    // round was skipped waited out its first-exchange window and answered "no such doc" for a doc its homes
    // held (27 of these 30 reads before the fix; the placement bench lost 1 "acknowledged write" that way).
    const c = formed({ size: 7, seed: useSeed(0x91ace_0c, FILE, 'read-burst'), link: { baseDelayMs: 20 } })
    const reader = 'n00'
    const docs: string[] = []
    for (let i = 0; docs.length < 30; i++) {
      const doc = `burst-${i}`
      if (trueHomes(c, doc).includes(reader)) continue
      const writer = c.node(c.ids[1 + (i % 6)] as string)
      await until(c, writer.write(doc, d => { d.getMap('kv').set('k', i) }))
      await until(c, writer.flush(doc, { replicas: 3 }))
      docs.push(doc)
    }
    c.runFor(20_000) // writers' guest copies handed over: the docs live on their homes only
    const skippedBefore = c.node(reader).stats().replication.antiEntropySkipped as number
    const reads: Array<Promise<unknown>> = []
    for (const doc of docs) {
      reads.push(c.node(reader).read(doc, d => d.getMap('kv').get('k')))
      c.runFor(1)
    }
    const values = await until(c, Promise.all(reads), 10_000)
    // The burst did fill the round table (what this test is about).
    expect(c.node(reader).stats().replication.antiEntropySkipped).toBeGreaterThan(skippedBefore)
    expect(values).toEqual(docs.map(d => Number(d.slice(6))))
    c.stopAll()
  })
})

describe('write concerns', () => {
  it('count durable copies on distinct peers; peers without a durable store never count', async () => {
    const c = formed({ size: 4, seed: useSeed(0x91ace_03, FILE, 'durable'), volatile: ['n01', 'n02', 'n03'] })
    await until(c, c.node('n00').write('doc', d => { d.getMap('kv').set('a', 1) }))
    await expect(until(c, c.node('n00').flush('doc', { replicas: 1 }))).resolves.toBeDefined() // our own disk
    // Everyone else acknowledges, but from memory only: two durable copies cannot be had.
    await expect(until(c, c.node('n00').flush('doc', { replicas: 2, timeoutMs: 3_000 }))).rejects.toMatchObject({ name: 'TimeoutError' })
    c.stopAll()
    const d = formed({ size: 4, seed: useSeed(0x91ace_04, FILE, 'durable2'), volatile: ['n00'], replication: { replicas: 4 } })
    await until(d, d.node('n00').write('doc', x => { x.getMap('kv').set('a', 1) }))
    // Ours does not count (no disk); three others do.
    await expect(until(d, d.node('n00').flush('doc', { replicas: 3, timeoutMs: 3_000 }))).resolves.toBeDefined()
    // Four members up, ours not counting: a fourth copy cannot be had, refused at once (no 3 s wait).
    await expect(until(d, d.node('n00').flush('doc', { replicas: 4, timeoutMs: 3_000 }))).rejects.toMatchObject({ name: 'WriteConcernUnsatisfiableError' })
    d.stopAll()
  })

  it('a home the writer cannot reach is covered by the next peer of the preference list, which hands the write over at the heal (hinted handoff)', async () => {
    const c = formed({ size: 6, seed: useSeed(0x91ace_05, FILE, 'hinted') })
    const doc = 'hinted'
    const pref = rank(hashName(doc), c.ids.map(id => ({ id, hash: hashName(id) })))
    // The writer is a home (a flush never asks for more copies than R).
    const [writer, h2, h3, fallback] = pref as [string, string, string, string]
    // The writer cannot reach one home; the rest of the mesh can, so membership keeps it alive.
    c.network.partition([writer], [h3])
    c.runFor(3_000)
    expect(c.membership(writer).member(h3)?.state).not.toBe('dead')
    await until(c, c.node(writer).write(doc, d => { d.getMap('kv').set('acked', true) }))
    // Three durable copies: the writer's, the other reachable home, and the next peer covering for the third.
    await until(c, c.node(writer).flush(doc, { replicas: 3, timeoutMs: 5_000 }), 6_000)
    for (const id of [writer, h2, fallback]) expect(stored(c, id, doc).getMap('kv').get('acked'), id).toBe(true)
    c.network.heal()
    // The third home gets it (from its co-homes, or from the fallback's hand-over), and the copy off the
    // homes is dropped once all three hold it.
    expect(c.runUntil(() => [writer, h2, h3].every(id => stored(c, id, doc).getMap('kv').get('acked') === true) &&
      !c.store(fallback).names().includes(doc), 60_000)).toBeDefined()
    c.stopAll()
  })

  it('a peer cut off from every home keeps its writes and hands them over when the partition heals', async () => {
    const c = formed({ size: 6, seed: useSeed(0x91ace_06, FILE, 'cut-off') })
    const lonely = 'n05'
    const docs = Array.from({ length: 200 }, (_, i) => `island-${i}`).filter(doc => !trueHomes(c, doc).includes(lonely)).slice(0, 10)
    c.network.partition([lonely], c.ids.filter(id => id !== lonely))
    expect(c.runUntil(() => c.membership(lonely).alivePeers().length === 0, 30_000)).toBeDefined()
    for (const doc of docs) await until(c, c.node(lonely).write(doc, d => { d.getMap('kv').set('written', doc) }))
    c.runFor(10_000)
    for (const doc of docs) expect(c.store(lonely).names(), 'kept while no home is reachable').toContain(doc)
    c.network.heal()
    const expected = new Map(docs.map(doc => [doc, ['written']]))
    expect(c.runUntil(() => c.membershipSettled() && placedExactly(c, expected), 60_000)).toBeDefined()
    c.stopAll()
  })


  // Real processes: a peer cut off from every home took 30 writes, the partition healed, and a SIGTERM right
  // then (a scale-down after a network blip) left the mesh with the only copies of all 30: the handoff would
  // have started a tick after the placement settled, and the leave took 77 ms.
  it('a peer that leaves right after a heal hands over the writes it alone holds before it goes', async () => {
    const c = formed({ size: 6, seed: useSeed(0x91ace_0b, FILE, 'leave-after-heal') })
    const lonely = 'n05'
    const others = c.ids.filter(id => id !== lonely)
    c.network.partition([lonely], others)
    expect(c.runUntil(() => c.membership(lonely).alivePeers().length === 0 && others.every(id => c.membership(id).member(lonely)?.state === 'dead'), 30_000)).toBeDefined()
    const docs = Array.from({ length: 12 }, (_, i) => `alone-${i}`)
    for (const doc of docs) await until(c, c.node(lonely).write(doc, d => { d.getMap('kv').set('written', doc) }))
    c.network.heal()
    // It leaves as soon as it sees the others again.
    expect(c.runUntil(() => c.membership(lonely).alivePeers().length === others.length, 30_000, 10)).toBeDefined()
    await until(c, c.node(lonely).leave(), 5_000)
    c.crash(lonely)
    c.runFor(30_000)
    const lost = docs.filter(doc => !others.some(id => stored(c, id, doc).getMap('kv').get('written') === doc))
    expect(lost, 'docs written on the peer that left, on no other peer').toEqual([])
    c.stopAll()
  })
  it('a guest copy whose name hash names another doc on a home is still handed over, and dropped only once every home holds it', async () => {
    // Handoffs name docs by a 32-bit name hash (compact pages): these two names share one.
    const [held, guest] = ['d15nmrns', 'd1rb1grc']
    expect(nameHash(held)).toBe(nameHash(guest))
    const c = formed({ size: 6, seed: useSeed(0x91ace_07, FILE, 'name hash collision') })
    const both = trueHomes(c, guest).filter(h => trueHomes(c, held).includes(h))
    expect(both.length, 'a home of the guest doc holds the other one').toBeGreaterThan(0)
    await until(c, c.node(trueHomes(c, held)[0] as string).write(held, d => { d.getMap('kv').set('k', 'held') }))
    expect(c.runUntil(() => placedExactly(c, new Map([[held, ['k']]])), 30_000)).toBeDefined()
    const lonely = c.ids.find(id => !trueHomes(c, guest).includes(id) && !trueHomes(c, held).includes(id)) as string
    c.network.partition([lonely], c.ids.filter(id => id !== lonely))
    expect(c.runUntil(() => c.membership(lonely).alivePeers().length === 0, 30_000)).toBeDefined()
    await until(c, c.node(lonely).write(guest, d => { d.getMap('kv').set('k', 'guest') }))
    c.runFor(5_000)
    const drops: string[] = []
    c.replicator(lonely).on('dropped', (e) => {
      drops.push(e.doc)
      for (const h of e.homes) expect(stored(c, h, e.doc).getMap('kv').get('k'), `${lonely} dropped ${e.doc} before ${h} held it`).toBe('guest')
    })
    c.network.heal()
    const expected = new Map([[held, ['k']], [guest, ['k']]])
    expect(c.runUntil(() => c.membershipSettled() && placedExactly(c, expected), 60_000), 'the guest copy reached its homes and was dropped').toBeDefined()
    expect(drops).toEqual([guest])
    for (const h of both) expect(stored(c, h, held).getMap('kv').get('k')).toBe('held')
    c.stopAll()
  })
})

describe('rebalancing', () => {
  it('a join moves about R·D/N docs to the newcomer; the old homes drop theirs only once the new ones hold them', async () => {
    const newcomer = 'n07'
    const c = formed({ size: 8, seed: useSeed(0x91ace_07, FILE, 'join'), late: [newcomer] })
    const before = c.ids.filter(id => id !== newcomer)
    const docs = new Map<string, string[]>()
    const names = Array.from({ length: 160 }, (_, i) => `r-${i}`)
    for (const [i, doc] of names.entries()) {
      await until(c, c.node(before[i % before.length] as string).write(doc, d => { d.getMap('kv').set('v', `${i}`.padEnd(500, '.')) }))
      docs.set(doc, ['v'])
    }
    expect(c.runUntil(() => placedExactly(c, docs, before), 60_000)).toBeDefined()
    const drops: Array<{ doc: string, by: string, homes: readonly string[] }> = []
    for (const id of before) {
      c.replicator(id).on('dropped', (e) => {
        // No copy is dropped before every home it counted holds at least what it had.
        for (const h of e.homes) expect(c.store(h).names(), `${id} dropped ${e.doc} before ${h} held it`).toContain(e.doc)
        drops.push({ doc: e.doc, by: id, homes: e.homes })
      })
    }
    const diffBytes = (): number => c.runningIds().reduce((n, id) => n + c.replicator(id).stats().diffBytesSent, 0)
    const bytesBefore = diffBytes()
    const per0 = new Map(c.runningIds().map(id => [id, c.replicator(id).stats()]))
    c.restart(newcomer)
    expect(c.runUntil(() => c.membershipSettled() && placedExactly(c, docs), 120_000)).toBeDefined()
    const moved = names.filter(doc => trueHomes(c, doc).includes(newcomer)).length
    // Each moved doc travels about once: the newcomer asks one co-home (or the old home handing it over) for it.
    const docSize = Y.encodeStateAsUpdate(stored(c, newcomer, names.find(doc => trueHomes(c, doc).includes(newcomer)) as string)).byteLength
    if (process.env.MURMUR_DEBUG !== undefined) console.log(`join: moved ${moved}, diff bytes ${diffBytes() - bytesBefore}, doc ≈ ${docSize} B`, c.runningIds().map(id => { const a = c.replicator(id).stats(); const b = per0.get(id); return `${id}:${a.diffsSent - (b?.diffsSent ?? 0)}/${a.diffBytesSent - (b?.diffBytesSent ?? 0)}/h${a.handoffRounds - (b?.handoffRounds ?? 0)}/r${a.antiEntropyRounds - (b?.antiEntropyRounds ?? 0)}` }).join(' '))
    expect(diffBytes() - bytesBefore).toBeLessThan(1.3 * moved * docSize)
    const ideal = 3 * names.length / c.ids.length
    expect(moved).toBeLessThanOrEqual(1.5 * ideal)
    expect(drops.length).toBe(moved) // each doc the newcomer took was dropped by exactly one old home
    c.stopAll()
  })
})

describe('reads over slow links', () => {
  it('a read on a non-home peer waits for the doc once a peer said it holds it, though that takes longer than the first-exchange window', async () => {
    // 400 ms one way: the holders' replies arrive after 800 ms (hosts known), the doc itself after step 3,
    // past the 1 s window. The read answered from the empty doc it had made here ("no such key": 404 in
    // HTTP) — what the placement bench counted as lost acknowledged writes on a loaded machine.
    const c = formed({ size: 6, seed: useSeed(0x91ace_0d, FILE, 'slow-read'), link: { baseDelayMs: 400 } })
    const reader = 'n00'
    const doc = Array.from({ length: 100 }, (_, i) => `slow-${i}`).find(d => !trueHomes(c, d).includes(reader)) as string
    const writer = trueHomes(c, doc)[0] as string
    await until(c, c.node(writer).write(doc, d => { d.getMap('kv').set('k', 'v') }))
    await until(c, c.node(writer).flush(doc, { replicas: 3 }), 20_000)
    c.runFor(5_000)
    expect(await until(c, c.node(reader).read(doc, d => d.getMap('kv').get('k')), 20_000)).toBe('v')
    c.stopAll()
  })
})
