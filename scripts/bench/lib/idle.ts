/**
 * Idle traffic and CPU of every live member of several meshes over the same window: bytes each member's
 * namespace sent on its data interface (so IP/TCP/UDP headers and encryption count for every system, and
 * HTTP, SSE and Serf RPC on the management interface do not), and its process's CPU time.
 */
import type { Mesh } from './mesh.ts'
import { MurmurMesh } from './murmur-mesh.ts'
import { bareAcks, countBareAcks, cpuSeconds, rate, txBytes } from './netns-stats.ts'
import type { TxSample } from './netns-stats.ts'
import { sumPromBy } from './prom.ts'
import type { PromSample } from './prom.ts'
import { round } from './report.ts'

export interface IdleFigures {
  members: number
  seconds: number
  /** Mean over members of bytes/s sent on the data interface. */
  bytesPerSec: number
  minBytesPerSec: number
  maxBytesPerSec: number
  /** Mean over members of packets/s sent (each costs ≥ 66 bytes of Ethernet/IP/TCP headers, 42 for UDP). */
  packetsPerSec: number
  /**
   * Of those, bare TCP acknowledgements (no payload): TCP answers a segment that arrives after an idle gap
   * longer than its retransmission timeout with an immediate ACK (Linux's quick-ack mode), and the answer to it
   * with a delayed one, so a ping and its ack over TCP are four packets where UDP needs two. Undefined
   * without nftables.
   */
  bareAcksPerSec?: number
  /** Mean CPU use per member process, % of one core. */
  cpuPercent: number
  /** murmur only: frame bytes/s sent per member by transport channel (payload before TCP, Noise and yamux). */
  frameBytesPerSec?: Record<string, number>
}

interface Sample { tx: TxSample, cpu: number | undefined, at: number }

/** How members are read: their namespace's counters and their process's CPU time (netns-stats.ts), unless a test gives others. */
export interface IdleProbes {
  txBytes: (ns: string) => TxSample
  cpuSeconds: (pid: number) => number | undefined
  countBareAcks: (ns: string) => void
  bareAcks: (ns: string) => number
}

const NETNS_PROBES: IdleProbes = { txBytes, cpuSeconds, countBareAcks, bareAcks }

/** Starts counting bare ACKs in every namespace; false if nftables is not there (then none are reported). */
function startAckCounts (names: readonly string[], probes: IdleProbes): boolean {
  try {
    for (const ns of names) probes.countBareAcks(ns)
    return true
  } catch {
    return false
  }
}

/** Frame bytes sent by channel, summed over members; undefined if a member did not answer (then not shown). */
async function channelBytesOut (mesh: MurmurMesh): Promise<Record<string, number> | undefined> {
  try {
    const all: PromSample[] = (await Promise.all(mesh.live().map(async m => await mesh.metrics(m)))).flat()
    return sumPromBy(all, 'murmur_transport_bytes_total', 'channel', { direction: 'out' })
  } catch {
    return undefined
  }
}

/** Every live member's counters now, mesh by mesh. */
function sample (meshes: readonly Mesh[], probes: IdleProbes): Sample[][] {
  return meshes.map(mesh => mesh.live().map((m): Sample => ({ tx: probes.txBytes(mesh.lab.names[m.ns] as string), cpu: probes.cpuSeconds(m.pid), at: performance.now() })))
}

/**
 * Idle figures over `seconds`. murmur's frame counters are read (GET /metrics) before the window opens and
 * after it closes: a scrape costs the peer ~5 ms of CPU (a lone peer, 20 scrapes), work the harness asks
 * for, not idle work, and Serf's members are asked nothing. Inside the window, two scrapes made up ~2–4 %
 * of a murmur member's idle CPU figure (issue 11).
 */
export async function measureIdle (meshes: readonly Mesh[], seconds: number, probes: IdleProbes = NETNS_PROBES): Promise<Map<Mesh, IdleFigures>> {
  const frames0 = await Promise.all(meshes.map(async mesh => mesh instanceof MurmurMesh ? await channelBytesOut(mesh) : undefined))
  const counting = startAckCounts(meshes.flatMap(mesh => mesh.live().map(m => mesh.lab.names[m.ns] as string)), probes)
  const starts = sample(meshes, probes)
  const t0 = performance.now()
  await new Promise(resolve => setTimeout(resolve, seconds * 1000))
  const ends = sample(meshes, probes)
  const acksAtEnd = counting ? meshes.map(mesh => mesh.live().map(m => probes.bareAcks(mesh.lab.names[m.ns] as string))) : undefined
  const elapsed = (performance.now() - t0) / 1000
  const frames1 = await Promise.all(meshes.map(async mesh => mesh instanceof MurmurMesh ? await channelBytesOut(mesh) : undefined))
  const out = new Map<Mesh, IdleFigures>()
  meshes.forEach((mesh, i) => {
    const members = mesh.live()
    const rates: number[] = []
    const packets: number[] = []
    const cpus: number[] = []
    const acks: number[] = []
    members.forEach((_, j) => {
      const s = starts[i]?.[j] as Sample
      const e = ends[i]?.[j] as Sample
      const r = rate(s.tx, e.tx)
      rates.push(r.bytesPerSec)
      packets.push(r.packetsPerSec)
      const secs = (e.at - s.at) / 1000
      const a = acksAtEnd?.[i]?.[j]
      if (a !== undefined) acks.push(a / secs)
      if (e.cpu !== undefined && s.cpu !== undefined) cpus.push(100 * (e.cpu - s.cpu) / secs)
    })
    const f0 = frames0[i]
    const f1 = frames1[i]
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
    out.set(mesh, {
      members: members.length,
      seconds: round(elapsed, 1),
      bytesPerSec: round(mean(rates)),
      minBytesPerSec: round(Math.min(...rates)),
      maxBytesPerSec: round(Math.max(...rates)),
      packetsPerSec: round(mean(packets), 2),
      ...(acks.length > 0 && acks.every(Number.isFinite) ? { bareAcksPerSec: round(mean(acks), 2) } : {}),
      cpuPercent: round(mean(cpus), 2),
      ...(f0 === undefined || f1 === undefined
        ? {}
        : { frameBytesPerSec: Object.fromEntries(Object.keys(f1).map(k => [k, round(((f1[k] ?? 0) - (f0[k] ?? 0)) / members.length / elapsed)])) })
    })
  })
  return out
}
