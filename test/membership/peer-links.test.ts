/**
 * PeerLinks (src/membership/peer-links.ts) against what it replaced in Membership: an IdSet of connected
 * peers and a Map of lost times (delete, then evict the oldest at the cap, then set). Same answers, same
 * order of the connected list (gossip draws from it by position), same evictions, for random sequences
 * of the transport's events.
 */
import { describe, expect, test } from 'vitest'
import { SeededRandom } from '../../src/core/random.js'
import { IdSet } from '../../src/membership/id-set.js'
import { PeerLinks } from '../../src/membership/peer-links.js'

/** Membership's code before PeerLinks, verbatim in what it did. */
class Reference {
  readonly connected = new IdSet()
  readonly lostAt = new Map<string, number>()
  constructor (private readonly maxLost: number) {}

  opened (id: string): void {
    this.connected.add(id)
    this.lostAt.delete(id)
  }

  closed (id: string, now: number): void {
    this.connected.delete(id)
    this.lostAt.delete(id)
    if (this.lostAt.size >= this.maxLost) {
      const oldest = this.lostAt.keys().next().value
      if (oldest !== undefined) this.lostAt.delete(oldest)
    }
    this.lostAt.set(id, now)
  }
}

function connectedList (links: PeerLinks): string[] {
  return Array.from({ length: links.connectedCount }, (_, i) => links.connectedAt(i))
}

describe('PeerLinks', () => {
  // The last two swing between phases of mostly closes and mostly opens: the order of the lost times is
  // kept from the cap down to half of it, then rebuilt at the cap again.
  test.each([
    [1, 5, 1], [2, 30, 3], [3, 30, 1000], [4, 200, 20], [5, 8, 0], [6, 80, 40], [7, 300, 100]
  ])('seed %i: %i peers, at most %i lost times: the same as an IdSet and a Map', (seed, peers, maxLost) => {
    const random = new SeededRandom(seed)
    const links = new PeerLinks(() => maxLost)
    const ref = new Reference(maxLost)
    const ids = Array.from({ length: peers }, (_, i) => `p${i}`)
    for (let step = 0; step < 20_000; step++) {
      const id = ids[random.int(ids.length)] as string
      // Phases of 1,000 steps: as many opens as closes, then mostly closes, then mostly opens.
      const phase = Math.floor(step / 1000) % 3
      const op = phase === 0 ? random.int(10) : phase === 1 ? 4 + random.int(6) : random.int(10) < 7 ? 0 : 4 + random.int(6)
      if (op < 4) {
        links.opened(id)
        ref.opened(id)
      } else if (op < 8) {
        links.closed(id, step)
        ref.closed(id, step)
      } else if (op === 8) {
        // Gossip found it connected (addConnected), or checkRefusal forgot its lost time.
        links.addConnected(id)
        ref.connected.add(id)
      } else {
        links.forgetLost(id)
        ref.lostAt.delete(id)
      }
      expect(links.isConnected(id)).toBe(ref.connected.has(id))
      expect(links.lostAt(id)).toBe(ref.lostAt.get(id))
      if (step % 97 === 0) {
        expect(connectedList(links)).toEqual(ref.connected.toArray())
        for (const other of ids) expect(links.lostAt(other)).toBe(ref.lostAt.get(other))
      }
    }
    expect(connectedList(links)).toEqual(ref.connected.toArray())
    links.clear()
    expect(links.connectedCount).toBe(0)
    expect(ids.every(id => links.lostAt(id) === undefined && !links.isConnected(id))).toBe(true)
  })
})
