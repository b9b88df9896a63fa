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
