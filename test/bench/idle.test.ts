/**
 * The idle window of the benchmarks (scripts/bench/lib/idle.ts) counts a member's CPU while it idles, not
 * the /metrics scrapes the harness makes of murmur's members to read their frame counters (~5 ms of a
 * peer's CPU each; Serf's members are asked nothing). Fake probes: each scrape adds 5 ms to the member's
 * CPU clock, and the window is 50 ms, so a scrape inside it would show as 10 % of a core.
 */
import { describe, expect, test } from 'vitest'
import { measureIdle } from '../../scripts/bench/lib/idle.ts'
import type { IdleProbes } from '../../scripts/bench/lib/idle.ts'
import type { MeshMember } from '../../scripts/bench/lib/mesh.ts'
import { MurmurMesh } from '../../scripts/bench/lib/murmur-mesh.ts'
import type { MurmurMember } from '../../scripts/bench/lib/murmur-mesh.ts'
import type { NetnsLab } from '../../scripts/lib/netns.ts'
import type { PromSample } from '../../scripts/bench/lib/prom.ts'

describe('measureIdle', () => {
  test('the frame-counter scrapes fall outside the CPU window', async () => {
    let cpu = 1
    let scrapes = 0
    const mesh = new MurmurMesh({ names: ['ns0'] } as unknown as NetnsLab)
    const member = { key: 'p', name: 'm0', ns: 0, pid: 4242, joinAt: 0 } as unknown as MurmurMember
    mesh.live = () => [member]
    mesh.metrics = async (_m: MeshMember): Promise<PromSample[]> => {
      scrapes++
      cpu += 0.005
      return [{ name: 'murmur_transport_bytes_total', labels: { channel: 'swim', direction: 'out' }, value: 100 * scrapes }]
    }
    const probes: IdleProbes = {
      txBytes: () => ({ bytes: 0, packets: 0, at: performance.now() }),
      cpuSeconds: (pid) => pid === 4242 ? cpu : undefined,
      countBareAcks: () => {},
      bareAcks: () => 0
    }
    const figures = (await measureIdle([mesh], 0.05, probes)).get(mesh)
    expect(scrapes).toBe(2)
    expect(figures?.cpuPercent).toBe(0)
    expect(figures?.frameBytesPerSec?.swim).toBeGreaterThan(0)
  })
})
