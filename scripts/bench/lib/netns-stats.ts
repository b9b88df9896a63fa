/**
 * Per-process and per-namespace counters read from the kernel, identical for every system under test:
 * bytes a namespace sent on its data interface (IP, TCP/UDP and encryption overhead included, and
 * nothing of the management network where HTTP and Serf RPC run), TCP segments a namespace's stack sent
 * and retransmitted, CPU time of a process, and how busy the whole machine was.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'

/** The data interface inside every namespace of netns.ts's lab. */
export const DATA_DEV = 'eth0'

export interface TxSample { bytes: number, packets: number, at: number }

/**
 * Bytes and packets sent so far by `ns`'s data interface, read inside the namespace (`ip netns exec … cat
 * /sys/class/net/eth0/statistics/tx_*`). Bytes are whole Ethernet frames: 14 bytes of Ethernet header per
 * packet on top of IP, for every system alike.
 */
export function txBytes (ns: string, dev = DATA_DEV): TxSample {
  const dir = `/sys/class/net/${dev}/statistics`
  const out = execFileSync('ip', ['netns', 'exec', ns, 'cat', `${dir}/tx_bytes`, `${dir}/tx_packets`], { encoding: 'utf8', timeout: 5_000 })
  const [bytes, packets] = out.trim().split('\n').map(Number)
  return { bytes: bytes ?? Number.NaN, packets: packets ?? Number.NaN, at: performance.now() }
}

const ACKS_TABLE = 'mmacks'

/**
 * Counts, from now on, the bare TCP acknowledgements `ns` sends on its data interface: segments with no
 * payload and no SYN, FIN or RST (IPv4 length ≤ 52: 20 bytes of IP, 20 of TCP and 12 of the timestamp option
 * Linux puts on every segment). UDP datagrams never count. An nftables counter in the namespace's output hook;
 * calling it again restarts the count.
 */
export function countBareAcks (ns: string, dev = DATA_DEV): void {
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', ACKS_TABLE], { stdio: 'ignore', timeout: 5_000 })
  } catch { /* not there yet */ }
  const script = [
    `table inet ${ACKS_TABLE} {`,
    '  chain out {',
    '    type filter hook output priority 0; policy accept;',
    `    oifname "${dev}" meta nfproto ipv4 meta l4proto tcp ip length <= 52 tcp flags & (syn | fin | rst) == 0 counter`,
    '  }',
    '}'
  ].join('\n')
  execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script + '\n', stdio: ['pipe', 'ignore', 'pipe'], timeout: 5_000 })
}

/** Bare TCP acknowledgements counted in `ns` since `countBareAcks` (NaN without its table). */
export function bareAcks (ns: string): number {
  try {
    const out = execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'inet', ACKS_TABLE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 })
    return Number(/counter packets (\d+)/.exec(out)?.[1] ?? Number.NaN)
  } catch {
    return Number.NaN
  }
}

export interface TcpSample { outSegs: number, retransSegs: number }

/** TCP segments sent and retransmitted so far by `ns`'s stack (`/proc/net/snmp`, read inside the namespace). */
export function tcpCounters (ns: string): TcpSample {
  const out = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp'], { encoding: 'utf8', timeout: 5_000 })
  const [names, values] = out.split('\n').filter(l => l.startsWith('Tcp:')).map(l => l.trim().split(/\s+/).slice(1))
  const field = (name: string): number => Number(values?.[names?.indexOf(name) ?? -1] ?? Number.NaN)
  return { outSegs: field('OutSegs'), retransSegs: field('RetransSegs') }
}

/** Bytes and packets per second between two samples of the same interface. */
export function rate (a: TxSample, b: TxSample): { bytesPerSec: number, packetsPerSec: number } {
  const s = (b.at - a.at) / 1000
  return { bytesPerSec: (b.bytes - a.bytes) / s, packetsPerSec: (b.packets - a.packets) / s }
}

const CLOCK_TICKS_PER_S = 100

/** User + system CPU seconds of `pid` so far, or undefined once it is gone. */
export function cpuSeconds (pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name (which may contain spaces): utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S
  } catch {
    return undefined
  }
}

export interface MachineCpu { busy: number, total: number }

/** Busy and total CPU ticks of the whole machine (all cores) so far: the first line of /proc/stat. */
export function machineCpu (): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
  // user nice system idle iowait irq softirq steal: idle and iowait are the not-busy ones.
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number)
  const total = v.reduce((a, b) => a + b, 0)
  return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total }
}

/** Cores the whole machine kept busy between two readings (0 to the number of cores). */
export function busyCores (a: MachineCpu, b: MachineCpu): number {
  return (b.busy - a.busy) / Math.max(1, b.total - a.total) * os.cpus().length
}
