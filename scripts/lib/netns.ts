/**
 * A small lab of Linux network namespaces (root only), so that peers talk over real links and a partition
 * is a cut link rather than a rule inside murmur:
 *
 *   data network  10.77.0.0/24 — each namespace's eth0 on a bridge; partitions move a namespace's link to
 *                 another bridge (halves, isolation) or blackhole its route to given addresses
 *                 (asymmetric grudges: A cannot reach B, B's packets still reach A). libp2p listens here only.
 *   mgmt network  10.78.0.0/24 — each namespace's eth1, bridged to the host (10.78.0.254): the HTTP API,
 *                 so the harness can still drive every peer while the data network is cut.
 */
import { execFileSync } from 'node:child_process'

export interface NetnsLab {
  readonly size: number
  /** Namespace names, one per peer. */
  readonly names: readonly string[]
  /** Data-network address of peer i (listen here). */
  dataIp(i: number): string
  /** Management address of peer i (serve HTTP here). */
  mgmtIp(i: number): string
  /** Cuts the data network into `groups` (indexes); peers not listed stay with group 0. */
  split(groups: ReadonlyArray<readonly number[]>): void
  /** Peer `from` drops every packet it sends to `to` (one direction: the other way still flows). */
  grudge(from: number, to: number): void
  /** One bridge, no drops. */
  heal(): void
  /** Removes every namespace, link and bridge. Idempotent. */
  close(): void
}

const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] }) }
const inNs = (ns: string, ...args: string[]): void => { execFileSync('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'ignore', 'pipe'] }) }
const quiet = (fn: () => void): void => { try { fn() } catch { /* already gone */ } }

/** Why namespaces cannot be used here, or undefined if they can. */
export function netnsUnavailable (): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'network namespaces need root (run as root, e.g. sudo)'
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' })
  } catch {
    return 'the ip command (iproute2) is needed: apt-get install iproute2'
  }
  const probe = `mmprobe${process.pid}`
  try {
    ip('netns', 'add', probe)
  } catch (err) {
    return `cannot create network namespaces here: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? String(err)}`
  } finally {
    quiet(() => { ip('netns', 'del', probe) })
  }
  return undefined
}

/** Creates `size` namespaces `<prefix>0…`, wired as described above. Call close() when done. */
export function createNetnsLab (size: number, prefix = 'mm'): NetnsLab {
  if (size < 1 || size > 200) throw new RangeError('a lab holds 1–200 peers')
  const names = Array.from({ length: size }, (_, i) => `${prefix}${i}`)
  const bridges = [`${prefix}br0`]
  const mgmtBridge = `${prefix}mgmt`
  const dataIp = (i: number): string => `10.77.0.${i + 1}`
  const mgmtIp = (i: number): string => `10.78.0.${i + 1}`
  const grudges = new Set<string>()
  let closed = false

  const close = (): void => {
    if (closed) return
    closed = true
    for (const ns of names) quiet(() => { ip('netns', 'del', ns) })
    for (const br of [...bridges, mgmtBridge]) quiet(() => { ip('link', 'del', br) })
  }
  close() // leftovers of an interrupted run
  closed = false
  try {
    for (const br of [bridges[0] as string, mgmtBridge]) {
      ip('link', 'add', br, 'type', 'bridge')
      ip('link', 'set', br, 'up')
    }
    ip('addr', 'add', '10.78.0.254/24', 'dev', mgmtBridge)
    names.forEach((ns, i) => {
      ip('netns', 'add', ns)
      inNs(ns, 'ip', 'link', 'set', 'lo', 'up')
      for (const [hostSide, nsSide, bridge, addr] of [[`${ns}d`, 'eth0', bridges[0], dataIp(i)], [`${ns}m`, 'eth1', mgmtBridge, mgmtIp(i)]] as const) {
        ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide, 'netns', ns)
        ip('link', 'set', hostSide, 'master', bridge as string)
        ip('link', 'set', hostSide, 'up')
        inNs(ns, 'ip', 'addr', 'add', `${addr}/24`, 'dev', nsSide)
        inNs(ns, 'ip', 'link', 'set', nsSide, 'up')
      }
    })
  } catch (err) {
    close()
    throw new Error(`could not build the network namespace lab: ${(err as { stderr?: Buffer }).stderr?.toString().trim() ?? String(err)}`)
  }

  const bridge = (k: number): string => {
    while (bridges.length <= k) {
      const br = `${prefix}br${bridges.length}`
      ip('link', 'add', br, 'type', 'bridge')
      ip('link', 'set', br, 'up')
      bridges.push(br)
    }
    return bridges[k] as string
  }
  const clearGrudges = (): void => {
    for (const key of grudges) {
      const [from, to] = key.split('>').map(Number) as [number, number]
      quiet(() => { inNs(names[from] as string, 'ip', 'route', 'del', 'blackhole', `${dataIp(to)}/32`) })
    }
    grudges.clear()
  }

  return {
    size,
    names,
    dataIp,
    mgmtIp,
    split (groups) {
      const groupOf = new Map<number, number>()
      groups.forEach((g, k) => { for (const i of g) groupOf.set(i, k) })
      names.forEach((ns, i) => { ip('link', 'set', `${ns}d`, 'master', bridge(groupOf.get(i) ?? 0)) })
    },
    grudge (from, to) {
      const key = `${from}>${to}`
      if (grudges.has(key)) return
      inNs(names[from] as string, 'ip', 'route', 'add', 'blackhole', `${dataIp(to)}/32`)
      grudges.add(key)
    },
    heal () {
      clearGrudges()
      for (const ns of names) ip('link', 'set', `${ns}d`, 'master', bridges[0] as string)
    },
    close
  }
}
