/**
 * Digests of states this peer holds durably, or a superset of: its own earlier durable digests of a doc
 * (a CRDT state only grows, so the store still holds everything it held then), and the digests peers
 * listed for a doc whose diff this peer then applied and made durable (their state at the listing is in
 * that diff: a diff against our vector carries every struct we lacked and their whole delete set).
 *
 * Why: a guest hands its copy over by listing its durable digest to each home, and drops it once every
 * home answered that it holds that state. A home that already took the same updates from another peer (a
 * co-home after a heal, or a second guest with the same copy) has a different digest, and each such guest
 * cost one more exchange of vectors only to learn what the home could tell from the digest alone — after
 * a 2 | 3 heal in the placement benchmark, more exchanges than the ones that moved anything.
 *
 * Bounded: `maxDocs` docs (least recently noted forgotten first), PER_DOC digests per doc (oldest first).
 * Forgetting is always safe: the guest then syncs, as without this.
 */
import { WIRE_DIGEST_BYTES } from './version-vector.js'
import { equalBytes } from './summary.js'

const PER_DOC = 4

export class CoveredDigests {
  private readonly docs = new Map<string, Uint8Array[]>()

  constructor (private readonly maxDocs: number) {}

  get size (): number {
    return this.docs.size
  }

  /** This peer durably holds at least the state whose digest is `digest` (its first WIRE_DIGEST_BYTES count). */
  add (doc: string, digest: Uint8Array): void {
    const wire = digest.slice(0, WIRE_DIGEST_BYTES)
    const list = this.docs.get(doc) ?? []
    this.docs.delete(doc)
    if (!list.some(d => equalBytes(d, wire))) {
      list.push(wire)
      if (list.length > PER_DOC) list.shift()
    }
    this.docs.set(doc, list)
    if (this.docs.size > this.maxDocs) this.docs.delete(this.docs.keys().next().value as string)
  }

  has (doc: string, digest: Uint8Array): boolean {
    return this.docs.get(doc)?.some(d => equalBytes(d, digest)) === true
  }

  /** The digests noted for `doc`, oldest first. */
  digestsOf (doc: string): readonly Uint8Array[] {
    return this.docs.get(doc) ?? []
  }

  forget (doc: string): void {
    this.docs.delete(doc)
  }

  clear (): void {
    this.docs.clear()
  }
}
