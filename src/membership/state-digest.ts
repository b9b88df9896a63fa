/**
 * A digest of a member table: what push-pull compares before sending any state (issue 11). Two members
 * whose tables hold the same (id, incarnation, state) for every member have the same digest, whatever
 * order they learnt them in (a sum of per-entry hashes), so an idle cluster's periodic push-pull is one
 * small frame each way instead of the whole table both ways — bytes per member no longer grow with N.
 *
 * Meta and signatures are not hashed: they change only with the incarnation. 64 bits: equal digests of
 * different tables are a 2⁻⁶⁴ accident (which would postpone that pair's repair to their next exchange
 * with anyone else); a hostile peer could fake equality, but it could as well stay silent.
 */
import type { PeerId } from '../core/transport.js'
import { WIRE_STATE } from './member.js'
import type { MemberState } from './member.js'

export const DIGEST_BYTES = 8

/** Accumulates entries; `bytes()` is the digest. */
export class StateDigest {
  private a = 0
  private b = 0

  add (id: PeerId, incarnation: number, state: MemberState): void {
    let x = 0x811c9dc5
    let y = 0x01000193 ^ incarnation
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i)
      x = Math.imul(x ^ c, 0x01000193)
      y = Math.imul(y ^ c, 0x5bd1e995)
    }
    x = mix(x ^ incarnation ^ (WIRE_STATE[state] << 28))
    y = mix(y ^ WIRE_STATE[state])
    this.a = (this.a + x) >>> 0
    this.b = (this.b + y) >>> 0
  }

  bytes (): Uint8Array {
    const out = new Uint8Array(DIGEST_BYTES)
    const view = new DataView(out.buffer)
    view.setUint32(0, this.a)
    view.setUint32(4, this.b)
    return out
  }
}

export function sameDigest (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function mix (h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}
