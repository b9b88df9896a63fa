/**
 * Evidence that other peers hold a doc: for each doc this peer holds as a guest, which peers confirmed
 * holding the exact state this peer has stored (by digest), and whether their store is durable. Collected
 * by anti-entropy (handoff rounds: an equal digest, or step 3 after the peer's store took our diff), read
 * by the rebalancer before it drops a copy. A confirmation of an older digest is worthless once the doc
 * changed here; it is simply replaced by the next one.
 *
 * When each confirmation came is kept too: a home that confirmed an earlier state of a doc lately is known
 * to take this peer's rounds, which the rebalancer uses to space out the handoffs of a doc that keeps changing.
 *
 * Bounded: at most `maxDocs` docs (oldest forgotten first) and one entry per (doc, peer).
 */
import type { PeerId } from '../core/transport.js'
import { equalBytes } from './summary.js'

interface Confirmation {
  readonly digest: Uint8Array
  readonly durable: boolean
  /** When it was noted (the clock's ms). */
  readonly at: number
}

export class Confirmations {
  private readonly docs = new Map<string, Map<PeerId, Confirmation>>()

  constructor (private readonly maxDocs: number, private readonly now: () => number) {}

  get size (): number {
    return this.docs.size
  }

  note (doc: string, peer: PeerId, digest: Uint8Array, durable: boolean): void {
    let peers = this.docs.get(doc)
    if (peers === undefined) {
      if (this.docs.size >= this.maxDocs) this.docs.delete(this.docs.keys().next().value as string)
      peers = new Map()
      this.docs.set(doc, peers)
    }
    peers.set(peer, { digest, durable, at: this.now() })
  }

  /** Whether `peer` confirmed holding exactly `digest` of `doc` (durably, if `durable` is asked for). */
  holds (doc: string, peer: PeerId, digest: Uint8Array, durable: boolean): boolean {
    const c = this.docs.get(doc)?.get(peer)
    return c !== undefined && (c.durable || !durable) && equalBytes(c.digest, digest)
  }

  /** Whether `peer` confirmed holding some state of `doc` (durably, if asked) at `since` or later. */
  confirmedSince (doc: string, peer: PeerId, since: number, durable: boolean): boolean {
    const c = this.docs.get(doc)?.get(peer)
    return c !== undefined && (c.durable || !durable) && c.at >= since
  }

  forget (doc: string): void {
    this.docs.delete(doc)
  }

  clear (): void {
    this.docs.clear()
  }
}
