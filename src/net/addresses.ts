/**
 * Multiaddr helpers. Destinations carry addresses as strings (they travel in gossip), so everything here
 * tolerates garbage: an unparsable address is skipped, never thrown.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { CODE_IP4, CODE_IP6, CODE_P2P, multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Parses `addr`, or undefined if it is not a multiaddr. */
export function parseMultiaddr (addr: string): Multiaddr | undefined {
  try {
    return multiaddr(addr)
  } catch {
    return undefined
  }
}

/** Peer ids as printed: base58btc (12D3KooW…, Qm…) or base32 CIDs (b…); the length bound keeps garbage from being decoded. */
const PEER_ID_TEXT = /^[1-9A-HJ-NP-Za-km-z]{32,128}$|^b[a-z2-7]{32,128}$/

/** Whether `value` is a peer id (a character more or less, from a bad copy, is not). */
export function isPeerId (value: string): boolean {
  if (!PEER_ID_TEXT.test(value)) return false
  try {
    peerIdFromString(value)
    return true
  } catch {
    return false
  }
}

/** The PeerId in the last `/p2p/<id>` component, if any. */
export function peerIdOf (addr: Multiaddr): string | undefined {
  return addr.getComponents().findLast(c => c.code === CODE_P2P)?.value
}

/**
 * The value of the first `/p2p/<id>` component that is not a peer id, if any. The multiaddr parser takes
 * any text there; such an address can never be dialled (every frame for it is dropped).
 */
export function invalidPeerIdOf (addr: Multiaddr): string | undefined {
  for (const c of addr.getComponents()) {
    if (c.code !== CODE_P2P) continue
    try {
      peerIdFromString(c.value ?? '')
    } catch {
      return c.value ?? ''
    }
  }
  return undefined
}

/** `addr` without a trailing `/p2p/<id>`. */
export function withoutPeerId (addr: Multiaddr): Multiaddr {
  return peerIdOf(addr) === undefined ? addr : addr.decapsulateCode(CODE_P2P)
}

/** `addr` ending in `/p2p/<id>` (replacing a different id, which would make the dial fail anyway). */
export function withPeerId (addr: Multiaddr, id: string): Multiaddr {
  return multiaddr(`${withoutPeerId(addr).toString()}/p2p/${id}`)
}

/** 0.0.0.0 or :: — a listen address, never a dialable one. */
export function isWildcard (addr: Multiaddr): boolean {
  return addr.getComponents().some(c => (c.code === CODE_IP4 && c.value === '0.0.0.0') || (c.code === CODE_IP6 && c.value === '::'))
}

/** Hosts murmur's libp2p (TCP only) can listen on and dial; DNS names are resolved (net/dns-seeds.ts). */
const HOST_PROTOCOLS = new Set(['ip4', 'ip6', 'dns4', 'dns6', 'dns'])

/**
 * Why `addr` is not `[/ip6zone/<zone>]/<host>/tcp/<port>[/p2p/<id>]`, the only shape the TCP transport
 * dials (anything more — /ws, /tls, /p2p-circuit — has no transport here, and a bootstrap or join address
 * like that would be re-dialled and fail forever), with a valid peer id and, unless it is for `listen`, a
 * port other than 0; or undefined when it is. One check for every way in: --listen, --advertise,
 * --bootstrap and POST /join. `show` renders the offending peer id for the message.
 */
export function tcpAddrProblem (addr: Multiaddr, use: 'listen' | 'dial', show: (text: string) => string): string | undefined {
  const components = addr.getComponents()
  if (!components.some(c => c.name === 'tcp')) return 'needs a TCP address, e.g. /ip4/127.0.0.1/tcp/4001'
  const badId = invalidPeerIdOf(addr)
  if (badId !== undefined) return `/p2p/${show(badId)} is not a peer id (they look like 12D3KooW…)`
  const parts = components[0]?.name === 'ip6zone' ? components.slice(1) : components
  const [host, tcp, ...rest] = parts
  const extra = rest.filter(c => c.name !== 'p2p')
  let shape: string | undefined
  if (host === undefined || !HOST_PROTOCOLS.has(host.name)) shape = 'must start with /ip4, /ip6, /dns4, /dns6 or /dns and a host'
  else if (tcp?.name !== 'tcp') shape = 'needs /tcp/<port> right after the host'
  else if (extra.length > 0 || rest.length > 1) shape = `has /${(extra[0] ?? rest[1])?.name ?? ''} after the TCP port: murmur speaks plain TCP only (ends at /tcp/<port> or /p2p/<id>)`
  else if (use === 'dial' && tcp.value === '0') shape = 'port 0 is for --listen (any free port); give the port the peer listens on'
  return shape === undefined ? undefined : `${shape}, e.g. /ip4/127.0.0.1/tcp/4001`
}

/** The wildcard address of each IP family: a listener on it takes its port on every address of the family. */
const WILDCARDS: Readonly<Record<string, string>> = { ip4: '0.0.0.0', ip6: '::' }

/** What a TCP listen address binds: IP family, host (with its IPv6 zone) and port; undefined for a DNS host or port 0. */
function tcpBinding (addr: string): { family: string, host: string, port: string } | undefined {
  const components = parseMultiaddr(addr)?.getComponents() ?? []
  const zone = components[0]?.name === 'ip6zone' ? components[0].value : undefined
  const [ip, tcp] = zone === undefined ? components : components.slice(1)
  if (ip === undefined || WILDCARDS[ip.name] === undefined || tcp?.name !== 'tcp' || tcp.value === '0') return undefined
  return { family: ip.name, host: zone === undefined ? ip.value ?? '' : `${ip.value ?? ''}%${zone}`, port: tcp.value ?? '' }
}

/**
 * The first two of `addrs` (listen addresses) that cannot both be bound, and why, or undefined. Two TCP
 * listeners clash on the same port and IP family when their hosts are equal or either is the family's
 * wildcard (0.0.0.0 takes the port on 127.0.0.1 too). IPv4 and IPv6 never clash: libp2p binds IPv6 only
 * (ipv6Only), so :: leaves IPv4's ports free. DNS hosts are resolved at listen time and not judged here.
 */
export function listenClash (addrs: readonly string[]): { first: string, second: string, why: string } | undefined {
  const bound = addrs.map(a => ({ addr: a, binding: tcpBinding(a) }))
  for (const [i, a] of bound.entries()) {
    for (const b of bound.slice(i + 1)) {
      if (a.binding === undefined || b.binding === undefined) continue
      if (a.binding.family !== b.binding.family || a.binding.port !== b.binding.port) continue
      const wildcard = WILDCARDS[a.binding.family]
      const port = a.binding.port
      let why: string | undefined
      if (a.binding.host === b.binding.host) why = `both take port ${port} on ${a.binding.host}`
      else if (a.binding.host === wildcard || b.binding.host === wildcard) {
        const other = a.binding.host === wildcard ? b.binding.host : a.binding.host
        why = `${wildcard} takes port ${port} on every ${a.binding.family === 'ip4' ? 'IPv4' : 'IPv6'} address, ${other} included`
      }
      if (why !== undefined) return { first: a.addr, second: b.addr, why }
    }
  }
  return undefined
}
