/**
 * A small lab of Linux network namespaces (root only), so that peers talk over real links and a partition
 * is a cut link rather than a rule inside murmur:
 *
 *   data network  10.X.0.0/24 — each namespace's eth0 on a bridge; partitions move a namespace's link to
 *                 another bridge (halves, isolation) or blackhole its route to given addresses
 *                 (asymmetric grudges: A cannot reach B, B's packets still reach A). libp2p listens here only.
 *   mgmt network  10.Y.0.0/24 — each namespace's eth1, bridged to the host (10.Y.0.254): the HTTP API,
 *                 so the harness can still drive every peer while the data network is cut.
 *
 * X and Y are the first pair no host route or address uses yet, so several labs (a benchmark while
 * partition-heal runs) never share a host route and talk to each other's peers.
 *
 * Teardown deletes the host ends of the veth pairs before the namespaces: a namespace whose processes
 * were just SIGKILLed lives on while their orphaned TCP sockets time out, and with it its interfaces.
 *
 * No ARP: every interface gets a MAC derived from its address and every neighbour entry is pinned
 * (permanent) up front. With 60+ namespaces on one bridge, each ARP broadcast is copied to every port;
 * a cluster forming or healing sends hundreds at once, which overflowed the kernel's per-CPU backlog
 * (net.core.netdev_max_backlog, /proc/net/softnet_stat "dropped") on the 2-core machine and dropped
 * SYNs: 10 s connect timeouts to peers that were up. Moving a namespace to another bridge keeps its MAC,
 * so the pinned entries stay right across partitions.
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

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
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

/**
 * Removes the labs named `<tag><owner pid in base 36>n…` whose owner no longer runs: what a run killed
 * with SIGKILL (no teardown) left behind, holding one of the few subnet pairs. Labs of runs still going
 * are left alone.
 */
export function removeOrphanLabs (tag: string): void {
  // createNetnsLab's names with that prefix: namespaces <prefix><i>, their veths' host ends <prefix><i>d
  // and <prefix><i>m, bridges <prefix>br<k> and <prefix>mg.
  const owned = new RegExp(`^(${tag}([0-9a-z]+)n)(\\d+[dm]?|br\\d+|mg)$`)
  const prefixes = new Set<string>()
  for (const name of [...ip('netns', 'list').split('\n'), ...ip('-br', 'link').split('\n')].map(l => (l.split(/[\s@]/)[0] ?? ''))) {
    const m = owned.exec(name)
    if (m !== null && !running(parseInt(m[2] as string, 36))) prefixes.add(m[1] as string)
  }
  for (const prefix of prefixes) {
    // Links first (the host ends of the veths, the bridges), then the namespaces: see the teardown above.
    for (const link of ip('-br', 'link').split('\n').map(l => l.split(/[\s@]/)[0] ?? '')) if (link.startsWith(prefix)) quiet(() => { ip('link', 'del', link) })
    for (const ns of ip('netns', 'list').split('\n').map(l => l.split(' ')[0] ?? '')) if (ns.startsWith(prefix)) quiet(() => { ip('netns', 'del', ns) })
  }
}

function running (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Second octets tried for the data/management subnets (10.X.0.0/24), in pairs. */
const SUBNET_CANDIDATES = [[171, 172], [173, 174], [175, 176], [177, 178], [179, 180], [181, 182]] as const

/** A pair of /24s that no host route and no host address uses yet. */
function freeSubnets (): readonly [number, number] {
  const used = ip('-4', 'route', 'show') + ip('-4', 'addr', 'show')
  for (const pair of SUBNET_CANDIDATES) {
    if (pair.every(o => !used.includes(`10.${o}.0.`))) return pair
  }
  throw new Error('no free 10.X.0.0/24 pair for a network-namespace lab (are other labs still up? see `ip route`)')
}

/**
 * Creates `size` namespaces named `<prefix><i>`, wired as described above. A leftover lab with the same
 * prefix (an interrupted run) is removed first. Call close() when done.
 */
export function createNetnsLab (size: number, prefix = `mm${process.pid.toString(36)}`): NetnsLab {
  if (size < 1 || size > 250) throw new RangeError('a lab holds 1–250 members')
  if (prefix.length + String(size - 1).length + 1 > 15) throw new RangeError(`prefix "${prefix}" makes interface names longer than 15 characters`)
  const names = Array.from({ length: size }, (_, i) => `${prefix}${i}`)
  const bridges = [`${prefix}br0`]
  const mgmtBridge = `${prefix}mg`
  const dataIp = (i: number): string => `10.${dataNet}.0.${i + 1}`
  const mgmtIp = (i: number): string => `10.${mgmtNet}.0.${i + 1}`
  const hex = (x: number): string => x.toString(16).padStart(2, '0')
  /** Locally administered unicast MAC from the subnet octet and host number. */
  const mac = (net: number, host: number): string => `02:00:${hex(net)}:00:00:${hex(host)}`
  const HOST = 254
  const grudges = new Set<string>()
  let closed = false

  const close = (): void => {
    if (closed) return
    closed = true
    for (const ns of names) {
      quiet(() => { ip('link', 'del', `${ns}d`) })
      quiet(() => { ip('link', 'del', `${ns}m`) })
      quiet(() => { ip('netns', 'del', ns) })
    }
    for (const br of [...bridges, mgmtBridge]) quiet(() => { ip('link', 'del', br) })
  }
  close() // leftovers of an interrupted run with this prefix (their subnets then count as free again)
  closed = false
  const [dataNet, mgmtNet] = freeSubnets()
  try {
    for (const br of [bridges[0] as string, mgmtBridge]) {
      ip('link', 'add', br, 'type', 'bridge')
      ip('link', 'set', br, 'up')
    }
    // A bridge otherwise takes the lowest MAC of its ports, which changes as ports are added.
    ip('link', 'set', mgmtBridge, 'address', mac(mgmtNet, HOST))
    ip('addr', 'add', `10.${mgmtNet}.0.${HOST}/24`, 'dev', mgmtBridge)
    names.forEach((ns, i) => {
      ip('netns', 'add', ns)
      inNs(ns, 'ip', 'link', 'set', 'lo', 'up')
      for (const [hostSide, nsSide, bridge, addr, addrMac] of [[`${ns}d`, 'eth0', bridges[0], dataIp(i), mac(dataNet, i + 1)], [`${ns}m`, 'eth1', mgmtBridge, mgmtIp(i), mac(mgmtNet, i + 1)]] as const) {
        ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide, 'address', addrMac, 'netns', ns)
        ip('link', 'set', hostSide, 'master', bridge as string)
        ip('link', 'set', hostSide, 'up')
        inNs(ns, 'ip', 'addr', 'add', `${addr}/24`, 'dev', nsSide)
        inNs(ns, 'ip', 'link', 'set', nsSide, 'up')
      }
    })
    // Pinned neighbours: every namespace knows every data address and the host; the host knows every
    // management address. One `ip -batch` per namespace.
    names.forEach((ns, i) => {
      const lines = names.flatMap((_, j) => j === i ? [] : [`neigh replace ${dataIp(j)} lladdr ${mac(dataNet, j + 1)} dev eth0 nud permanent`])
      lines.push(`neigh replace 10.${mgmtNet}.0.${HOST} lladdr ${mac(mgmtNet, HOST)} dev eth1 nud permanent`)
      execFileSync('ip', ['-n', ns, '-batch', '-'], { input: lines.join('\n') + '\n', stdio: ['pipe', 'ignore', 'pipe'] })
    })
    execFileSync('ip', ['-batch', '-'], { input: names.map((_, i) => `neigh replace ${mgmtIp(i)} lladdr ${mac(mgmtNet, i + 1)} dev ${mgmtBridge} nud permanent`).join('\n') + '\n', stdio: ['pipe', 'ignore', 'pipe'] })
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
