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

/** Returns every address of `host` for an IP family (4, 6, or 0 for both). */
export type HostResolver = (host: string, family: 0 | 4 | 6) => Promise<string[]>

export const systemResolver: HostResolver = async (host, family) =>
  (await lookup(host, { all: true, family })).map(a => a.address)

interface DnsSeed {
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

/** One address per record of every seed; a name that does not resolve is logged and skipped. */
export async function resolveSeeds (seeds: readonly DnsSeed[], resolve: HostResolver, log: Logger): Promise<string[]> {
  const out = new Set<string>()
  await Promise.all(seeds.map(async (s) => {
    try {
      const ips = await resolve(s.host, s.family)
      for (const ip of ips.slice(0, MAX_RECORDS_PER_NAME)) out.add(ipAddr(ip, s.rest))
    } catch (err) {
      log.warn('bootstrap name did not resolve; retrying later', { name: s.host, error: (err as NodeJS.ErrnoException).code ?? String(err) })
    }
  }))
  return [...out]
}

const bare = (addr: string): string => addr.replace(/\/p2p\/[^/]+$/, '')

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
  private warnedFull = false

  constructor (private readonly init: DnsSeedsInit) {}

  start (): void {
    void this.refresh()
  }

  /** One round: resolve, join what is new. Exposed for tests. */
  async refresh (): Promise<string[]> {
    const { init } = this
    if (!init.running()) return []
    const addrs = await resolveSeeds(init.seeds, init.resolve, init.log)
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
    if (init.running()) {
      this.timer = setTimeout(() => { void this.refresh() }, init.alive().length === 0 ? DNS_REFRESH_ALONE_MS : DNS_REFRESH_MS)
      this.timer.unref()
    }
    return fresh
  }

  stop (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
  }
}
