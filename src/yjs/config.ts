/**
 * Limits of the y-websocket bridge: all-optional `YjsInit`, documented defaults, one resolve step that
 * throws ConfigError. What happens on overflow is in docs/LIMITS.md.
 */
import { mergeConfig, requirePositiveIntegers } from '../core/config.js'
import { ConfigError } from '../core/errors.js'
import { PRESENCE_LIMITS } from '../presence/index.js'

export interface YjsConfig {
  /**
   * WebSocket clients at once, all docs. Beyond it a new client is closed with 1013 (try again later).
   * Below the HTTP server's connection cap (1,024) so that the HTTP API stays reachable when it is full.
   */
  maxConnections: number
  /** Clients of one doc at once (1013 beyond). */
  maxConnectionsPerDoc: number
  /**
   * Largest message a client may send (its offline edits arrive as one sync step 2). Equal to the store's
   * largest update (16 MiB): a bigger edit could not be made durable anyway. Beyond it: closed with 1009.
   */
  maxMessageBytes: number
  /**
   * Messages per second per client, with a burst. A fast typist sends tens a second (an update and an
   * awareness change per keystroke). Beyond it the connection is paused (TCP backpressure), not dropped.
   */
  messagesPerSec: number
  messageBurst: number
  /** Bytes per second per client (paused beyond it, as above); the burst takes one maximal message. */
  bytesPerSec: number
  /** Edits of one client waiting to be durable; beyond it the connection is paused until they are. */
  maxPendingWrites: number
  /** Bytes queued to a client that does not read; beyond it the client is closed with 1013 and resyncs on reconnect. */
  maxBufferedBytes: number
  /**
   * Client ids one connection may speak for in awareness (a y-websocket provider has one; tabs sharing a
   * BroadcastChannel still connect separately). Entries beyond it are dropped and counted.
   */
  maxClientIdsPerConnection: number
  /** Awareness entries in one message. A malformed message beyond it closes the client (4400). */
  maxAwarenessEntries: number
  /** Ping interval; a client that did not answer the previous ping is closed (half-open TCP). */
  keepaliveMs: number
}

export type YjsInit = Partial<YjsConfig>

export const DEFAULT_YJS: Readonly<YjsConfig> = Object.freeze({
  maxConnections: 512,
  maxConnectionsPerDoc: 256,
  maxMessageBytes: 16 * 1024 * 1024,
  messagesPerSec: 200,
  messageBurst: 1000,
  bytesPerSec: 1024 * 1024,
  maxPendingWrites: 64,
  maxBufferedBytes: 32 * 1024 * 1024,
  maxClientIdsPerConnection: 8,
  maxAwarenessEntries: PRESENCE_LIMITS.entriesPerFrame,
  keepaliveMs: 30_000
})

/** @throws ConfigError */
export function resolveYjsConfig (init: YjsInit | undefined): YjsConfig {
  const c = mergeConfig(DEFAULT_YJS, init, 'yjs')
  requirePositiveIntegers(c, ['maxConnections', 'maxConnectionsPerDoc', 'maxMessageBytes', 'messagesPerSec', 'messageBurst', 'bytesPerSec', 'maxPendingWrites', 'maxBufferedBytes', 'maxClientIdsPerConnection', 'maxAwarenessEntries', 'keepaliveMs'])
  if (c.maxAwarenessEntries > PRESENCE_LIMITS.entriesPerFrame) {
    throw new ConfigError(`maxAwarenessEntries (${c.maxAwarenessEntries}) must not exceed what one presence frame carries (${PRESENCE_LIMITS.entriesPerFrame})`)
  }
  return c
}
