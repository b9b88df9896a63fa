/**
 * Signatures by peer identity. A peer's id names its public key (libp2p's Ed25519 peer ids embed it), so
 * anyone can check that a record was made by the peer it is about, whoever relayed it. Membership signs
 * each member's own record with it (src/membership/signing.ts): gossip is relayed by everyone, and only
 * a signature tells a member's own `alive` or `left` from a forgery by the member relaying it.
 *
 * Transports provide one (`Transport.signer`): the libp2p transport with the peer's identity key
 * (src/net/signer.ts), the simulator with a keyed hash per node.
 */
import type { PeerId } from './transport.js'

export interface PeerSigner {
  /** This peer's signature over `payload`. */
  sign(payload: Uint8Array): Uint8Array
  /** Whether `signature` over `payload` was made by peer `id`. False for ids that carry no usable key. */
  verify(id: PeerId, payload: Uint8Array, signature: Uint8Array): boolean
}

/** The longest signature any signer produces (Ed25519: 64 bytes); longer ones are refused on decode. */
export const MAX_SIGNATURE_BYTES = 128
