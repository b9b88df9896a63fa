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

interface Start { tx: TxSample, cpu: number | undefined, at: number }

/** Starts counting bare ACKs in every namespace; false if nftables is not there (then none are reported). */
function startAckCounts (names: readonly string[]): boolean {
  try {
    for (const ns of names) countBareAcks(ns)
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

export async function measureIdle (meshes: readonly Mesh[], seconds: number): Promise<Map<Mesh, IdleFigures>> {
  const counting = startAckCounts(meshes.flatMap(mesh => mesh.live().map(m => mesh.lab.names[m.ns] as string)))
  const starts = meshes.map(mesh => mesh.live().map((m): Start => ({ tx: txBytes(mesh.lab.names[m.ns] as string), cpu: cpuSeconds(m.pid), at: performance.now() })))
  const frames0 = await Promise.all(meshes.map(async mesh => mesh instanceof MurmurMesh ? await channelBytesOut(mesh) : undefined))
  const t0 = performance.now()
  await new Promise(resolve => setTimeout(resolve, seconds * 1000))
  const elapsed = (performance.now() - t0) / 1000
  const frames1 = await Promise.all(meshes.map(async mesh => mesh instanceof MurmurMesh ? await channelBytesOut(mesh) : undefined))
  const out = new Map<Mesh, IdleFigures>()
  meshes.forEach((mesh, i) => {
    const members = mesh.live()
    const rates: number[] = []
    const packets: number[] = []
    const cpus: number[] = []
    const acks: number[] = []
    members.forEach((m, j) => {
      const s = starts[i]?.[j] as Start
      const r = rate(s.tx, txBytes(mesh.lab.names[m.ns] as string))
      rates.push(r.bytesPerSec)
      packets.push(r.packetsPerSec)
      if (counting) acks.push(bareAcks(mesh.lab.names[m.ns] as string) / ((performance.now() - s.at) / 1000))
      const cpu = cpuSeconds(m.pid)
      if (cpu !== undefined && s.cpu !== undefined) cpus.push(100 * (cpu - s.cpu) / ((performance.now() - s.at) / 1000))
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
