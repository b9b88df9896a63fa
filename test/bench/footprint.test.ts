/**
 * The footprint bench's readings of /proc: RSS and its parts from /proc/<pid>/status, CPU ticks from
 * /proc/<pid>/stat (whose command name may hold spaces and parentheses), and unlabelled samples of /metrics.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseCpuTicks, parsePss, parseStatus, promValue } from '../../scripts/bench/footprint.ts'

describe('footprint readings', () => {
  it('reads VmRSS, RssAnon and RssFile in MB', () => {
    const r = parseStatus('Name:\tnode\nVmRSS:\t   84636 kB\nRssAnon:\t   28064 kB\nRssFile:\t   56572 kB\nRssShmem:\t       0 kB\n')
    expect(r).toEqual({ rss: 84636 / 1024, anon: 28064 / 1024, file: 56572 / 1024 })
  })

  it('reads this process\'s own status, its parts adding up to its RSS', () => {
    const r = parseStatus(readFileSync('/proc/self/status', 'utf8'))
    expect(r.rss).toBeGreaterThan(10)
    expect(r.anon + r.file).toBeLessThanOrEqual(r.rss + 0.01)
    expect(r.anon + r.file).toBeGreaterThan(r.rss * 0.9)
  })

  it('refuses a status without the lines', () => {
    expect(() => parseStatus('Name:\tnode\n')).toThrow(/VmRSS/)
  })

  it('adds utime and stime after a command name with spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const stat = '4242 (node (peer) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 123 45 0 0 20 0 11 0 100 0 0'
    expect(parseCpuTicks(stat)).toBe(168)
  })

  it('reads unlabelled samples only', () => {
    const text = 'nodejs_heap_size_used_bytes 13362000\nnodejs_heap_space_size_used_bytes{space="new"} 5\nprocess_resident_memory_bytes 8.2e7\n'
    expect(promValue(text, 'nodejs_heap_size_used_bytes')).toBe(13362000)
    expect(promValue(text, 'process_resident_memory_bytes')).toBe(82000000)
    expect(promValue(text, 'nodejs_heap_space_size_used_bytes')).toBeUndefined()
  })
})

describe('footprint PSS', () => {
  it('reads Pss from smaps_rollup, not SwapPss', () => {
    expect(parsePss('00400000-7ffd [rollup]\nRss:               84636 kB\nPss:               40960 kB\nPss_Anon:          28064 kB\nSwapPss:               0 kB\n')).toBe(40)
    expect(parsePss(readFileSync('/proc/self/smaps_rollup', 'utf8'))).toBeGreaterThan(1)
  })
})
