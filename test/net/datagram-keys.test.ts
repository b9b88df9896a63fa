/**
 * The held datagram keys (src/net/datagram-keys.ts) found by key id, as a reset names them: the key held now
 * for its peer is found; one replaced by a newer key from the same peer, or evicted past the bound, is not.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DatagramKeys, MAX_DATAGRAM_KEYS } from '../../src/net/datagram-keys.js'
import { keyIdText } from '../../src/net/datagram-seal.js'

const hold = (keys: DatagramKeys, peer: string): Uint8Array => {
  const id = randomBytes(8)
  keys.hold(peer, id, randomBytes(32), '127.0.0.1', 4000, randomBytes(16))
  return id
}

describe('held datagram keys by key id', () => {
  it('find the key held now, not one replaced or evicted, across more keys than the bound', () => {
    const keys = new DatagramKeys()
    const first = hold(keys, 'p0')
    expect(keys.heldById(keyIdText(first))?.peer).toBe('p0')
    const replaced = first
    const now = hold(keys, 'p0')
    expect(keys.heldById(keyIdText(replaced))).toBeUndefined()
    expect(keys.heldById(keyIdText(now))?.held.id).toEqual(now)
    // Three times the bound of other peers: p0 and the oldest are evicted, the newest are found.
    const ids: Array<[string, Uint8Array]> = []
    for (let i = 1; i <= 3 * MAX_DATAGRAM_KEYS; i++) ids.push([`p${i}`, hold(keys, `p${i}`)])
    expect(keys.heldById(keyIdText(now))).toBeUndefined()
    expect(keys.heldById(keyIdText((ids[0] as [string, Uint8Array])[1]))).toBeUndefined()
    const [lastPeer, lastId] = ids[ids.length - 1] as [string, Uint8Array]
    expect(keys.heldById(keyIdText(lastId))?.peer).toBe(lastPeer)
    expect(keys.sizes.held).toBe(MAX_DATAGRAM_KEYS)
    expect(keys.heldById(keyIdText(randomBytes(8)))).toBeUndefined()
  })

  it('find a key given back (restore) after it was dropped', () => {
    const keys = new DatagramKeys()
    const id = hold(keys, 'p1')
    const held = keys.heldFor('p1')
    keys.dropHeld('p1')
    expect(keys.heldById(keyIdText(id))).toBeUndefined()
    if (held !== undefined) keys.restore('p1', held)
    expect(keys.heldById(keyIdText(id))?.peer).toBe('p1')
  })
})
