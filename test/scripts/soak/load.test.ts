/**
 * The soak's CPU figures (scripts/soak/load.ts): what the peers' CPU seconds over a heal make in cores of
 * this machine, and the CPU counter read from a peer's /metrics.
 */
import { availableParallelism } from 'node:os'
import { describe, expect, test } from 'vitest'
import { coresBusy, coresOf, dialsText, parseLoad, subtractCounts } from '../../../scripts/soak/load.ts'

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

  test('dials by reason are read per label, subtracted between two readings and printed largest first', () => {
    const text = (sync: number): string => [
      '# TYPE murmur_dials_started_total counter',
      `murmur_dials_started_total{reason="sync"} ${sync}`,
      'murmur_dials_started_total{reason="swim"} 5',
      'murmur_dials_started_total{reason="ahead"} 0',
      'murmur_dials_total{result="ok"} 9'
    ].join('\n')
    const before = parseLoad(text(2)).dials
    const after = parseLoad(text(40)).dials
    expect(before).toEqual({ sync: 2, swim: 5, ahead: 0 })
    const heal = subtractCounts(after, before)
    expect(heal).toEqual({ sync: 38, swim: 0, ahead: 0 })
    expect(dialsText(after)).toBe('dials 45 (sync 40, swim 5)')
    expect(dialsText(heal)).toBe('dials 38 (sync 38)')
    expect(dialsText({})).toBe('dials 0')
    const unconnected = parseLoad('murmur_sync_messages_unconnected_total{kind="digests:plain"} 7\nmurmur_sync_messages_unconnected_total{kind="update:direct"} 9').unconnected
    expect(dialsText(heal, unconnected)).toBe('dials 38 (sync 38); sync messages sent unconnected 16 (update:direct 9, digests:plain 7)')
  })
})
