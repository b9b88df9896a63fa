/**
 * Presence configuration: all-optional `PresenceInit`, documented defaults, one resolve/validate step that
 * throws ConfigError (the shape of replication/config.ts).
 */
import { mergeConfig, requirePositiveIntegers } from '../core/config.js'
import { ConfigError } from '../core/errors.js'
import { PRESENCE_LIMITS } from './codec.js'

export interface PresenceConfig {
  /**
   * A state nobody refreshed for this long is removed: y-protocols' `outdatedTimeout` (30 s). Clients renew
   * their state every 15 s, and a peer refreshes its clients' states to the other peers as often, so only a
   * client, connection or peer that went silent reaches it.
   */
  outdatedTimeoutMs: number
  /**
   * How often the states of our clients are sent again to the peers that have clients on the same doc (a
   * frame lost on the way is repaired by the next one). Half the outdated timeout, as y-protocols renews.
   */
  refreshIntervalMs: number
  /** How often outdated states are looked for: a tenth of the timeout, as y-protocols checks. */
  expireCheckIntervalMs: number
  /**
   * Peers we do not know to have clients on a doc, asked again ("hello") at each refresh while we have
   * clients on it: repairs a lost hello. All of them while there are at most this many; a random subset of
   * this size above (so a doc costs O(this) frames per refresh, not O(N)).
   */
  helloFanout: number
  /** Docs with states held at once; entries for further docs are refused (counted). */
  maxDocs: number
  /** States (and tombstones) per doc; further ones are refused (counted). */
  maxEntriesPerDoc: number
  /** Docs with clients on this peer; `join` beyond it throws (the WebSocket bridge refuses the client). */
  maxLocalDocs: number
  /** Views answered per second in all (a view reply is up to a frame: a cheap request must not buy much traffic). */
  viewRepliesPerSec: number
  /** A peer asking again within this long gets no second reply. */
  viewReplyMinIntervalMs: number
}

export type PresenceInit = Partial<PresenceConfig>

export const DEFAULT_PRESENCE: Readonly<PresenceConfig> = Object.freeze({
  outdatedTimeoutMs: 30_000,
  refreshIntervalMs: 15_000,
  expireCheckIntervalMs: 3_000,
  helloFanout: 16,
  maxDocs: 4096,
  maxEntriesPerDoc: 4 * PRESENCE_LIMITS.entriesPerFrame,
  maxLocalDocs: 1024,
  viewRepliesPerSec: 20,
  viewReplyMinIntervalMs: 250
})

/** @throws ConfigError */
export function resolvePresenceConfig (init: PresenceInit | undefined): PresenceConfig {
  const c = mergeConfig(DEFAULT_PRESENCE, init, 'presence')
  requirePositiveIntegers(c, ['outdatedTimeoutMs', 'refreshIntervalMs', 'expireCheckIntervalMs', 'helloFanout', 'maxDocs', 'maxEntriesPerDoc', 'maxLocalDocs', 'viewRepliesPerSec', 'viewReplyMinIntervalMs'])
  if (c.refreshIntervalMs >= c.outdatedTimeoutMs) {
    throw new ConfigError(`refreshIntervalMs (${c.refreshIntervalMs}) must be below outdatedTimeoutMs (${c.outdatedTimeoutMs}), or live states would expire between refreshes`)
  }
  return c
}
