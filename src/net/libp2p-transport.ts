/**
 * Libp2pTransport: murmur's Transport (src/core/transport.ts) over libp2p streams.
 *
 * Channels map to protocols (`/murmur/swim/1.0.0`, `/murmur/sync/2.0.0`). Each (peer, channel) uses one
 * long-lived outbound stream, opened on first send and reused; the remote reads it in a loop and answers
 * on its own outbound stream. Frames are varint length-prefixed (lpStream). This class wires the halves
 * together and owns what spans them: peer events, fault injection, the connection budget, stats and
 * shutdown. Sending lives in outbound.ts, receiving in inbound.ts, admission in peer-policy.ts/gater.ts.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, PeerId as Libp2pPeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { TypedEmitter } from '../core/emitter.js'
import { FrameTooLargeError } from '../core/errors.js'
import type { Logger, RateLimitedLog } from '../core/logger.js'
import type { PeerSigner } from '../core/signer.js'
import { HandshakeSlots } from '../core/handshake-slots.js'
import { CHANNELS, DATAGRAM_MAX_FRAME_BYTES, FORGET_QUIET_MS, ROOM_FRACTION } from '../core/transport.js'
import type { Channel, Destination, DialStage, FrameHandler, PeerEvent, PeerId, SendOptions, Transport } from '../core/transport.js'
import { isWildcard, withPeerId, withoutPeerId } from './addresses.js'
import { PROTOCOLS } from './config.js'
import { CLASH_PROTOCOL, clashNoticeReceiver, sendClashNotice } from './clash-notice.js'
import type { Libp2pTransportConfig } from './config.js'
import { ConnectionKeeper } from './connection-keeper.js'
import { DATAGRAM_KEY_PROTOCOL, DatagramPath } from './datagrams.js'
import { describeError } from './describe-error.js'
import { Dialer } from './dialer.js'
import { Discovery } from './discovery.js'
import type { OutboundFirstBytes } from './first-bytes.js'
import { Inbound } from './inbound.js'
import type { MurmurNode } from './node.js'
import { Outbound } from './outbound.js'
import type { PeerPolicy } from './peer-policy.js'
import type { PrivateMeshGuard } from './private-mesh.js'
import type { ParsedPsk } from './psk.js'
import type { TransportCounters, TransportStats } from './stats.js'

/** close(): total bound when the caller gives none. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 2000
/** close(): graceful half-close of our streams before the node stops (then they are aborted). */
const STREAM_CLOSE_MS = 100
/** Parsed peer ids kept (peerIdOf); past it the cache starts over. */
const MAX_CACHED_PEER_IDS = 4096

export interface Libp2pTransportParts {
  node: MurmurNode
  config: Libp2pTransportConfig
  policy: PeerPolicy
  counters: TransportCounters
  log: Logger
  warnings: RateLimitedLog
  now: () => number
  psk: ParsedPsk | undefined
  /** Present iff `psk` is: the instrumented pnet protector (dial diagnosis). */
  guard: PrivateMeshGuard | undefined
  /** Present iff `psk` is not: what remotes of our dials sent first (dial diagnosis). */
  outboundFirstBytes?: OutboundFirstBytes
  /** Signs membership records with the peer's identity key (src/net/signer.ts). */
  signer?: PeerSigner | undefined
  /**
   * Aborted when close() begins, so the parts built before the transport (handshake watch, admission
   * counting) can tell failures caused by our own shutdown from news about a remote.
   */
  shutdown?: AbortController
  /** Bounded handshakes per direction (the factory shares `inbound` with the inbound admission). */
  handshakes?: { inbound: HandshakeSlots, outbound: HandshakeSlots }
  /** Where setLocalHealth writes, and the deadline factor derived from it (factory.ts). */
  health?: { multiplier: number }
  timeoutScale?: () => number
  /** Derived from the identity key (datagram-seal.ts `resetSecretOf`): lets a restarted process reset the keys of its previous life. */
  datagramResetSecret?: Uint8Array
}

interface TransportEvents {
  peer: PeerEvent
}

export class Libp2pTransport implements Transport {
  readonly localId: PeerId
  readonly signer: PeerSigner | undefined
  /** The libp2p node, for diagnostics and tests. Send through the transport, not through it. */
  readonly node: MurmurNode
  private readonly config: Libp2pTransportConfig
  private readonly policy: PeerPolicy
  private readonly counters: TransportCounters
  private readonly log: Logger
  private readonly now: () => number
  private readonly psk: ParsedPsk | undefined
  private readonly shutdownSignal: AbortController
  private readonly handlers = new Map<Channel, FrameHandler>()
  private readonly events: TypedEmitter<TransportEvents>
  /** Last frame to or from each connected peer (monotonic ms): the connection LRU. */
  private readonly activity = new Map<PeerId, number>()
  /** Last frame from each connected peer (monotonic ms): whether `forget` may keep its connection. */
  private readonly received = new Map<PeerId, number>()
  private readonly peerIds = new Map<PeerId, Libp2pPeerId | undefined>()
  private readonly handshakes: { inbound: HandshakeSlots, outbound: HandshakeSlots }
  private readonly health: { multiplier: number }
  private readonly dialer: Dialer
  private readonly outbound: Outbound
  private readonly inbound: Inbound
  private readonly discovery: Discovery
  private readonly keeper: ConnectionKeeper
  /** Small swim frames over UDP (datagrams.ts); undefined when `config.datagrams` is off. */
  private readonly datagrams: DatagramPath | undefined
  private state: 'new' | 'running' | 'closing' | 'closed' = 'new'
  private closing: Promise<void> | undefined
  /** Duration of the most recent successful dial, ms (in stats, for benchmarks). */
  private lastDialMs: number | undefined

  constructor (parts: Libp2pTransportParts) {
    this.node = parts.node
    this.config = parts.config
    this.policy = parts.policy
    this.counters = parts.counters
    this.log = parts.log
    this.now = parts.now
    this.psk = parts.psk
    this.shutdownSignal = parts.shutdown ?? new AbortController()
    this.localId = this.node.peerId.toString()
    this.signer = parts.signer
    this.handshakes = parts.handshakes ?? {
      inbound: new HandshakeSlots(this.config.maxConcurrentInboundHandshakes, this.config.maxQueuedHandshakes),
      outbound: new HandshakeSlots(this.config.maxConcurrentHandshakes, this.config.maxQueuedHandshakes)
    }
    this.health = parts.health ?? { multiplier: 1 }
    this.events = new TypedEmitter<TransportEvents>((err) => {
      this.log.error('peer event listener threw', { error: describeError(err) })
    })
    this.dialer = new Dialer({
      node: this.node,
      counters: this.counters,
      log: this.log,
      warnings: parts.warnings,
      dialTimeoutMs: this.config.dialTimeoutMs,
      slots: this.handshakes.outbound,
      ...(parts.timeoutScale === undefined ? {} : { timeoutScale: parts.timeoutScale }),
      pskConfigured: this.psk !== undefined,
      onDialTime: (ms) => { this.lastDialMs = ms },
      ...(parts.guard === undefined ? {} : { protectionStartedSince: parts.guard.protectionStartedSince.bind(parts.guard) }),
      ...(parts.outboundFirstBytes === undefined ? {} : { remoteFirstBytesSince: parts.outboundFirstBytes.since.bind(parts.outboundFirstBytes) }),
      isClosing: () => this.state !== 'running'
    })
    this.outbound = new Outbound({
      node: this.node,
      localId: this.localId,
      config: this.config,
      counters: this.counters,
      policy: this.policy,
      dialer: this.dialer,
      log: this.log,
      warnings: parts.warnings,
      now: this.now,
      emit: (e) => { this.onOutboundEvent(e) },
      deliverLocal: (channel, frame) => { queueMicrotask(() => { this.deliver(channel, this.localId, frame) }) },
      isOwnAddress: (a) => this.isOwnAddress(a),
      touch: (id) => { this.touch(id) },
      isClosing: () => this.state !== 'running'
    })
    this.inbound = new Inbound({
      config: this.config,
      counters: this.counters,
      policy: this.policy,
      log: this.log,
      warnings: parts.warnings,
      now: this.now,
      deliver: (channel, from, frame, viaDatagram) => { this.deliver(channel, from, frame, viaDatagram === true) },
      onFlooder: (id) => { this.disconnectFlooder(id) },
      onClash: (_from, [a, b]) => {
        void sendClashNotice(a, b.remoteAddr.toString(), this.log)
        void sendClashNotice(b, a.remoteAddr.toString(), this.log)
      }
    })
    this.discovery = new Discovery(this.localId, this.dialer, this.policy, this.log, this.now)
    this.keeper = new ConnectionKeeper({
      node: this.node,
      localId: this.localId,
      config: this.config,
      counters: this.counters,
      outbound: this.outbound,
      log: this.log,
      lastActivity: (id) => this.activity.get(id),
      onPrune: (id) => { this.datagrams?.noteLocalClose(id) }
    })
    this.datagrams = this.config.datagrams
      ? new DatagramPath({
        localId: this.localId,
        log: this.log,
        warnings: parts.warnings,
        counters: this.counters.datagrams,
        now: this.now,
        deliver: (from, frame, via) => { this.inbound.datagram(from, frame, via) },
        allowed: (id) => this.policy.verdict(id) === 'ok',
        onKeyReset: (id) => { this.events.emit('peer', { type: 'datagramKeyReset', id }) },
        ...(parts.datagramResetSecret === undefined ? {} : { resetSecret: parts.datagramResetSecret })
      })
      : undefined
  }

  /** Registers the protocol handlers and connection events; logs where we listen. Called by the factory. */
  async start (): Promise<void> {
    if (this.state !== 'new') return
    for (const channel of CHANNELS) {
      await this.node.handle(PROTOCOLS[channel], (stream, connection) => { this.inbound.handle(channel, stream, connection) }, {
        // libp2p enforces these per connection; inbound.ts also enforces the inbound one per peer.
        maxInboundStreams: this.config.maxStreamsPerPeer,
        maxOutboundStreams: this.config.maxStreamsPerPeer
      })
    }
    await this.node.handle(CLASH_PROTOCOL, clashNoticeReceiver(this.localId, this.log, this.now), { maxInboundStreams: 2, maxOutboundStreams: 2 })
    const udp = this.datagrams === undefined ? undefined : await this.startDatagrams(this.datagrams)
    this.node.addEventListener('peer:connect', (evt) => { this.onConnect(evt.detail) })
    this.node.addEventListener('peer:disconnect', (evt) => { this.onDisconnect(evt.detail) })
    this.node.addEventListener('connection:open', (evt) => { this.onConnectionOpen(evt.detail) })
    this.node.services.mdns?.addEventListener('peer', (evt) => { void this.discovery.discovered(evt.detail) })
    this.state = 'running'
    this.log.info('listening', {
      peerId: this.localId,
      addrs: this.addresses().join(' '),
      psk: this.psk === undefined ? 'off' : this.psk.fingerprint,
      allowPeers: this.config.allowPeers?.size,
      mdns: this.config.mdns !== undefined,
      datagrams: udp ?? 'off'
    })
  }

  // ── Transport ──────────────────────────────────────────────────────────────────────────────────

  addresses (): string[] {
    const out = new Set<string>()
    for (const a of this.node.getMultiaddrs()) {
      if (!isWildcard(a)) out.add(withPeerId(a, this.localId).toString())
    }
    return [...out]
  }

  maxFrameBytes (channel: Channel): number {
    return this.config.maxFrameBytes[channel]
  }

  send (channel: Channel, to: Destination, frame: Uint8Array, options?: SendOptions): void {
    const limit = this.config.maxFrameBytes[channel]
    if (frame.byteLength > limit) {
      throw new FrameTooLargeError(`${channel} frame of ${frame.byteLength} bytes exceeds ${limit}`)
    }
    if (this.state !== 'running') {
      this.counters.droppedOutbound.closed++
      return
    }
    if (channel === 'swim' && options?.stream !== true && to.id !== undefined && frame.byteLength <= DATAGRAM_MAX_FRAME_BYTES &&
      this.datagrams?.send(to.id, frame) === true) {
      const traffic = this.counters.channels.swim
      traffic.framesOut++
      traffic.bytesOut += frame.byteLength
      return
    }
    this.outbound.send(channel, to.id, to.addrs, frame)
  }

  datagramPath (id: PeerId): boolean {
    return this.state === 'running' && this.datagrams?.canSend(id) === true
  }

  connect (to: Destination): void {
    if (this.state !== 'running' || to.id === undefined) return
    this.outbound.connect(to.id, to.addrs)
  }

  onFrame (channel: Channel, handler: FrameHandler): () => void {
    this.handlers.set(channel, handler)
    return () => {
      if (this.handlers.get(channel) === handler) this.handlers.delete(channel)
    }
  }

  onPeerEvent (handler: (event: PeerEvent) => void): () => void {
    return this.events.on('peer', handler)
  }

  // ── beyond the Transport interface ─────────────────────────────────────────────────────────────

  /** Peers found by mDNS, already dialled successfully: membership joins through them. */
  onDiscovered (listener: (dest: Destination) => void): () => void {
    return this.discovery.on(listener)
  }

  /**
   * Fault injection (`POST /admin/partition`): drop all traffic to and from `ids`. The gater refuses
   * their dials and connections, open connections are aborted, and anything that still arrives from them
   * (the remote may not have noticed yet) is dropped here. Additive until `unblock`/`heal`.
   */
  block (ids: readonly string[]): void {
    const targets = ids.filter(id => id !== this.localId)
    // A partition takes no UDP association with it: the keys stay (closes noted as ours, the remote told
    // to keep its key while it can still hear us), and the policy drops datagrams both ways until the heal,
    // so the first frames after it need no handshake.
    for (const id of targets) if (this.connectionsOf(id).length > 0) this.datagrams?.noteLocalClose(id)
    this.policy.block(targets)
    for (const id of targets) {
      this.outbound.dropPeer(id, 'refused')
      this.inbound.abortPeer(id, 'peer blocked')
      for (const conn of this.connectionsOf(id)) conn.abort(new Error('peer blocked (fault injection)'))
    }
    this.log.info('blocked peers (fault injection)', { peers: targets.join(','), blocked: this.policy.blockedIds().length })
  }

  /**
   * Membership declared `id` dead: drop what is queued, and close our connections to it unless a frame came
   * from it within FORGET_QUIET_MS, so the reconnect loop's next push-pull dials afresh instead of waiting on
   * a connection stuck in TCP retransmission backoff since a partition. A connection that still delivers is
   * kept (issue 14: after a heal every peer closed and redialled working connections).
   *
   * The datagram key stays, at both ends: the close is noted as ours, and the remote is told to keep its key
   * (a `keep` datagram, as for a budget close). UDP has no backoff to wait out, so a member declared dead
   * across a partition hears gossip of its death the moment the partition heals, and refutes, without a
   * handshake on either side (issue 14: each heal of the 50-peer soak started ~1,300 handshakes). A member
   * that crashed has had its key dropped already (its kernel closed the connection: a close we did not
   * make); one that restarted unseen behind a partition drops what is sealed with its old life's key, and
   * the prober's stream fallback reaches it.
   */
  forget (id: string): void {
    if (id === this.localId) return
    this.outbound.dropPeer(id, 'refused')
    const last = this.received.get(id)
    if (last !== undefined && this.now() - last < FORGET_QUIET_MS) {
      this.log.debug('kept the connection to a member declared dead: it still delivers', { peer: id, lastFrameMsAgo: Math.round(this.now() - last) })
      return
    }
    const conns = this.connectionsOf(id)
    if (conns.length > 0) this.datagrams?.noteLocalClose(id)
    for (const conn of conns) conn.abort(new Error('member declared dead'))
    if (conns.length > 0) this.log.debug('closed connections to a dead member', { peer: id, connections: conns.length })
  }

  /**
   * Replaces the allowlist (`--allow-peer`, reloaded on SIGHUP); undefined lets everyone in. Peers no
   * longer allowed are disconnected and their queued frames dropped, as for a block.
   */
  setAllowPeers (ids: readonly string[] | undefined): void {
    this.policy.setAllow(ids === undefined ? undefined : new Set(ids))
    const refused = this.node.getPeers().map(p => p.toString()).filter(id => this.policy.verdict(id) === 'unauthorized')
    for (const id of refused) {
      this.outbound.dropPeer(id, 'refused')
      this.datagrams?.dropPeer(id)
      this.inbound.abortPeer(id, 'peer no longer allowed')
      for (const conn of this.connectionsOf(id)) conn.abort(new Error('peer no longer in allowPeers'))
    }
    this.log.info('allowlist replaced', { allowed: ids === undefined ? 'everyone' : ids.length, disconnected: refused.length })
  }

  isConnected (id: string): boolean {
    return this.connectionsOf(id).some(c => c.status === 'open')
  }

  hasConnectionRoom (): boolean {
    let open = 0
    for (const conn of this.node.getConnections()) if (conn.status === 'open') open++
    return open < this.config.maxConnections * ROOM_FRACTION
  }

  dialStage (id: string): DialStage {
    return this.isConnected(id) ? 'open' : this.dialer.stage(id)
  }

  setLocalHealth (multiplier: number): void {
    if (Number.isFinite(multiplier) && multiplier >= 1) this.health.multiplier = multiplier
  }

  /** Allows `ids` again, or everyone if omitted. */
  unblock (ids?: readonly string[]): void {
    this.policy.unblock(ids)
    this.log.info('unblocked peers (fault injection)', { peers: ids === undefined ? 'all' : ids.join(','), blocked: this.policy.blockedIds().length })
  }

  /** `DELETE /admin/partition`: allow everyone again. */
  heal (): void {
    this.unblock()
  }

  blockedPeers (): string[] {
    return this.policy.blockedIds()
  }

  /** Counters and gauges, as a plain object (HTTP /metrics exports it). */
  stats (): TransportStats {
    const queued = this.outbound.queued()
    return {
      ...structuredClone(this.counters),
      openConnections: this.node.getConnections().length,
      connectedPeers: this.node.getPeers().length,
      queuedFrames: queued.frames,
      queuedBytes: queued.bytes,
      openStreams: { inbound: this.inbound.openStreams(), outbound: this.outbound.openStreams() },
      lastDialMs: this.lastDialMs,
      handshakesInProgress: { inbound: this.handshakes.inbound.inProgress, outbound: this.handshakes.outbound.inProgress },
      handshakesQueued: { inbound: this.handshakes.inbound.queued, outbound: this.handshakes.outbound.queued }
    }
  }

  /**
   * Flushes queued frames (at most `closeFlushMs`), half-closes our streams, aborts inbound ones, then stops
   * libp2p. Streams go first because libp2p's stop waits ~500 ms per connection on half-open streams.
   * Idempotent; bounded by `timeoutMs` (libp2p's stop is awaited no longer than what is left of it).
   */
  async close (timeoutMs = DEFAULT_CLOSE_TIMEOUT_MS): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs)
    await this.closing
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────────

  private async shutdown (timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs
    const left = (): number => Math.max(0, deadline - performance.now())
    this.state = 'closing'
    this.shutdownSignal.abort()
    this.keeper.stop()
    // A leave's last gossip went out as datagrams just before: let those sends finish, then close the socket.
    await this.datagrams?.close(Math.min(STREAM_CLOSE_MS, left() / 4))
    await this.outbound.flush(Math.min(this.config.closeFlushMs, left() / 2))
    // FIN after our last frame; the remote's reader then closes its side and the stream is done.
    await this.outbound.close(Math.min(STREAM_CLOSE_MS, left() / 2))
    this.inbound.close()
    // libp2p's stop waits up to connectionCloseTimeout per connection for half-open streams: give the
    // remotes one short moment to finish closing, then abort whatever is left (data already written
    // precedes the reset on the wire, so it is not lost).
    const settleBy = performance.now() + Math.min(STREAM_CLOSE_MS, left() / 2)
    while (this.openStreamCount() > 0 && performance.now() < settleBy) await new Promise(resolve => setTimeout(resolve, 5))
    for (const conn of this.node.getConnections()) {
      for (const stream of conn.streams) stream.abort(new Error('transport closing'))
    }
    let timer: NodeJS.Timeout | undefined
    const stopped = await Promise.race([
      Promise.resolve(this.node.stop()).then(() => true, (err: unknown) => {
        this.log.warn('libp2p stop failed', { error: describeError(err) })
        return true
      }),
      new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(false) }, left()) })
    ])
    clearTimeout(timer)
    if (!stopped) this.log.warn('libp2p did not stop in time; continuing shutdown', { timeoutMs })
    cancelAddressUpdate(this.node)
    this.state = 'closed'
    this.events.removeAll()
    this.log.info('transport closed', { peerId: this.localId })
  }

  private deliver (channel: Channel, from: PeerId, frame: Uint8Array, viaDatagram = false): void {
    if (from !== this.localId) {
      this.outbound.noteReceived(from)
      this.touch(from)
      this.received.set(from, this.now())
    }
    const handler = this.handlers.get(channel)
    if (handler === undefined) {
      this.counters.rejectedFrames.noHandler++
      return
    }
    try {
      handler(from, frame, viaDatagram)
    } catch (err) {
      this.log.error('frame handler threw', { channel, from, error: describeError(err) })
    }
  }

  private touch (id: PeerId): void {
    this.activity.set(id, this.now())
  }

  private onConnect (peer: Libp2pPeerId): void {
    const id = peer.toString()
    if (this.policy.verdict(id) === 'blocked') {
      for (const conn of this.node.getConnections(peer)) conn.abort(new Error('peer blocked (fault injection)'))
      return
    }
    // Opening counts as use: a connection dialled ahead of a probe (the prober dials seconds early) is
    // not the budget's first victim before its ping is sent. The simulator's model does the same.
    this.touch(id)
    this.log.debug('peer connected', { peer: id })
    this.events.emit('peer', { type: 'connected', id })
  }

  private onDisconnect (peer: Libp2pPeerId): void {
    const id = peer.toString()
    this.activity.delete(id)
    this.received.delete(id)
    this.outbound.onDisconnected(id)
    this.inbound.forget(id)
    this.datagrams?.onDisconnected(id)
    this.log.debug('peer disconnected', { peer: id })
    this.events.emit('peer', { type: 'disconnected', id })
  }

  /**
   * A dial refused (nothing listens where the peer was) says its process is gone, and the keys it issued
   * with it: drop the one we hold, so what we send it next dials (and is refused at once) instead of going,
   * lost without a word, as a datagram, and a process that starts there anew is dialled, not sent datagrams
   * sealed with its previous life's key. The simulator drops it the same way.
   */
  private onOutboundEvent (e: PeerEvent): void {
    if (e.type === 'unreachable' && e.refused === true && e.id !== undefined) this.datagrams?.dropPeer(e.id)
    this.events.emit('peer', e)
  }

  private onConnectionOpen (connection: Connection): void {
    this.log.debug('connection opened', { peer: connection.remotePeer.toString(), direction: connection.direction, addr: connection.remoteAddr.toString() })
    this.keeper.onConnectionOpen(connection)
    this.datagrams?.onConnectionOpen(connection)
  }

  /**
   * Registers the key protocol and binds UDP where TCP listens (the first IPv4 listen address's host, the
   * port TCP got). Returns `host:port` for the banner, or undefined when there is no IPv4 listener.
   */
  private async startDatagrams (datagrams: DatagramPath): Promise<string | undefined> {
    const host = this.config.listen.map(a => /^\/ip4\/([^/]+)\/tcp\//.exec(a)?.[1]).find(h => h !== undefined)
    const bound = boundAddrs(this.node).map(a => /^\/ip4\/[^/]+\/tcp\/(\d+)/.exec(a)?.[1]).find(p => p !== undefined)
    if (host === undefined || bound === undefined) return undefined
    await this.node.handle(DATAGRAM_KEY_PROTOCOL, datagrams.keyReceiver(), { maxInboundStreams: 2, maxOutboundStreams: 2 })
    const port = await datagrams.start(host, Number(bound))
    return `udp ${host}:${port}`
  }

  /** A peer flooded past the threshold: cooldown, drop its streams and connections (others unaffected). */
  private disconnectFlooder (id: PeerId): void {
    this.policy.coolDown(id, this.config.floodCooldownMs)
    this.counters.flooders.disconnected++
    this.log.warn('disconnected flooding peer; refusing it for a cooldown', {
      peer: id, cooldownMs: this.config.floodCooldownMs, threshold: this.config.flood.dropThreshold, windowMs: this.config.flood.windowMs
    })
    this.inbound.abortPeer(id, 'flooding')
    this.outbound.dropPeer(id, 'refused')
    this.datagrams?.dropPeer(id)
    for (const conn of this.connectionsOf(id)) conn.abort(new Error('flooding'))
  }

  private openStreamCount (): number {
    return this.node.getConnections().reduce((n, c) => n + c.streams.filter(s => s.status === 'open' || s.status === 'closing').length, 0)
  }

  private connectionsOf (id: PeerId): Connection[] {
    const peer = this.peerIdOf(id)
    return peer === undefined ? [] : this.node.getConnections(peer)
  }

  /**
   * The parsed peer id, cached: parsing one (base58 and its public key) cost more than the lookup it is
   * for, and membership asks `isConnected` of a dozen members every gossip round (a 30-peer soak's profile:
   * 2.3 % of each peer's CPU). Bounded: the map starts over past MAX_CACHED_PEER_IDS.
   */
  private peerIdOf (id: PeerId): Libp2pPeerId | undefined {
    let peer = this.peerIds.get(id)
    if (peer === undefined && !this.peerIds.has(id)) {
      try {
        peer = peerIdFromString(id)
      } catch {
        peer = undefined
      }
      if (this.peerIds.size >= MAX_CACHED_PEER_IDS) this.peerIds.clear()
      this.peerIds.set(id, peer)
    }
    return peer
  }

  private isOwnAddress (addr: Multiaddr): boolean {
    const bare = withoutPeerId(addr).toString()
    return this.node.getMultiaddrs().some(a => withoutPeerId(a).toString() === bare)
  }
}

/**
 * The addresses the node's listeners are bound to. Not getMultiaddrs(): with --advertise those are the
 * announced ones, so a /dns4 advertise (every service of the compose file) turned datagrams off, and an
 * advertised port (a NAT's) was where UDP was bound instead of the TCP listen port a container publishes.
 * libp2p's transport manager has them (internals: if they change, the announced addresses, as before).
 */
function boundAddrs (node: MurmurNode): string[] {
  const internals = node as unknown as { components?: { transportManager?: { getAddrs?: () => Array<{ toString: () => string }> } } }
  const manager = internals.components?.transportManager
  const addrs = typeof manager?.getAddrs === 'function' ? manager.getAddrs() : node.getMultiaddrs()
  return addrs.map(a => a.toString())
}

/**
 * libp2p's address manager debounces its peer-store updates by 1 s and is not stopped with the node: the
 * update that closing the listeners schedules stayed armed, and held the process open a second after
 * stop() (test/peer-node.test.ts). Reached through libp2p's internals, so every step is optional: if they
 * change, this does nothing and the process exits a second later, as before.
 */
function cancelAddressUpdate (node: MurmurNode): void {
  const internals = node as unknown as { components?: { addressManager?: { _updatePeerStoreAddresses?: { stop?: unknown } } } }
  const update = internals.components?.addressManager?._updatePeerStoreAddresses
  if (typeof update?.stop === 'function') update.stop()
}
