/**
 * Which members use another R (`--replicas`) than this peer. Peers that disagree on R disagree on every
 * doc's homes: nothing is lost (a copy off its homes is kept until R homes hold it), but copies move back
 * and forth and their shared rounds never find equal sets. Each peer says its R in its anti-entropy
 * summaries, which reach every member in turn; this remembers the members that said another one, and logs
 * one line when a member starts or stops disagreeing. What a member says changes nothing else.
 */
import type { Logger } from '../core/logger.js'
import type { PeerId } from '../core/transport.js'

export class ReplicasAgreement {
  /** Member → the R it said, for members whose R differs from ours. Insertion order: oldest first. */
  private readonly differing = new Map<PeerId, number>()

  constructor (
    private readonly replicas: number,
    private readonly log: Logger,
    /** At most this many members remembered (the oldest forgotten first). */
    private readonly maxEntries: number
  ) {}

  /** `peer` said its R is `replicas`. */
  note (peer: PeerId, replicas: number): void {
    const known = this.differing.get(peer)
    if (replicas === this.replicas) {
      if (known === undefined) return
      this.differing.delete(peer)
      this.log.info('a member now uses the same --replicas as this peer', { peer, replicas })
      return
    }
    if (known === replicas) return
    this.differing.delete(peer)
    if (this.differing.size >= this.maxEntries) {
      const oldest = this.differing.keys().next().value
      if (oldest !== undefined) this.differing.delete(oldest)
    }
    this.differing.set(peer, replicas)
    this.log.warn('a member uses another --replicas than this peer: the two place documents on different homes, and copies move back and forth until every peer uses the same value', {
      peer, theirs: replicas, ours: this.replicas
    })
  }

  /** `peer` is no longer a member. */
  forget (peer: PeerId): void {
    this.differing.delete(peer)
  }

  /** Members known to use another R, each with the R it said. */
  disagreeing (): Record<PeerId, number> {
    return Object.fromEntries(this.differing)
  }

  get size (): number {
    return this.differing.size
  }
}
