/**
 * Bootstrap through a DNS name with several addresses — a Kubernetes headless Service
 * (`/dns4/murmur.default.svc.cluster.local/tcp/4001`) answers with one A record per pod. libp2p resolves a
 * `/dns4` multiaddr itself but dials a single address, so we resolve every record and dial each one; and
 * since pods come and go with new addresses, the name is resolved again periodically and any address that
 * is new (not ours, not an alive member's) is joined.
 *
 * Resolution goes through the system resolver (getaddrinfo: /etc/hosts, the search domains of
 * resolv.conf, all addresses of the name), as every other program in the pod or container would.
 */
import { lookup } from 'node:dns/promises'
import { multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '../core/logger.js'

/** Re-resolve this often while this peer knows no other alive member (a mesh forming)… */
export const DNS_REFRESH_ALONE_MS = 5_000
/** …and this often once it is in a mesh (new pods join through others anyway; this only repairs). */
export const DNS_REFRESH_MS = 30_000
/** Addresses used from one name per resolution (a headless Service of a large StatefulSet has one per pod). */
export const MAX_RECORDS_PER_NAME = 64
/** Distinct addresses ever joined through DNS; beyond it new ones are not joined (and a warning is logged). */
export const MAX_DNS_SEEDS = 1024
/**
 * Answers in a row that list only this peer's own addresses (DNS_REFRESH_ALONE_MS apart) before it counts as
 * having nobody to join — a headless Service of a one-pod StatefulSet. One answer is not enough: pods started
 * together get their addresses (and DNS records) a few seconds apart.
 */
export const SELF_ONLY_ANSWERS = 2

/** Returns every address of `host` for an IP family (4, 6, or 0 for both). */
export type HostResolver = (host: string, family: 0 | 4 | 6) => Promise<string[]>

export const systemResolver: HostResolver = async (host, family) =>
  (await lookup(host, { all: true, family })).map(a => a.address)

export interface DnsSeed {
  /** The multiaddr as configured. */
  addr: string
  host: string
  family: 0 | 4 | 6
  /** The rest after the name, e.g. `/tcp/4001` (a `/p2p/<id>` suffix is dropped: each record is another peer). */
  rest: string
}

/** The DNS-named seed of a multiaddr (`/dns4|/dns6|/dns/<name>/...`), or undefined for an IP one. */
export function dnsSeed (addr: string): DnsSeed | undefined {
  const parts = multiaddr(addr).getComponents()
  const first = parts[0]
  if (first === undefined || first.value === undefined) return undefined
  const family = first.name === 'dns4' ? 4 : first.name === 'dns6' ? 6 : first.name === 'dns' ? 0 : undefined
  if (family === undefined) return undefined
  const rest = parts.slice(1).filter(c => c.name !== 'p2p').map(c => `/${c.name}${c.value === undefined ? '' : `/${c.value}`}`).join('')
  return { addr, host: first.value, family, rest }
}

/** `/ip4/<ip>` or `/ip6/<ip>` + rest. */
const ipAddr = (ip: string, rest: string): string => `/${ip.includes(':') ? 'ip6' : 'ip4'}/${ip}${rest}`

/**
 * One address per record of every seed; a name that does not resolve is logged and skipped. With
 * `unresolved` (a one-off join: `murmur join` says it per address, with the resolver's error code) nothing
 * retries it; without, these are bootstrap names, resolved again later.
 */
export async function resolveSeeds (seeds: readonly DnsSeed[], resolve: HostResolver, log: Logger, unresolved?: (seed: DnsSeed, error: string) => void): Promise<string[]> {
  const out = new Set<string>()
  await Promise.all(seeds.map(async (s) => {
    try {
      const ips = await resolve(s.host, s.family)
      for (const ip of ips.slice(0, MAX_RECORDS_PER_NAME)) out.add(ipAddr(ip, s.rest))
    } catch (err) {
      const error = (err as NodeJS.ErrnoException).code ?? String(err)
      if (unresolved === undefined) log.warn('bootstrap name did not resolve; retrying later', { name: s.host, error })
      else {
        log.warn('join: name did not resolve', { name: s.host, error })
        unresolved(s, error)
      }
    }
  }))
  return [...out]
}

/** `addr` without its trailing `/p2p/<id>`: how this peer's own and DNS-given addresses are compared. */
export const bare = (addr: string): string => addr.replace(/\/p2p\/[^/]+$/, '')

export interface DnsSeedsInit {
  seeds: readonly DnsSeed[]
  resolve: HostResolver
  log: Logger
  /** Our own addresses (never joined). */
  self: () => readonly string[]
  /** Addresses of members currently alive (no need to join them again). */
  alive: () => readonly string[]
  /** Joins these addresses (push-pull with each). */
  join: (addrs: string[]) => void
  /** False once the peer stopped: the refresh loop ends. */
  running: () => boolean
}

/**
 * Resolves the DNS seeds now and then every DNS_REFRESH_MS (DNS_REFRESH_ALONE_MS while alone), joining
 * each address not seen before that is neither ours nor an alive member's. The timer does not keep the
 * process alive and stops by itself once `running()` is false.
 */
export class DnsSeeds {
  private readonly joined = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private refreshing = false
  /** When the scheduled round runs (Date.now() time). */
  private dueAt = 0
  private warnedFull = false
  /** Answers in a row listing only our own addresses. */
  private selfOnly = 0
  private alone = false

  constructor (private readonly init: DnsSeedsInit) {}

  start (): void {
    void this.refresh()
  }

  /**
   * Whether the names list nobody but this peer: every name answered with only its own addresses,
   * SELF_ONLY_ANSWERS times in a row, and no other member was seen alive since (`sawMember`). It stays so
   * while later answers list addresses nobody has reached yet (a StatefulSet scaled up: the new pods are
   * the ones to join), and ends once another member is alive (then this peer is in a mesh).
   */
  get nobodyToJoin (): boolean {
    return this.alone
  }

  /** Another member is alive: in a mesh, not alone (until the names list only this peer again). */
  sawMember (): void {
    this.alone = false
  }

  /** No other member is alive any more: resolve again within DNS_REFRESH_ALONE_MS (not DNS_REFRESH_MS). */
  wake (): void {
    if (this.refreshing || !this.init.running()) return // the round under way schedules the next one
    if (this.dueAt - Date.now() > DNS_REFRESH_ALONE_MS) this.schedule(DNS_REFRESH_ALONE_MS)
  }

  /** One round: resolve, join what is new. Exposed for tests. */
  async refresh (): Promise<string[]> {
    const { init } = this
    if (!init.running()) return []
    this.refreshing = true
    let unanswered = 0
    const counted: HostResolver = async (host, family) => {
      try {
        const ips = await init.resolve(host, family)
        if (ips.length === 0) unanswered++
        return ips
      } catch (err) {
        unanswered++
        throw err
      }
    }
    let addrs: string[]
    try {
      addrs = await resolveSeeds(init.seeds, counted, init.log)
    } finally {
      this.refreshing = false
    }
    const own = new Set(init.self().map(bare))
    if (unanswered === 0 && addrs.length > 0 && addrs.every(a => own.has(a))) {
      if (++this.selfOnly >= SELF_ONLY_ANSWERS) this.alone = true
    } else {
      this.selfOnly = 0
    }
    const known = new Set([...init.self(), ...init.alive()].map(bare))
    const fresh: string[] = []
    for (const a of addrs) {
      if (known.has(a) || this.joined.has(a)) continue
      if (this.joined.size >= MAX_DNS_SEEDS) {
        if (!this.warnedFull) init.log.warn('too many distinct bootstrap addresses from DNS; not joining more', { limit: MAX_DNS_SEEDS })
        this.warnedFull = true
        break
      }
      this.joined.add(a)
      fresh.push(a)
    }
    if (fresh.length > 0) {
      init.log.info('joining through addresses from DNS', { names: init.seeds.map(s => s.host).join(','), addresses: fresh.length })
      init.join(fresh)
    }
    if (init.running()) this.schedule(init.alive().length === 0 ? DNS_REFRESH_ALONE_MS : DNS_REFRESH_MS)
    return fresh
  }

  private schedule (ms: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.dueAt = Date.now() + ms
    this.timer = setTimeout(() => { void this.refresh() }, ms)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
  }
}
