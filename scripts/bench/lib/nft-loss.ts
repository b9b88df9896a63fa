/**
 * Random packet loss inside a network namespace with nftables: every packet the namespace receives (or
 * sends) on its data interface is dropped with probability p (`numgen random mod 10000 < p·10000`),
 * counted by the rule. HTTP and SSE run on the management interface and are never dropped.
 *
 * `input` (the benchmark's default) drops packets the namespace receives on that interface, after they
 * crossed the link: the sender's TCP cannot tell that from a loss on the wire (tail-loss probe,
 * retransmission timeout). `output` drops in the sender's output hook, before the interface: its TCP stack
 * sees the segment refused locally and sends it again sooner, so the tail is lighter than real loss.
 * Either way TCP resends: a frame is late, never lost.
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

export type LossHook = 'output' | 'input'

/** Drops each packet `ns` sends (`output`) or receives (`input`) on its data interface with probability `p`. */
export function addPacketLoss (ns: string, p: number, hook: LossHook = 'input', dev = DATA_DEV): void {
  const script = [
    `table inet ${TABLE} {`,
    '  chain loss {',
    `    type filter hook ${hook} priority 0; policy accept;`,
    `    ${hook === 'output' ? 'oifname' : 'iifname'} "${dev}" numgen random mod 10000 < ${lossThreshold(p)} counter drop`,
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
