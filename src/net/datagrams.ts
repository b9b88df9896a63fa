/**
 * The datagram path: small swim frames (pings, acks, gossip) over UDP, as memberlist sends them, instead of
 * the connection's stream (TCP, Noise, yamux). A probe then costs two packets, not three or four (no TCP
 * acknowledgement of each), none of libp2p's stream layers, and no connection at all: a member probed
 * round-robin among more members than the connection budget holds is pinged without a dial (issue 11).
 *
 * Keys: whenever a connection opens, each end issues the other a fresh key over it (a DATAGRAM_KEY_PROTOCOL
 * stream: version, UDP port, key id, key), so a key is as authentic and secret as the Noise session that
 * carried it. A datagram is sealed with the key its receiver issued (datagram-seal.ts), which names the
 * sender; one that fails authentication, repeats a counter or names a key we never issued is dropped,
 * counted, and logged rate-limited.
 *
 * A held key is used once a hello sealed with it was answered (the UDP path works: no firewall drops it),
 * and outlives a connection that this end closed (its budget, a member declared dead, a fault-injected
 * partition): pings need none. The end that closes such a connection first tells the other, in a `keep`
 * datagram, that the key it holds stays good; so the key outlives that close at both ends (a `keep` that
 * arrives after the close's reset gives the key back). A connection the remote closed without saying so drops
 * the key: the remote may have stopped, and the next ping then dials, where a refused dial is evidence of a
 * crash. A process that restarted without our seeing a connection close drops our
 * datagrams, and answers each with a reset (datagram-seal.ts) the holder verifies and drops that key on: its
 * next ping dials, and the new connection brings new keys. (Before the reset, the restarted process dropped
 * them without a word: each holder's next probe of it failed over to the stream fallback — a dial, slow under
 * loss — and in the simulator, a minute at 5 % packet loss after 10 of 100 members restarted recorded 680
 * suspicions of them, 33 with the reset; test/membership/datagrams.sim.test.ts.)
 */
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { randomBytes } from 'node:crypto'
import { isIPv4 } from 'node:net'
import type { Connection, Stream } from '@libp2p/interface'
import type { Logger, RateLimitedLog } from '../core/logger.js'
import { DATAGRAM_MAX_FRAME_BYTES, DATAGRAM_RESETS_PER_SECOND } from '../core/transport.js'
import type { PeerId } from '../core/transport.js'
import { DatagramKeys } from './datagram-keys.js'
import type { HeldKey } from './datagram-keys.js'
import { DATAGRAM_OVERHEAD, DatagramKind, KEY_BYTES, KEY_ID_BYTES, RESET_TOKEN_BYTES, encodeReset, open, readHeader, readReset, resetToken, sameToken, seal } from './datagram-seal.js'
import { readSmallMessage, sendSmallMessage } from './small-message.js'
import type { DatagramCounters } from './stats.js'

export const DATAGRAM_KEY_PROTOCOL = '/murmur/datagram-key/1.0.0'
/** Version 2 adds the key's reset token; version 1 (no token: its key is never reset) is still accepted. */
const KEY_MESSAGE_VERSION = 2
/** version, UDP port (2 bytes), key id, key. */
const KEY_MESSAGE_V1_BYTES = 1 + 2 + KEY_ID_BYTES + KEY_BYTES
/** … and the reset token (datagram-seal.ts). */
const KEY_MESSAGE_BYTES = KEY_MESSAGE_V1_BYTES + RESET_TOKEN_BYTES
const KEY_STREAM_TIMEOUT_MS = 5000
/** Hellos per held key before giving up on its path (until the next connection brings a new key). */
const MAX_HELLOS = 3
const HELLO_RETRY_MS = 1000
const HELLO_BYTES = 8
/** A connection this end closed (or the remote said it was closing) less than this long ago counts as such when its `disconnected` comes. */
const LOCAL_CLOSE_MEMORY_MS = 10_000
/** Keep notices remembered at most (see DatagramKind.keep). */
const MAX_REMOTE_KEEPS = 4096
/** The largest datagram we send or accept. */
export const MAX_DATAGRAM_BYTES = DATAGRAM_MAX_FRAME_BYTES + DATAGRAM_OVERHEAD

export interface DatagramPathDeps {
  localId: PeerId
  log: Logger
  warnings: RateLimitedLog
  counters: DatagramCounters
  now: () => number
  /**
   * An authenticated swim frame from `from`: admission (policy, rate limits) and delivery. `via`: the
   * connection its key was issued over (two processes with one identity hold keys of two connections).
   */
  deliver: (from: PeerId, frame: Uint8Array, via: Connection | undefined) => void
  /** Whether `id` may talk to us at all (not blocked, allowed, not cooling down). */
  allowed: (id: PeerId) => boolean
  /** A key we held for `peer` was dropped on its verified reset (PeerEvent `datagramKeyReset`). */
  onKeyReset?: (peer: PeerId) => void
  /** This identity's reset secret (datagram-seal.ts `resetSecretOf`); without it, keys go out without a token and nothing is reset. */
  resetSecret?: Uint8Array
}

export class DatagramPath {
  private readonly keys = new DatagramKeys()
  private socket: Socket | undefined
  private port = 0
  private closed = false
  private readonly localCloses = new Map<PeerId, number>()
  /** Peers that told us (a `keep` datagram) they are closing their connection to us for their budget, and when. */
  private readonly remoteKeeps = new Map<PeerId, number>()
  /** Keys dropped when a remote closed without a `keep` first, and when: a late `keep` restores one (onDisconnected). */
  private readonly droppedOnClose = new Map<PeerId, { held: HeldKey, at: number }>()
  private readonly helloTimers = new Set<NodeJS.Timeout>()
  /** Sends handed to the socket and not yet done: close() lets them leave (a leave's last gossip). */
  private sending = 0
  /** Resets still allowed in the current second, and when it began. */
  private resetsLeft = DATAGRAM_RESETS_PER_SECOND
  private resetSecond = Number.NEGATIVE_INFINITY

  constructor (private readonly deps: DatagramPathDeps) {}

  /**
   * Binds UDP on `host`, at `port` (the TCP listen port, as memberlist shares one) or, if that is taken, any
   * port: the key message says which. Returns the port bound.
   */
  async start (host: string, port: number): Promise<number> {
    try {
      this.port = await this.bind(host, port)
    } catch {
      this.port = await this.bind(host, 0)
    }
    return this.port
  }

  /** The UDP port datagrams reach us at (0 before start). */
  get localPort (): number {
    return this.port
  }

  /** Whether a frame to `id` goes as a datagram now: a confirmed key is held and `id` is allowed. */
  canSend (id: PeerId): boolean {
    return this.keys.heldFor(id)?.confirmed === true && this.deps.allowed(id)
  }

  /** Seals and sends `frame` to `id`; false (nothing sent) without a confirmed key. */
  send (id: PeerId, frame: Uint8Array): boolean {
    const held = this.keys.heldFor(id)
    // A blocked peer's key outlives the block (block, forget): the policy decides here, as canSend says.
    if (held?.confirmed !== true || frame.byteLength > DATAGRAM_MAX_FRAME_BYTES || !this.deps.allowed(id)) return false
    this.sendSealed(held, DatagramKind.frame, frame)
    return true
  }

  /** A connection opened: issue the remote a fresh key over it. */
  onConnectionOpen (connection: Connection): void {
    if (this.closed || this.socket === undefined) return
    const peer = connection.remotePeer.toString()
    if (peer === this.deps.localId) return
    const issued = this.keys.issue(peer, connection)
    const secret = this.deps.resetSecret
    const message = new Uint8Array(secret === undefined ? KEY_MESSAGE_V1_BYTES : KEY_MESSAGE_BYTES)
    message[0] = secret === undefined ? 1 : KEY_MESSAGE_VERSION
    new DataView(message.buffer).setUint16(1, this.port)
    message.set(issued.id, 3)
    message.set(issued.key, 3 + KEY_ID_BYTES)
    if (secret !== undefined) message.set(resetToken(secret, issued.id), KEY_MESSAGE_V1_BYTES)
    void this.sendKeyMessage(connection, message)
  }

  /**
   * This end is about to close its connections to `id` (for its budget, or `id` was declared dead, or
   * blocked): keep the key it issued us, and tell it to keep the one we issued it (a `keep` datagram, sent
   * before the close; if it is lost, `id` drops that key and dials when it next pings us, as before).
   * Without that, every budget close cost the other end its key: with more members than the budget, nearly
   * every ping dialled (issue 11: 1.0 → 0.93 dials per member per second at N = 100 with 16 connections, in
   * the simulator).
   */
  noteLocalClose (id: PeerId): void {
    this.localCloses.set(id, this.deps.now())
    const held = this.keys.heldFor(id)
    if (held?.confirmed === true && this.deps.allowed(id)) this.sendSealed(held, DatagramKind.keep, new Uint8Array(0))
  }

  /**
   * The last connection to `id` closed: drop its key unless we closed it, or `id` said it was closing it
   * (its budget, or it declared us dead). The dropped key is remembered for a while: a `keep` sent just
   * before an abort can arrive after the abort's reset, and then gives the key back.
   */
  onDisconnected (id: PeerId): void {
    const now = this.deps.now()
    const closedAt = this.localCloses.get(id)
    const keepAt = this.remoteKeeps.get(id)
    this.localCloses.delete(id)
    this.remoteKeeps.delete(id)
    if (closedAt !== undefined && now - closedAt < LOCAL_CLOSE_MEMORY_MS) return
    if (keepAt !== undefined && now - keepAt < LOCAL_CLOSE_MEMORY_MS) return
    const held = this.keys.heldFor(id)
    if (held === undefined) return
    this.keys.dropHeld(id)
    if (this.droppedOnClose.size >= MAX_REMOTE_KEEPS) this.droppedOnClose.clear()
    this.droppedOnClose.set(id, { held, at: now })
  }

  /** Forget the key `id` issued us (a flooder, a peer no longer allowed, a refused dial): frames to it go by stream. */
  dropPeer (id: PeerId): void {
    this.keys.dropHeld(id)
    this.droppedOnClose.delete(id)
  }

  /** The handler of DATAGRAM_KEY_PROTOCOL streams: one key message, bounded in size and time. */
  keyReceiver (): (stream: Stream, connection: Connection) => void {
    return (stream, connection) => {
      readSmallMessage(stream, { maxBytes: KEY_MESSAGE_BYTES, timeoutMs: KEY_STREAM_TIMEOUT_MS }, (bytes) => { this.onKeyMessage(connection, bytes) }, () => {
        this.deps.warnings.warn('datagram-key:oversized', 'refused a datagram key message: longer than one key', { from: connection.remotePeer.toString() })
      })
    }
  }

  /**
   * Stops issuing and answering, lets the sends already handed to the socket leave (at most `timeoutMs`:
   * closing the socket cancels them, and the last ones are a leave's gossip), then closes it.
   */
  async close (timeoutMs: number): Promise<void> {
    this.closed = true
    for (const t of this.helloTimers) clearTimeout(t)
    this.helloTimers.clear()
    const deadline = performance.now() + timeoutMs
    while (this.sending > 0 && performance.now() < deadline) await new Promise(resolve => setTimeout(resolve, 2))
    this.socket?.close()
    this.socket = undefined
  }

  get keyCounts (): { issued: number, held: number } {
    return this.keys.sizes
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────────

  private async bind (host: string, port: number): Promise<number> {
    const socket = createSocket({ type: 'udp4' })
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(port, host, () => {
        socket.off('error', reject)
        resolve()
      })
    })
    socket.on('error', (err) => {
      this.deps.warnings.warn('datagram:socket', 'datagram socket error', { error: err.message })
    })
    socket.on('message', (msg, rinfo) => { this.onDatagram(msg, rinfo.address, rinfo.port) })
    socket.unref()
    this.socket = socket
    return socket.address().port
  }

  private async sendKeyMessage (connection: Connection, message: Uint8Array): Promise<void> {
    const error = await sendSmallMessage(connection, DATAGRAM_KEY_PROTOCOL, message, KEY_STREAM_TIMEOUT_MS)
    // An older peer does not speak the protocol; a closing connection is not news. Frames go by stream.
    if (error !== undefined) this.deps.log.debug('could not issue a datagram key', { peer: connection.remotePeer.toString(), error: error.message })
  }

  private onKeyMessage (connection: Connection, message: Uint8Array): void {
    if (this.closed) return
    const peer = connection.remotePeer.toString()
    // An empty message is a key stream closed before its key was written, most likely on a connection that was
    // closing (one of two simultaneous dials). 50 peers forming in network namespaces logged a few a formation
    // as malformed; a connection that stays issues its own key.
    if (message.byteLength === 0) {
      this.deps.log.debug('a datagram key stream closed without a key', { peer })
      return
    }
    const v1 = message.byteLength === KEY_MESSAGE_V1_BYTES && message[0] === 1
    if (!v1 && (message.byteLength !== KEY_MESSAGE_BYTES || message[0] !== KEY_MESSAGE_VERSION)) {
      this.deps.warnings.warn('datagram-key:malformed', 'ignored a malformed datagram key message', { from: peer, bytes: message.byteLength })
      return
    }
    const port = new DataView(message.buffer, message.byteOffset).getUint16(1)
    const host = ipv4Of(connection.remoteAddr.toString())
    if (port === 0 || host === undefined) return
    const held = this.keys.hold(peer, message.slice(3, 3 + KEY_ID_BYTES), message.slice(3 + KEY_ID_BYTES, KEY_MESSAGE_V1_BYTES), host, port, v1 ? undefined : message.slice(KEY_MESSAGE_V1_BYTES))
    this.sendHello(peer, held)
  }

  private sendHello (peer: PeerId, held: HeldKey): void {
    if (this.closed || held.confirmed || this.keys.heldFor(peer) !== held) return
    // Blocked meanwhile (its key outlives the block): nothing goes to it, and its silence says nothing about
    // the path. The key stays unconfirmed; after the heal a frame to it dials, and that connection brings a new one.
    if (!this.deps.allowed(peer)) return
    if (held.hellos >= MAX_HELLOS) {
      this.deps.counters.pathsUnconfirmed++
      this.deps.warnings.warn(`datagram:unconfirmed:${peer}`, 'no answer to datagrams from a connected peer: UDP to it is dropped on the way (a firewall?); its frames go over the connection', { peer, to: `${held.host}:${held.port}` })
      return
    }
    held.hellos++
    held.hello = randomBytes(HELLO_BYTES)
    this.sendSealed(held, DatagramKind.hello, held.hello)
    const timer = setTimeout(() => {
      this.helloTimers.delete(timer)
      this.sendHello(peer, held)
    }, HELLO_RETRY_MS)
    timer.unref()
    this.helloTimers.add(timer)
  }

  private sendSealed (held: HeldKey, kind: DatagramKind, payload: Uint8Array): void {
    const socket = this.socket
    if (socket === undefined) return
    held.counter++
    const packet = seal(held.key, held.id, held.counter, kind, payload)
    this.deps.counters.sent++
    this.sending++
    socket.send(packet, held.port, held.host, (err) => {
      this.sending--
      if (err === null || err === undefined) return
      this.deps.counters.sendFailed++
      this.deps.warnings.warn('datagram:send', 'a datagram could not be sent', { to: `${held.host}:${held.port}`, error: err.message })
    })
  }

  /** Answers a datagram sealed with `keyId`, a key we never issued, with its reset (at most DATAGRAM_RESETS_PER_SECOND). */
  private sendReset (keyId: Uint8Array, host: string, port: number): void {
    const secret = this.deps.resetSecret
    const socket = this.socket
    if (secret === undefined || socket === undefined || this.closed) return
    const now = this.deps.now()
    if (now - this.resetSecond >= 1000) {
      this.resetSecond = now
      this.resetsLeft = DATAGRAM_RESETS_PER_SECOND
    }
    if (this.resetsLeft <= 0) return
    this.resetsLeft--
    this.deps.counters.resetsSent++
    socket.send(encodeReset(keyId, resetToken(secret, keyId)), port, host, (err) => {
      if (err !== null && err !== undefined) this.deps.counters.sendFailed++
    })
  }

  /**
   * A reset of the key we hold named `keyId`: the peer that issued it restarted and drops what we seal with
   * it. Dropped if the reset comes from where that key's datagrams go and its token is the one the key came
   * with; anything else is counted as unauthenticated and changes nothing.
   */
  private onReset (keyId: string, token: Uint8Array, host: string, port: number): void {
    const found = this.keys.heldById(keyId)
    if (found === undefined) return // a key we dropped or replaced since: nothing to do
    const { peer, held } = found
    if (held.resetToken === undefined || held.host !== host || held.port !== port || !sameToken(held.resetToken, token)) {
      this.deps.counters.rejected.unauthenticated++
      this.deps.warnings.warn('datagram:bad-reset', 'ignored a datagram key reset that failed verification (forged, or from elsewhere)', { peer, from: `${host}:${port}` })
      return
    }
    this.keys.dropHeld(peer)
    this.droppedOnClose.delete(peer)
    this.deps.counters.keysReset++
    this.deps.log.debug('a peer restarted: dropped the datagram key of its previous process', { peer })
    this.deps.onKeyReset?.(peer)
  }

  private onDatagram (packet: Uint8Array, host: string, port: number): void {
    const { counters, warnings } = this.deps
    const reset = readReset(packet)
    if (reset !== undefined) {
      this.onReset(reset.keyId, reset.token, host, port)
      return
    }
    const header = packet.byteLength <= MAX_DATAGRAM_BYTES ? readHeader(packet) : undefined
    if (header === undefined) {
      counters.rejected.malformed++
      warnings.warn('datagram:malformed', 'dropped a datagram that is not murmur\'s (size or version)', { bytes: packet.byteLength })
      return
    }
    const issued = this.keys.issuedById(header.keyId)
    if (issued === undefined) {
      // Sealed with a key of this process's previous life, or by someone guessing: both are dropped, and
      // answered with a reset that only a holder of that key (from us, in any life) can verify.
      counters.rejected.unknownKey++
      this.sendReset(packet.slice(1, 1 + KEY_ID_BYTES), host, port)
      return
    }
    const opened = open(issued.key, packet)
    if (opened === undefined) {
      counters.rejected.unauthenticated++
      warnings.warn('datagram:unauthenticated', 'dropped a datagram that failed authentication (forged or corrupted)', { peer: issued.peer })
      return
    }
    if (!issued.window.accept(header.counter)) {
      counters.rejected.replayed++
      return
    }
    counters.received++
    const from = issued.peer
    if (opened.kind === DatagramKind.frame) {
      // The policy (blocked, allowlist, cooldown) is applied and counted where every frame's is (deliver).
      if (opened.payload.byteLength > 0) this.deps.deliver(from, opened.payload, issued.via)
      else counters.rejected.malformed++
      return
    }
    // A path check from a peer we may not talk to confirms nothing, and is not answered.
    if (!this.deps.allowed(from)) return
    switch (opened.kind) {
      case DatagramKind.hello: {
        const held = this.keys.heldFor(from)
        if (held !== undefined && opened.payload.byteLength === HELLO_BYTES) this.sendSealed(held, DatagramKind.helloAck, opened.payload)
        return
      }
      case DatagramKind.helloAck: {
        const held = this.keys.heldFor(from)
        if (held?.hello === undefined || !sameBytes(held.hello, opened.payload)) return
        if (!held.confirmed) this.deps.log.debug('datagram path confirmed', { peer: from, to: `${held.host}:${held.port}` })
        held.confirmed = true
        held.hello = undefined
        return
      }
      case DatagramKind.keep: {
        if (opened.payload.byteLength !== 0) return
        const now = this.deps.now()
        if (this.keys.heldFor(from) === undefined) {
          // The close's reset came first and took the key: the keep gives it back.
          const dropped = this.droppedOnClose.get(from)
          this.droppedOnClose.delete(from)
          if (dropped !== undefined && now - dropped.at < LOCAL_CLOSE_MEMORY_MS) this.keys.restore(from, dropped.held)
          return
        }
        // Bounded by the peers we hold keys for: each entry goes with that peer's disconnect, or the map
        // is simply cleared if stray ones pile up (a keep from a peer whose connection never closed).
        if (this.remoteKeeps.size >= MAX_REMOTE_KEEPS) this.remoteKeeps.clear()
        this.remoteKeeps.set(from, now)
      }
    }
  }
}

/** The IPv4 address of a multiaddr `/ip4/<a>/…`, or undefined (IPv6 and names are not used for datagrams yet). */
function ipv4Of (addr: string): string | undefined {
  const m = /^\/ip4\/([^/]+)\//.exec(addr)
  return m?.[1] !== undefined && isIPv4(m[1]) ? m[1] : undefined
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
