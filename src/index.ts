/**
 * murmur: a leaderless peer-to-peer mesh — SWIM + Lifeguard membership and Yjs documents replicated with
 * version vectors, push and anti-entropy, over libp2p.
 *
 *   const peer = await createPeer({ dataDir: './data', bootstrap: ['/ip4/10.0.0.5/tcp/4001/p2p/12D3…'] })
 *   await peer.write('notes', doc => doc.getMap('kv').set('hello', 'world'))   // resolves once durable
 *
 * This file is the contract: the factory, its types, and the few helpers applications use.
 */
export { createPeer, bootstrapDestination, UnsupportedRuntimeError, MIN_NODE_MAJOR } from './peer-node.js'
export type { Peer, DocHold, PeerOptions, PeerEvents, MemberView, MemberEventType, DocSummary, FlushOptions, Counter, PeerStats, PlacementView, CatchUpView, WriteOptions, PeerPresence, MeshViewOptions, JoinOutcome, JoinFailure } from './api.js'
export { createHttpApi, advertisedUrl, startHttpServer, readJson, HttpError, errorAnswer, errorBody, isRecord, createAccessCheck, refuseUpgrade, SseHub, docToJSON, idempotencyOf, markReplayed, IDEMPOTENCY_HEADER, REPLAYED_HEADER } from './http/index.js'
export type { HttpApi, HttpApiOptions, RunningServer, HttpCloseOptions, RequestHandler, ReadJsonOptions, SseOptions, AccessCheck, AccessOptions, RouteAccess, TlsFiles } from './http/index.js'
export { parseArgs, HELP as PEER_HELP } from './cli/args.js'
export type { PeerCliOptions, ParsedArgs, PeerEnv } from './cli/args.js'
export { MURMUR_VERSION } from './version.js'
export { createLogger, streamSink, silentLogger } from './core/logger.js'
export type { Logger, LogLevelName, LogSink, LogFields } from './core/logger.js'
export type { HistogramSnapshot } from './core/histogram.js'
export { MurmurError, ConfigError, DecodeError, TimeoutError, NotRunningError, RateLimitError, InsecureFileError } from './core/errors.js'
export { WriteConcernUnsatisfiableError } from './write-options.js'
export { OutcomeUnknownError, StoreFailingError, StoreFullError, IdempotencyKeyReusedError, InvalidOpIdError, InvalidTextError, PartialWriteError, writeOutcome, UNKNOWN_OUTCOME_NEXT } from './core/outcome.js'
export type { WriteOutcome, UnknownOutcomeReason } from './core/outcome.js'
export type { StoreHealth, StoreHealthState } from './core/store-health.js'
export { checkOpId, fingerprintOf, MAX_OP_ID_CHARS } from './replication/idempotency.js'
export { PNCounter, versionVector, InvalidDocNameError, TooManyDocsError, DocNotFoundError, DocUnreachableError, DocTooLargeError } from './replication/index.js'
export { IdentityError, PskError } from './net/index.js'
export { StorageError, StoreLockedError, StoreBusyError, UpdateSizeError } from './storage/index.js'
export type { VersionVectorJSON, Ordering, ReplicationInit } from './replication/index.js'
export type { MemberState, MembershipInit } from './membership/index.js'
export { TooManyPresenceDocsError, DEFAULT_PRESENCE } from './presence/index.js'
export type { AwarenessEntry, PresenceChange, PresenceState, PresenceInit, MeshView } from './presence/index.js'
export { YjsBridge, CloseCode, DEFAULT_YJS, YJS_PATH_PREFIX } from './yjs/index.js'
export type { YjsInit, YjsBridgeOptions, YjsStats } from './yjs/index.js'
