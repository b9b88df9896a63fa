/**
 * The libp2p transport's PeerSigner: Ed25519 with the peer's identity key, verified against the public key
 * an Ed25519 peer id embeds. node:crypto, synchronous (membership verifies records while it handles a
 * frame; libp2p's key API may return promises). Peer ids of other key types carry no key: verify → false.
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import type { PeerSigner } from '../core/signer.js'
import type { PeerId } from '../core/transport.js'

/** DER prefixes of an Ed25519 key: PKCS#8 before the 32-byte seed, SPKI before the 32-byte public key (RFC 8410). */
const PKCS8_ED25519 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])
const SPKI_ED25519 = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])
/** Public keys of peers we verified lately; beyond it the cache starts over (one parse per peer, then free). */
const MAX_CACHED_KEYS = 4096

function der (prefix: Uint8Array, key: Uint8Array): Buffer {
  return Buffer.concat([prefix, key])
}

/** A signer for `privateKey` (Ed25519, as murmur generates); undefined for any other key type. */
export function ed25519Signer (privateKey: PrivateKey): PeerSigner | undefined {
  if (privateKey.type !== 'Ed25519') return undefined
  // libp2p's raw Ed25519 private key is the 32-byte seed followed by the 32-byte public key.
  const own = createPrivateKey({ key: der(PKCS8_ED25519, privateKey.raw.subarray(0, 32)), format: 'der', type: 'pkcs8' })
  const keys = new Map<PeerId, KeyObject | null>()
  const publicKeyOf = (id: PeerId): KeyObject | null => {
    let key = keys.get(id)
    if (key !== undefined) return key
    try {
      const pub = peerIdFromString(id).publicKey
      key = pub?.type === 'Ed25519' ? createPublicKey({ key: der(SPKI_ED25519, pub.raw), format: 'der', type: 'spki' }) : null
    } catch {
      key = null
    }
    if (keys.size >= MAX_CACHED_KEYS) keys.clear()
    keys.set(id, key)
    return key
  }
  return {
    sign: (payload) => new Uint8Array(sign(null, payload, own)),
    verify: (id, payload, signature) => {
      const key = publicKeyOf(id)
      if (key === null) return false
      try {
        return verify(null, payload, key, signature)
      } catch {
        return false
      }
    }
  }
}
