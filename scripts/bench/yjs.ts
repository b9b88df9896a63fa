/**
 * `npm run bench -- yjs`: y-websocket clients typing into one shared Y.Text — through a mesh of murmur
 * peers (clients spread over them), and, in the same run with the same clients and workload, through one
 * reference server (@y/websocket-server). Measures keystroke → visible on every other client (p50/p99),
 * and the mesh traffic per keystroke (replication and presence frames between the peers).
 *
 * Everything runs on 127.0.0.1: the peers (`dist/peer.js`, profile lan), the reference server, and the
 * clients (all in this process, so every arrival is timed on one clock). A keystroke is one character
 * inserted at a random position plus a cursor move in awareness, as an editor sends.
 */
import { spawn } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { NODE, ROOT, cleanup, spawnPeer, waitForStates } from '../lib/peers.ts'
import type { PeerProcess } from '../lib/peers.ts'
import { waitForOutput } from './lib/child.ts'
import { parseProm, sumProm, sumPromBy } from './lib/prom.ts'
import type { PromSample } from './lib/prom.ts'
import { MAX_SEED, inRange, readFlags } from './lib/flags.ts'
import { UsageError, machine, progress, round, table, writeSection } from './lib/report.ts'
import { seededRng } from './lib/rng.ts'
import { benchTempDir, killOnTeardown, onTeardown, teardownAll } from './lib/teardown.ts'
import { KeystrokeFleet } from './lib/yjs-fleet.ts'
import type { FleetFigures } from './lib/yjs-fleet.ts'

interface Options {
  peers: number
  clients: number
  seconds: number
  rate: number
  cursor: boolean
  reference: boolean
  seed: number
}

export const USAGE = 'options: --peers 10  --clients 50  --seconds 30 (of typing)  --rate 0.2 (keystrokes/s per client: 10/s in all, two fast typists\' worth)  --no-cursor (no awareness update per keystroke)  --no-reference  --seed 1  --quick'
const TARGET_P99_MS = 100
const DOC = 'bench-notes'
/** After the typing, every keystroke must have reached every client within this. */
const SETTLE_MS = 30_000
/** Keystroke arrivals timed per run (keystrokes × clients), held in memory: 20 M of them are ~160 MB, and the figures copy them. */
const MAX_TIMINGS = 20_000_000

export function parse (args: string[]): Options {
  const o: Options = { peers: 10, clients: 50, seconds: 30, rate: 0.2, cursor: true, reference: true, seed: 1 }
  const set = (key: 'peers' | 'clients' | 'seconds' | 'rate' | 'seed') => (n: number): void => { o[key] = n }
  readFlags(args, USAGE, {
    numbers: {
      '--peers': inRange(1, 30, true, set('peers')),
      '--clients': inRange(2, 500, true, set('clients')),
      '--seconds': inRange(1, 600, false, set('seconds')),
      // Keystrokes per second per client: 20 is beyond any typist. The typing loop runs on its own schedule
      // and yields only between keystrokes that are due later: at 1e9/s it never yields.
      '--rate': inRange(0.01, 20, false, set('rate')),
      '--seed': inRange(0, MAX_SEED, true, set('seed'))
    },
    switches: {
      '--no-cursor': () => { o.cursor = false },
      '--no-reference': () => { o.reference = false },
      '--quick': () => { Object.assign(o, { peers: 4, clients: 12, seconds: 8 }) }
    }
  })
  // Every keystroke is timed at every client (yjs-fleet.ts keeps them all until the figures are out).
  const keystrokes = Math.round(o.seconds * o.rate * o.clients)
  if (keystrokes < 1) throw new UsageError('--seconds × --rate × --clients rounds to 0: the run types no keystroke')
  if (keystrokes * o.clients > MAX_TIMINGS) throw new UsageError(`--seconds × --rate × --clients is ${keystrokes} keystrokes, each timed at ${o.clients} clients: at most ${MAX_TIMINGS} timings fit (fewer seconds, a lower rate or fewer clients)`)
  return o
}

interface MeshTraffic {
  /** Frame bytes sent between peers during the typing (all peers), by channel. */
  bytesByChannel: Record<string, number>
  /** Replication + presence bytes between peers, per keystroke. */
  bytesPerKeystroke: number
  syncBytesPerKeystroke: number
  presenceBytesPerKeystroke: number
  /** Bytes the peers sent to / received from their clients, per keystroke. */
  clientBytesOutPerKeystroke: number
  clientBytesInPerKeystroke: number
  /** Messages the peers received from their clients, by type, per keystroke. */
  clientMessagesInPerKeystroke: Record<string, number>
  /** Times a client was paused by its rate limits; awareness entries refused (by reason). */
  throttled: number
  awarenessRefused: Record<string, number>
  /** Client edit arrived → durable on its peer (what the relay waits for), from the peers' histograms: bucket upper bounds, ms. */
  durableP50: string
  durableP99: string
  /**
   * The peers' synced batch writes during the typing (group commit: one fsync each; the remote copies of
   * every keystroke included), and their latency: the disk's part of the above. All peers share this
   * machine's one disk, as they would not in a deployment.
   */
  storeWrites: number
  storeWriteP50: string
  storeWriteP99: string
}

/** The upper bound of the bucket holding percentile `p` of a cumulative histogram (`le` → count). */
function bucketPercentile (cumulative: Array<[string, number]>, p: number): string {
  const total = cumulative[cumulative.length - 1]?.[1] ?? 0
  if (total === 0) return '–'
  const rank = Math.ceil(total * p / 100)
  return `≤ ${cumulative.find(([, n]) => n >= rank)?.[0] ?? '+Inf'}`
}

interface Results {
  murmur: FleetFigures & { traffic: MeshTraffic }
  reference: FleetFigures | undefined
}

async function scrape (p: PeerProcess): Promise<PromSample[]> {
  const res = await fetch(`${p.http}/metrics`, { signal: AbortSignal.timeout(10_000) })
  return parseProm(await res.text())
}

async function typingRun (label: string, urls: string[], o: Options): Promise<FleetFigures> {
  const fleet = new KeystrokeFleet(urls, DOC, o.cursor)
  try {
    if (!await fleet.synced(30_000)) throw new Error(`${label}: not every client synced within 30 s`)
    progress(`${label}: ${fleet.size} clients synced; typing ${o.rate}/s each for ${o.seconds} s`)
    await fleet.type(o.seconds, o.rate, seededRng(o.seed), (n) => { progress(`${label}: ${n} keystrokes typed`) })
    const figures = await fleet.settle(SETTLE_MS)
    progress(`${label}: keystroke → visible on all others p50 ${figures.allP50} ms, p99 ${figures.allP99} ms; ${figures.missing} missing; converged ${figures.converged}`)
    return figures
  } finally {
    fleet.destroy()
  }
}

async function referenceRun (o: Options): Promise<FleetFigures> {
  const proc = spawn(NODE, [path.join(ROOT, 'scripts/bench/baseline/yws-server.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  killOnTeardown('y-websocket reference server', proc)
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  if (!await waitForOutput(proc, () => /listening \d+/.test(out), 20_000)) throw new Error(`the reference server did not start:\n${out}`)
  const port = /listening (\d+)/.exec(out)?.[1] ?? ''
  try {
    return await typingRun('reference', Array.from({ length: o.clients }, () => `http://127.0.0.1:${port}`), o)
  } finally {
    proc.kill('SIGTERM')
  }
}

async function murmurRun (o: Options): Promise<FleetFigures & { traffic: MeshTraffic }> {
  // The peers' data dirs in one temp dir of the teardown list (spawnPeer's own are removed only by an
  // awaited cleanup(), which Ctrl-C's exit never reaches), and after it an action that SIGKILLs every peer
  // spawnPeer started — the ones still starting included — so it runs before the dir is removed.
  const root = benchTempDir('murmur-yjs-')
  onTeardown('murmur peers', () => { void cleanup() })
  const dataDir = (i: number): string => path.join(root, `peer-${i}`)
  const first = await spawnPeer({ args: ['--log-level', 'warn'], dataDir: dataDir(0) })
  const rest = await Promise.all(Array.from({ length: o.peers - 1 }, async (_, i) => await spawnPeer({ args: ['--log-level', 'warn'], bootstrap: [first.addrs[0] as string], startTimeoutMs: 60_000, dataDir: dataDir(i + 1) })))
  const peers = [first, ...rest]
  await waitForStates(peers, peers.map(p => p.id), 'alive', 90_000)
  progress(`${o.peers} murmur peers up and all alive`)
  const urls = Array.from({ length: o.clients }, (_, i) => (peers[i % peers.length] as PeerProcess).http)
  // Counters are read right before the typing and right after the settle: the difference is the typing's.
  let before: PromSample[][] = []
  const fleet = new KeystrokeFleet(urls, DOC, o.cursor)
  try {
    if (!await fleet.synced(30_000)) throw new Error('murmur: not every client synced within 30 s')
    await new Promise(resolve => setTimeout(resolve, 2000)) // let the join traffic (hellos, first syncs) pass
    progress(`murmur: ${fleet.size} clients synced on ${o.peers} peers; typing ${o.rate}/s each for ${o.seconds} s`)
    before = await Promise.all(peers.map(scrape))
    await fleet.type(o.seconds, o.rate, seededRng(o.seed), (n) => { progress(`murmur: ${n} keystrokes typed`) })
    const figures = await fleet.settle(SETTLE_MS)
    const after = await Promise.all(peers.map(scrape))
    progress(`murmur: keystroke → visible on all others p50 ${figures.allP50} ms, p99 ${figures.allP99} ms; ${figures.missing} missing; converged ${figures.converged}`)
    const delta = (name: string, match: Record<string, string>): number =>
      after.reduce((sum, s, i) => sum + sumProm(s, name, match) - sumProm(before[i] ?? [], name, match), 0)
    const channels = new Set(after.flatMap(s => Object.keys(sumPromBy(s, 'murmur_transport_bytes_total', 'channel', { direction: 'out' }))))
    const bytesByChannel = Object.fromEntries([...channels].map(c => [c, delta('murmur_transport_bytes_total', { channel: c, direction: 'out' })]))
    const k = figures.keystrokes
    /** A histogram's cumulative buckets over the typing, summed over the peers: [upper bound in ms, count]. */
    const histogram = (name: string): Array<[string, number]> => {
      const les = [...new Set(after.flatMap(smp => smp.filter(x => x.name === `${name}_bucket`).map(x => x.labels.le ?? '')))]
        .sort((a, b) => (a === '+Inf' ? Infinity : Number(a)) - (b === '+Inf' ? Infinity : Number(b)))
      // Bucket bounds are seconds on /metrics; the report speaks ms.
      return les.map((le): [string, number] => [le === '+Inf' ? le : String(Math.round(Number(le) * 1e6) / 1e3), delta(`${name}_bucket`, { le })])
    }
    const durable = histogram('murmur_yjs_edit_durable_seconds')
    const storeWrites = histogram('murmur_store_write_seconds')
    const sync = bytesByChannel.sync ?? 0
    const presence = bytesByChannel.presence ?? 0
    return {
      ...figures,
      traffic: {
        bytesByChannel,
        bytesPerKeystroke: round((sync + presence) / k),
        syncBytesPerKeystroke: round(sync / k),
        presenceBytesPerKeystroke: round(presence / k),
        clientBytesOutPerKeystroke: round(delta('murmur_yjs_bytes_total', { direction: 'out' }) / k),
        clientBytesInPerKeystroke: round(delta('murmur_yjs_bytes_total', { direction: 'in' }) / k),
        clientMessagesInPerKeystroke: Object.fromEntries(['syncStep1', 'syncStep2', 'update', 'awareness', 'queryAwareness'].map(type => [type, round(delta('murmur_yjs_messages_total', { direction: 'in', type }) / k, 1)])),
        throttled: delta('murmur_yjs_throttled_total', {}),
        awarenessRefused: Object.fromEntries(['notOwner', 'tooManyClientIds'].map(reason => [reason, delta('murmur_yjs_awareness_refused_total', { reason })])),
        durableP50: bucketPercentile(durable, 50),
        durableP99: bucketPercentile(durable, 99),
        storeWrites: storeWrites[storeWrites.length - 1]?.[1] ?? 0,
        storeWriteP50: bucketPercentile(storeWrites, 50),
        storeWriteP99: bucketPercentile(storeWrites, 99)
      }
    }
  } finally {
    fleet.destroy()
    await cleanup()
  }
}

export async function main (args: string[]): Promise<void> {
  const o = parse(args)
  const loadBefore = os.loadavg().map(l => l.toFixed(2)).join(' ')
  progress(`load average before: ${loadBefore}`)
  progress(`yjs benchmark on ${machine()}: ${o.peers} murmur peers, ${o.clients} y-websocket clients, ${o.rate} keystroke/s each for ${o.seconds} s${o.cursor ? ' (+ a cursor move in awareness each)' : ''}${o.reference ? ', then the same against @y/websocket-server' : ''}`)
  let r: Results
  try {
    const murmur = await murmurRun(o)
    const reference = o.reference ? await referenceRun(o) : undefined
    r = { murmur, reference }
  } finally {
    teardownAll()
    await cleanup()
  }
  const m = r.murmur
  const ref = r.reference
  const t = m.traffic
  const rows: Array<Array<string | number>> = [
    [`keystroke → visible on all ${o.clients - 1} other clients, ms (${m.keystrokes} keystrokes)`, `p50 ${m.allP50}, p99 ${m.allP99}, max ${m.allMax}`, ref === undefined ? '–' : `p50 ${ref.allP50}, p99 ${ref.allP99}, max ${ref.allMax}`, `p99 ≤ ${TARGET_P99_MS}`],
    ['keystroke → visible on one other client, ms', `p50 ${m.eachP50}, p99 ${m.eachP99}`, ref === undefined ? '–' : `p50 ${ref.eachP50}, p99 ${ref.eachP99}`, ''],
    ['… on a client of the writer\'s own peer (edit made durable, relayed) / of another peer (+ the mesh hop), ms', `p50 ${m.sameServerP50} / ${m.otherServerP50}, p99 ${m.sameServerP99} / ${m.otherServerP99}`, '', ''],
    ['… of which: client edit arrived → durable on its peer (peers\' histograms), ms', `p50 ${t.durableP50}, p99 ${t.durableP99}`, 'no durability', ''],
    ['… of which: the peers\' synced batch writes (one fsync each, every peer on this machine\'s one disk): count; latency', `${t.storeWrites}; p50 ${t.storeWriteP50}, p99 ${t.storeWriteP99} ms`, '', ''],
    ['keystrokes missing after 30 s; all clients the same text', `${m.missing}; ${m.converged ? 'yes' : 'NO'}`, ref === undefined ? '–' : `${ref.missing}; ${ref.converged ? 'yes' : 'NO'}`, '0; yes'],
    [`bytes between peers per keystroke (all ${o.peers} peers): replication + presence`, `${t.bytesPerKeystroke} = ${t.syncBytesPerKeystroke} + ${t.presenceBytesPerKeystroke}`, 'no mesh (one server)', ''],
    ['… all frame bytes between peers during the typing, by channel', JSON.stringify(t.bytesByChannel), '', ''],
    ['bytes between the peers and their clients per keystroke: sent / received', `${t.clientBytesOutPerKeystroke} / ${t.clientBytesInPerKeystroke}`, '', ''],
    ['messages from clients per keystroke, by type; clients paused by rate limits; awareness entries refused', `${JSON.stringify(t.clientMessagesInPerKeystroke)}; ${t.throttled}; ${JSON.stringify(t.awarenessRefused)}`, '', '']
  ]
  const report = table(['', `murmur (${o.peers} peers)`, '@y/websocket-server (1 process)', 'target'], rows)
  const goals = [
    { goal: `keystroke → visible on all other clients: p99 ≤ ${TARGET_P99_MS} ms`, value: `p99 ${m.allP99} ms`, met: m.missing === 0 && m.allP99 <= TARGET_P99_MS },
    { goal: 'every keystroke on every client, identical text', value: `${m.missing} missing, converged ${m.converged}`, met: m.missing === 0 && m.converged }
  ]
  const goalLines = goals.map(g => `${g.met ? 'met' : 'NOT met'}: ${g.goal} — ${g.value}`)
  console.log(report)
  console.log('')
  for (const line of goalLines) console.log(line)
  writeSection('yjs', 'Yjs clients (y-websocket) through the mesh', `npm run bench -- yjs${args.length > 0 ? ' ' + args.join(' ') : ''}`, [
    `${o.peers} murmur peers (\`dist/peer.js\`, profile lan) on 127.0.0.1; ${o.clients} y-websocket clients (the \`y-websocket\` package's WebsocketProvider over \`ws\`) spread round-robin over them, all in the benchmark process so every arrival is timed on one clock. Each client types ${o.rate} keystroke/s for ${o.seconds} s (staggered): one character at a random position of one shared Y.Text${o.cursor ? ', plus a cursor move in awareness, as an editor sends' : ''}. A keystroke has arrived at a client once that client's Yjs state for the writer covers it.`,
    `Then the same clients and workload against one \`@y/websocket-server\` 0.1.1 process (the reference server: in memory, no persistence). murmur makes every client edit durable (fsync'd) on its peer before relaying it, and replicates it to the other peers.`,
    'Bytes between peers: `murmur_transport_bytes_total{direction="out"}` summed over the peers for the typing (frame bytes before TCP/Noise/yamux).',
    `Load average (1, 5, 15 min) when the run started: ${loadBefore}; the machine is shared, and 10 peers plus 50 clients on 2 cores compete for CPU.`,
    '',
    report,
    '',
    ...goalLines.map(l => `- ${l}`)
  ].join('\n'))
  console.log(JSON.stringify({ bench: 'yjs', options: o, ...r, goals }))
}
