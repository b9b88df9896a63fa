/**
 * Closed connections and forgotten links, kept for reuse (issue 11). At N = 1,000 each member keeps 64
 * connections and probes a random member every second, so about a thousand connections a second are
 * dialled and as many pruned: each a SimConnection and two OutLinks (with their queues, wire arrays and
 * events) that lived about a minute — long enough to be promoted to the old heap, where they piled up as
 * garbage for the full collections. Reused, they are allocated once.
 *
 * Reuse must not be visible: a reused object is reset to exactly what a new one would hold, and only an
 * object nothing else refers to is reused. Objects are released during an event and become spare only
 * at its end (`settle`), when no caller up the stack still holds one, and only if, by then:
 * - a connection was opened (the dial's scheduled steps have all run: each chain ends in the open) and is
 *   closed, out of both nodes' tables;
 * - a link is out of its node's table, with nothing queued, in flight, scheduled, awaiting its pump, and
 *   no closure holding it (`captured`: a frame delayed by a stall, a replay).
 * Anything else is simply left to the garbage collector, as before.
 */
import type { Channel } from '../core/transport.js'
import type { QueueLimits } from '../core/frame-queue.js'
import { OutLink } from './link.js'
import type { LinkHost } from './link.js'
import { SimConnection } from './node.js'
import type { SimNode } from './node.js'

/** Spares kept at most, of each kind (a node's budget of connections times a few nodes' worth of churn). */
const MAX_SPARES = 4096

export class Spares {
  // Released during the current event: the first `released…Count` of each array (kept, not emptied with
  // `length = 0`, which drops an array's store: a new one for every event that closed a connection).
  private readonly releasedLinks: OutLink[] = []
  private releasedLinkCount = 0
  private readonly releasedConnections: SimConnection[] = []
  private releasedConnectionCount = 0
  private readonly links: OutLink[] = []
  private readonly connections: SimConnection[] = []

  constructor (private readonly limits: Readonly<Record<Channel, QueueLimits>>, private readonly host: LinkHost) {}

  /** A link from `from` to `to`: a spare one reset, else a new one. */
  link (from: SimNode, to: SimNode): OutLink {
    const spare = this.links.pop()
    if (spare === undefined) return new OutLink(from, to, this.limits, this.host)
    spare.reuse(from, to)
    return spare
  }

  /** A new dial from `a` to `b`: a spare connection reset, else a new one. */
  connection (a: SimNode, b: SimNode, now: number, serial: number): SimConnection {
    const spare = this.connections.pop()
    if (spare === undefined) return new SimConnection(a, b, now, serial)
    spare.reuse(a, b, now, serial)
    return spare
  }

  /** `link` was forgotten by its node: a spare at the end of the event if nothing holds it by then. */
  releaseLink (link: OutLink): void {
    this.releasedLinks[this.releasedLinkCount++] = link
  }

  /** `conn` closed: a spare at the end of the event if it had opened. */
  releaseConnection (conn: SimConnection): void {
    if (conn.opened) this.releasedConnections[this.releasedConnectionCount++] = conn
  }

  /** The end of an event: what was released during it and is free becomes spare. */
  settle (): void {
    if (this.releasedLinkCount > 0) {
      for (let i = 0; i < this.releasedLinkCount; i++) {
        const link = this.releasedLinks[i] as OutLink
        if (this.links.length < MAX_SPARES && free(link)) this.links.push(link)
      }
      this.releasedLinkCount = 0
    }
    if (this.releasedConnectionCount > 0) {
      for (let i = 0; i < this.releasedConnectionCount; i++) {
        const conn = this.releasedConnections[i] as SimConnection
        if (this.connections.length < MAX_SPARES && conn.state === 'closed' && !conn.listedA && !conn.listedB &&
            !conn.a.dialsUnderWay.includes(conn)) this.connections.push(conn)
      }
      this.releasedConnectionCount = 0
    }
  }
}

function free (link: OutLink): boolean {
  return !link.listed && link.conn === undefined && link.captured === 0 && link.queuedFrames === 0 &&
    link.inFlight === 0 && !link.pumpEvent.queued && !link.arrivalEvent.queued && !link.pumpDeferred
}
