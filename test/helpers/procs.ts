// The process helpers are shared with the scripts (partition-heal, benchmarks, soak).
import { readFileSync, readdirSync } from 'node:fs'
export * from '../../scripts/lib/peers.ts'

/** Pids of the processes whose command line mentions `text` (a run's temp dir: what it left running). */
export function processesWith (text: string): string[] {
  return readdirSync('/proc').filter(d => /^\d+$/.test(d)).filter((pid) => {
    try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text) } catch { return false }
  })
}
