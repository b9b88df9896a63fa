/**
 * Random packet loss inside a network namespace with nftables: every packet the namespace sends on its data
 * interface is dropped with probability p (`numgen random mod 10000 < p·10000`), counted by the rule.
 * HTTP and SSE run on the management interface and are never dropped.
 *
 * The drop happens in the output hook, before the interface: the sending TCP stack sees the segment
 * refused locally and sends it again later (its probe or retransmission timer), where a segment lost on
 * the wire is recovered by the tail-loss probe or retransmission timeout. Both cost the frame about one
 * timeout; neither loses it.
 */
import { execFileSync } from 'node:child_process'
import { DATA_DEV } from './netns-stats.ts'

const TABLE = 'mmloss'
const EXEC_TIMEOUT_MS = 5_000

/** Why nftables cannot be used here, or undefined if it can. */
export function nftUnavailable (): string | undefined {
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore', timeout: EXEC_TIMEOUT_MS })
    return undefined
  } catch {
    return 'the nft command (nftables) is needed to drop packets inside each namespace: apt-get install -y nftables'
  }
}

/** The rule's threshold out of 10,000 for a drop probability. */
export function lossThreshold (p: number): number {
  return Math.round(p * 10_000)
}

/** Drops each packet `ns` sends on its data interface with probability `p`. */
export function addPacketLoss (ns: string, p: number, dev = DATA_DEV): void {
  const script = [
    `table inet ${TABLE} {`,
    '  chain out {',
    '    type filter hook output priority 0; policy accept;',
    `    oifname "${dev}" numgen random mod 10000 < ${lossThreshold(p)} counter drop`,
    '  }',
    '}'
  ].join('\n')
  execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script + '\n', stdio: ['pipe', 'ignore', 'pipe'], timeout: EXEC_TIMEOUT_MS })
}

/** Packets the rule dropped so far in `ns` (0 without the table). */
export function droppedPackets (ns: string): number {
  try {
    const out = execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'inet', TABLE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: EXEC_TIMEOUT_MS })
    return Number(/counter packets (\d+)/.exec(out)?.[1] ?? 0)
  } catch {
    return 0
  }
}

/** Removes the table (and the loss) from `ns`; quiet if it is gone. */
export function removePacketLoss (ns: string): void {
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', TABLE], { stdio: 'ignore', timeout: EXEC_TIMEOUT_MS })
  } catch { /* already gone (or the namespace is) */ }
}
