/**
 * The soak's CPU figures (scripts/soak/load.ts): what the peers' CPU seconds over a heal make in cores of
 * this machine, and the CPU counter read from a peer's /metrics.
 */
import { availableParallelism } from 'node:os'
import { describe, expect, test } from 'vitest'
import { coresBusy, coresOf, parseLoad } from '../../../scripts/soak/load.ts'

describe('soak load figures', () => {
  test('cores busy over a heal: CPU seconds per second, two decimals, never a division by zero', () => {
    expect(coresOf({ cpuS: 19.9, seconds: 10 })).toBe(1.99)
    expect(coresOf({ cpuS: 3, seconds: 4 })).toBe(0.75)
    expect(Number.isFinite(coresOf({ cpuS: 0.5, seconds: 0 }))).toBe(true)
    expect(coresBusy({ cpuS: 19.9, seconds: 10 })).toBe(`peers busy 1.99 of ${availableParallelism()} cores`)
  })

  test('the CPU counter is read whatever its prefix, beside the handshake counters', () => {
    const text = [
      '# HELP murmur_process_cpu_seconds_total Total user and system CPU time spent in seconds.',
      'murmur_process_cpu_seconds_total 12.5',
      'murmur_handshakes_started_total{direction="inbound"} 3',
      'murmur_handshakes_started_total{direction="outbound"} 4',
      'murmur_handshakes_ended_total{direction="inbound",result="timed_out"} 1',
      'murmur_duplicate_connections_closed_total 2'
    ].join('\n')
    expect(parseLoad(text)).toMatchObject({ cpuS: 12.5, started: 7, timedOut: 1, duplicates: 2 })
  })
})
