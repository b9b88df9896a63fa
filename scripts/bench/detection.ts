/**
 * `npm run bench -- detection`: failure detection, join, leave, idle traffic and partition healing of
 * real murmur peers (`dist/peer.js`, `lan` profile) beside HashiCorp Serf (`-profile=lan`, memberlist's
 * DefaultLANConfig) at N = 5, 10, 20.
 *
 * Every member runs in its own network namespace (scripts/lib/netns.ts): gossip on a data bridge, HTTP and
 * Serf RPC on a management bridge. So a partition is a cut link, and idle traffic is what each namespace's
 * data interface sent — the same counter for both systems, with IP/TCP/UDP headers and encryption included.
 * Both clusters run at the same time in one lab and every trial hits both at the same instant: the machine
 * is shared and noisy, and this way both systems see the same noise. Serf's agents use ~0.1 % CPU each, so
 * they barely load murmur; the CPU column shows it.
 *
 * Timing comes from each member's own event stream (murmur SSE `/events`, Serf's agent log), stamped on
 * arrival: a figure is "until the last member's event arrived". Each outcome is then confirmed through the
 * members' APIs (`GET /members`, `serf members -rpc-addr`).
 */
import { SEEDS, accusations, form, joinTrial, killTrial, leaveTrial, newRun, partitionTrial } from './lib/detection-trials.ts'
import type { Figures, SystemRun } from './lib/detection-trials.ts'
import { MAX_SEED, inRange, readFlags } from './lib/flags.ts'
import { measureIdle } from './lib/idle.ts'
import { createNetnsLab, netnsUnavailable } from '../lib/netns.ts'
import type { IdleFigures } from './lib/idle.ts'
import type { Mesh } from './lib/mesh.ts'
import { MURMUR_PEER_JS, MurmurMesh } from './lib/murmur-mesh.ts'
import { PEER_JS } from '../lib/peers.ts'
import { UsageError, machine, median, progress, round, table, writeSection } from './lib/report.ts'
import { sumProm } from './lib/prom.ts'
import { seededRng } from './lib/rng.ts'
import { SerfMesh, serfKey, serfVersion } from './lib/serf-mesh.ts'
import { onTeardown, teardownAll } from './lib/teardown.ts'

interface Options {
  sizes: number[]
  kills: number
  leaves: number
  idleSeconds: number
  settleSeconds: number
  partitions: number
  holdSeconds: number
  serf: boolean
  encrypted: boolean
  seed: number
}

export const USAGE = 'options: --sizes 5,10,20  --kills 5  --leaves 3  --idle-seconds 30  --settle-seconds 10  --partitions 2  --hold-seconds 0 (keep each cut this long after detection)  --no-serf  --no-encrypted  --seed 1  --quick (sizes 5, 2 kills, 1 leave, 10 s idle, 1 partition)'

/** Reference figures for Serf LAN measured elsewhere (the brief), shown beside ours. */
const SERF_REFERENCE = { killMs: { 10: 6400, 20: 7300 } as Record<number, number>, joinMs: 400, leaveMs: 800, idle: 360, idleEncrypted: 420, healMs: 15_000 }
const GOALS = { detectionRatio: 1.0, healMs: 5_000, idleVsEncrypted: 1.5 }

/** Most namespaces a lab holds (scripts/lib/netns.ts). */
const MAX_LAB = 250

/** Namespaces runSize's lab needs at size `n`: each system's members and joiners, and the encrypted Serf's. */
function labSize (n: number, o: Options, withSerf: boolean): number {
  return (n + o.kills + o.leaves) * (withSerf ? 2 : 1) + (withSerf && o.encrypted ? n : 0)
}

/** The options from `args`; a bad value is a UsageError here, before any namespace exists (exported for its test). */
export function parse (args: string[]): Options {
  const o: Options = { sizes: [5, 10, 20], kills: 5, leaves: 3, idleSeconds: 30, settleSeconds: 10, partitions: 2, holdSeconds: 0, serf: true, encrypted: true, seed: 1 }
  readFlags(args, USAGE, {
    values: { '--sizes': v => { o.sizes = v.split(',').map(Number) } },
    numbers: {
      '--kills': n => { o.kills = n },
      '--leaves': n => { o.leaves = n },
      '--idle-seconds': inRange(1, 3600, false, n => { o.idleSeconds = n }),
      '--settle-seconds': inRange(0, 600, false, n => { o.settleSeconds = n }),
      '--seed': inRange(0, MAX_SEED, true, n => { o.seed = n }),
      '--partitions': inRange(0, 20, true, n => { o.partitions = n }),
      '--hold-seconds': inRange(0, 600, false, n => { o.holdSeconds = n })
    },
    switches: {
      '--no-serf': () => { o.serf = false },
      '--no-encrypted': () => { o.encrypted = false },
      '--quick': () => { Object.assign(o, { sizes: [5], kills: 2, leaves: 1, idleSeconds: 10, settleSeconds: 3, partitions: 1 }) }
    }
  })
  if (o.sizes.some(n => !Number.isInteger(n) || n < SEEDS + 2 || n > 60)) throw new UsageError(`sizes must be integers in [${SEEDS + 2}, 60]`)
  if (![o.kills, o.leaves].every(x => Number.isInteger(x) && x >= 0)) throw new UsageError('--kills and --leaves must be integers ≥ 0')
  // Every kill and leave brings a joiner of its own, in a namespace of its own (with Serf, one per system).
  for (const n of o.sizes) {
    const size = labSize(n, o, o.serf)
    if (size > MAX_LAB) throw new UsageError(`--kills ${o.kills} and --leaves ${o.leaves} at N = ${n} need ${size} network namespaces; a lab holds at most ${MAX_LAB}${o.serf ? ' (--no-serf needs fewer)' : ''}`)
  }
  if (o.idleSeconds < 30) progress(`note: an idle window of ${o.idleSeconds} s is shorter than the 30 s the figures are specified for`)
  return o
}

interface SystemResult extends Figures {
  idle: IdleFigures | undefined
  falsePositives: number
  falsePositiveDetails: string[]
  suspicionsOfLive: number
  /** Suspicions of live members before the mesh had formed (not in suspicionsOfLive). */
  suspicionsOfLiveForming: number
  deadMarksAfterHeal: number
}

interface SizeResult {
  peers: number
  murmur: SystemResult
  serf: SystemResult | undefined
  serfEncryptedIdle: IdleFigures | undefined
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** The idle window starts once no member has been seen suspect or dead, and none has dialled, for this long ... */
const QUIET_MS = 10_000
/** ... or after this long. */
const QUIET_TIMEOUT_MS = 120_000

/**
 * Waits until none of murmur's members has seen another become suspect or dead, and none has dialled another,
 * for `quietMs` (or `timeoutMs` passed); returns whether it did. Serf is idle once formed; murmur, forming on
 * this 2-core machine, is not yet: the last members to start are suspected for some seconds after every member
 * lists every other alive, and each member still dials those its probe rotation reaches for the first time
 * (one a second, ~50 s for the first round at N = 50). An idle window taken then counted their handshakes,
 * suspicions and refutations: 5.0 packets a second per member in one run, 2.2 in the next, the same build.
 */
async function quiet (mesh: MurmurMesh, quietMs: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  const dials = async (): Promise<number> => {
    const counts = await Promise.all(mesh.live().map(async m => await mesh.metrics(m).then(x => sumProm(x, 'murmur_dials_total'), () => Number.NaN)))
    return counts.reduce((a, b) => a + b, 0)
  }
  let lastDials = await dials()
  let dialledAt = performance.now()
  for (;;) {
    let suspectedAt = Number.NEGATIVE_INFINITY
    for (const t of mesh.views.transitions) if ((t.to === 'suspect' || t.to === 'dead') && t.at > suspectedAt) suspectedAt = t.at
    const now = performance.now()
    if (now - Math.max(suspectedAt, dialledAt) >= quietMs) return true
    if (now >= deadline) return false
    await sleep(2_000)
    const count = await dials()
    // A member too busy to answer (NaN) counts as still dialling.
    if (count !== lastDials) dialledAt = performance.now()
    lastDials = count
  }
}

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i)

async function runSize (n: number, o: Options, withSerf: boolean): Promise<SizeResult> {
  const joiners = o.kills + o.leaves
  const perSystem = n + joiners
  const encrypted = withSerf && o.encrypted
  const lab = createNetnsLab(labSize(n, o, withSerf), `d${process.pid.toString(36)}n${n}`)
  const closeLab = onTeardown('detection netns lab', () => { lab.close() })
  progress(`N=${n}: lab of ${lab.size} namespaces up`)
  const runs: SystemRun[] = [newRun(new MurmurMesh(lab), range(0, perSystem), seededRng(o.seed * 1000 + n))]
  if (withSerf) runs.push(newRun(new SerfMesh(lab, 'serf', 's'), range(perSystem, perSystem), seededRng(o.seed * 1000 + n)))
  const encRun = encrypted ? newRun(new SerfMesh(lab, 'serf (encrypted)', 'e', serfKey()), range(2 * perSystem, n), seededRng(0)) : undefined
  const meshes: Mesh[] = [...runs, ...(encRun === undefined ? [] : [encRun])].map(r => r.mesh)
  try {
    await Promise.all([...runs, ...(encRun === undefined ? [] : [encRun])].map(async r => { await form(r, n) }))
    const murmur = runs[0]?.mesh as MurmurMesh
    const [, drained] = await Promise.all([sleep(o.settleSeconds * 1000), murmur.quiesce(60_000)])
    if (!drained) progress('murmur: broadcast queues did not drain within 60 s; measuring idle anyway')
    const calm = await quiet(murmur, QUIET_MS, QUIET_TIMEOUT_MS)
    progress(calm ? `murmur: no member suspected and no dial for ${QUIET_MS / 1000} s` : `murmur: members still suspected or dialling ${QUIET_TIMEOUT_MS / 1000} s after settling; measuring idle anyway`)
    progress(`N=${n}: idle window of ${o.idleSeconds} s`)
    const idle = await measureIdle(meshes, o.idleSeconds)
    for (const mesh of meshes) {
      const f = idle.get(mesh)
      if (f !== undefined) progress(`${mesh.label}: idle ${f.bytesPerSec} B/s per member (${f.minBytesPerSec}–${f.maxBytesPerSec}), ${f.packetsPerSec} packets/s${f.bareAcksPerSec === undefined ? '' : ` (${f.bareAcksPerSec} bare TCP ACKs)`}, CPU ${f.cpuPercent} %${f.frameBytesPerSec === undefined ? '' : `, frames ${JSON.stringify(f.frameBytesPerSec)}`}`)
    }
    encRun?.mesh.stopAll()

    const phase = seededRng(o.seed * 7919 + n)
    for (let k = 0; k < o.kills; k++) {
      // Kill at a random phase of the 1 s protocol period.
      await sleep(phase.next() * 1000)
      await Promise.all(runs.map(killTrial))
      await Promise.all(runs.map(joinTrial))
    }
    for (let k = 0; k < o.leaves; k++) {
      await Promise.all(runs.map(leaveTrial))
      await Promise.all(runs.map(joinTrial))
    }
    for (let k = 0; k < o.partitions; k++) {
      if (k > 0) await sleep(3_000) // let refutations of the previous heal settle
      await partitionTrial(runs, lab, o.holdSeconds * 1000)
    }

    const result = (run: SystemRun): SystemResult => {
      const a = accusations(run)
      return { ...run.figures, idle: idle.get(run.mesh), falsePositives: a.dead.length, falsePositiveDetails: a.dead.slice(0, 10), suspicionsOfLive: a.suspicions, suspicionsOfLiveForming: a.suspicionsForming, deadMarksAfterHeal: a.afterHeal }
    }
    return {
      peers: n,
      murmur: result(runs[0] as SystemRun),
      serf: runs[1] === undefined ? undefined : result(runs[1]),
      serfEncryptedIdle: encRun === undefined ? undefined : idle.get(encRun.mesh)
    }
  } finally {
    for (const mesh of meshes) mesh.stopAll()
    closeLab()
  }
}

// ── report ────────────────────────────────────────────────────────────────────────────────────────

function samples (xs: readonly number[], timeouts: number): string {
  if (xs.length === 0) return timeouts > 0 ? `timed out (${timeouts})` : '–'
  const body = `${round(median(xs))} (${round(Math.min(...xs))}–${round(Math.max(...xs))}, n=${xs.length})`
  return timeouts > 0 ? `${body}, ${timeouts} timed out` : body
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 || !Number.isFinite(a) || !Number.isFinite(b) ? undefined : round(a / b, 2)
const med = (xs: readonly number[]): number | undefined => xs.length === 0 ? undefined : median(xs)
const show = (x: number | undefined, digits = 0): string => x === undefined ? '–' : String(round(x, digits))

type Cells = Array<string | number>

/** A row of timed trials: both systems' samples, the ratio of their medians, the reference figure. */
function timed (r: SizeResult, label: string, of: (x: SystemResult) => readonly [readonly number[], number], reference: string | number, note: (x: SystemResult) => string = () => ''): Cells {
  const cell = (x: SystemResult | undefined): string => x === undefined ? '–' : samples(...of(x)) + note(x)
  const mid = (x: SystemResult | undefined): number | undefined => x === undefined ? undefined : med(of(x)[0])
  return [r.peers, label, cell(r.murmur), cell(r.serf), show(ratio(mid(r.murmur), mid(r.serf)), 2), reference]
}

/** A row of an idle figure; Serf's cell shows plain / encrypted. */
function idleRow (r: SizeResult, label: string, of: (f: IdleFigures) => number | undefined, digits: number, reference: string): Cells {
  const m = r.murmur.idle === undefined ? undefined : of(r.murmur.idle)
  const plain = r.serf?.idle === undefined ? undefined : of(r.serf.idle)
  const enc = r.serfEncryptedIdle === undefined ? undefined : of(r.serfEncryptedIdle)
  const serfCell = r.serf === undefined ? '–' : `${show(plain, digits)}${r.serfEncryptedIdle === undefined ? '' : ` / ${show(enc, digits)}`}`
  const ratios = `${show(ratio(m, plain), 2)}${r.serfEncryptedIdle === undefined ? '' : ` / ${show(ratio(m, enc), 2)}`}`
  return [r.peers, label, show(m, digits), serfCell, ratios, reference]
}

function rows (r: SizeResult): Cells[] {
  const deadInstead = (x: SystemResult): string => x.leftAsDead > 0 ? `; ${x.leftAsDead} saw it dead` : ''
  return [
    timed(r, 'SIGKILL → dead on all, ms: median (min–max)', x => [x.killMs, x.killTimeouts], SERF_REFERENCE.killMs[r.peers] ?? '–'),
    timed(r, 'join → alive on all, ms', x => [x.joinMs, x.joinTimeouts], SERF_REFERENCE.joinMs),
    timed(r, 'leave → left on all, ms', x => [x.leaveMs, x.leaveTimeouts], SERF_REFERENCE.leaveMs, deadInstead),
    idleRow(r, 'idle B/s sent per member, data interface (Serf: plain / encrypted)', f => f.bytesPerSec, 0, `${SERF_REFERENCE.idle} / ${SERF_REFERENCE.idleEncrypted}`),
    idleRow(r, 'idle packets/s sent per member', f => f.packetsPerSec, 1, '–'),
    idleRow(r, '… of which carry data (not bare TCP ACKs)', f => f.bareAcksPerSec === undefined ? undefined : f.packetsPerSec - f.bareAcksPerSec, 1, '–'),
    idleRow(r, 'idle CPU per member, % of a core', f => f.cpuPercent, 2, '–'),
    timed(r, 'partition in halves → each half lists the other dead, ms', x => [x.partitionDetectMs, x.partitionTimeouts], '–'),
    timed(r, 'heal → all alive on all, ms', x => [x.healMs, x.healTimeouts], SERF_REFERENCE.healMs),
    [r.peers, 'stale dead marks delivered at the heal (then refuted)', r.murmur.deadMarksAfterHeal, r.serf?.deadMarksAfterHeal ?? '–', '', '–'],
    [r.peers, 'false positives: live member marked dead (suspicions refuted; and while forming)', `${r.murmur.falsePositives} (${r.murmur.suspicionsOfLive}; ${r.murmur.suspicionsOfLiveForming} while forming)`, r.serf === undefined ? '–' : `${r.serf.falsePositives} (n/a)`, '', '0']
  ]
}

interface Goal { goal: string, value: string, met: boolean | undefined }

function goals (results: readonly SizeResult[]): Goal[] {
  const out: Goal[] = []
  for (const r of results) {
    const serfKill = r.serf === undefined ? SERF_REFERENCE.killMs[r.peers] : med(r.serf.killMs)
    const k = ratio(med(r.murmur.killMs), serfKill)
    const fp = r.murmur.falsePositives
    out.push({
      goal: `N=${r.peers}: detection murmur/Serf ≤ ${GOALS.detectionRatio} with 0 false positives${r.serf === undefined ? ' (vs reference)' : ''}`,
      value: `ratio ${show(k, 2)}, false positives ${fp}${r.murmur.killTimeouts > 0 ? `, ${r.murmur.killTimeouts} undetected` : ''}`,
      met: k === undefined ? undefined : k <= GOALS.detectionRatio && fp === 0 && r.murmur.killTimeouts === 0
    })
    const heals = r.murmur.healMs
    if (heals.length + r.murmur.healTimeouts > 0) {
      const worst = r.murmur.healTimeouts > 0 ? undefined : Math.max(...heals)
      out.push({ goal: `N=${r.peers}: re-merge after heal ≤ ${GOALS.healMs} ms (every trial)`, value: `median ${show(med(heals))} ms, worst ${worst === undefined ? 'timed out' : `${round(worst)} ms`}`, met: worst !== undefined && worst <= GOALS.healMs })
    }
    const enc = r.serfEncryptedIdle?.bytesPerSec ?? (r.serf === undefined ? SERF_REFERENCE.idleEncrypted : undefined)
    const idle = ratio(r.murmur.idle?.bytesPerSec, enc)
    out.push({ goal: `N=${r.peers}: idle bytes per member ≤ ${GOALS.idleVsEncrypted}× Serf encrypted${r.serfEncryptedIdle === undefined ? ' (vs reference)' : ''}`, value: `${show(r.murmur.idle?.bytesPerSec)} vs ${show(enc)} B/s: ×${show(idle, 2)}`, met: idle === undefined ? undefined : idle <= GOALS.idleVsEncrypted })
  }
  return out
}

export async function main (args: string[]): Promise<void> {
  const o = parse(args)
  const why = netnsUnavailable()
  if (why !== undefined) throw new Error(`the detection benchmark runs every member in its own network namespace: ${why}`)
  const serf = o.serf ? serfVersion() : undefined
  if (o.serf && serf === undefined) {
    progress('Serf is not installed: install it with `apt-get install serf` (Debian/Ubuntu) to compare; measuring murmur alone against reference figures')
  }
  progress(`detection benchmark on ${machine()}, murmur ${MURMUR_PEER_JS}: sizes ${o.sizes.join(', ')}, ${o.kills} kills and ${o.leaves} leaves each, idle ${o.idleSeconds} s, murmur${serf === undefined ? '' : ` and ${serf}`}`)
  const results: SizeResult[] = []
  try {
    for (const n of o.sizes) results.push(await runSize(n, o, serf !== undefined))
  } finally {
    teardownAll()
  }

  const header = ['N', 'measure', 'murmur', serf === undefined ? 'Serf (not installed)' : 'Serf', 'murmur / Serf', 'Serf reference']
  const text = table(header, results.flatMap(rows))
  const goalList = goals(results)
  const goalLines = goalList.map(g => `${g.met === undefined ? 'n/a' : g.met ? 'met' : 'NOT met'}: ${g.goal} — ${g.value}`)
  console.log(text)
  console.log('')
  for (const line of goalLines) console.log(line)
  const problems = results.flatMap(r => [...r.murmur.mismatches.map(x => `N=${r.peers} murmur: ${x}`), ...(r.serf?.mismatches ?? []).map(x => `N=${r.peers} serf: ${x}`), ...r.murmur.falsePositiveDetails.map(x => `N=${r.peers} murmur false positive: ${x}`), ...(r.serf?.falsePositiveDetails ?? []).map(x => `N=${r.peers} serf false positive: ${x}`)])
  for (const p of problems) console.log(`note: ${p}`)

  writeSection('detection', 'Failure detection vs Serf (real processes)', `npm run bench -- detection${args.length > 0 ? ' ' + args.join(' ') : ''}`, [
    `murmur \`${MURMUR_PEER_JS === PEER_JS ? 'dist/peer.js' : MURMUR_PEER_JS}\` (profile lan) and ${serf ?? 'Serf (not installed: `apt-get install serf`)'} (\`-profile=lan\` = memberlist DefaultLANConfig: probe 1 s, timeout 500 ms, suspicion ×4, gossip 200 ms), run side by side, every member in its own network namespace.`,
    `Per N: ${o.kills} SIGKILLs, ${o.leaves} graceful leaves (murmur SIGTERM, Serf SIGINT), each followed by a fresh join; an idle window of ${o.idleSeconds} s after ${o.settleSeconds} s of settling and once no murmur member has been suspected or dialled for ${QUIET_MS / 1000} s (its first probe rotation dials every member: ~N s); ${o.partitions} cut(s) of the data network into halves, each healed once both halves list the other dead.`,
    'Times run from the kill / the signal / the joiner starting its join (murmur: banner printed; Serf: "Joining cluster") until the event reporting it arrived from the last live member (murmur SSE `/events`, Serf agent log), then confirmed through `GET /members` / `serf members -rpc-addr`.',
    'Idle bytes: what each member\'s namespace sent on its data interface (IP, TCP/UDP, Noise or Serf encryption included; HTTP and RPC are on another interface). "Suspicions refuted": live members suspected and cleared (murmur only; Serf does not report suspect). Packets carrying data: all packets less the bare TCP ACKs (no payload; an nftables counter in each namespace\'s output hook). TCP answers a segment arriving after an idle gap longer than its retransmission timeout with an immediate ACK, and the reply with a delayed one, so a probe over TCP is four packets (ping, ACK, ack, ACK) where Serf\'s UDP probe is two.',
    '',
    text,
    '',
    ...goalLines.map(l => `- ${l}`),
    ...problems.map(p => `- note: ${p}`)
  ].join('\n'))
  console.log(JSON.stringify({
    bench: 'detection',
    serf: serf ?? null,
    options: o,
    results: results.map(r => ({
      peers: r.peers,
      murmur: summary(r.murmur),
      serf: r.serf === undefined ? null : summary(r.serf),
      serfEncryptedIdleBytesPerSec: r.serfEncryptedIdle?.bytesPerSec ?? null
    })),
    goals: goalList
  }))
}

const num = (x: number | undefined): number | null => x === undefined ? null : round(x)

function summary (s: SystemResult): Record<string, unknown> {
  return {
    killMedianMs: num(med(s.killMs)),
    killMs: s.killMs.map(x => round(x)),
    killTimeouts: s.killTimeouts,
    joinMedianMs: num(med(s.joinMs)),
    joinMs: s.joinMs.map(x => round(x)),
    leaveMedianMs: num(med(s.leaveMs)),
    leaveMs: s.leaveMs.map(x => round(x)),
    leftAsDead: s.leftAsDead,
    idle: s.idle ?? null,
    partitionDetectMs: s.partitionDetectMs.map(x => round(x)),
    partitionTimeouts: s.partitionTimeouts,
    healMedianMs: num(med(s.healMs)),
    healMs: s.healMs.map(x => round(x)),
    healTimeouts: s.healTimeouts,
    formedMs: num(s.formedMs),
    falsePositives: s.falsePositives,
    suspicionsOfLive: s.suspicionsOfLive,
    suspicionsOfLiveForming: s.suspicionsOfLiveForming,
    deadMarksAfterHeal: s.deadMarksAfterHeal,
    mismatches: s.mismatches
  }
}
