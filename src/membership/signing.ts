/**
 * Members sign their own records. Gossip is relayed by every member, so a relayed `alive` or `left` could
 * otherwise be a forgery by the relay: one forged `left` made every member list a live member as gone, a
 * forged `alive` could revive a member that left, keep refuting the suspicion of a crashed one, or burn a
 * member's incarnations up to 2³² − 1 so that it could never refute again (issue 10, defects 2 and 5).
 *
 * What is signed is the member's own word: its state as it announces it (alive or left), id, incarnation
 * and self-description. Accusations (suspect, dead) are other members' opinions and stay unsigned; they
 * can never raise the incarnation we hold for a member (member-table.ts), so only the member itself moves
 * its incarnation, one signed record at a time.
 *
 * A signature says who wrote a record, not when: every relay holds a copy it can send again. An old copy
 * is refused by every peer that holds or remembers a newer record of its member — including one it forgot
 * long ago (forgotten.ts).
 */
import { TokenBucket } from '../core/rate-limit.js'
import type { RateSpec } from '../core/rate-limit.js'
import type { PeerSigner } from '../core/signer.js'
import type { PeerId } from '../core/transport.js'
import type { MemberMeta, MemberUpdate } from './member.js'

/** The states a member announces about itself, which it signs. */
export type SignedState = 'alive' | 'left'

const DOMAIN = 'murmur/member-record/1'
const encoder = new TextEncoder()
/** Reused for every payload (built and copied out synchronously): one allocation per record, not one per field. */
let scratch = new Uint8Array(2048)

/**
 * The signed bytes: a domain tag, then state, id, incarnation and meta, each part as a 4-byte length and
 * its bytes, tags sorted by key, so that any relay re-encoding the record reproduces them exactly.
 */
export function recordPayload (state: SignedState, id: PeerId, incarnation: number, meta: MemberMeta | undefined): Uint8Array {
  // An upper bound: 4 bytes of length per part, at most 3 UTF-8 bytes per UTF-16 unit.
  let bound = 4 * 4 + 3 * (DOMAIN.length + id.length) + 1 + 4
  const keys = meta === undefined ? [] : Object.keys(meta.tags).sort()
  if (meta !== undefined) {
    bound += 4 * 3 + 3 * meta.name.length + 2
    for (const a of meta.addrs) bound += 4 + 3 * a.length
    for (const k of keys) bound += 8 + 3 * (k.length + (meta.tags[k] ?? '').length)
  }
  if (scratch.length < bound) scratch = new Uint8Array(2 * bound)
  const buf = scratch
  const view = new DataView(buf.buffer)
  let at = 0
  const text = (s: string): void => {
    const { written } = encoder.encodeInto(s, buf.subarray(at + 4))
    view.setUint32(at, written)
    at += 4 + written
  }
  const byte = (b: number): void => {
    view.setUint32(at, 1)
    buf[at + 4] = b
    at += 5
  }
  text(DOMAIN)
  byte(state === 'alive' ? 1 : 2)
  text(id)
  view.setUint32(at, 4)
  view.setUint32(at + 4, incarnation)
  at += 8
  if (meta !== undefined) {
    text(meta.name)
    byte(meta.addrs.length)
    for (const a of meta.addrs) text(a)
    byte(keys.length)
    for (const k of keys) {
      text(k)
      text(meta.tags[k] ?? '')
    }
  }
  return buf.slice(0, at)
}

/** A record's check: signed by its member, not, or not checked (the sender's verification budget is spent). */
export type Verdict = 'valid' | 'invalid' | 'unchecked'

/**
 * Signature checks per sender: a burst that covers a whole state (a join's push-pull at the 16,384-member
 * table limit), then 1,000 a second. An Ed25519 check costs ~50–100 µs, so without it a peer streaming
 * forged records at its inbound byte rate (~7,000 a second) would spend most of our CPU.
 */
export const VERIFY_PER_SENDER: Readonly<RateSpec> = { ratePerSec: 1_000, burst: 20_000 }
/** Senders whose budget we track; past it the map starts over. */
const MAX_VERIFY_TRACKED = 4096

/** Signs our own records and checks others'; without a PeerSigner every record passes (unauthenticated). */
export class RecordSigner {
  private readonly budgets = new Map<PeerId, TokenBucket>()
  private sender: PeerId | undefined

  constructor (private readonly signer: PeerSigner | undefined, private readonly now: () => number = () => 0) {}

  /** Whether records are checked at all (the transport has a signer). */
  get authenticated (): boolean {
    return this.signer !== undefined
  }

  /** Charges the checks that follow to `sender` (the peer whose frame is being handled), until cleared. */
  setSender (sender: PeerId | undefined): void {
    this.sender = sender
  }

  sign (state: SignedState, id: PeerId, incarnation: number, meta: MemberMeta): Uint8Array | undefined {
    return this.signer?.sign(recordPayload(state, id, incarnation, meta))
  }

  /**
   * Whether `u` carries `u.id`'s own signature of (`state`, id, incarnation, meta): for an alive or left
   * update its own state; for a suspect or dead entry of a push-pull, the alive record behind it.
   */
  verify (u: MemberUpdate, state: SignedState): Verdict {
    if (this.signer === undefined) return 'valid'
    if (u.signature === undefined) return 'invalid'
    if (this.sender !== undefined && !this.budget(this.sender).take(this.now())) return 'unchecked'
    return this.signer.verify(u.id, recordPayload(state, u.id, u.incarnation, u.meta), u.signature) ? 'valid' : 'invalid'
  }

  private budget (sender: PeerId): TokenBucket {
    let bucket = this.budgets.get(sender)
    if (bucket === undefined) {
      if (this.budgets.size >= MAX_VERIFY_TRACKED) this.budgets.clear()
      bucket = new TokenBucket(VERIFY_PER_SENDER, this.now())
      this.budgets.set(sender, bucket)
    }
    return bucket
  }
}
