/**
 * Datagram keys (datagrams.ts): the keys this peer issued to others (to open what they send us) and the
 * keys others issued to us (to seal what we send them). Both are bounded maps, oldest out first.
 *
 * A peer issues a fresh key over each connection that opens, so a key is never handed out twice and a
 * sender's counter, starting over with each key, never reuses a nonce. Keys live in memory only: a
 * restarted process has none, and drops what others seal with keys of its previous life.
 */
import { randomBytes } from 'node:crypto'
import type { Connection } from '@libp2p/interface'
import type { PeerId } from '../core/transport.js'
import { KEY_BYTES, KEY_ID_BYTES, ReplayWindow, keyIdText } from './datagram-seal.js'

/** Keys issued, and keys held, at most: a peer meets about one key per member it has been connected to. */
export const MAX_DATAGRAM_KEYS = 4096

/** A key this peer issued to `peer`: what `peer` seals its datagrams to us with. */
export interface IssuedKey {
  readonly peer: PeerId
  readonly id: Uint8Array
  readonly key: Uint8Array
  readonly window: ReplayWindow
  /** The connection it was issued over: datagrams sealed with it count as frames on that connection (identity clash detection). */
  readonly via: Connection | undefined
}

/** A key `peer` issued to us, and where to send: what we seal our datagrams to `peer` with. */
export interface HeldKey {
  readonly id: Uint8Array
  readonly key: Uint8Array
  readonly host: string
  readonly port: number
  /** Datagrams sealed with it so far (the next counter is one more). */
  counter: number
  /** A hello sealed with it was answered: the UDP path to `peer` works. */
  confirmed: boolean
  /** The hello we wait an answer to, and hellos sent. */
  hello?: Uint8Array
  hellos: number
  /** What a reset of this key carries (datagram-seal.ts); undefined from a peer that sent none. */
  readonly resetToken: Uint8Array | undefined
}

export class DatagramKeys {
  /** By key id (hex). */
  private readonly issued = new Map<string, IssuedKey>()
  /** By peer: the key to seal with. */
  private readonly held = new Map<PeerId, HeldKey>()
  /**
   * Key id (hex) → the peer it was held for: a reset names a key id, and a forged one must not cost a scan of
   * every held key. Entries of keys since replaced or evicted stay until the index outgrows twice the bound,
   * then it is rebuilt; `heldById` checks that the entry is still the key held.
   */
  private readonly heldIds = new Map<string, PeerId>()

  /** A fresh key for `peer` (its previous ones stay valid until evicted: datagrams of them may be in flight). */
  issue (peer: PeerId, via?: Connection): IssuedKey {
    const issued: IssuedKey = { peer, id: randomBytes(KEY_ID_BYTES), key: randomBytes(KEY_BYTES), window: new ReplayWindow(), via }
    bounded(this.issued, keyIdText(issued.id), issued)
    return issued
  }

  /** The issued key named by a datagram's header, if we issued it. */
  issuedById (keyId: string): IssuedKey | undefined {
    return this.issued.get(keyId)
  }

  /** `peer` issued us a key (over a connection): it replaces the one we held, unconfirmed. */
  hold (peer: PeerId, id: Uint8Array, key: Uint8Array, host: string, port: number, resetToken?: Uint8Array): HeldKey {
    const held: HeldKey = { id, key, host, port, counter: 0, confirmed: false, hellos: 0, resetToken }
    this.held.delete(peer)
    bounded(this.held, peer, held)
    this.index(peer, held)
    return held
  }

  heldFor (peer: PeerId): HeldKey | undefined {
    return this.held.get(peer)
  }

  /** The peer whose key we hold is named `keyId` (hex), and that key. */
  heldById (keyId: string): { peer: PeerId, held: HeldKey } | undefined {
    const peer = this.heldIds.get(keyId)
    const held = peer === undefined ? undefined : this.held.get(peer)
    return peer === undefined || held === undefined || keyIdText(held.id) !== keyId ? undefined : { peer, held }
  }

  private index (peer: PeerId, held: HeldKey): void {
    this.heldIds.set(keyIdText(held.id), peer)
    if (this.heldIds.size <= 2 * MAX_DATAGRAM_KEYS) return
    this.heldIds.clear()
    for (const [p, h] of this.held) this.heldIds.set(keyIdText(h.id), p)
  }

  /** Holds `held` again for `peer` (a key dropped too early), unless a newer key came meanwhile. */
  restore (peer: PeerId, held: HeldKey): void {
    if (this.held.has(peer)) return
    bounded(this.held, peer, held)
    this.index(peer, held)
  }

  /** Forget the key `peer` issued us: the next frame to it goes by stream. */
  dropHeld (peer: PeerId): void {
    this.held.delete(peer)
  }

  get sizes (): { issued: number, held: number } {
    return { issued: this.issued.size, held: this.held.size }
  }
}

/** Sets `key` in `map`, evicting the oldest entries past MAX_DATAGRAM_KEYS (Maps iterate in insertion order). */
function bounded<K, V> (map: Map<K, V>, key: K, value: V): void {
  map.set(key, value)
  while (map.size > MAX_DATAGRAM_KEYS) {
    const oldest = map.keys().next()
    if (oldest.done === true) break
    map.delete(oldest.value)
  }
}
