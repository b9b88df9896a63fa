/**
 * `npm run bench -- placement`: where documents live, on real murmur peers (`dist/peer.js`, `--replicas R`),
 * each in its own network namespace (scripts/lib/netns.ts). With N peers and D documents:
 *
 *  - idle: sync bytes per peer with 10 docs, then with D, and RSS per peer with D docs homed;
 *  - balance: documents homed per peer, max/mean;
 *  - join: one more peer — documents moved to it vs the ideal R·D/N, and the time until every doc is
 *    on exactly its homes again;
 *  - loss: SIGKILL 2 peers for good — lost docs, lost acknowledged writes, time until every doc has R
 *    copies again, and the bytes the survivors sent vs the bytes of the lost copies (a doc that lost two
 *    homes needs two new copies);
 *  - partition N/2 | N/2, writes to the same P docs on both sides, each side placed on its own members,
 *    heal — time until every doc's homes are identical (and guest copies gone), sync bytes vs what the homes
 *    lacked, and whether any peer was throttled or disconnected by its neighbours' frame limits.
 *
 * "Placed" is read from each peer's GET /placement (docs it homes, guest copies) and GET /docs (digests):
 * every doc held by exactly its R homes (rendezvous over the live members, computed here the same way),
 * with one digest. Writes use `?w=R`: acknowledged on R durable copies.
 */
import { readFileSync } from 'node:fs'
import * as Y from 'yjs'
import { hashName, rank } from '../../dist/replication/placement.js'
import { createNetnsLab, netnsUnavailable } from '../lib/netns.ts'
import type { NetnsLab } from '../lib/netns.ts'
import { http } from '../lib/peers.ts'
import { MURMUR_PEER_JS, MurmurMesh } from './lib/murmur-mesh.ts'
import type { MurmurMember } from './lib/murmur-mesh.ts'
import { inBatches } from './lib/murmur-api.ts'
import { sumProm, sumPromBy } from './lib/prom.ts'
import type { PromSample } from './lib/prom.ts'
import { MAX_SEED, inRange, readFlags } from './lib/flags.ts'
import { UsageError, machine, progress, round, table, writeSection } from './lib/report.ts'
import { seededRng } from './lib/rng.ts'
import { onTeardown, teardownAll } from './lib/teardown.ts'

interface Options {
  peers: number
  docs: number
  replicas: number
  valueBytes: number
  idleSeconds: number
  partitionDocs: number
  concurrency: number
  seed: number
}

export const USAGE = 'options: --peers 20  --docs 10000  --replicas 3  --value-bytes 1000  --idle-seconds 30  --partition-docs 1000  --concurrency 64  --seed 1  --quick (6 peers, 600 docs)'
const TARGETS = { balance: 1.25, joinMoved: 1.2, lossBytes: 1.5, idleRatio: 1.2, partitionBytes: 1.5 }
/**
 * Waits for placement to settle are bounded (a failure to settle is reported, not waited for forever): 300 s,
 * or 60 ms per doc when that is more. Each phase moves a share of the docs, so its time grows with them:
 * at 2,000 docs a phase took 8–49 s on this 2-core machine; 5× that at 10,000 docs on a loaded machine
 * comes near a fixed 300 s.
 */
const SETTLE_MIN_MS = 300_000
const SETTLE_MS_PER_DOC = 60
/** The bench keeps every value it wrote, to check them: at most 100,000 docs of 10 kB, 1 GB (10× the defaults each). */
const MAX_DOCS = 100_000
const MAX_VALUE_BYTES = 10_000

export function parse (args: string[]): Options {
  const o: Options = { peers: 20, docs: 10_000, replicas: 3, valueBytes: 1000, idleSeconds: 30, partitionDocs: 1000, concurrency: 64, seed: 1 }
  const int = (key: keyof Options, min: number, max: number) => inRange(min, max, true, n => { o[key] = n })
  readFlags(args, USAGE, {
    numbers: {
      '--peers': int('peers', 4, 60), '--docs': int('docs', 20, MAX_DOCS), '--replicas': int('replicas', 1, 57), '--value-bytes': int('valueBytes', 1, MAX_VALUE_BYTES),
      // Bytes per second over the window: 0 s is a division by zero (NaN figures, once the whole run is over).
      '--idle-seconds': int('idleSeconds', 1, 3600),
      // The heal's bytes are set against what the partition's docs lacked: 0 docs, 0 bytes.
      '--partition-docs': int('partitionDocs', 1, MAX_DOCS), '--concurrency': int('concurrency', 1, 1024), '--seed': int('seed', 0, MAX_SEED)
    },
    switches: { '--quick': () => { Object.assign(o, { peers: 6, docs: 600, idleSeconds: 10, partitionDocs: 200 }) } }
  })
  if (o.replicas > o.peers - 3) throw new UsageError('--replicas must be in [1, peers − 3] (two are killed and one joins)')
  if (o.partitionDocs > o.docs) throw new UsageError('--partition-docs must be ≤ --docs')
  return o
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

interface PlacementJson { members: string[], docs: { held: number, homed: number, guest: number, open: number } }
interface DocJson { name: string, digest: string }

class Bench {
  readonly mesh: MurmurMesh
  readonly o: Options
  peers: MurmurMember[] = []
  readonly values = new Map<string, string>()
  /** Bound of every wait for placement to settle (SETTLE_MIN_MS, SETTLE_MS_PER_DOC). */
  readonly settleTimeoutMs: number

  constructor (lab: NetnsLab, o: Options) {
    this.o = o
    this.settleTimeoutMs = Math.max(SETTLE_MIN_MS, o.docs * SETTLE_MS_PER_DOC)
    this.mesh = new MurmurMesh(lab, { args: ['--replicas', String(o.replicas)] })
  }

  async get<T> (m: MurmurMember, path: string): Promise<T> {
    const res = await http<T>(m.http, 'GET', path, undefined, m.headers)
    if (res.status !== 200) throw new Error(`${m.name} GET ${path}: HTTP ${res.status}`)
    return res.body
  }

  async metrics (): Promise<PromSample[]> {
    return (await Promise.all(this.peers.map(async p => await this.mesh.metrics(p)))).flat()
  }

  homes (doc: string): string[] {
    return rank(hashName(doc), this.peers.map(p => ({ id: p.key, hash: hashName(p.key) })), Math.min(this.o.replicas, this.peers.length))
  }

  /**
   * The docs of `docs` whose write was acknowledged: the ones placement is checked for. A write the client
   * gave up on (30 s) may never have reached any peer (on a loaded machine some do not): no home holds it.
   */
  written (docs: readonly string[]): string[] {
    return docs.filter(doc => this.values.has(doc))
  }

  /** Problems with placement now: counts per peer (homed, guest), and docs whose homes lack it or differ. */
  async placementProblems (docs: readonly string[]): Promise<string[]> {
    const problems: string[] = []
    const views = await Promise.all(this.peers.map(async p => await this.get<PlacementJson>(p, '/placement')))
    const listed = await Promise.all(this.peers.map(async p => new Map((await this.get<DocJson[]>(p, '/docs')).map(d => [d.name, d.digest]))))
    views.forEach((v, i) => {
      if (v.members.length !== this.peers.length) problems.push(`${this.peers[i]?.name} sees ${v.members.length} members`)
      if (v.docs.guest > 0) problems.push(`${this.peers[i]?.name} holds ${v.docs.guest} guest copies`)
    })
    const index = new Map(this.peers.map((p, i) => [p.key, i]))
    for (const doc of docs) {
      const digests = this.homes(doc).map(h => listed[index.get(h) as number]?.get(doc))
      if (digests.some(d => d === undefined) || new Set(digests).size !== 1) problems.push(`${doc}: homes hold ${digests.map(d => d?.slice(0, 6) ?? '-').join(',')}`)
    }
    return problems
  }

  /** Waits until `placementProblems` is empty; returns the ms it took, or undefined on timeout. */
  async waitPlaced (docs: readonly string[], label: string, timeoutMs = this.settleTimeoutMs): Promise<number | undefined> {
    const start = performance.now()
    let last: string[] = []
    let lastReport = start
    while (performance.now() - start < timeoutMs) {
      last = await this.placementProblems(docs).catch((err: unknown) => [String(err)])
      if (last.length === 0) return round(performance.now() - start)
      if (performance.now() - lastReport > 10_000) {
        progress(`${label}: ${last.length} problems left, e.g. ${last.slice(0, 2).join('; ')}`)
        lastReport = performance.now()
      }
      await sleep(1_000)
    }
    progress(`${label}: not placed after ${timeoutMs} ms: ${last.slice(0, 5).join('; ')}`)
    return undefined
  }

  /**
   * Waits until every peer of each side sees exactly its side as members and holds no guest copy, and every
   * doc the side holds is held by each of its homes on that side with one digest (a side of a partition
   * places the docs it holds on its own members: a new home there fetches a doc from a guest copy, or from
   * its co-homes when there is none, so "no guest copy left" alone does not mean it is over); returns the
   * ms it took, or undefined.
   */
  async waitSidesPlaced (sides: ReadonlyArray<readonly MurmurMember[]>, timeoutMs = this.settleTimeoutMs): Promise<number | undefined> {
    const start = performance.now()
    let lastReport = start
    while (performance.now() - start < timeoutMs) {
      const problems: string[] = []
      for (const side of sides) {
        const views = await Promise.all(side.map(async p => await this.get<PlacementJson>(p, '/placement').catch(() => undefined)))
        views.forEach((v, i) => {
          if (v === undefined || v.members.length !== side.length || v.docs.guest > 0) problems.push(`${side[i]?.name}: ${v === undefined ? 'no answer' : `${v.members.length} members, ${v.docs.guest} guest copies`}`)
        })
        if (problems.length > 0) continue
        const listed = await Promise.all(side.map(async p => new Map((await this.get<DocJson[]>(p, '/docs').catch(() => [])).map(d => [d.name, d.digest]))))
        const index = new Map(side.map((p, i) => [p.key, i]))
        const held = new Set(listed.flatMap(l => [...l.keys()]))
        for (const doc of held) {
          const homes = rank(hashName(doc), side.map(p => ({ id: p.key, hash: hashName(p.key) })), Math.min(this.o.replicas, side.length))
          const digests = homes.map(h => listed[index.get(h) as number]?.get(doc))
          if (digests.some(d => d === undefined) || new Set(digests).size !== 1) problems.push(`${doc}: homes on its side hold ${digests.map(d => d?.slice(0, 6) ?? '-').join(',')}`)
        }
      }
      if (problems.length === 0) return round(performance.now() - start)
      if (performance.now() - lastReport > 10_000) {
        progress(`partition: sides placing, ${problems.length} problems left, e.g. ${problems.slice(0, 2).join('; ')}`)
        lastReport = performance.now()
      }
      await sleep(1_000)
    }
    return undefined
  }

  /** PUTs `doc`/kv/`key` = value with ?w=R on `m`; true if acknowledged. */
  async put (m: MurmurMember, doc: string, key: string, value: string, w = this.o.replicas): Promise<boolean> {
    const res = await fetch(`${m.http}/docs/${encodeURIComponent(doc)}/kv/${encodeURIComponent(key)}?w=${w}`, {
      method: 'PUT', headers: { ...m.headers, 'content-type': 'application/json' }, body: JSON.stringify(value), signal: AbortSignal.timeout(30_000)
    }).catch(() => undefined)
    await res?.text()
    return res?.status === 200
  }

  /** Sync bytes/s sent per peer over `seconds` of quiet. */
  async idleBytesPerPeer (seconds: number): Promise<number> {
    const before = sumProm(await this.metrics(), 'murmur_sync_bytes_total', { direction: 'out' })
    await sleep(seconds * 1000)
    const after = sumProm(await this.metrics(), 'murmur_sync_bytes_total', { direction: 'out' })
    return round((after - before) / seconds / this.peers.length, 1)
  }
}

const syncOut = (s: PromSample[]): number => sumProm(s, 'murmur_sync_bytes_total', { direction: 'out' })
/** Sync bytes sent between two scrapes, by message type (where the bytes of a phase went). */
function syncByType (before: PromSample[], after: PromSample[]): Record<string, number> {
  const b0 = sumPromBy(before, 'murmur_sync_bytes_total', 'type', { direction: 'out' })
  const b1 = sumPromBy(after, 'murmur_sync_bytes_total', 'type', { direction: 'out' })
  return Object.fromEntries(Object.entries(b1).map(([t, v]) => [t, v - (b0[t] ?? 0)]).filter(([, v]) => (v as number) > 0))
}
const flooded = (s: PromSample[]): number => sumProm(s, 'murmur_flooders_total') + sumProm(s, 'murmur_rejected_frames_total', { reason: 'rateLimited' })

/** Encoded size of a doc holding one kv value of `bytes` characters (what every bench doc is). */
function docBytes (bytes: number): number {
  const d = new Y.Doc()
  d.getMap('kv').set('v', 'x'.repeat(bytes))
  return Y.encodeStateAsUpdate(d).byteLength
}

/** Size of the update that sets one more key of `bytes` characters in such a doc. */
function updateBytes (bytes: number): number {
  const d = new Y.Doc()
  d.getMap('kv').set('v', 'x'.repeat(bytes))
  let size = 0
  d.on('update', (u: Uint8Array) => { size = u.byteLength })
  d.getMap('kv').set('w', 'y'.repeat(bytes))
  return size
}

/** Resident memory of a process, MiB (the peer runs as `ip netns exec … node`, which execs: same pid). */
function rssMiB (pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
    return round(kb / 1024, 1)
  } catch {
    return Number.NaN
  }
}

async function run (o: Options): Promise<Record<string, unknown>> {
  const lab = createNetnsLab(o.peers + 1, `p${process.pid.toString(36)}`)
  onTeardown('placement netns lab', () => { lab.close() })
  const b = new Bench(lab, o)
  const rng = seededRng(o.seed)
  const value = (): string => Array.from({ length: o.valueBytes }, () => String.fromCharCode(97 + rng.int(26))).join('')
  try {
    const seed = await b.mesh.spawn(0, [])
    const rest = await Promise.all(Array.from({ length: o.peers - 1 }, async (_, i) => await b.mesh.spawn(i + 1, [seed])))
    b.peers = [seed, ...rest]
    const keys = b.peers.map(p => p.key)
    if (await b.mesh.views.waitAll(keys, keys, ['alive'], 120_000) === undefined) throw new Error(`${o.peers} peers did not all see each other alive within 120 s`)
    progress(`${o.peers} peers up (--replicas ${o.replicas}), all alive`)
    const docs = Array.from({ length: o.docs }, (_, i) => `doc-${i}`)

    // ── idle with 10 docs ──
    const few = docs.slice(0, 10)
    for (const [i, doc] of few.entries()) {
      const v = value()
      if (await b.put(b.peers[i % b.peers.length] as MurmurMember, doc, 'v', v)) b.values.set(doc, v)
    }
    await b.waitPlaced(few, 'ten docs')
    await sleep(5_000)
    const idleFew = await b.idleBytesPerPeer(o.idleSeconds)
    progress(`idle with 10 docs: ${idleFew} sync B/s per peer`)

    // ── load D docs ──
    const loadStart = performance.now()
    let failed = 0
    let done = 0
    await inBatches(docs.slice(10), o.concurrency, async (doc) => {
      const i = Number(doc.slice(4))
      const v = value()
      if (await b.put(b.peers[i % b.peers.length] as MurmurMember, doc, 'v', v)) b.values.set(doc, v)
      else failed++
      if (++done % 1000 === 0) progress(`load: ${done + 10} of ${o.docs} docs written (w=${o.replicas})`)
    })
    const loadSeconds = (performance.now() - loadStart) / 1000
    progress(`load: ${o.docs - 10 - failed} acknowledged with w=${o.replicas} in ${round(loadSeconds, 1)} s (${failed} failed)`)
    const settleMs = await b.waitPlaced(b.written(docs), 'load')
    const views = await Promise.all(b.peers.map(async p => await b.get<PlacementJson>(p, '/placement')))
    const homed = views.map(v => v.docs.homed)
    const mean = homed.reduce((a, x) => a + x, 0) / homed.length
    const balance = { min: Math.min(...homed), max: Math.max(...homed), mean: round(mean, 1), maxOverMean: round(Math.max(...homed) / mean, 3) }
    progress(`balance: homed per peer min ${balance.min}, max ${balance.max}, mean ${balance.mean} → max/mean ${balance.maxOverMean}`)
    await sleep(5_000)
    const idleMany = await b.idleBytesPerPeer(o.idleSeconds)
    const rss = b.peers.map(p => rssMiB(p.pid))
    progress(`idle with ${o.docs} docs: ${idleMany} sync B/s per peer (×${round(idleMany / idleFew, 2)}); RSS per peer median ${median(rss)} MiB, max ${Math.max(...rss)} MiB`)

    // ── join ──
    const before = await b.metrics()
    const joinStart = performance.now()
    const newcomer = await b.mesh.spawn(o.peers, [seed])
    b.peers.push(newcomer)
    const allKeys = b.peers.map(p => p.key)
    await b.mesh.views.waitAll(allKeys, allKeys, ['alive'], 60_000)
    const joinMs = await b.waitPlaced(b.written(docs), 'join')
    const afterJoin = await b.metrics()
    const moved = (await b.get<PlacementJson>(newcomer, '/placement')).docs.homed
    const ideal = o.replicas * o.docs / b.peers.length
    const join = {
      placedMs: joinMs === undefined ? undefined : round(performance.now() - joinStart),
      moved,
      ideal: round(ideal, 1),
      movedOverIdeal: round(moved / ideal, 3),
      dropped: sumProm(afterJoin, 'murmur_guest_copies_dropped_total') - sumProm(before, 'murmur_guest_copies_dropped_total'),
      syncBytes: syncOut(afterJoin) - syncOut(before),
      bytesOfMovedDocs: moved * docBytes(o.valueBytes)
    }
    progress(`join: ${moved} docs moved to the newcomer (ideal ${join.ideal}, ×${join.movedOverIdeal}); placed after ${joinMs ?? 'NEVER'} ms`)

    // ── SIGKILL 2 for good ──
    const victims = [b.peers[1] as MurmurMember, b.peers[2] as MurmurMember]
    const victimKeys = new Set(victims.map(v => v.key))
    const lostACopy = docs.filter(doc => b.homes(doc).some(h => victimKeys.has(h)))
    const lostCopies = docs.reduce((n, doc) => n + b.homes(doc).filter(h => victimKeys.has(h)).length, 0)
    // Counters of the survivors only: the victims' counters vanish with them (a sum over all peers before
    // the kill minus one over the survivors after it would subtract everything the victims ever sent).
    b.peers = b.peers.filter(p => !victimKeys.has(p.key))
    const lossBefore = await b.metrics()
    const killAt = performance.now()
    for (const v of victims) b.mesh.kill(v)
    const survivors = b.peers.map(p => p.key)
    await b.mesh.views.waitAll(survivors, [...victimKeys], ['dead'], 60_000)
    const deadMs = round(performance.now() - killAt)
    const lossPlaced = await b.waitPlaced(b.written(docs), 'loss')
    const lossAfter = await b.metrics()
    const checked = await inBatches(docs, o.concurrency, async (doc) => {
      const expected = b.values.get(doc)
      if (expected === undefined) return 'unacked'
      const reader = b.peers[Number(doc.slice(4)) % b.peers.length] as MurmurMember
      const res = await http<unknown>(reader.http, 'GET', `/docs/${doc}/kv/v`, undefined, reader.headers).catch(() => ({ status: 0, body: undefined }))
      if (res.status === 404) return 'lost-doc'
      return res.status === 200 && res.body === expected ? 'ok' : 'lost-write'
    })
    const loss = {
      killed: victims.map(v => v.name),
      deadOnAllMs: deadMs,
      backToRCopiesMs: lossPlaced === undefined ? undefined : round(deadMs + lossPlaced),
      docsThatLostACopy: lostACopy.length,
      lostCopies,
      lostDocs: checked.filter(c => c === 'lost-doc').length,
      lostAckedWrites: checked.filter(c => c === 'lost-write' || c === 'lost-doc').length,
      syncBytes: syncOut(lossAfter) - syncOut(lossBefore),
      syncByType: syncByType(lossBefore, lossAfter),
      // What the repair must move at least: one doc's bytes per lost copy.
      bytesOfLostCopies: lostCopies * docBytes(o.valueBytes)
    }
    const lossRatio = round(loss.syncBytes / loss.bytesOfLostCopies, 2)
    progress(`loss: every doc back to ${o.replicas} copies ${loss.backToRCopiesMs ?? 'NEVER'} ms after the kill; lost docs ${loss.lostDocs}, lost acknowledged writes ${loss.lostAckedWrites}; sync ×${lossRatio}`)

    // ── partition N/2 | N/2 ──
    const half = Math.floor(b.peers.length / 2)
    const sideA = b.peers.slice(0, half)
    const sideB = b.peers.slice(half)
    const pdocs = docs.slice(0, o.partitionDocs)
    lab.split([sideA.map(p => p.ns), sideB.map(p => p.ns)])
    await b.mesh.views.waitAll(sideA.map(p => p.key), sideB.map(p => p.key), ['dead'], 90_000)
    await b.mesh.views.waitAll(sideB.map(p => p.key), sideA.map(p => p.key), ['dead'], 90_000)
    progress(`partition: ${sideA.length}|${sideB.length}, each side sees the other dead; writing ${pdocs.length} docs on both sides`)
    const homesOn = (doc: string, side: readonly MurmurMember[]): string[] => rank(hashName(doc), side.map(p => ({ id: p.key, hash: hashName(p.key) })), Math.min(o.replicas, side.length))
    const written = { a: 0, b: 0 }
    await inBatches(pdocs, o.concurrency, async (doc) => {
      const i = Number(doc.slice(4))
      const [wa, wb] = [sideA[i % sideA.length] as MurmurMember, sideB[i % sideB.length] as MurmurMember]
      const [okA, okB] = await Promise.all([b.put(wa, doc, 'a', value(), 1), b.put(wb, doc, 'b', value(), 1)])
      if (okA) written.a++
      if (okB) written.b++
    })
    // Each side re-homed the docs whose homes are on the other side (a full copy per new home): wait until
    // that is over (no guest copies left on either side, every home there holding its docs), so that the
    // heal's bytes are the heal's alone.
    const sidesPlacedMs = await b.waitSidesPlaced([sideA, sideB])
    progress(`partition: each side placed its docs ${sidesPlacedMs ?? 'NEVER'} ms after the writes`)
    await sleep(2_000)
    // What the homes (after the heal) lack: the other side's write, and their own side's if they were not a home there.
    const upd = updateBytes(o.valueBytes)
    let missing = 0
    const sideOf = new Map([...sideA.map(p => [p.key, 'a'] as const), ...sideB.map(p => [p.key, 'b'] as const)])
    for (const doc of pdocs) {
      const ha = homesOn(doc, sideA)
      const hb = homesOn(doc, sideB)
      for (const h of b.homes(doc)) {
        const hasA = sideOf.get(h) === 'a' && ha.includes(h)
        const hasB = sideOf.get(h) === 'b' && hb.includes(h)
        missing += (hasA ? 0 : upd) + (hasB ? 0 : upd)
      }
    }
    const pBefore = await b.metrics()
    lab.heal()
    const healAt = performance.now()
    const pPlaced = await b.waitPlaced(b.written(docs), 'partition heal')
    const pAfter = await b.metrics()
    const partition = {
      sides: [sideA.length, sideB.length],
      docs: pdocs.length,
      written,
      sidesPlacedMs,
      placedAfterHealMs: pPlaced === undefined ? undefined : round(performance.now() - healAt),
      syncBytes: syncOut(pAfter) - syncOut(pBefore),
      missingBytes: missing,
      syncOverMissing: round((syncOut(pAfter) - syncOut(pBefore)) / missing, 2),
      syncByType: syncByType(pBefore, pAfter),
      throttledOrDisconnected: flooded(pAfter) - flooded(pBefore),
      pacedFrames: sumProm(pAfter, 'murmur_sync_frames_paced_total') - sumProm(pBefore, 'murmur_sync_frames_paced_total')
    }
    progress(`partition: homes identical ${partition.placedAfterHealMs ?? 'NEVER'} ms after the heal; sync ${partition.syncBytes} vs ${missing} missing (×${partition.syncOverMissing}); throttled/disconnected ${partition.throttledOrDisconnected}`)
    return {
      peers: o.peers, docs: o.docs, replicas: o.replicas, valueBytes: o.valueBytes, docBytes: docBytes(o.valueBytes),
      load: { seconds: round(loadSeconds, 1), failed, placedMs: settleMs },
      balance,
      idle: { tenDocsBytesPerSec: idleFew, manyDocsBytesPerSec: idleMany, ratio: round(idleMany / idleFew, 2), rssMiBMedian: median(rss), rssMiBMax: Math.max(...rss) },
      join,
      loss: { ...loss, syncOverLostBytes: lossRatio },
      partition
    }
  } finally {
    b.mesh.stopAll()
  }
}

function median (xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? Number.NaN
}

export async function main (args: string[]): Promise<void> {
  const o = parse(args)
  const why = netnsUnavailable()
  if (why !== undefined) throw new Error(`the placement benchmark runs every peer in its own network namespace: ${why}`)
  progress(`placement benchmark on ${machine()}, murmur ${MURMUR_PEER_JS}: ${o.peers} peers, ${o.docs} docs of ${o.valueBytes}-byte values, R = ${o.replicas}`)
  let r: Record<string, unknown>
  try {
    r = await run(o)
  } finally {
    teardownAll()
  }
  const x = r as { balance: { maxOverMean: number, min: number, max: number, mean: number }, idle: { tenDocsBytesPerSec: number, manyDocsBytesPerSec: number, ratio: number, rssMiBMedian: number, rssMiBMax: number }, join: { moved: number, ideal: number, movedOverIdeal: number, placedMs?: number, syncBytes: number, bytesOfMovedDocs: number }, loss: { deadOnAllMs: number, backToRCopiesMs?: number, lostDocs: number, lostAckedWrites: number, syncBytes: number, syncByType: Record<string, number>, bytesOfLostCopies: number, syncOverLostBytes: number, docsThatLostACopy: number, lostCopies: number }, partition: { sidesPlacedMs?: number, placedAfterHealMs?: number, syncBytes: number, syncByType: Record<string, number>, missingBytes: number, syncOverMissing: number, throttledOrDisconnected: number, pacedFrames: number, docs: number }, load: { seconds: number, failed: number, placedMs?: number } }
  const show = (v: number | undefined, unit = ''): string => v === undefined ? 'never' : `${v}${unit}`
  const rows = [
    [`load: ${o.docs} docs written with ?w=${o.replicas}, then every doc on exactly its homes`, `${x.load.seconds} s (${x.load.failed} failed); placed ${show(x.load.placedMs, ' ms')} later`, ''],
    ['balance: docs homed per peer, min / mean / max → max/mean', `${x.balance.min} / ${x.balance.mean} / ${x.balance.max} → ${x.balance.maxOverMean}`, `≤ ${TARGETS.balance}`],
    [`idle sync bytes/s per peer: 10 docs → ${o.docs} docs`, `${x.idle.tenDocsBytesPerSec} → ${x.idle.manyDocsBytesPerSec} (×${x.idle.ratio})`, `≤ ×${TARGETS.idleRatio}`],
    [`RSS per peer with ${o.docs} docs (≈ ${round(o.replicas * o.docs / o.peers)} homed each), median / max`, `${x.idle.rssMiBMedian} / ${x.idle.rssMiBMax} MiB`, ''],
    ['join: docs moved to the newcomer vs the ideal R·D/N', `${x.join.moved} vs ${x.join.ideal} (×${x.join.movedOverIdeal}); placed ${show(x.join.placedMs, ' ms')}; sync ${x.join.syncBytes} B for ${x.join.bytesOfMovedDocs} B of docs`, `≤ ×${TARGETS.joinMoved}`],
    ['SIGKILL 2 for good: dead on all; every doc back to R copies', `${x.loss.deadOnAllMs} ms; ${show(x.loss.backToRCopiesMs, ' ms')} after the kill`, ''],
    ['… lost docs, lost acknowledged writes', `${x.loss.lostDocs}, ${x.loss.lostAckedWrites}`, '0, 0'],
    ['… sync bytes sent by the survivors vs the bytes of the lost copies', `${x.loss.syncBytes} vs ${x.loss.bytesOfLostCopies} (${x.loss.lostCopies} copies of ${x.loss.docsThatLostACopy} docs) → ×${x.loss.syncOverLostBytes}`, `≤ ×${TARGETS.lossBytes}`],
    [`partition ${Math.floor((o.peers - 1) / 2)}|${o.peers - 1 - Math.floor((o.peers - 1) / 2)}, ${x.partition.docs} docs written on both sides: each side placed on its own members; heal → homes identical, guests gone`, `${show(x.partition.sidesPlacedMs, ' ms')} after the writes; ${show(x.partition.placedAfterHealMs, ' ms')} after the heal`, ''],
    ['… sync bytes vs what the homes lacked', `${x.partition.syncBytes} vs ${x.partition.missingBytes} → ×${x.partition.syncOverMissing}`, `≤ ×${TARGETS.partitionBytes}`],
    ['… sync bytes by message type: loss repair; partition heal', `${JSON.stringify(x.loss.syncByType)}; ${JSON.stringify(x.partition.syncByType)}`, ''],
    ['… peers throttled or disconnected by frame limits; sync frames paced by senders', `${x.partition.throttledOrDisconnected}; ${x.partition.pacedFrames}`, '0']
  ]
  const goals = [
    { goal: `balance max/mean ≤ ${TARGETS.balance}`, met: x.balance.maxOverMean <= TARGETS.balance },
    { goal: 'no doc and no acknowledged write lost after killing 2 for good', met: x.loss.lostDocs === 0 && x.loss.lostAckedWrites === 0 && x.loss.backToRCopiesMs !== undefined },
    { goal: `loss repair bytes ≤ ${TARGETS.lossBytes}× the lost copies`, met: x.loss.syncOverLostBytes <= TARGETS.lossBytes },
    { goal: `join moves ≤ ${TARGETS.joinMoved}× the ideal`, met: x.join.movedOverIdeal <= TARGETS.joinMoved && x.join.placedMs !== undefined },
    { goal: `idle bytes with ${o.docs} docs ≤ ${TARGETS.idleRatio}× with 10`, met: x.idle.ratio <= TARGETS.idleRatio },
    { goal: `partition heal: homes identical, bytes ≤ ${TARGETS.partitionBytes}× missing, nobody throttled`, met: x.partition.placedAfterHealMs !== undefined && x.partition.syncOverMissing <= TARGETS.partitionBytes && x.partition.throttledOrDisconnected === 0 }
  ]
  const goalLines = goals.map(g => `${g.met ? 'met' : 'NOT met'}: ${g.goal}`)
  const t = table(['placement', 'measured', 'target'], rows)
  console.log(t)
  console.log('')
  for (const line of goalLines) console.log(line)
  writeSection('placement', 'Placement, handoff and rebalancing (real processes)', `npm run bench -- placement${args.length > 0 ? ' ' + args.join(' ') : ''}`, [
    `${o.peers} murmur peers (\`dist/peer.js --replicas ${o.replicas}\`, profile lan), each in its own network namespace; ${o.docs} docs, each one kv value of ${o.valueBytes} bytes (${docBytes(o.valueBytes)} bytes encoded), written round-robin with \`?w=${o.replicas}\`.`,
    '"Placed": every peer\'s GET /placement shows no guest copies and the full member list, and for every doc whose write was acknowledged the GET /docs digests of its homes (rendezvous over the live members, computed by the bench) are present and equal. Sync bytes: `murmur_sync_bytes_total{direction="out"}` summed over peers (for the loss, over the survivors only: the counters of the killed peers vanish with them; for the heal, from when each side had placed its docs on its own members — no guest copies left on either side, and each side\'s homes holding every doc it holds with one digest — so the re-homing during the partition is not counted as the heal\'s).',
    '',
    t,
    '',
    ...goalLines.map(l => `- ${l}`)
  ].join('\n'))
  console.log(JSON.stringify({ bench: 'placement', options: o, ...r, goals }))
}
