/**
 * One phase of the loss benchmark — a window of minutes under one kind of loss — and the simulated side of
 * it: the deterministic simulator at the same N and timing, idle, with TCP packet loss (`packetLoss`:
 * segments resent after the retransmission timeout) and with frames dropped outright (`loss`).
 */
import { SimCluster } from '../../../dist/sim/index.js'
import type { LinkSpec } from '../../../dist/sim/index.js'
import type { IdleFigures } from './idle.ts'
import { ZERO, addCounters, fromStats, subCounters } from './probe-counters.ts'
import type { ProbeCounters } from './probe-counters.ts'
import { progress, round } from './report.ts'

export interface LossPhase {
  label: string
  kind: 'real' | 'sim'
  members: number
  /** Length of the window the counters cover. */
  minutes: number
  /** Summed over members. */
  counters: ProbeCounters
  /** Running members marked dead by another (every member runs throughout: each is false). */
  falseDeaths: number
  falseDeathDetails: string[]
  /** Suspect marks seen in the members' event streams (real) or recorded events (sim). */
  suspectMarks: number
  /** (observer, subject) pairs not alive at the end of the window. */
  notAliveAtEnd: number
  /** Real: traffic and CPU of the window. */
  idle?: IdleFigures
  /** Real: TCP segments sent and retransmitted, summed over namespaces. */
  tcp?: { outSegs: number, retransSegs: number }
  /** Real: packets the nftables rule dropped, summed over namespaces, and the packets it saw. */
  dropped?: number
  offered?: number
  /** Sim: frames held back by a lost segment (packetLoss). */
  framesLate?: number
  /** Sim: frames dropped outright (loss). */
  framesLost?: number
  /** Sim: frames sent on the membership channel. */
  framesSent?: number
}

export interface SimOptions {
  peers: number
  minutes: number
  loss: number
  seed: number
  settleSeconds: number
  /** Also an idle window (first). */
  idle: boolean
  /** Appended to each window's label. */
  suffix: string
}

const QUIESCE_MAX_MS = 600_000

function counters (cluster: SimCluster): ProbeCounters {
  return cluster.runningIds().reduce((sum, id) => addCounters(sum, fromStats(cluster.membership(id).stats())), ZERO)
}

function notAlive (cluster: SimCluster): number {
  return cluster.runningIds().reduce((sum, id) => sum + cluster.membership(id).members().filter(m => m.id !== id && m.state !== 'alive').length, 0)
}

/** The simulator at N = `peers` (`sim` preset: LAN timing) for `minutes` each: idle (optional), packetLoss p, loss p. */
export function simPhases (o: SimOptions): LossPhase[] {
  const n = o.peers
  const cluster = new SimCluster({ size: n, seed: o.seed * 1000 + n, startWindowMs: Math.min(30_000, n * 30), record: ['suspect', 'dead'] })
  const net = cluster.network
  const formed = cluster.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === n, 600_000, 500)
  if (formed === undefined) throw new Error(`sim: ${n} members did not all see each other alive within 600 simulated s`)
  const quiesce = (): void => { net.runUntil(() => cluster.runningIds().every(id => cluster.membership(id).stats().broadcastQueue === 0), QUIESCE_MAX_MS, 1000) }
  quiesce()
  net.runFor(o.settleSeconds * 1000)
  const pct = `${round(o.loss * 100, 2)} %`
  const kinds: Array<{ label: string, link: Partial<LinkSpec> }> = [
    ...(o.idle ? [{ label: `sim idle${o.suffix}`, link: {} }] : []),
    { label: `sim packetLoss ${pct} (TCP resends)${o.suffix}`, link: { packetLoss: o.loss } },
    { label: `sim loss ${pct} (frames dropped)${o.suffix}`, link: { loss: o.loss } }
  ]
  const out: LossPhase[] = []
  for (const { label, link } of kinds) {
    quiesce() // what the last phase left in flight is not this one's
    net.setDefaultLink({ loss: 0, packetLoss: 0, ...link })
    const c0 = counters(cluster)
    const e0 = cluster.events.length
    const late0 = net.retransmits
    const lost0 = net.drops.swim.lost
    const sent0 = net.traffic.swim.frames
    const wall0 = performance.now()
    net.runFor(o.minutes * 60_000)
    const events = cluster.events.slice(e0)
    const deaths = events.filter(e => e.type === 'dead')
    out.push({
      label,
      kind: 'sim',
      members: n,
      minutes: o.minutes,
      counters: subCounters(counters(cluster), c0),
      falseDeaths: deaths.length,
      falseDeathDetails: deaths.slice(0, 5).map(e => `${e.observer} marked ${e.subject} dead at ${round(e.time / 1000, 1)} s simulated`),
      suspectMarks: events.filter(e => e.type === 'suspect').length,
      notAliveAtEnd: notAlive(cluster),
      framesLate: net.retransmits - late0,
      framesLost: net.drops.swim.lost - lost0,
      framesSent: net.traffic.swim.frames - sent0
    })
    progress(`${label}: ${o.minutes} simulated min in ${round(performance.now() - wall0)} ms wall`)
  }
  net.setDefaultLink({ loss: 0, packetLoss: 0 })
  cluster.stopAll()
  return out
}
