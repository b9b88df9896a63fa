/**
 * Replication backs off from a peer it could not reach (issue 14). A sync frame to a peer with no open
 * connection makes the transport dial; if the dial fails (a handshake past its deadline at an overloaded
 * peer, a refused connection), the next frame dials again — and after a heal every write of a peer pushes
 * to the doc's homes, four batches a second. In the simulated 50-peer heal (test/sim/heal-storm.test.ts,
 * 12 | 38, CPU modelled) minority peers dialled the soak doc's homes — the peers every write already reaches,
 * the busiest of the mesh — up to four times each, every dial past its deadline, each adding to the load
 * that made it late. So after a failed dial, frames to that peer that would need a new dial are dropped for
 * a while (1 s, doubling to 8 s, ±25 %): pushes and listings are repaired by anti-entropy, which is what
 * happens to a frame whose dial fails anyway. A frame over a connection that exists (the peer dialled us)
 * still goes; the back-off ends when a connection to the peer opens or membership sees it come alive.
 */
import type { Random } from '../core/random.js'
import type { PeerId } from '../core/transport.js'

export const DIAL_BACKOFF_FIRST_MS = 1_000
export const DIAL_BACKOFF_MAX_MS = 8_000

interface Entry {
  failures: number
  until: number
}

export class DialBackoff {
  private readonly peers = new Map<PeerId, Entry>()

  constructor (private readonly now: () => number, private readonly random: Random) {}

  /** A dial to `peer` failed: hold back new dials to it for the next step of the back-off. */
  failed (peer: PeerId): void {
    const e = this.peers.get(peer) ?? { failures: 0, until: 0 }
    e.failures++
    const base = Math.min(DIAL_BACKOFF_MAX_MS, DIAL_BACKOFF_FIRST_MS * 2 ** (e.failures - 1))
    e.until = this.now() + base * (0.75 + 0.5 * this.random.next())
    this.peers.set(peer, e)
  }

  /** A connection to `peer` opened, or it came alive: dial it freely again. */
  reset (peer: PeerId): void {
    this.peers.delete(peer)
  }

  /** Whether a frame to `peer` that needs a dial should be held back now. */
  holds (peer: PeerId): boolean {
    const e = this.peers.get(peer)
    if (e === undefined) return false
    // Entries stay after `until` so that the next failure backs off longer; a connection or an alive resets them.
    return this.now() < e.until
  }

  clear (): void {
    this.peers.clear()
  }
}
