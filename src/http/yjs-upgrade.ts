/**
 * The y-websocket endpoint (`ws://…/yjs/<doc>`) of the HTTP API, with its bridge loaded on the first upgrade
 * asking for it (issue 11: an idle peer's memory). The bridge brings the `ws` package and, through it,
 * node:https, node:tls and node:zlib, and keeps a keepalive timer; a peer no y-websocket client ever
 * connects to needs none of it. Until then its stats are zero, and its settings are checked at once all the
 * same: a bad `yjs` option still fails createHttpApi, not the first client.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Peer } from '../api.js'
import type { Logger } from '../core/logger.js'
import type { UpgradeCheck } from '../yjs/auth.js'
import type { YjsBridge } from '../yjs/bridge.js'
import { resolveYjsConfig } from '../yjs/config.js'
import type { YjsInit } from '../yjs/config.js'
import { createYjsCounters } from '../yjs/stats.js'
import type { YjsStats } from '../yjs/stats.js'

/** The bridge's path prefix (YJS_PATH_PREFIX of yjs/bridge.ts, which is not imported here so as not to load it). */
export const YJS_UPGRADE_PREFIX = '/yjs/'

export interface YjsUpgrade {
  /** The HTTP server's `upgrade` hook: false (the socket left alone) for paths that are not under /yjs/. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean
  /** The bridge's stats; zero while no client has asked for it. */
  stats(): YjsStats
  /** Closes the bridge if it was loaded (one still loading is closed as it arrives, and refuses its client). */
  close(): void
  /** Whether the bridge has been loaded (for tests). */
  readonly loaded: boolean
}

export interface YjsUpgradeOptions {
  authorize: UpgradeCheck
  config?: YjsInit
  log: Logger
}

/** Stats of a bridge that no client has asked for yet. */
function idleStats (): YjsStats {
  const { durableMs, ...counts } = createYjsCounters()
  return { ...counts, durableMs: durableMs.snapshot(), connections: 0, rooms: 0 }
}

export function lazyYjsUpgrade (peer: Peer, options: YjsUpgradeOptions): YjsUpgrade {
  const config = resolveYjsConfig(options.config)
  let bridge: YjsBridge | undefined
  let loading: Promise<YjsBridge> | undefined
  let closed = false
  const load = (): Promise<YjsBridge> => loading ??= import('../yjs/bridge.js').then(({ YjsBridge }) => {
    const b = new YjsBridge(peer, { authorize: options.authorize, config, log: options.log })
    // Closed while it loaded: it answers its first clients 503, as a closed bridge does.
    if (closed) b.close()
    bridge = b
    return b
  })
  return {
    upgrade: (req, socket, head) => {
      if (!(req.url ?? '').startsWith(YJS_UPGRADE_PREFIX)) return false
      if (bridge !== undefined) return bridge.handleUpgrade(req, socket, head)
      // Until the bridge has it, nobody listens for the socket's errors (Node's HTTP server stopped at the
      // upgrade): a client that resets it meanwhile would be an uncaught exception.
      socket.on('error', () => { socket.destroy() })
      load().then((b) => {
        if (!socket.destroyed) b.handleUpgrade(req, socket, head)
      }, (err: unknown) => {
        options.log.error('cannot load the y-websocket bridge', { error: err instanceof Error ? err.message : String(err) })
        socket.destroy()
      })
      return true
    },
    stats: () => bridge?.stats() ?? idleStats(),
    close: () => {
      closed = true
      bridge?.close()
    },
    get loaded () { return bridge !== undefined }
  }
}
