/**
 * The simulator's PeerSigner: a keyed hash per node in place of Ed25519 — what matters in a simulation is
 * that only node X can produce X's signature (a test forging frames has no node's key), not cryptographic
 * strength. Keys derive from the network's seed and the node id, so a restarted node keeps its identity.
 * 64 bytes, the size of an Ed25519 signature (so frames are as large as over libp2p), computed in a few
 * hundred nanoseconds: cheap enough for 10,000-node runs.
 */
import type { PeerSigner } from '../core/signer.js'
import type { PeerId } from '../core/transport.js'

const SIGNATURE_BYTES = 64

export class SimKeys {
  private readonly keys = new Map<PeerId, number>()

  private readonly networkKey: number

  /** `seed`: the network's (its random stream is not drawn from, so enabling signatures changes no run). */
  constructor (seed: number) {
    this.networkKey = mix(mix(seed >>> 0) ^ 0x5eed51)
  }

  /**
   * The signer of identity `id`: the node's own, or — for a test that plays a member with many identities
   * (an attacker can mint keys) — any id's. A test forging another node's record simply has no signer.
   */
  signer (id: PeerId): PeerSigner {
    return {
      sign: (payload) => this.mac(id, payload),
      verify: (signer, payload, signature) => equal(this.mac(signer, payload), signature)
    }
  }

  private keyOf (id: PeerId): number {
    let key = this.keys.get(id)
    if (key === undefined) {
      key = this.networkKey
      for (let i = 0; i < id.length; i++) key = Math.imul(key ^ id.charCodeAt(i), 0x01000193)
      key = mix(key)
      this.keys.set(id, key)
    }
    return key
  }

  /** Four 32-bit FNV-1a lanes over the payload, each seeded from the node's key, then finalised. */
  private mac (id: PeerId, payload: Uint8Array): Uint8Array {
    const key = this.keyOf(id)
    let a = key ^ 0x811c9dc5
    let b = mix(key + 1) ^ 0x811c9dc5
    let c = mix(key + 2) ^ 0x811c9dc5
    let d = mix(key + 3) ^ 0x811c9dc5
    for (let i = 0; i < payload.length; i++) {
      const x = payload[i] as number
      a = Math.imul(a ^ x, 0x01000193)
      b = Math.imul(b ^ x, 0x01000193)
      c = Math.imul(c ^ x, 0x01000193)
      d = Math.imul(d ^ x, 0x01000193)
    }
    const out = new Uint8Array(SIGNATURE_BYTES)
    const view = new DataView(out.buffer)
    a = mix(a ^ payload.length)
    b = mix(b ^ key)
    c = mix(c)
    d = mix(d)
    for (let i = 0; i < SIGNATURE_BYTES; i += 16) {
      view.setUint32(i, a)
      view.setUint32(i + 4, b)
      view.setUint32(i + 8, c)
      view.setUint32(i + 12, d)
      a = mix(a + d)
      b = mix(b + a)
      c = mix(c + b)
      d = mix(d + c)
    }
    return out
  }
}

function mix (h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
