/**
 * The public types of a murmur peer: what `createPeer` takes and returns. Kept free of libp2p and Yjs
 * internals so applications (and the HTTP layer) depend only on this contract.
 */
import type * as Y from 'yjs'
import type { HistogramSnapshot } from './core/histogram.js'
import type { Logger } from './core/logger.js'
import type { StoreHealth } from './core/store-health.js'
import type { MembershipInit, MemberState } from './membership/index.js'
import type { AwarenessEntry, MeshView, PresenceChange, PresenceInit, PresenceState } from './presence/index.js'
import type { ReplicationInit, VersionVectorJSON } from './replication/index.js'

/** What `createPeer` takes. A key that is none of these is a ConfigError naming it (a misspelt `dataDir` started an in-memory peer). */
export interface PeerOptions {
  /**
   * Identity key and documents live here; the same dir gives the same peer id and every acknowledged
   * write back after a restart. Omit for an ephemeral peer (new identity, documents in memory only).
   */
  dataDir?: string
  /** TCP multiaddrs to listen on (default `/ip4/0.0.0.0/tcp/0`). */
  listen?: string[]
  /**
   * Multiaddrs of peers to join through (with or without `/p2p/<id>`); re-tried while the view is
   * degraded. A `/dns4`, `/dns6` or `/dns` name is resolved to every address it has (a headless Service),
   * each one joined, and resolved again periodically.
   */
  bootstrap?: string[]
  /** Human-readable member name (default: the peer id). */
  name?: string
  /** Member metadata, gossiped to everyone. */
  tags?: Record<string, string>
  /** Private mesh: the contents of a libp2p swarm.key file. Only peers with the same key can connect. */
  psk?: string
  /** Only these peer ids may connect (in addition to holding the key, if any). */
  allowPeers?: string[]
  /**
   * Discover peers on the local network with mDNS, and join through them. With a cluster name, only
   * peers of the same cluster are discovered (a DNS-SD service of its own), so two meshes on one LAN
   * stay apart.
   */
  mdns?: boolean | { cluster?: string }
  /**
   * Multiaddrs other peers should dial to reach this one, instead of the listen addresses (behind NAT, in
   * a container or a Kubernetes pod). @default the listen addresses
   */
  advertise?: string[]
  /**
   * Small membership frames (pings, acks, gossip) over UDP on the listen port, keys exchanged over each
   * connection (src/net/datagrams.ts). `false`: everything over the connections. @default true
   */
  datagrams?: boolean
  /**
   * With a `dataDir`: remember the members last seen alive there (`members.json`) and, on the next start,
   * join through them too (hints: readiness still depends on `bootstrap` and `mdns` only), so a peer started
   * without `bootstrap` finds the mesh again after a graceful restart. `false`: neither read nor written.
   * @default true
   */
  rejoin?: boolean
  /** Timing preset of membership and replication: `lan` (default) or `local`. */
  profile?: 'lan' | 'local'
  /** Fine-grained membership settings (override the preset). */
  membership?: MembershipInit
  /** Fine-grained replication settings (override the preset). */
  replication?: ReplicationInit
  /** Presence settings (awareness expiry, refresh, limits). */
  presence?: PresenceInit
  /** Where log lines go (default: nowhere, unless `DEBUG=murmur*`: then everything to stderr). */
  logger?: Logger
}

/** A member as the HTTP API and events show it. */
export interface MemberView {
  peerId: string
  name: string
  state: MemberState
  incarnation: number
  addrs: string[]
  tags: Record<string, string>
}

export interface DocSummary {
  name: string
  /** Convergence digest: equal on two peers exactly when their replicas hold the same content. */
  digest: string
  /** Version vector: replica id → number of items. */
  version: VersionVectorJSON
}

export type MemberEventType = 'joined' | 'alive' | 'suspect' | 'dead' | 'left' | 'updated'

export interface PeerEvents {
  /** Another member changed state, as seen by this peer; or this peer's own tags changed (`updated`). */
  member: { type: MemberEventType, member: MemberView }
  /** A document changed: `local` edits as they are made, `remote` ones as they arrive. */
  doc: { name: string, origin: 'local' | 'remote', from?: string }
  /** A local change became durable (acknowledged) and is being pushed to peers. */
  durable: { name: string, version: VersionVectorJSON }
}

export interface FlushOptions {
  /**
   * Durable copies, on distinct peers, that must hold our changes: this peer's own counts if it has a data
   * dir; copies on peers without one never count. 1 = durable here (what `write` already waits for). At
   * most R (`replication.replicas`; more rejects with a RangeError): copies off a doc's R homes are dropped
   * once the homes hold it.
   */
  replicas: number
  /** Reject with TimeoutError after this long (default 5,000 ms). */
  timeoutMs?: number
}

/** Where documents live (`GET /placement`): the scheme, R, the members, and the docs this peer holds. */
/** `Peer.catchUp()`. */
export interface CatchUpView {
  done: boolean
  pending: number
}

export interface PlacementView {
  /** Rendezvous hashing over the live members (src/replication/placement.ts argues the choice). */
  scheme: 'rendezvous'
  /** R: homes per document. */
  replicas: number
  /** The members placement ranks over (alive or suspect, this peer included), sorted. */
  members: string[]
  /** Bumped whenever the member set changes. */
  version: number
  /** Docs this peer holds: homed here, guest copies (kept until R homes hold them) and open in the app. */
  docs: { held: number, homed: number, guest: number, open: number }
  /** For each member, how many of the docs this peer holds it homes. */
  peers: Record<string, number>
  /**
   * Members that said they use another R (`--replicas`) than this peer, each with its R: the two disagree on
   * every document's homes. Empty when all agree (or have not said yet: each says it in its next
   * anti-entropy summary to this peer).
   */
  disagreeing: Record<string, number>
}

/**
 * Options of a write (`write`, `delete`, `counter.add`). Outcomes: the promise resolves once the change is
 * durable here; it rejects with a refusal (nothing applied: StoreFailingError, RateLimitError, …) or with
 * OutcomeUnknownError (maybe applied): `writeOutcome(err)` tells which. README "Write outcomes". A key that
 * is none of these is a TypeError naming it, before anything is applied (a misspelt `opid` wrote without its key).
 */
export interface WriteOptions {
  /** How many bytes the write adds, when known: a write that would take the doc past its size limit is refused before it runs. */
  bytes?: number
  /**
   * Idempotency key (1–256 characters): the write is applied at most once per document within the
   * idempotency window (1 h and 10,000 keys per peer by default), wherever in the mesh it is sent; a retry
   * with the same key answers like the first attempt, without applying it again (`fn` is not called).
   * Use one key per user action, and the same key for every retry of it.
   */
  opId?: string
  /** A digest of the request the key stands for: a later write with the same key and another fingerprint is refused (IdempotencyKeyReusedError). */
  fingerprint?: string
  /** How long to wait for the store's confirmation before OutcomeUnknownError (default 10,000 ms; at most 2^31 − 1, Node's timer limit). */
  timeoutMs?: number
  /**
   * Called when the write is answered as the replay of an earlier one with the same `opId` (nothing
   * applied this time): how a keyed `delete` or `counter.add`, which take no `fn`, tell a retry apart.
   * If it throws, the write rejects with what it threw.
   */
  onReplay?: () => void
}

export interface PeerStats {
  membership: Record<string, unknown>
  transport: Record<string, unknown>
  replication: Record<string, unknown>
  /** The on-disk store's counters (absent for an in-memory peer). */
  storage?: Record<string, unknown>
  /** Latencies in ms: local write → durable (`write` resolved), anti-entropy round → complete, store batch → on disk. */
  latency: { writeAckMs: HistogramSnapshot, antiEntropyRoundMs: HistogramSnapshot, storeWriteMs?: HistogramSnapshot }
  presence: Record<string, unknown>
}

/**
 * Yjs awareness across the mesh: the states of clients connected to this peer (set by whoever serves them,
 * e.g. the y-websocket bridge) reach the peers with clients on the same doc, and theirs reach this one.
 * Ephemeral: never persisted; a state expires 30 s after its last refresh and goes with its peer.
 */
export interface PeerPresence {
  /** Declares one local client of `doc`; the returned function releases it. @throws TooManyPresenceDocsError */
  join(doc: string): () => void
  /** Whether `doc` has local clients (or watchers) here, i.e. this peer receives its states. */
  isJoined(doc: string): boolean
  /** Applies local clients' awareness entries (y-protocols rules: a higher clock wins); returns what changed. */
  setLocal(doc: string, entries: readonly AwarenessEntry[]): readonly PresenceChange[]
  /** Removes local clients' states (their connection closed); returns the removals. */
  removeLocal(doc: string, clientIds: Iterable<number>): readonly PresenceChange[]
  /** Present states of `doc`: this peer's clients' and other peers' clients'. */
  states(doc: string): PresenceState[]
  /** The entry held for a client (tombstones included): its clock and the peer it is connected to. */
  entry(doc: string, clientId: number): { readonly clock: number, readonly owner: string, readonly present: boolean } | undefined
  /** States of `doc` changed (state null = removed), here or on another peer. */
  onChange(listener: (event: { doc: string, changes: readonly PresenceChange[] }) => void): () => void
}

export interface MeshViewOptions {
  /** Peers to ask (default: every alive or suspect member but this one). */
  peers?: readonly string[]
  /** Give up on peers that did not answer within this (default 1,000 ms). */
  timeoutMs?: number
}

/** What `Peer.join` resolves with. */
export interface JoinOutcome {
  /** Addresses that answered the state exchange. */
  contacted: number
  /** Addresses of this peer itself, skipped. */
  self: number
  /**
   * Each address that did not answer (a DNS name that did not resolve: the name as given; else the address
   * dialled), with why for a person: the name did not resolve, the connection was refused, no answer in time.
   */
  failed: JoinFailure[]
}

export interface JoinFailure {
  addr: string
  reason: string
}

/** A hold of a live document by something other than the app (see Peer.hold). */
export interface DocHold {
  readonly doc: Y.Doc
  /** Ends this hold (once; later calls do nothing): the doc is closed if nothing else holds it and the app has not opened it. */
  release(): void
}

export interface Peer {
  /** This peer's id (a libp2p PeerId string). */
  readonly id: string
  /** Multiaddrs (with `/p2p/<id>`) other peers can reach this one at. */
  addresses(): string[]
  /**
   * Opens a named document (loading it from disk, then fetching what peers have) and returns the live
   * Y.Doc. Edits through `doc.transact` are persisted and replicated; use `write` to learn when they are durable.
   */
  doc(name: string): Promise<Y.Doc>
  /**
   * Opens `name` only if it exists: here, on disk, or (asked briefly) on a live peer. Resolves undefined —
   * leaving nothing open — for a name nobody has: every live home of it answered that it holds none.
   * Reads should use this; `doc` creates.
   * @throws DocUnreachableError if it is not here and some home did not answer in time (it may exist).
   */
  find(name: string): Promise<Y.Doc | undefined>
  /**
   * Runs `fn` on the document if it exists — here, on disk, or (asked briefly, and then fetched) on a live
   * peer — and resolves with what `fn` returned, without keeping the document open (it is evicted from
   * memory once idle). Resolves undefined for a name nobody has (every live home of it said so), or a
   * deleted document. `fn` must not keep the doc: use `doc` for a live handle.
   * @throws DocUnreachableError if it is not here and some home did not answer in time (it may exist).
   */
  read<T>(name: string, fn: (doc: Y.Doc) => T): Promise<T | undefined>
  /**
   * Runs `fn` on the document in one transaction; resolves with the new version once it is durable. With
   * `options.opId`, a key applied before is not applied again: `fn` is not called, and the write resolves
   * once the doc is durable here (see WriteOptions for the outcomes).
   * @throws DocTooLargeError (refused: the doc's content is as before) if the doc is at its size limit
   *   (`replication.maxDocBytes`), or `options.bytes` more, or what `fn` added, would take it past: what `fn`
   *   added is withdrawn before anyone sees it, as for InvalidTextError (and PartialWriteError likewise).
   *   What `fn` replaces or deletes is counted out: a doc at its limit can still shrink.
   * @throws InvalidTextError (refused: the doc's content is as before) if what `fn` added holds a lone
   *   surrogate, which UTF-8 cannot carry: the edit is withdrawn before anyone sees it. PartialWriteError (not a
   *   refusal) if `fn` also deleted earlier list or text content or a nested type: those deletions stay.
   * @throws whatever `fn` throws, once the doc is durable: what `fn` changed before throwing is kept and
   *   replicated (Yjs has no rollback). Check first, then change.
   * @throws TypeError, once the doc is durable, if `fn` returned a promise: `fn` runs synchronously in one
   *   transaction, so what an async `fn` does after its first await is not part of the write. Await first.
   */
  write(name: string, fn: (doc: Y.Doc) => void, options?: WriteOptions): Promise<VersionVectorJSON>
  /**
   * The app is done with the live Y.Doc `doc`/`find`/`counter` gave it: it may be destroyed from now on
   * (its memory freed). The document itself stays, replicated as before; `doc(name)` opens it again.
   * Called inside a change (a write's `fn`, a `doc` listener, a transaction on the live doc), it takes effect
   * once the change is over.
   */
  close(name: string): void
  /**
   * Opens `name` as `doc` does, for a holder other than the app — a y-websocket room while it has clients,
   * a library — and counts the hold: the live Y.Doc stays in memory until every hold is released and the
   * app has not opened it (`doc`/`find` without `close`); then it is closed. `close` by the app leaves
   * held docs open.
   */
  hold(name: string): Promise<DocHold>
  /**
   * Replicated delete: removes every item of the document that this peer has seen, on every replica, and
   * marks it deleted (a tombstone that keeps replicas that were offline from bringing the content back).
   * Writes the delete had not seen — made concurrently, e.g. across a partition — survive it, as does any
   * later write: either revives the document with just that content. Resolves once the delete is durable
   * here. @throws DocNotFoundError if no peer has the document (or it is deleted already) — unless
   * `options.opId` names a delete this peer has seen applied, which answers like the first.
   */
  delete(name: string, options?: WriteOptions): Promise<VersionVectorJSON>
  /**
   * Whether `name` exists as far as this peer knows: open here, persisted here, or hosted by a live peer.
   * @throws InvalidDocNameError for a name no document can have.
   */
  hasDoc(name: string): boolean
  /** The document's version vector, if it is open. */
  version(name: string): VersionVectorJSON | undefined
  /** The document's convergence digest, if it is open. */
  digest(name: string): string | undefined
  /** Every document this peer holds or has open, with its digest and version; none once stopped (as `version` and `digest` answer undefined). */
  docs(): DocSummary[]
  /**
   * Resolves once `replicas` durable copies on distinct peers hold everything this peer had of `name` when
   * it was called (a write concern, Akka's WriteTo(n)); rejects with TimeoutError (the write itself stays
   * durable here and keeps replicating) or DocNotFoundError. Rejects at once, waiting for nothing, with
   * WriteConcernUnsatisfiableError when fewer members are up (alive or suspect) than could hold the copies —
   * this peer's own counting only with a data dir — and with a RangeError for more than R.
   */
  flush(name: string, options: FlushOptions): Promise<VersionVectorJSON>
  /** The peers that home `name` (R of them, or every member when fewer are alive), as this peer sees it. */
  homes(name: string): string[]
  /** The placement as this peer sees it. */
  placement(): PlacementView
  /**
   * Whether this peer has compared the docs it homes with their other homes since it started, so its reads
   * see what the mesh acknowledged while it was down (`GET /ready` waits for it). `pending`: docs still
   * waiting. Stays done once done; called done 15 s after it could first compare, whatever is pending.
   */
  catchUp(): CatchUpView
  /** A PN-counter stored in `name` (per-replica slots, so concurrent increments all count). */
  counter(name: string, mapName?: string): Promise<Counter>
  /** Every known member, this peer included. */
  members(): MemberView[]
  /**
   * Whether this peer has nobody to join, so that being the only alive member is what it is set up for (a
   * mesh of one: `/ready` answers ready): it has no bootstrap address and no mDNS, or every bootstrap
   * address is its own — an IP one, or a DNS name that answered with only this peer's addresses twice in
   * a row, 5 s apart (the headless Service of a one-pod Kubernetes StatefulSet) — and no other member was
   * seen alive since.
   */
  nobodyToJoin(): boolean
  /** This peer as a member. */
  self(): MemberView
  /**
   * Calls `listener` on each event of `type`; returns the function that unsubscribes it. A listener that
   * throws does not stop the peer nor the other listeners. @throws TypeError for an unknown `type`.
   */
  on<K extends keyof PeerEvents>(type: K, listener: (event: PeerEvents[K]) => void): () => void
  /**
   * Joins the mesh of the peers at `addrs` (multiaddrs as for `bootstrap`, DNS names included): a full
   * state exchange with each. Resolves with how many answered, how many of `addrs` are this peer's own
   * (skipped: a peer cannot join itself), and each address that did not answer with why (`failed`).
   * @throws ConfigError, before anything is dialled, for an address that is no multiaddr or that no transport
   *   here can dial (not plain TCP, port 0, a `/p2p/` that is no peer id: what `bootstrap` refuses).
   */
  join(addrs: readonly string[]): Promise<JoinOutcome>
  /**
   * Replaces this peer's tags and gossips them (its incarnation rises).
   * @throws ConfigError, changing nothing, if a value is not a string or the tags are over the limits.
   * @throws NotRunningError, changing nothing, once `stop` was called.
   */
  setTags(tags: Record<string, string>): void
  /**
   * Replaces the allowlist of `allowPeers` (undefined: everyone); peers no longer allowed are disconnected.
   * @throws ConfigError, leaving the allowlist as it was, if an entry is not a peer id.
   * @throws NotRunningError once `stop` was called (as `partition`, `heal` and `advertiseHttp` do).
   */
  setAllowedPeers(ids: readonly string[] | undefined): void
  /** Fault injection: drop all traffic to and from these peers (tests, the partition script). */
  partition(block: readonly string[]): void
  /** Fault injection: allow everyone again, or only `ids`. */
  heal(ids?: readonly string[]): void
  /** Peers currently blocked by `partition`. */
  blocked(): string[]
  /** Whether the store can persist writes now; while it cannot, writes are refused before they are applied. */
  storeHealth(): StoreHealth
  stats(): PeerStats
  /** Awareness (presence) of clients on every peer, per doc. */
  readonly presence: PeerPresence
  /** This peer's view of the mesh: members as it sees them, its open docs and their digests. */
  meshView(): MeshView
  /** Asks peers over the mesh for their views (for `/mesh`); peers that did not answer in time are absent. */
  meshViews(options?: MeshViewOptions): Promise<Map<string, MeshView>>
  /** The HTTP API's address this peer advertises in its view (so `/mesh` can reach it when the mesh cannot). */
  advertiseHttp(url: string | undefined): void
  /**
   * Graceful leave: others list us as `left`. First every held doc is handed to the peers that will home it
   * without this one, waiting up to 1 s until each is confirmed by one of them (a warning is logged for any
   * that is not). Call `stop` afterwards: once `stop` was called, `leave` rejects with NotRunningError.
   */
  leave(): Promise<void>
  /**
   * Stops everything (closing connections and the store). Writes under way first get their outcome (durable,
   * within at most 3 s); writes made once it was called are refused (NotRunningError, nothing applied), and
   * reads still waiting for other peers (`doc`, `find`, `read`, `delete`, `hold`) reject with NotRunningError.
   * Changes made once it was called are refused too (`setTags`, `leave`, `setAllowedPeers`, `partition`,
   * `heal`, `advertiseHttp`: NotRunningError, nothing changed), and `docs()` lists nothing once it stopped.
   * Idempotent.
   */
  stop(): Promise<void>
}

export interface Counter {
  /**
   * Adds `delta` (a safe integer; negative to decrement); resolves with the new value once durable.
   * With `options.opId` the increment is applied once per key even if retries reach several peers on both
   * sides of a partition (it is kept under its key, pn-counter.ts); a replay resolves with the value now.
   */
  add(delta: number, options?: WriteOptions): Promise<number>
  value(): number
}
