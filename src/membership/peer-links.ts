/**
 * What membership knows of its connections, from the transport's events: the peers with an open connection
 * (a set that is also a dense array, for random picks, exactly as IdSet: add appends, delete moves the
 * last into the hole), and when our last connection to a peer closed (oldest first, at most `maxLost`).
 *
 * One map for both (issue 11): at N = 1,000 with a 64-connection budget, a member opens about one
 * connection a second and closes about two, and each event updated two maps keyed by peer id, three ids'
 * entries for a close (the connected set's index of the closed peer and of the one moved into its hole,
 * and the lost time). A lookup in a map of a thousand ids in each of a thousand members is a few cache
 * misses; here an event is one lookup, and the peer moved into the hole is reached by its slot.
 *
 * The order of the lost times is that of a Map whose entry is deleted and set again at each close (the
 * oldest one is forgotten first): each lost time has a stamp, in the order they were recorded. The oldest
 * is needed only at the cap, so the order is kept (a log of (entry, stamp), read lazily, compacted when
 * mostly stale) only from the first time the cap is reached until the lost times fall to half of it:
 * far below it, as at N = 1,000 with a cap of maxMembers (16,384), a close costs no log entry.
 */
import type { PeerId } from '../core/transport.js'

interface PeerLink {
  readonly id: PeerId
  /** Position in the list of connected peers; −1 while not connected. */
  slot: number
  /** When our last connection to it closed; undefined when not known (connected since, or never lost). */
  lostAt: number | undefined
  /** Stamp of the lost time in the log (the log's entries with another stamp are stale). */
  lostStamp: number
}

export class PeerLinks {
  private readonly entries = new Map<PeerId, PeerLink>()
  private readonly connectedList: PeerLink[] = []
  /**
   * While `ordered`: every lost time in the order they were recorded (and stale entries: an entry is
   * current while its stamp is its link's `lostStamp`).
   */
  private ordered = false
  private logLinks: PeerLink[] = []
  private logStamps: number[] = []
  private logHead = 0
  private lostCount = 0
  private nextStamp = 0

  /** `maxLost`: lost times kept at most (the oldest one goes first). */
  constructor (private readonly maxLost: () => number) {}

  // ── connected peers ─────────────────────────────────────────────────────────────────────────────

  get connectedCount (): number {
    return this.connectedList.length
  }

  /** The connected peer at position `i` (0 ≤ i < connectedCount). */
  connectedAt (i: number): PeerId {
    return (this.connectedList[i] as PeerLink).id
  }

  isConnected (id: PeerId): boolean {
    const link = this.entries.get(id)
    return link !== undefined && link.slot >= 0
  }

  /** A connection to `id` is open (appended to the list if not there). */
  addConnected (id: PeerId): void {
    this.connect(this.entry(id))
  }

  /**
   * A connection to `id` opened: it is connected, and its lost time is forgotten (the transport's
   * `connected`): addConnected and forgetLost in one lookup.
   */
  opened (id: PeerId): void {
    const link = this.entry(id)
    this.connect(link)
    this.unlose(link)
  }

  /**
   * Our last connection to `id` closed at `now` (the transport's `disconnected`): no longer connected, and
   * its lost time is `now`, the newest.
   */
  closed (id: PeerId, now: number): void {
    let link = this.entries.get(id)
    if (link !== undefined) {
      // Kept in the map (not dropIfEmpty): it is lost from now on.
      this.unlist(link)
      if (link.lostAt !== undefined) {
        link.lostAt = undefined
        link.lostStamp = -1
        this.lostCount--
      }
    }
    if (this.lostCount >= this.maxLost()) this.forgetOldest()
    if (link === undefined) {
      link = { id, slot: -1, lostAt: undefined, lostStamp: -1 }
      this.entries.set(id, link)
    }
    link.lostAt = now
    link.lostStamp = this.nextStamp++
    this.lostCount++
    if (this.ordered) this.log(link)
  }

  // ── lost times ──────────────────────────────────────────────────────────────────────────────────

  /** When our last connection to `id` closed, if it is remembered. */
  lostAt (id: PeerId): number | undefined {
    return this.entries.get(id)?.lostAt
  }

  /** Forgets when our connection to `id` closed. */
  forgetLost (id: PeerId): void {
    const link = this.entries.get(id)
    if (link !== undefined) this.unlose(link)
  }

  clear (): void {
    this.entries.clear()
    this.connectedList.length = 0
    this.ordered = false
    this.logLinks = []
    this.logStamps = []
    this.logHead = 0
    this.lostCount = 0
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────────

  private entry (id: PeerId): PeerLink {
    let link = this.entries.get(id)
    if (link === undefined) {
      link = { id, slot: -1, lostAt: undefined, lostStamp: -1 }
      this.entries.set(id, link)
    }
    return link
  }

  private connect (link: PeerLink): void {
    if (link.slot >= 0) return
    link.slot = this.connectedList.length
    this.connectedList.push(link)
  }

  /** Takes `link` out of the connected list: the last one moves into its place. */
  private unlist (link: PeerLink): void {
    const i = link.slot
    if (i < 0) return
    link.slot = -1
    const last = this.connectedList.pop() as PeerLink
    if (i < this.connectedList.length) {
      this.connectedList[i] = last
      last.slot = i
    }
  }

  /** Forgets the lost time of `link` (its log entry becomes stale). */
  private unlose (link: PeerLink): void {
    if (link.lostAt === undefined) return
    link.lostAt = undefined
    link.lostStamp = -1
    this.lostCount--
    this.dropIfEmpty(link)
    // Far below the cap again: the order is not kept (it is rebuilt if the cap is reached again).
    if (this.ordered && this.lostCount < this.maxLost() / 2) this.dropLog()
  }

  /** An entry neither connected nor lost is forgotten (the two maps it stands for held nothing of it). */
  private dropIfEmpty (link: PeerLink): void {
    if (link.slot < 0 && link.lostAt === undefined) this.entries.delete(link.id)
  }

  private log (link: PeerLink): void {
    this.logLinks.push(link)
    this.logStamps.push(link.lostStamp)
    // Mostly stale entries: keep the current ones, in order.
    if (this.logLinks.length - this.logHead > 2 * this.lostCount + 64) this.compact()
  }

  private forgetOldest (): void {
    if (!this.ordered) this.buildLog()
    while (this.logHead < this.logLinks.length) {
      const link = this.logLinks[this.logHead] as PeerLink
      const stamp = this.logStamps[this.logHead] as number
      this.logHead++
      if (link.lostStamp === stamp) {
        this.unlose(link)
        return
      }
    }
  }

  /** Starts keeping the order: the lost times by stamp. */
  private buildLog (): void {
    const lost: PeerLink[] = []
    for (const link of this.entries.values()) if (link.lostAt !== undefined) lost.push(link)
    lost.sort((x, y) => x.lostStamp - y.lostStamp)
    this.logLinks = lost
    this.logStamps = lost.map(link => link.lostStamp)
    this.logHead = 0
    this.ordered = true
  }

  private dropLog (): void {
    this.ordered = false
    this.logLinks = []
    this.logStamps = []
    this.logHead = 0
  }

  private compact (): void {
    const links: PeerLink[] = []
    const stamps: number[] = []
    for (let i = this.logHead; i < this.logLinks.length; i++) {
      const link = this.logLinks[i] as PeerLink
      const stamp = this.logStamps[i] as number
      if (link.lostStamp === stamp) {
        links.push(link)
        stamps.push(stamp)
      }
    }
    this.logLinks = links
    this.logStamps = stamps
    this.logHead = 0
  }
}
