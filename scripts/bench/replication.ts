/**
 * `npm run bench -- replication`: Yjs replication between 10 real murmur peers (`dist/peer.js`, HTTP kv
 * API), each in its own network namespace (scripts/lib/netns.ts): write → visible latency, sustained writes,
 * convergence and sync bytes after a real 5|5 partition heals, idle traffic with 100 docs open — and a
 * naive baseline (Yjs updates flooded over gossipsub, no anti-entropy) through the same partition.
 *
 * Visibility is timed from each peer's SSE `/events` doc events (name, digest, version), stamped on
 * arrival: a write is visible on a peer at its first event whose version dominates the version the write
 * was acknowledged with. The HTTP layer publishes a doc event DOC_EVENT_COALESCE_MS (100 ms) after the
 * first change of a quiet doc, so that constant is subtracted — checked on every write against the writer's
 * own event, and cross-checked on the last writes by polling GET kv every 5 ms on every peer.
 */
import { baselinePhase } from './lib/baseline-phase.ts'
import type { BaselineFigures } from './lib/baseline-phase.ts'
import { DocEventLog } from './lib/doc-events.ts'
import { createNetnsLab, netnsUnavailable } from '../lib/netns.ts'
import { MURMUR_PEER_JS, MurmurMesh } from './lib/murmur-mesh.ts'
import type { MurmurMember } from './lib/murmur-mesh.ts'
import { idleDocsPhase, latencyPhase, partitionPhase, throughputPhase } from './lib/replication-phases.ts'
import type { IdleDocsFigures, LatencyFigures, PartitionFigures, ReplContext, ThroughputFigures } from './lib/replication-phases.ts'
import { PEER_JS } from '../lib/peers.ts'
import { MAX_SEED, inRange, readFlags } from './lib/flags.ts'
import { UsageError, machine, progress, round, table, writeSection } from './lib/report.ts'
import { seededRng } from './lib/rng.ts'
import { onTeardown, teardownAll } from './lib/teardown.ts'

interface Options {
  peers: number
  writes: number
  warmup: number
  pollCheck: number
  loadSeconds: number
  concurrency: number
  partitionWrites: number
  valueChars: number
  holdSeconds: number
  idleDocs: number
  idleSeconds: number
  baseline: boolean
  observeSeconds: number
  seed: number
  /** R, homes per doc; default: every peer (the doc is fully replicated, what this benchmark measures). */
  replicas: number | undefined
}

export const USAGE = 'options: --peers 10  --replicas <peers>  --writes 200  --warmup 20  --poll-check 20  --load-seconds 20  --concurrency 4 (per peer)  --partition-writes 100 (per side)  --value-chars 100  --hold-seconds 10 (partition kept after the writes)  --idle-docs 100  --idle-seconds 30  --observe-seconds 20  --no-baseline  --seed 1  --quick'
const TARGETS = { p50Ms: 50, p99Ms: 250, syncVsMissing: 2 }

/** The options from `args`; every bad value is a UsageError here, before any peer starts (exported for its test). */
export function parse (args: string[]): Options {
  const o: Options = { peers: 10, writes: 200, warmup: 20, pollCheck: 20, loadSeconds: 20, concurrency: 4, partitionWrites: 100, valueChars: 100, holdSeconds: 10, idleDocs: 100, idleSeconds: 30, baseline: true, observeSeconds: 20, seed: 1, replicas: undefined }
  const int = (key: Exclude<keyof Options, 'baseline'>, min: number, max: number) => inRange(min, max, true, n => { o[key] = n })
  const secs = (key: Exclude<keyof Options, 'baseline'>, min: number, max: number) => inRange(min, max, false, n => { o[key] = n })
  readFlags(args, USAGE, {
    numbers: {
      '--peers': int('peers', 4, 40), '--writes': int('writes', 1, 10_000), '--warmup': int('warmup', 0, 1000), '--poll-check': int('pollCheck', 0, 10_000),
      // Zero of these measures nothing: a throughput of 0 writes in 0 s, bytes per second over a 0 s window.
      '--load-seconds': secs('loadSeconds', 1, 600), '--concurrency': int('concurrency', 1, 64),
      '--partition-writes': int('partitionWrites', 1, 10_000), '--value-chars': int('valueChars', 0, 100_000), '--hold-seconds': secs('holdSeconds', 0, 600),
      '--idle-docs': int('idleDocs', 0, 1000), '--idle-seconds': secs('idleSeconds', 1, 3600), '--observe-seconds': secs('observeSeconds', 0, 600), '--seed': int('seed', 0, MAX_SEED),
      // Checked here, not once the mesh is up: a peer refuses to start with an R outside [1, 64].
      '--replicas': int('replicas', 1, 64)
    },
    switches: {
      '--no-baseline': () => { o.baseline = false },
      '--quick': () => { Object.assign(o, { writes: 50, warmup: 10, pollCheck: 10, loadSeconds: 5, partitionWrites: 30, idleDocs: 20, idleSeconds: 10, observeSeconds: 10 }) }
    }
  })
  if (o.pollCheck > o.writes) throw new UsageError('--poll-check must be ≤ --writes')
  // The partition phase has every peer write (and so open its doc).
  if (o.partitionWrites < o.peers) throw new UsageError(`--partition-writes must be ≥ --peers (${o.peers}), so that every peer writes`)
  if (o.idleSeconds < 30) progress(`note: an idle window of ${o.idleSeconds} s is shorter than the 30 s the figure is specified for`)
  return o
}

interface Results {
  latency: LatencyFigures
  throughput: ThroughputFigures
  partition: PartitionFigures
  idle: IdleDocsFigures
  baseline: BaselineFigures | undefined
}

async function run (o: Options): Promise<Results> {
  const lab = createNetnsLab(o.peers * (o.baseline ? 2 : 1), `r${process.pid.toString(36)}`)
  onTeardown('replication netns lab', () => { lab.close() })
  const events = new DocEventLog()
  // Every peer a home of every doc (R = N unless --replicas says otherwise): the writes under test reach
  // every peer as its own replica; `npm run bench -- placement` measures R < N.
  const mesh = new MurmurMesh(lab, { args: ['--replicas', String(o.replicas ?? o.peers)], onSse: (m, e) => { events.onSse(m.key, e) } })
  try {
    const seed = await mesh.spawn(0, [])
    const rest = await Promise.all(Array.from({ length: o.peers - 1 }, async (_, i) => await mesh.spawn(i + 1, [seed])))
    const peers: MurmurMember[] = [seed, ...rest]
    const keys = peers.map(p => p.key)
    if (await mesh.views.waitAll(keys, keys, ['alive'], 90_000) === undefined) throw new Error(`${o.peers} murmur peers did not all see each other alive within 90 s`)
    progress(`${o.peers} murmur peers up and all alive`)
    const rng = seededRng(o.seed)
    const ctx: ReplContext = { lab, mesh, peers, events, rng }
    // The partition runs first, while no other doc is open, so the sync bytes it reports are its own.
    const partition = await partitionPhase(ctx, o.partitionWrites, o.valueChars, o.holdSeconds)
    progress(`partition: converged ${partition.convergeMs ?? 'NEVER'} ms after heal; ${partition.syncBytes} sync bytes for ${partition.missing.perPeerUpdateBytes} missing`)
    const latency = await latencyPhase(ctx, o.writes, o.warmup, o.pollCheck)
    progress(`latency: visible on all p50 ${latency.visibleAllP50} ms, p99 ${latency.visibleAllP99} ms`)
    const throughput = await throughputPhase(ctx, o.loadSeconds, o.concurrency)
    progress(`throughput: ${throughput.ackedPerSec} acknowledged writes/s, converged ${throughput.convergeMs ?? 'NEVER'} ms after, ${throughput.lostWrites} lost`)
    const idle = await idleDocsPhase(ctx, o.idleDocs, o.idleSeconds)
    progress(`idle: ${idle.syncFrameBytesPerSec} sync B/s, ${idle.wireBytesPerSec} wire B/s per peer`)
    mesh.stopAll()
    const baseline = o.baseline
      ? await baselinePhase(lab, Array.from({ length: o.peers }, (_, i) => o.peers + i), seededRng(o.seed + 1), o.partitionWrites, o.valueChars, o.holdSeconds, o.observeSeconds)
      : undefined
    return { latency, throughput, partition, idle, baseline }
  } finally {
    mesh.stopAll()
    events.close()
  }
}

const show = (x: number | undefined, unit = ''): string => x === undefined ? 'never' : `${x}${unit}`

function murmurRows (r: Results, o: Options): Array<Array<string | number>> {
  const { latency: l, throughput: t, partition: p, idle: i } = r
  const ratio = round(p.syncBytes / p.missing.perPeerUpdateBytes, 2)
  return [
    [`write → visible on all ${o.peers - 1} other peers, ms (${l.writes} writes, round-robin writers)`, `p50 ${l.visibleAllP50}, p99 ${l.visibleAllP99}, max ${l.visibleAllMax}${l.timeouts > 0 ? `; ${l.timeouts} not visible in 10 s` : ''}`, `p50 ≤ ${TARGETS.p50Ms}, p99 ≤ ${TARGETS.p99Ms}`],
    ['write → visible on one peer, ms; arrivals later than 1 s (push missed, anti-entropy repaired)', `p50 ${l.perPeerP50}; ${l.slowArrivals} of ${l.arrivals}`, ''],
    ['write acknowledged (durable), ms', `p50 ${l.ackP50}, p99 ${l.ackP99}`, ''],
    ['per write, all peers: pushes, forwards, updates applied, duplicates received', `${l.perWrite.pushes}, ${l.perWrite.forwards}, ${l.perWrite.updatesApplied}, ${l.perWrite.updatesDuplicate}`, `${o.peers - 1} applied`],
    ['method check: own doc event after a write, ms (coalescing offset subtracted)', `min ${l.localEventDelayMin}, p50 ${l.localEventDelayP50} (offset ${l.offsetMs})`, ''],
    ['method check: same writes polled every 5 ms on all peers, visible on all p50 ms', l.pollCheck === undefined ? '–' : `poll ${l.pollCheck.pollAllP50} vs SSE ${l.pollCheck.sseAllP50} (SSE − poll ${l.pollCheck.meanDifferenceMs} on average, ${l.pollCheck.writes} writes)`, ''],
    [`sustained acknowledged writes/s (${t.concurrency} concurrent writers, ${t.seconds} s)`, `${t.ackedPerSec} (ack p50 ${t.ackP50} ms, p99 ${t.ackP99} ms${Object.keys(t.errors).length > 0 ? `, errors ${JSON.stringify(t.errors)}` : ''})`, ''],
    ['… then all digests identical after, ms; acknowledged writes lost', `${show(t.convergeMs)}; ${t.lostWrites} lost`, '0 lost'],
    [`partition 5|5, ${p.writesPerSide} writes per side (${p.valueChars}-char values): heal → identical digests, ms`, `${show(p.convergeMs)} (membership re-merged after ${show(p.membershipHealMs)} ms)${p.digestMatchesMirror ? '' : '; final digest ≠ the replayed writes!'}`, ''],
    ['… missing updates: per side (sum of single updates / merged), bytes', `A lacked ${p.missing.sideB.updateBytes} / ${p.missing.sideB.mergedBytes}, B lacked ${p.missing.sideA.updateBytes} / ${p.missing.sideA.mergedBytes}`, ''],
    ['… sync bytes sent during convergence vs what the peers lacked (every peer: single updates / merged)', `${p.syncBytes} vs ${p.missing.perPeerUpdateBytes} / ${p.missing.perPeerMergedBytes} → ×${ratio}`, `≤ ×${TARGETS.syncVsMissing}`],
    ['… anti-entropy during convergence, all peers: rounds started, diffs sent, updates applied / duplicate', `${p.antiEntropy.antiEntropyRounds}, ${p.antiEntropy.diffsSent}, ${p.antiEntropy.updatesApplied} / ${p.antiEntropy.updatesDuplicate}`, `${o.peers} diffs needed`],
    ['… sync bytes by message type; with 5 s of tail; all bytes on the wire (membership included)', `${JSON.stringify(p.syncBytesByType)}; ${p.syncBytesWithTail}; ${p.wireBytes}`, ''],
    [`idle with ${i.docs} docs open, bytes/s sent per peer: sync frames / all frames / data interface`, `${i.syncFrameBytesPerSec} / ${i.allFrameBytesPerSec} / ${i.wireBytesPerSec}`, ''],
    ['… sync messages/s per peer', JSON.stringify(i.syncMessagesPerSec), '']
  ]
}

function baselineRows (b: BaselineFigures): Array<Array<string | number>> {
  return [
    ['converges without a partition (one write per peer)', b.warmupConverged ? `yes, in ${show(b.warmupMs)} ms` : 'NO', ''],
    ['partition 5|5: connections across the cut dropped after, ms', show(b.disconnectedMs), ''],
    [`writes per side, then partition held, s`, `${b.writesPerSide}, ${b.holdSeconds}`, 'same'],
    [`heal → all ${b.peers} peers reconnected and subscribed again after, ms`, show(b.reconnectedMs), ''],
    [`${b.observeSeconds} s after reconnecting: distinct digests among ${b.peers} peers`, b.distinctDigests, 'murmur: 1'],
    [`updates (keys) a peer lacks, of ${b.totalKeys} written`, `${b.missingMin}–${b.missingMax}`, 'murmur: 0']
  ]
}

export async function main (args: string[]): Promise<void> {
  const o = parse(args)
  const why = netnsUnavailable()
  if (why !== undefined) throw new Error(`the replication benchmark runs every peer in its own network namespace: ${why}`)
  progress(`replication benchmark on ${machine()}, murmur ${MURMUR_PEER_JS}: ${o.peers} peers, ${o.writes} timed writes, ${o.loadSeconds} s of load, ${o.partitionWrites} writes per side, ${o.idleDocs} idle docs${o.baseline ? ', gossipsub baseline' : ''}`)
  let r: Results
  try {
    r = await run(o)
  } finally {
    teardownAll()
  }
  const murmurTable = table(['murmur', 'measured', 'target'], murmurRows(r, o))
  const baselineTable = r.baseline === undefined ? '' : table(['naive baseline: Yjs over gossipsub, no anti-entropy', 'measured', 'murmur'], baselineRows(r.baseline))
  const syncRatio = r.partition.syncBytes / r.partition.missing.perPeerUpdateBytes
  const goals = [
    { goal: `write → visible on all: p50 ≤ ${TARGETS.p50Ms} ms and p99 ≤ ${TARGETS.p99Ms} ms`, value: `p50 ${r.latency.visibleAllP50} ms, p99 ${r.latency.visibleAllP99} ms`, met: r.latency.timeouts === 0 && r.latency.visibleAllP50 <= TARGETS.p50Ms && r.latency.visibleAllP99 <= TARGETS.p99Ms },
    { goal: `sync bytes after heal ≤ ${TARGETS.syncVsMissing}× the missing updates (every peer's)`, value: `×${round(syncRatio, 2)}`, met: r.partition.convergeMs !== undefined && syncRatio <= TARGETS.syncVsMissing },
    { goal: 'converged after heal and after load, no acknowledged write lost', value: `heal ${show(r.partition.convergeMs)} ms, load ${show(r.throughput.convergeMs)} ms, ${r.throughput.lostWrites} lost`, met: r.partition.convergeMs !== undefined && r.partition.digestMatchesMirror && r.throughput.convergeMs !== undefined && r.throughput.lostWrites === 0 },
    ...(r.baseline === undefined
      ? []
      : [{ goal: 'the naive baseline does not converge after the heal', value: `${r.baseline.distinctDigests} distinct digests, peers lack ${r.baseline.missingMin}–${r.baseline.missingMax} of ${r.baseline.totalKeys} updates`, met: r.baseline.distinctDigests > 1 }])
  ]
  const goalLines = goals.map(g => `${g.met ? 'met' : 'NOT met'}: ${g.goal} — ${g.value}`)
  console.log(murmurTable)
  if (baselineTable !== '') console.log(`\n${baselineTable}`)
  console.log('')
  for (const line of goalLines) console.log(line)
  writeSection('replication', 'Replication (real processes)', `npm run bench -- replication${args.length > 0 ? ' ' + args.join(' ') : ''}`, [
    `${o.peers} murmur peers (\`${MURMUR_PEER_JS === PEER_JS ? 'dist/peer.js' : MURMUR_PEER_JS} --replicas ${o.replicas ?? o.peers}\`: every peer a home of every doc; profile lan), each in its own network namespace: libp2p on a data bridge (veth pairs, same kernel: loopback-like latency), HTTP on a management bridge.`,
    'Visibility: each peer\'s SSE doc events (stamped on arrival; the first whose version dominates the write\'s acknowledged version), minus the 100 ms the HTTP layer coalesces doc events for — checked against the writer\'s own event and against polling GET kv every 5 ms.',
    `Partition: the data bridge is cut 5|5; once each half lists the other dead, each half writes, and the cut is held ${o.holdSeconds} s more (the same for the baseline: longer than gossipsub's 5 s message cache); the missing bytes are the exact Yjs updates, re-created by replaying the writes with the writers' replica ids (verified: the replayed digest equals the converged one). Sync bytes: \`murmur_sync_bytes_total{direction="out"}\` summed over peers.`,
    '',
    murmurTable,
    ...(baselineTable === '' ? [] : ['', baselineTable]),
    '',
    ...goalLines.map(l => `- ${l}`)
  ].join('\n'))
  console.log(JSON.stringify({ bench: 'replication', options: o, ...r, goals }))
}
