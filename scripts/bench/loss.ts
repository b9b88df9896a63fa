/**
 * `npm run bench -- loss`: what packet loss does to the failure detector over the real transport, set
 * beside what the simulator says.
 *
 * Real: N murmur peers (`dist/peer.js --profile lan`), each in its own network namespace (as the detection
 * benchmark runs them), formed and quiesced; then a window of `--minutes` with no loss, and one as long
 * with each namespace dropping `--loss` of every packet it receives on its data interface (nftables, inside
 * the namespace, `--hook input`: to the sender's TCP a loss on the wire, which it resends; HTTP and the event streams run on the management interface
 * and lose nothing). Per window: the peers' own counters (`/metrics`), the dead and suspect marks in their
 * event streams, TCP's retransmissions and the CPU and traffic of each member.
 *
 * Simulated: the same N and timing (`sim` preset = LAN timing) for as many simulated minutes, three ways:
 * idle, `packetLoss` (a lost TCP segment holds its frame back a retransmission timeout) and `loss` (a
 * frame dropped outright, as a datagram would be).
 *
 * The claim under test: TCP resends a lost segment well within the 500 ms probe timeout, so packet loss
 * fails few probes and suspects far fewer members than the same rate of frames dropped outright.
 */
import { SEEDS, form, newRun } from './lib/detection-trials.ts'
import { MAX_SEED, inRange, readFlags } from './lib/flags.ts'
import { measureIdle } from './lib/idle.ts'
import type { IdleFigures } from './lib/idle.ts'
import { simPhases } from './lib/loss-phases.ts'
import type { LossPhase } from './lib/loss-phases.ts'
import { MURMUR_PEER_JS, MurmurMesh } from './lib/murmur-mesh.ts'
import { tcpCounters } from './lib/netns-stats.ts'
import { addPacketLoss, droppedPackets, lossThreshold, nftUnavailable, removePacketLoss } from './lib/nft-loss.ts'
import type { LossHook } from './lib/nft-loss.ts'
import { LATE_ACK_MS, ZERO, addCounters, fromProm, subCounters } from './lib/probe-counters.ts'
import type { ProbeCounters } from './lib/probe-counters.ts'
import { UsageError, machine, progress, round, table, writeSection } from './lib/report.ts'
import { seededRng } from './lib/rng.ts'
import { onTeardown, teardownAll } from './lib/teardown.ts'
import { createNetnsLab, netnsUnavailable } from '../lib/netns.ts'
import type { NetnsLab } from '../lib/netns.ts'
import { PEER_JS } from '../lib/peers.ts'

interface Options {
  peers: number
  loss: number
  minutes: number
  settleSeconds: number
  seed: number
  hook: LossHook
  simLongMinutes: number
}

export const USAGE = 'options: --peers 10  --loss 0.05 (share of packets dropped)  --minutes 2 (each window: no loss, then loss; the simulator runs as many simulated minutes)  --hook input|output (drop packets as each namespace receives them — to the sender\'s TCP a loss on the wire — or as it sends them, which its TCP sees as a local refusal)  --sim-long-minutes 60 (the simulator\'s two lossy windows once more, this long, for rates too rare for 2 minutes; 0: not)  --settle-seconds 10  --seed 1'

/** Timeouts: forming is bounded in detection-trials.ts; these bound the rest. */
const QUIESCE_MS = 60_000
const TICK_MS = 30_000

export function parse (args: string[]): Options {
  const o: Options = { peers: 10, loss: 0.05, minutes: 2, settleSeconds: 10, seed: 1, hook: 'input', simLongMinutes: 60 }
  readFlags(args, USAGE, {
    numbers: {
      '--peers': inRange(SEEDS + 2, 60, true, n => { o.peers = n }),
      '--loss': n => { o.loss = n },
      '--minutes': n => { o.minutes = n },
      // A wait past what setTimeout holds (2^31 ms) would end at once.
      '--settle-seconds': inRange(0, 600, false, n => { o.settleSeconds = n }),
      '--seed': inRange(0, MAX_SEED, true, n => { o.seed = n }),
      '--sim-long-minutes': inRange(0, 600, false, n => { o.simLongMinutes = n })
    },
    values: {
      '--hook': h => {
        if (h !== 'output' && h !== 'input') throw new UsageError(`--hook must be output or input, got ${h}`)
        o.hook = h
      }
    }
  })
  if (!(o.loss > 0 && o.loss < 1) || lossThreshold(o.loss) < 1) throw new UsageError('--loss must be in (0, 1) and at least 0.0001')
  if (!(o.minutes > 0 && o.minutes <= 60)) throw new UsageError('--minutes must be in (0, 60]')
  return o
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const range = (count: number): number[] => Array.from({ length: count }, (_, i) => i)
const pct = (p: number): string => `${round(p * 100, 2)} %`

// ── real processes ──────────────────────────────────────────────────────────────────────────────────

async function meshCounters (mesh: MurmurMesh): Promise<ProbeCounters> {
  const each = await Promise.all(mesh.live().map(async m => fromProm(await mesh.metrics(m))))
  return each.reduce(addCounters, ZERO)
}

function meshTcp (lab: NetnsLab): { outSegs: number, retransSegs: number } {
  return lab.names.map(tcpCounters).reduce((a, b) => ({ outSegs: a.outSegs + b.outSegs, retransSegs: a.retransSegs + b.retransSegs }), { outSegs: 0, retransSegs: 0 })
}

/** One window on the running mesh, with each namespace dropping `loss` of its data packets (0: none). */
async function realPhase (mesh: MurmurMesh, lab: NetnsLab, label: string, minutes: number, loss: number, hook: LossHook): Promise<LossPhase> {
  if (loss > 0) for (const ns of lab.names) addPacketLoss(ns, loss, hook)
  try {
    const c0 = await meshCounters(mesh)
    const tcp0 = meshTcp(lab)
    const t0 = mesh.views.transitions.length
    const at0 = performance.now()
    progress(`${label}: window of ${minutes} min`)
    const marks = (): { suspect: number, dead: number } => {
      const ts = mesh.views.transitions.slice(t0)
      return { suspect: ts.filter(t => t.to === 'suspect').length, dead: ts.filter(t => t.to === 'dead').length }
    }
    const ticker = setInterval(() => {
      const m = marks()
      progress(`${label}: ${round((performance.now() - at0) / 1000)} s: ${m.suspect} suspect and ${m.dead} dead marks so far`)
    }, TICK_MS)
    let idle: IdleFigures | undefined
    try {
      idle = (await measureIdle([mesh], minutes * 60)).get(mesh)
    } finally {
      clearInterval(ticker)
    }
    const c1 = await meshCounters(mesh)
    const elapsedMin = (performance.now() - at0) / 60_000
    const tcp1 = meshTcp(lab)
    const dropped = loss > 0 ? lab.names.reduce((sum, ns) => sum + droppedPackets(ns), 0) : 0
    const live = mesh.live()
    const notAlive = await mesh.check(live, live, 'alive')
    const ts = mesh.views.transitions.slice(t0)
    const deaths = ts.filter(t => t.to === 'dead')
    // Packets sent on the data interfaces: the output rule saw them and what it dropped; the input rule, them.
    const sent = idle === undefined ? 0 : idle.packetsPerSec * idle.members * idle.seconds
    const offered = hook === 'output' ? sent + dropped : sent
    const phase: LossPhase = {
      label,
      kind: 'real',
      members: live.length,
      minutes: elapsedMin,
      counters: subCounters(c1, c0),
      falseDeaths: deaths.length,
      falseDeathDetails: deaths.slice(0, 5).map(t => `${t.observer.slice(-8)} marked ${t.subject.slice(-8)} dead ${round((t.at - at0) / 1000, 1)} s into the window`),
      suspectMarks: ts.filter(t => t.to === 'suspect').length,
      notAliveAtEnd: notAlive.length,
      ...(idle === undefined ? {} : { idle }),
      tcp: { outSegs: tcp1.outSegs - tcp0.outSegs, retransSegs: tcp1.retransSegs - tcp0.retransSegs },
      dropped,
      offered
    }
    progress(`${label}: ${phase.counters.suspicions} suspicions, ${phase.counters.probesFailed} failed probes of ${phase.counters.probes}, ${phase.falseDeaths} dead marks, ${phase.tcp?.retransSegs ?? 0} TCP retransmissions${loss > 0 ? `, ${dropped} packets dropped` : ''}`)
    return phase
  } finally {
    if (loss > 0) for (const ns of lab.names) removePacketLoss(ns)
  }
}

async function realPhases (o: Options): Promise<LossPhase[]> {
  const lab = createNetnsLab(o.peers, `l${process.pid.toString(36)}n`)
  const closeLab = onTeardown('loss netns lab', () => { lab.close() })
  progress(`real: lab of ${lab.size} namespaces up`)
  const mesh = new MurmurMesh(lab, { args: ['--profile', 'lan'] })
  const run = newRun(mesh, range(o.peers), seededRng(o.seed))
  try {
    await form(run, o.peers)
    const [, drained] = await Promise.all([sleep(o.settleSeconds * 1000), mesh.quiesce(QUIESCE_MS)])
    if (!drained) progress(`real: broadcast queues did not drain within ${QUIESCE_MS / 1000} s; measuring anyway`)
    return [
      await realPhase(mesh, lab, 'real, no loss', o.minutes, 0, o.hook),
      await realPhase(mesh, lab, `real, ${pct(o.loss)} packet loss (nftables, ${o.hook})`, o.minutes, o.loss, o.hook)
    ]
  } finally {
    mesh.stopAll()
    closeLab()
  }
}

// ── report ──────────────────────────────────────────────────────────────────────────────────────────

const perMemberMinute = (x: number, p: LossPhase): number => x / p.members / p.minutes
const share = (part: number, whole: number): string => whole > 0 ? pct(part / whole) : '–'

function row (p: LossPhase): Array<string | number> {
  const c = p.counters
  const retrans = p.kind === 'real'
    ? `${round(perMemberMinute(p.tcp?.retransSegs ?? 0, p), 1)} segments`
    : `${round(perMemberMinute(p.framesLate ?? 0, p), 1)} frames late`
  const lost = p.kind === 'real'
    ? (p.dropped ?? 0) > 0 ? `${p.dropped} packets (${share(p.dropped ?? 0, p.offered ?? 0)})` : '0'
    : (p.framesLost ?? 0) > 0 ? `${p.framesLost} frames (${share(p.framesLost ?? 0, p.framesSent ?? 0)})` : '0'
  return [
    p.label,
    round(perMemberMinute(c.suspicions, p), 2),
    round(perMemberMinute(c.probesFailed, p), 3),
    share(c.probes - c.directAcks, c.probes),
    share(c.lateAcks, c.directAcks),
    round(perMemberMinute(c.indirectProbes, p), 2),
    c.refutations,
    p.falseDeaths,
    p.notAliveAtEnd,
    retrans,
    lost,
    p.idle === undefined ? '–' : `${p.idle.cpuPercent} %`,
    p.idle === undefined ? '–' : `${p.idle.bytesPerSec} B/s, ${p.idle.packetsPerSec} pkt/s`
  ]
}

const HEADER = [
  'window',
  'suspicions / member / min',
  'failed probes / member / min',
  'probe rounds without a direct ack in time',
  `direct acks > ${LATE_ACK_MS} ms`,
  'ping-reqs / member / min',
  'refutations',
  'false deaths (dead marks)',
  'pairs not alive at the end',
  'retransmissions / member / min',
  'lost on the wire',
  'CPU per member',
  'sent per member (data interface)'
]

function summary (p: LossPhase): Record<string, unknown> {
  const c = p.counters
  return {
    label: p.label,
    kind: p.kind,
    members: p.members,
    minutes: round(p.minutes, 2),
    suspicionsPerMemberMin: round(perMemberMinute(c.suspicions, p), 3),
    failedProbesPerMemberMin: round(perMemberMinute(c.probesFailed, p), 4),
    indirectProbesPerMemberMin: round(perMemberMinute(c.indirectProbes, p), 3),
    counters: c,
    falseDeaths: p.falseDeaths,
    suspectMarks: p.suspectMarks,
    notAliveAtEnd: p.notAliveAtEnd,
    ...(p.tcp === undefined ? {} : { tcp: p.tcp }),
    ...(p.dropped === undefined ? {} : { dropped: p.dropped }),
    ...(p.idle === undefined ? {} : { cpuPercent: p.idle.cpuPercent, bytesPerSec: p.idle.bytesPerSec, packetsPerSec: p.idle.packetsPerSec }),
    ...(p.framesLate === undefined ? {} : { framesLate: p.framesLate, framesLost: p.framesLost, framesSent: p.framesSent })
  }
}

/** Ratio a / b for the findings, or a word when b is 0. */
function times (a: number, b: number): string {
  if (b === 0) return a === 0 ? 'both 0' : 'against 0'
  return `×${round(a / b, 2)}`
}

const rate = (p: LossPhase, k: keyof ProbeCounters): number => perMemberMinute(p.counters[k], p)
const missed = (p: LossPhase): string => `${share(p.counters.probes - p.counters.directAcks, p.counters.probes)} (${p.counters.probes - p.counters.directAcks} of ${p.counters.probes})`
const late = (p: LossPhase): string => share(p.counters.lateAcks, p.counters.directAcks)

/**
 * What the failed-probe rate of a long simulated window predicts for the real window: the expected count,
 * the one seen, and the chance of seeing none if the real rate were the simulated one (Poisson: failed
 * probes are independent; suspicions are not — each failed probe is seen suspect by up to N members).
 */
function expected (sim: LossPhase, real: LossPhase): string {
  const e = rate(sim, 'probesFailed') * real.members * real.minutes
  return `${round(rate(sim, 'probesFailed'), 4)} per member per min over ${round(sim.minutes)} simulated min (${sim.counters.probesFailed} failed probes, ${sim.counters.suspicions} suspicions) → ${round(e, 2)} expected in the real window, ${real.counters.probesFailed} seen (P(none) = ${round(Math.exp(-e), 2)})`
}

function findings (real: readonly LossPhase[], sim: readonly LossPhase[], long: readonly LossPhase[], o: Options): string[] {
  const [rIdle, rLoss] = real
  const [, sPacket, sFrames] = sim
  if (rIdle === undefined || rLoss === undefined || sPacket === undefined || sFrames === undefined) return []
  const [lPacket, lFrames] = long
  const l = pct(o.loss)
  const out = [
    `Claim — real ${l} packet loss vs ${l} of frames dropped (sim): probe rounds without a direct ack in time ${missed(rLoss)} vs ${missed(sFrames)}; ping-reqs ${round(rate(rLoss, 'indirectProbes'), 2)} vs ${round(rate(sFrames, 'indirectProbes'), 2)} per member per min (${times(rate(rLoss, 'indirectProbes'), rate(sFrames, 'indirectProbes'))}); failed probes ${round(rate(rLoss, 'probesFailed'), 3)} vs ${round(rate(sFrames, 'probesFailed'), 3)}, suspicions ${round(rate(rLoss, 'suspicions'), 3)} vs ${round(rate(sFrames, 'suspicions'), 3)} per member per min (${rLoss.counters.probes} real probe rounds).`,
    `Model — real ${l} packet loss vs the simulator's packetLoss ${o.loss}: direct acks > ${LATE_ACK_MS} ms ${late(rLoss)} vs ${late(sPacket)}; probe rounds without a direct ack in time ${missed(rLoss)} vs ${missed(sPacket)}; ping-reqs ${round(rate(rLoss, 'indirectProbes'), 2)} vs ${round(rate(sPacket, 'indirectProbes'), 2)} per member per min; TCP retransmitted ${rLoss.tcp?.retransSegs ?? 0} segments vs ${sPacket.framesLate ?? 0} frames held back (sim).`,
    `Real, no loss → ${l} packet loss: suspicions ${round(rate(rIdle, 'suspicions'), 3)} → ${round(rate(rLoss, 'suspicions'), 3)} per member per min, false deaths ${rIdle.falseDeaths} → ${rLoss.falseDeaths}, CPU ${rIdle.idle?.cpuPercent ?? '–'} → ${rLoss.idle?.cpuPercent ?? '–'} % per member, ${rIdle.idle?.bytesPerSec ?? '–'} → ${rLoss.idle?.bytesPerSec ?? '–'} B/s sent per member.`
  ]
  if (lPacket !== undefined && lFrames !== undefined) {
    out.push(`Rare events, from the simulator's longer windows — failed probes with frames dropped: ${expected(lFrames, rLoss)}; with packetLoss: ${expected(lPacket, rLoss)}.`)
  }
  return out
}

export async function main (args: string[]): Promise<void> {
  const o = parse(args)
  const why = netnsUnavailable()
  if (why !== undefined) throw new Error(`the loss benchmark runs every peer in its own network namespace: ${why}`)
  const noNft = nftUnavailable()
  if (noNft !== undefined) throw new Error(noNft)
  progress(`loss benchmark on ${machine()}, murmur ${MURMUR_PEER_JS}: ${o.peers} peers, ${o.minutes} min per window, ${pct(o.loss)} loss (${o.hook}), seed ${o.seed}`)

  const t0 = performance.now()
  const simBase = { peers: o.peers, loss: o.loss, seed: o.seed, settleSeconds: o.settleSeconds }
  const sim = simPhases({ ...simBase, minutes: o.minutes, idle: true, suffix: '' })
  const long = o.simLongMinutes > 0 ? simPhases({ ...simBase, minutes: o.simLongMinutes, idle: false, suffix: `, ${o.simLongMinutes} simulated min` }) : []
  progress(`simulator done in ${round((performance.now() - t0) / 1000, 1)} s wall`)
  let real: LossPhase[]
  try {
    real = await realPhases(o)
  } finally {
    teardownAll()
  }

  const phases = [...real, ...sim, ...long]
  const text = table(HEADER, phases.map(row))
  const found = findings(real, sim, long, o)
  const deaths = phases.flatMap(p => p.falseDeathDetails.map(d => `${p.label}: ${d}`))
  console.log(text)
  console.log('')
  for (const line of [...found, ...deaths.map(d => `false death: ${d}`)]) console.log(line)

  const command = `npm run bench -- loss${args.length > 0 ? ' ' + args.join(' ') : ''}`
  const rule = `numgen random mod 10000 < ${lossThreshold(o.loss)} drop`
  const where = o.hook === 'output'
    ? `dropping ${pct(o.loss)} of the packets it sends on its data interface (nftables \`${rule}\` in the output hook: the sender's TCP finds the segment refused and sends it again)`
    : `dropping ${pct(o.loss)} of the packets it receives on its data interface (nftables \`${rule}\` in the input hook: to the sender's TCP a loss on the wire)`
  writeSection('loss', 'Packet loss: real processes vs the simulator', command, [
    `${o.peers} murmur peers (\`${MURMUR_PEER_JS === PEER_JS ? 'dist/peer.js' : MURMUR_PEER_JS}\`, \`--profile lan\`: probe 1 s, timeout 500 ms, k = 3, suspicion ×4), each in its own network namespace, formed and quiesced (${o.settleSeconds} s settle); then ${o.minutes} min with no loss and ${o.minutes} min with every namespace ${where}. HTTP and the event streams use another interface and lose nothing.`,
    `Beside them the simulator (src/sim, \`sim\` preset = LAN timing) at the same N, ${o.minutes} simulated min each: idle; \`packetLoss: ${o.loss}\` (a lost TCP segment holds its frame back 200 ms, doubling per lost resend, and frames behind it wait); \`loss: ${o.loss}\` (frames dropped outright, datagram-like)${o.simLongMinutes > 0 ? `; and both lossy windows again for ${o.simLongMinutes} simulated min, for events too rare to show in ${o.minutes}` : ''}.`,
    'Counters are the members\' own (`/metrics`, `Membership.stats()`), summed over members per window. "Suspicions" counts every member that saw a member become suspect (its own and gossiped), so one failed probe shows up ~N times; "failed probes" are rounds with neither a direct nor an indirect ack — each one a suspicion. "Probe rounds without a direct ack in time" went on to ping-req (or were deferred). False deaths: dead marks in the members\' event streams (real) or recorded `dead` events (sim) — every member runs throughout, so each is false.',
    'Retransmissions: real — TCP segments retransmitted (`RetransSegs` of each namespace; a segment refused in the output hook and sent again by the probe timer may not count); sim — frames held back by a lost segment. Lost on the wire: real — packets the rule dropped (share of the packets it saw); sim — frames dropped outright (share of membership frames sent).',
    '',
    text,
    '',
    ...found.map(f => `- ${f}`),
    ...deaths.map(d => `- false death: ${d}`)
  ].join('\n'))
  console.log(JSON.stringify({ bench: 'loss', options: o, phases: phases.map(summary), findings: found }))
}
