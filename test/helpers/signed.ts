/** Member records signed the way a member signs its own (src/membership/signing.ts), with simulator keys. */
import type { MemberMeta, MemberUpdate } from '../../src/membership/member.js'
import { recordPayload } from '../../src/membership/signing.js'
import type { SimNetwork } from '../../src/sim/network.js'

/** `id`'s own alive record, signed with `id`'s simulator key (a member with that identity, real or minted). */
export function signedAlive (network: SimNetwork, id: string, incarnation: number, meta: MemberMeta = { name: id, addrs: [], tags: {} }): MemberUpdate {
  const signature = network.keys?.signer(id).sign(recordPayload('alive', id, incarnation, meta))
  const u = { state: 'alive' as const, id, incarnation, from: '', meta }
  return signature === undefined ? u : { ...u, signature }
}

/** `id`'s own left record, signed with `id`'s simulator key. */
export function signedLeft (network: SimNetwork, id: string, incarnation: number, meta: MemberMeta = { name: id, addrs: [], tags: {} }): MemberUpdate {
  const signature = network.keys?.signer(id).sign(recordPayload('left', id, incarnation, meta))
  const u = { state: 'left' as const, id, incarnation, from: id, meta }
  return signature === undefined ? u : { ...u, signature }
}
