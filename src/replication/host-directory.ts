/**
 * Who hosts which doc, as learned from the sync handshake: a Digests listing says what its sender hosts,
 * a DigestsReply says which of the listed docs the responder hosts (and some others), a pushed update says
 * its sender hosts that doc. Pushes, forwards, flushes and targeted fetches go to hosts found here.
 *
 * Each host is also marked open or not: whether the app holds the doc open there (an editor, a y-websocket
 * room, `peer.open`), as its pushes and plain listings say (`open` on the wire). Most hosts of a doc in a
 * large mesh hold a copy only because they wrote or read it over HTTP; in a mesh beyond pushAllMaxHosts
 * writes are pushed to the homes and the open hosts only (push.ts), the other copies being kept current by
 * their reads' repairs and anti-entropy. A host is not open until it says so; what a message does not say
 * (a sync step, a hint, an update from a peer from before the mark) leaves the mark as it was. A plain
 * listing from such a peer marks its docs open, as it got pushes of them before.
 *
 * Bounded: at most `maxTrackedDocs` docs (docs this peer does not host are forgotten first, oldest first)
 * and `maxHostsPerDoc` hosts per doc (the least recently confirmed are forgotten first). Docs this peer
 * holds are never forgotten for the bound, and are not scanned to find one to forget: they are bounded by
 * maxDocs, not by maxTrackedDocs, and a peer holding 10,000 tracked docs spent ~1 s of its event loop on
 * one listing page of 4,096 invented names from a member (each new name scanned every held doc). Liveness is not
 * tracked here: callers filter with the membership's alive set, and `prune` drops peers that are gone.
 */
import type { PeerId } from '../core/transport.js'

interface Listing {
  session: number
  pages: number
  seen: Set<number>
  /** The docs listed so far that are still tracked for the peer (remove() takes them out): bounded by the directory. */
  docs: Set<string>
}

export class HostDirectory {
  /** doc → hosts (→ whether the app holds it open there), each in least-recently-confirmed-first order (Map insertion order). */
  private readonly byDoc = new Map<string, Map<PeerId, boolean>>()
  private readonly byPeer = new Map<PeerId, Set<string>>()
  /** Tracked docs not held here when last looked at, oldest first: the ones the bound forgets. */
  private readonly evictable = new Set<string>()
  /** Full listings being received page by page: replace the peer's set once all pages arrived. */
  private readonly listings = new Map<PeerId, Listing>()

  constructor (
    private readonly maxTrackedDocs: number,
    private readonly maxHostsPerDoc: number,
    private readonly isLocal: (doc: string) => boolean
  ) {}

  get trackedDocs (): number {
    return this.byDoc.size
  }

  /** Names held for full listings under way (every page not yet arrived). */
  get listingDocs (): number {
    let n = 0
    for (const l of this.listings.values()) n += l.docs.size
    return n
  }

  /** `peer` hosts `doc` (refreshes the entry); `open`: whether it holds it open, if said (else as it was; new: not open). */
  add (peer: PeerId, doc: string, open?: boolean): void {
    let hosts = this.byDoc.get(doc)
    if (hosts === undefined) {
      this.evictOneDoc()
      hosts = new Map()
      this.byDoc.set(doc, hosts)
      if (!this.isLocal(doc)) this.evictable.add(doc)
    } else if (!this.evictable.has(doc) && !this.isLocal(doc)) {
      this.evictable.add(doc) // held here until lately (handed over): forgettable again
    }
    const was = hosts.get(peer) ?? false
    hosts.delete(peer)
    hosts.set(peer, open ?? was)
    if (hosts.size > this.maxHostsPerDoc) {
      const oldest = hosts.keys().next().value as PeerId
      this.remove(oldest, doc)
    }
    let docs = this.byPeer.get(peer)
    if (docs === undefined) {
      docs = new Set()
      this.byPeer.set(peer, docs)
    }
    docs.add(doc)
  }

  /** `peer` does not host `doc` (any more). */
  remove (peer: PeerId, doc: string): void {
    const hosts = this.byDoc.get(doc)
    if (hosts !== undefined) {
      hosts.delete(peer)
      if (hosts.size === 0) {
        this.byDoc.delete(doc)
        this.evictable.delete(doc)
      }
    }
    const docs = this.byPeer.get(peer)
    if (docs !== undefined) {
      docs.delete(doc)
      if (docs.size === 0) this.byPeer.delete(peer)
    }
    this.listings.get(peer)?.docs.delete(doc)
  }

  /**
   * One page of a full listing of `peer`'s docs. Adds them at once; when every page of the session has
   * arrived, forgets the docs the listing did not contain (the peer closed them). Only names still tracked
   * are remembered for that: a member sending 63 of 64 pages of 4,096 invented 256-character names left
   * ~100 MB of them held here until it listed again.
   */
  notePage (peer: PeerId, session: number, page: number, pages: number, docs: readonly string[], open?: (i: number) => boolean): void {
    docs.forEach((d, i) => { this.add(peer, d, open?.(i)) })
    let l = this.listings.get(peer)
    if (l === undefined || l.session !== session) {
      l = { session, pages, seen: new Set(), docs: new Set() }
      this.listings.set(peer, l)
    }
    if (l.pages !== pages) return
    l.seen.add(page)
    const tracked = this.byPeer.get(peer)
    if (tracked !== undefined) for (const d of docs) if (tracked.has(d)) l.docs.add(d)
    if (l.seen.size < l.pages) return
    this.listings.delete(peer)
    for (const d of [...this.byPeer.get(peer) ?? []]) if (!l.docs.has(d)) this.remove(peer, d)
  }

  /** Hosts of `doc` among `alive`, minus `exclude`. */
  hostsOf (doc: string, alive: Pick<ReadonlySet<PeerId>, 'has'>, exclude?: PeerId): PeerId[] {
    const hosts = this.byDoc.get(doc)
    if (hosts === undefined) return []
    const out: PeerId[] = []
    for (const p of hosts.keys()) if (p !== exclude && alive.has(p)) out.push(p)
    return out
  }

  /** Hosts of `doc` among `alive` that hold it open, minus `exclude`. */
  openHostsOf (doc: string, alive: Pick<ReadonlySet<PeerId>, 'has'>, exclude?: PeerId): PeerId[] {
    const hosts = this.byDoc.get(doc)
    if (hosts === undefined) return []
    const out: PeerId[] = []
    for (const [p, open] of hosts) if (open && p !== exclude && alive.has(p)) out.push(p)
    return out
  }

  /** Whether any host of `doc` is marked open (alive or not): O(hosts of the doc), no allocation. */
  hasOpenHost (doc: string): boolean {
    for (const open of this.byDoc.get(doc)?.values() ?? []) if (open) return true
    return false
  }

  /** Whether `peer` is known to host `doc`. */
  hosts (peer: PeerId, doc: string): boolean {
    return this.byDoc.get(doc)?.has(peer) === true
  }

  /** Alive peers known to host at least one of `docs`. */
  coHosts (docs: Iterable<string>, alive: ReadonlySet<PeerId>): PeerId[] {
    const out = new Set<PeerId>()
    for (const d of docs) for (const p of this.byDoc.get(d)?.keys() ?? []) if (alive.has(p)) out.add(p)
    return [...out]
  }

  /** Forgets every peer not in `alive` (dead, left or forgotten by membership). */
  prune (alive: ReadonlySet<PeerId>): void {
    for (const peer of [...this.byPeer.keys()]) if (!alive.has(peer)) this.forgetPeer(peer)
    for (const peer of [...this.listings.keys()]) if (!alive.has(peer)) this.listings.delete(peer)
  }

  forgetPeer (peer: PeerId): void {
    for (const d of [...this.byPeer.get(peer) ?? []]) this.remove(peer, d)
    this.listings.delete(peer)
  }

  private evictOneDoc (): void {
    if (this.byDoc.size < this.maxTrackedDocs) return
    // Oldest first among docs we do not host. One held here since it was tracked leaves the candidates
    // (once: so each add costs O(1) amortised); the docs we hold are bounded by maxDocs.
    for (const doc of this.evictable) {
      this.evictable.delete(doc)
      if (this.isLocal(doc)) continue
      for (const p of [...this.byDoc.get(doc)?.keys() ?? []]) this.remove(p, doc)
      return
    }
  }
}
