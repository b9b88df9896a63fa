/**
 * Presence counters. One mutable object owned by Presence and shared with its modules; `stats()` hands
 * out a copy.
 */
import { PRESENCE_TYPES } from './codec.js'
import type { PresenceTypeName } from './codec.js'

export type Counts = Record<PresenceTypeName, number>

export interface PresenceCounters {
  messagesIn: Counts
  messagesOut: Counts
  bytesIn: Counts
  bytesOut: Counts
  /** Frames that failed decoding or validation. Dropped. */
  decodeErrors: number
  /** Valid frames that made no sense here: a view reply nobody asked for, from the wrong peer, or too late. */
  unexpectedFrames: number
  /** States for a doc nobody here has clients on (answered with a bye, at most once per refresh interval). */
  uninterestedFrames: number
  /** Entries refused because a table limit was reached (maxDocs, maxEntriesPerDoc). */
  entriesRefused: number
  /** Messages that did not fit a frame even alone (a bug). Not sent. */
  oversizeDropped: number
  /** View requests not answered (rate limits). */
  viewRequestsRefused: number
  /** States removed because nobody refreshed them within the outdated timeout. */
  statesExpired: number
  /** States removed because their peer went away (dead, left, or said bye). */
  statesDroppedWithPeer: number
}

export interface PresenceStats extends PresenceCounters {
  /** States held (all docs, present ones only). */
  states: number
  /** States of clients connected to this peer. */
  localStates: number
  /** Docs with clients connected to this peer. */
  localDocs: number
  /** (doc, peer) pairs we send our clients' states to. */
  subscriptions: number
}

export function createCounters (): PresenceCounters {
  const counts = (): Counts => Object.fromEntries(PRESENCE_TYPES.map(t => [t, 0])) as Counts
  return {
    messagesIn: counts(),
    messagesOut: counts(),
    bytesIn: counts(),
    bytesOut: counts(),
    decodeErrors: 0,
    unexpectedFrames: 0,
    uninterestedFrames: 0,
    entriesRefused: 0,
    oversizeDropped: 0,
    viewRequestsRefused: 0,
    statesExpired: 0,
    statesDroppedWithPeer: 0
  }
}
