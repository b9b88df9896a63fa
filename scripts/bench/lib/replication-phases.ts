/**
 * The murmur phases of the replication benchmark, each on its own doc: write → visible latency, sustained
 * writes, partition → heal convergence with the bytes it cost, and idle traffic with many docs open.
 */
import { REPLICATION_COUNTERS } from '../../../dist/http/metric-specs.js'
import type { NetnsLab } from '../../lib/netns.ts'
import type { DocEventLog, VersionJson } from './doc-events.ts'
import { digests, getDoc, hasKey, inBatches, putKv } from './murmur-api.ts'
import type { MurmurMember, MurmurMesh } from './murmur-mesh.ts'
import { txBytes } from './netns-stats.ts'
import { sumProm, sumPromBy } from './prom.ts'
import type { PromSample } from './prom.ts'
import { median, percentile, progress, round } from './report.ts'
import type { Rng } from './rng.ts'
import { WriteMirror, digestOf, union } from './yjs-mirror.ts'
import type { MirrorSizes } from './yjs-mirror.ts'

export interface ReplContext {
  lab: NetnsLab
  mesh: MurmurMesh
  peers: MurmurMember[]
  events: DocEventLog
  rng: Rng
}

/** src/http/api.ts DOC_EVENT_COALESCE_MS: a doc event is published this long after the first change. */
export const DOC_EVENT_COALESCE_MS = 100
const VISIBLE_TIMEOUT_MS = 10_000
const POLL_INTERVAL_MS = 5

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

export function randomText (rng: Rng, chars: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  let s = ''
  for (let i = 0; i < chars; i++) s += alphabet[rng.int(alphabet.length)]
  return s
}

/**
 * Creates `doc` on every peer: a write opens (creates) a doc, a read only finds one that exists, so each
 * peer writes one `init-<peer>` key; then waits (events, bounded) until all report the same digest.
 */
async function openEverywhere (ctx: ReplContext, doc: string): Promise<void> {
  await Promise.all(ctx.peers.map(async p => await putKv(p, doc, `init-${p.name}`, 0)))
  const same = await ctx.events.wait(() => {
    const d = ctx.peers.map(p => ctx.events.latest(p.key, doc)?.digest)
    return d.every(x => x !== undefined && x === d[0])
  }, 60_000)
  if (!same) progress(`note: ${doc} was not identical on every peer 60 s after its creation`)
}

/** Waits (events, bounded) until every peer in `peers` has an event of `doc` since `since` dominating `version`. */
async function visibleOn (ctx: ReplContext, peers: readonly MurmurMember[], doc: string, since: number, version: VersionJson): Promise<boolean> {
  return await ctx.events.wait(() => peers.every(p => ctx.events.first(p.key, doc, since, version) !== undefined), VISIBLE_TIMEOUT_MS)
}

// ── write → visible latency ─────────────────────────────────────────────────────────────────────────

export interface LatencyFigures {
  writes: number
  timeouts: number
  visibleAllP50: number
  visibleAllP99: number
  visibleAllMax: number
  perPeerP50: number
  /** Arrivals later than 1 s: push did not reach that peer, anti-entropy (every 5 s) did. */
  slowArrivals: number
  arrivals: number
  ackP50: number
  ackP99: number
  /** Per timed write, summed over peers: pushes, forwards, updates applied and duplicates received. */
  perWrite: Record<string, number>
  /** The writer's own doc event: its delay from the request gives the coalescing offset actually observed. */
  localEventDelayMin: number
  localEventDelayP50: number
  offsetMs: number
  /** The same writes timed by polling GET kv every 5 ms on every other peer. */
  pollCheck: { writes: number, pollAllP50: number, sseAllP50: number, meanDifferenceMs: number } | undefined
}

/** Polls GET kv on `peer` until the key is there; resolves with the arrival time of that answer. */
async function pollUntilPresent (p: MurmurMember, doc: string, key: string, deadline: number): Promise<number | undefined> {
  while (performance.now() < deadline) {
    if (await hasKey(p, doc, key)) return performance.now()
    await sleep(POLL_INTERVAL_MS)
  }
  return undefined
}

export async function latencyPhase (ctx: ReplContext, writes: number, warmup: number, pollCheck: number): Promise<LatencyFigures> {
  const doc = 'bench-latency'
  const n = ctx.peers.length
  await openEverywhere(ctx, doc)
  interface Sample { sentAt: number, ackAt: number, remote: number[], local: number | undefined, poll: Array<number | undefined> | undefined }
  const samples: Sample[] = []
  let timeouts = 0
  let before: PromSample[] = []
  for (let i = -warmup; i < writes; i++) {
    if (i === 0) before = await syncOut(ctx)
    const writer = ctx.peers[((i % n) + n) % n] as MurmurMember
    const others = ctx.peers.filter(p => p !== writer)
    const key = `k${i}`
    const polled = i >= writes - pollCheck
    const deadline = performance.now() + VISIBLE_TIMEOUT_MS
    const polls = polled ? others.map(async p => await pollUntilPresent(p, doc, key, deadline)) : undefined
    const res = await putKv(writer, doc, key, { i })
    if (res.version === undefined) throw new Error(`${writer.name}: PUT ${doc}/${key} answered ${res.status}`)
    const version = res.version
    const ok = await visibleOn(ctx, others, doc, res.sentAt, version)
    const poll = polls === undefined ? undefined : await Promise.all(polls)
    if (i < 0) continue // warm-up: pushes find their hosts, connections and code paths get warm
    if (!ok) {
      timeouts++
      continue
    }
    samples.push({
      sentAt: res.sentAt,
      ackAt: res.ackAt,
      remote: others.map(p => (ctx.events.first(p.key, doc, res.sentAt, version)?.at ?? Number.NaN)),
      local: ctx.events.first(writer.key, doc, res.sentAt, version)?.at,
      poll
    })
    if ((i + 1) % 50 === 0) progress(`latency: ${i + 1}/${writes} writes`)
  }
  const counts = eventDelta(before, await syncOut(ctx), ['pushes', 'forwards', 'updatesApplied', 'updatesDuplicate'])
  const localDelays = samples.flatMap(s => s.local === undefined ? [] : [s.local - s.sentAt])
  const localMin = Math.min(...localDelays)
  // The writer's own event left ≥ DOC_EVENT_COALESCE_MS after its change; if it came sooner, the window changed.
  const offset = localMin >= DOC_EVENT_COALESCE_MS - 1 ? DOC_EVENT_COALESCE_MS : Math.max(0, localMin - 1)
  if (offset !== DOC_EVENT_COALESCE_MS) progress(`note: doc events arrive ${round(localMin, 1)} ms after a local write: the coalescing window is no longer ${DOC_EVENT_COALESCE_MS} ms; using ${round(offset, 1)} ms`)
  const visibleAll = samples.map(s => Math.max(...s.remote) - offset - s.sentAt)
  const perPeer = samples.flatMap(s => s.remote.map(r => r - offset - s.sentAt))
  const acks = samples.map(s => s.ackAt - s.sentAt)
  const polledSamples = samples.filter(s => s.poll !== undefined && s.poll.every(x => x !== undefined))
  const pollAll = polledSamples.map(s => Math.max(...(s.poll as number[])) - s.sentAt)
  const sseAll = polledSamples.map(s => Math.max(...s.remote) - offset - s.sentAt)
  return {
    writes: samples.length,
    timeouts,
    visibleAllP50: round(median(visibleAll), 1),
    visibleAllP99: round(percentile(visibleAll, 99), 1),
    visibleAllMax: round(Math.max(...visibleAll), 1),
    perPeerP50: round(median(perPeer), 1),
    slowArrivals: perPeer.filter(x => x > 1000).length,
    arrivals: perPeer.length,
    ackP50: round(median(acks), 1),
    ackP99: round(percentile(acks, 99), 1),
    localEventDelayMin: round(localMin, 1),
    localEventDelayP50: round(median(localDelays), 1),
    offsetMs: offset,
    perWrite: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, round(v / writes, 2)])),
    pollCheck: polledSamples.length === 0
      ? undefined
      : {
          writes: polledSamples.length,
          pollAllP50: round(median(pollAll), 1),
          sseAllP50: round(median(sseAll), 1),
          meanDifferenceMs: round(sseAll.reduce((a, x, j) => a + x - (pollAll[j] as number), 0) / sseAll.length, 1)
        }
  }
}

// ── sustained writes ────────────────────────────────────────────────────────────────────────────────

export interface ThroughputFigures {
  seconds: number
  concurrency: number
  acked: number
  ackedPerSec: number
  ackP50: number
  ackP99: number
  errors: Record<string, number>
  /** From the end of the load until every peer reports the same digest. */
  convergeMs: number | undefined
  /** Acknowledged writes missing on some peer after convergence (must be 0). */
  lostWrites: number
}

export async function throughputPhase (ctx: ReplContext, seconds: number, perPeer: number): Promise<ThroughputFigures> {
  const doc = 'bench-throughput'
  await openEverywhere(ctx, doc)
  const acked: string[] = []
  const latencies: number[] = []
  const errors: Record<string, number> = {}
  const t0 = performance.now()
  const end = t0 + seconds * 1000
  await Promise.all(ctx.peers.flatMap(p => Array.from({ length: perPeer }, async (_, w) => {
    for (let seq = 0; performance.now() < end; seq++) {
      const key = `${p.name}-${w}-${seq}`
      try {
        const r = await putKv(p, doc, key, seq)
        if (r.status === 200) {
          acked.push(key)
          latencies.push(r.ackAt - r.sentAt)
        } else {
          errors[String(r.status)] = (errors[String(r.status)] ?? 0) + 1
        }
      } catch (err) {
        const name = err instanceof Error ? err.name : 'error'
        errors[name] = (errors[name] ?? 0) + 1
      }
    }
  })))
  const t1 = performance.now()
  progress(`throughput: ${acked.length} writes acknowledged in ${round((t1 - t0) / 1000, 1)} s; waiting for convergence`)
  let convergeMs: number | undefined
  const deadline = t1 + 120_000
  while (performance.now() < deadline) {
    const ds = await Promise.all(ctx.peers.map(async p => (await digests(p)).get(doc)))
    if (ds.every(d => d !== undefined && d === ds[0])) {
      convergeMs = performance.now() - t1
      break
    }
    await sleep(250)
  }
  let lostWrites = 0
  for (const p of ctx.peers) {
    const kv = ((await getDoc(p, doc)).content.kv ?? {}) as Record<string, unknown>
    lostWrites += acked.filter(k => !(k in kv)).length
  }
  return {
    seconds: round((t1 - t0) / 1000, 1),
    concurrency: perPeer * ctx.peers.length,
    acked: acked.length,
    ackedPerSec: round(acked.length / ((t1 - t0) / 1000)),
    ackP50: round(median(latencies), 1),
    ackP99: round(percentile(latencies, 99), 1),
    errors,
    convergeMs: convergeMs === undefined ? undefined : round(convergeMs),
    lostWrites
  }
}

// ── partition → heal ────────────────────────────────────────────────────────────────────────────────

export interface PartitionFigures {
  writesPerSide: number
  valueChars: number
  /** Membership: heal → every peer lists every other alive. */
  membershipHealMs: number | undefined
  /** Heal → every peer reports the digest of the union of both sides (upper bound: the doc event's arrival). */
  convergeMs: number | undefined
  digestMatchesMirror: boolean
  missing: { sideA: MirrorSizes, sideB: MirrorSizes, perPeerUpdateBytes: number, perPeerMergedBytes: number }
  /** Anti-entropy rounds started and diffs sent by all peers from the heal to convergence (each peer needed one diff). */
  antiEntropy: Record<string, number>
  /** Sync-channel bytes sent by all peers from the heal to convergence, by message type, and 5 s later. */
  syncBytes: number
  syncBytesByType: Record<string, number>
  syncBytesWithTail: number
  /** Every byte the peers' data interfaces sent in the same window (membership re-merge included). */
  wireBytes: number
}

async function syncOut (ctx: ReplContext): Promise<PromSample[]> {
  return (await Promise.all(ctx.peers.map(async p => await ctx.mesh.metrics(p)))).flat()
}

/** Replication counters by stat name (REPLICATION_COUNTERS says which metric), summed over peers: `after - before`. */
function eventDelta (before: PromSample[], after: PromSample[], events: readonly string[]): Record<string, number> {
  const delta = (stat: string): number => {
    const c = REPLICATION_COUNTERS[stat]
    if (c === undefined) throw new Error(`no metric for replication stat ${stat}`)
    return sumProm(after, c.name, c.labels) - sumProm(before, c.name, c.labels)
  }
  return Object.fromEntries(events.map(e => [e, delta(e)]))
}

const wireTotal = (ctx: ReplContext): number => ctx.peers.reduce((a, p) => a + txBytes(ctx.lab.names[p.ns] as string).bytes, 0)

/** Sequential writes on one side; each acknowledged before the next, so the mirror can attribute them. */
async function writeSide (ctx: ReplContext, side: readonly MurmurMember[], mirror: WriteMirror, writes: number, chars: number, doc: string): Promise<void> {
  for (let i = 0; i < writes; i++) {
    const writer = side[i % side.length] as MurmurMember
    const key = `${writer.name}-${i}`
    const value = randomText(ctx.rng, chars)
    const r = await putKv(writer, doc, key, value)
    if (r.version === undefined) throw new Error(`${writer.name}: PUT ${doc}/${key} answered ${r.status}`)
    mirror.record(writer.name, r.version, key, value)
  }
}

export async function partitionPhase (ctx: ReplContext, writesPerSide: number, chars: number, holdSeconds: number): Promise<PartitionFigures> {
  // Created by the partition's own writes (each peer of each half writes, and so opens it), so that the
  // doc holds exactly the writes the mirrors replay.
  const doc = 'bench-partition'
  if (writesPerSide < ctx.peers.length) throw new RangeError(`--partition-writes must be ≥ ${ctx.peers.length} so that every peer writes (and opens the doc)`)
  const cut = Math.ceil(ctx.peers.length / 2)
  const a = ctx.peers.slice(0, cut)
  const b = ctx.peers.slice(cut)
  const keys = (ms: readonly MurmurMember[]): string[] => ms.map(m => m.key)
  ctx.lab.split([a.map(p => p.ns), b.map(p => p.ns)])
  progress(`partition: ${a.length}|${b.length}; waiting until each half lists the other dead`)
  const ab = await ctx.mesh.views.waitAll(keys(a), keys(b), ['dead'], 90_000)
  const ba = await ctx.mesh.views.waitAll(keys(b), keys(a), ['dead'], 90_000)
  if (ab === undefined || ba === undefined) progress('note: the halves did not list each other dead within 90 s; writing anyway')

  const mirrors = [new WriteMirror(), new WriteMirror()] as const
  await Promise.all([writeSide(ctx, a, mirrors[0], writesPerSide, chars, doc), writeSide(ctx, b, mirrors[1], writesPerSide, chars, doc)])
  const [ra, rb] = [mirrors[0].replay(), mirrors[1].replay()]
  for (const [side, replay] of [[a, ra], [b, rb]] as const) {
    const expected = digestOf(replay.doc)
    const ok = await ctx.events.wait(() => side.every(p => ctx.events.latest(p.key, doc)?.digest === expected), 60_000)
    if (!ok) progress('note: a half did not converge internally within 60 s')
  }
  progress(`partition: ${writesPerSide} writes on each side, each side converged internally; healing in ${holdSeconds} s`)
  await sleep(holdSeconds * 1000)

  const before = await syncOut(ctx)
  const wire0 = wireTotal(ctx)
  ctx.lab.heal()
  const t1 = performance.now()
  const expected = digestOf(union(ra.doc, rb.doc))
  const converged = await ctx.events.wait(() => ctx.peers.every(p => ctx.events.latest(p.key, doc)?.digest === expected), 120_000)
  const at = converged ? Math.max(...ctx.peers.map(p => ctx.events.latest(p.key, doc)?.at ?? Number.NaN)) : undefined
  const after = await syncOut(ctx)
  const wire1 = wireTotal(ctx)
  const all = keys(ctx.peers)
  const healAt = await ctx.mesh.views.waitAll(all, all, ['alive'], 60_000)
  const finals = await Promise.all(ctx.peers.map(async p => (await getDoc(p, doc)).digest))
  await sleep(5_000)
  const tail = await syncOut(ctx)
  const out = (s: PromSample[]): number => sumProm(s, 'murmur_sync_bytes_total', { direction: 'out' })
  const byType0 = sumPromBy(before, 'murmur_sync_bytes_total', 'type', { direction: 'out' })
  const byType1 = sumPromBy(after, 'murmur_sync_bytes_total', 'type', { direction: 'out' })
  return {
    writesPerSide,
    valueChars: chars,
    membershipHealMs: healAt === undefined ? undefined : round(healAt - t1),
    convergeMs: at === undefined ? undefined : round(at - t1),
    digestMatchesMirror: finals.every(d => d === expected),
    missing: {
      sideA: ra.sizes,
      sideB: rb.sizes,
      // Each peer of one half lacks everything the other half wrote.
      perPeerUpdateBytes: a.length * rb.sizes.updateBytes + b.length * ra.sizes.updateBytes,
      perPeerMergedBytes: a.length * rb.sizes.mergedBytes + b.length * ra.sizes.mergedBytes
    },
    antiEntropy: eventDelta(before, after, ['antiEntropyRounds', 'antiEntropyCompleted', 'diffsSent', 'updatesApplied', 'updatesDuplicate']),
    syncBytes: out(after) - out(before),
    syncBytesByType: Object.fromEntries(Object.keys(byType1).map(k => [k, (byType1[k] ?? 0) - (byType0[k] ?? 0)]).filter(([, v]) => v !== 0)),
    syncBytesWithTail: out(tail) - out(before),
    wireBytes: wire1 - wire0
  }
}

// ── idle with many docs ─────────────────────────────────────────────────────────────────────────────

export interface IdleDocsFigures {
  docs: number
  seconds: number
  /** Per peer, bytes/s sent: sync-channel frames, all frames (sync + membership), the data interface. */
  syncFrameBytesPerSec: number
  allFrameBytesPerSec: number
  wireBytesPerSec: number
  syncMessagesPerSec: Record<string, number>
  convergedMs: number | undefined
}

export async function idleDocsPhase (ctx: ReplContext, docs: number, seconds: number): Promise<IdleDocsFigures> {
  const names = Array.from({ length: docs }, (_, i) => `idle-${String(i).padStart(3, '0')}`)
  const t0 = performance.now()
  // One peer creates each doc with a write; the others open it by reading (GET finds it on a live peer).
  await inBatches(names, 8, async (d) => {
    const i = names.indexOf(d)
    await putKv(ctx.peers[i % ctx.peers.length] as MurmurMember, d, 'v', i)
  })
  const findDoc = async (p: MurmurMember, d: string): Promise<number> => {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await getDoc(p, d).then(() => true, () => false)) return 0
      await sleep(1_000)
    }
    return 1
  }
  const missing = await inBatches(ctx.peers.flatMap(p => names.map(d => [p, d] as const)), 16, async ([p, d]) => await findDoc(p, d))
  const notFound = missing.reduce((a: number, b) => a + b, 0)
  if (notFound > 0) progress(`note: ${notFound} of ${missing.length} doc reads found nothing (yet); anti-entropy may still bring them`)
  let convergedMs: number | undefined
  for (const deadline = performance.now() + 180_000; performance.now() < deadline;) {
    const all = await Promise.all(ctx.peers.map(async p => await digests(p)))
    if (names.every(d => all.every(m => m.get(d) !== undefined && m.get(d) === all[0]?.get(d)))) {
      convergedMs = performance.now() - t0
      break
    }
    await sleep(1_000)
  }
  progress(`idle: ${docs} docs open on ${ctx.peers.length} peers${convergedMs === undefined ? ' (did NOT converge in 180 s)' : `, converged after ${round(convergedMs / 1000, 1)} s`}; settling, then a ${seconds} s window`)
  await sleep(5_000)
  const m0 = await syncOut(ctx)
  const w0 = wireTotal(ctx)
  const s0 = performance.now()
  await sleep(seconds * 1000)
  const m1 = await syncOut(ctx)
  const w1 = wireTotal(ctx)
  const elapsed = (performance.now() - s0) / 1000
  const per = (x: number): number => round(x / ctx.peers.length / elapsed)
  const frames = (m: PromSample[], channel?: string): number => sumProm(m, 'murmur_transport_bytes_total', channel === undefined ? { direction: 'out' } : { direction: 'out', channel })
  const msgs0 = sumPromBy(m0, 'murmur_sync_messages_total', 'type', { direction: 'out' })
  const msgs1 = sumPromBy(m1, 'murmur_sync_messages_total', 'type', { direction: 'out' })
  return {
    docs,
    seconds,
    syncFrameBytesPerSec: per(frames(m1, 'sync') - frames(m0, 'sync')),
    allFrameBytesPerSec: per(frames(m1) - frames(m0)),
    wireBytesPerSec: per(w1 - w0),
    syncMessagesPerSec: Object.fromEntries(Object.keys(msgs1).map(k => [k, round(((msgs1[k] ?? 0) - (msgs0[k] ?? 0)) / ctx.peers.length / elapsed, 2)]).filter(([, v]) => v !== 0)),
    convergedMs: convergedMs === undefined ? undefined : round(convergedMs)
  }
}
