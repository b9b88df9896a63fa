/** Counters of the y-websocket bridge (scraped into /metrics by metrics.ts). */
import { Histogram } from '../core/histogram.js'
import type { HistogramSnapshot } from '../core/histogram.js'
import { CLIENT_MESSAGE_TYPES } from './messages.js'
import type { ClientMessageType } from './messages.js'

export const OUT_KINDS = ['syncStep1', 'syncStep2', 'update', 'awareness', 'auth'] as const
export type OutKind = typeof OUT_KINDS[number]

export interface YjsCounters {
  /** Clients accepted. */
  accepted: number
  /** Clients refused at connect, by reason. */
  refused: Record<string, number>
  /** Connections closed, by close code (whoever closed) as countedCloseCode gives it. */
  closed: Record<string, number>
  messagesIn: Record<ClientMessageType, number>
  messagesOut: Record<OutKind, number>
  bytesIn: number
  bytesOut: number
  /** Messages that failed decoding or validation (the client is closed with 4400). */
  malformed: number
  /** Times a client was paused by its rate limits. */
  throttled: number
  /** Awareness entries dropped, by reason: another live connection speaks for that client id, too many ids, or a state over PRESENCE_LIMITS.stateChars. */
  awarenessRefused: Record<'notOwner' | 'tooManyClientIds' | 'tooLarge', number>
  /** Awareness entries a client sent back unchanged (y-websocket clients echo every update they receive). */
  awarenessEchoes: number
  /** Client edits applied and made durable, and those that failed (store error or overload). */
  updatesDurable: number
  updatesFailed: number
  /** Time from a client's edit arriving to it being durable (what the relay waits for), ms. */
  durableMs: Histogram
}

export interface YjsStats extends Omit<YjsCounters, 'durableMs'> {
  durableMs: HistogramSnapshot
  connections: number
  rooms: number
}

export function createYjsCounters (): YjsCounters {
  return {
    accepted: 0,
    refused: {},
    closed: {},
    messagesIn: Object.fromEntries(CLIENT_MESSAGE_TYPES.map(t => [t, 0])) as Record<ClientMessageType, number>,
    messagesOut: Object.fromEntries(OUT_KINDS.map(t => [t, 0])) as Record<OutKind, number>,
    bytesIn: 0,
    bytesOut: 0,
    malformed: 0,
    throttled: 0,
    awarenessRefused: { notOwner: 0, tooManyClientIds: 0, tooLarge: 0 },
    awarenessEchoes: 0,
    updatesDurable: 0,
    updatesFailed: 0,
    durableMs: new Histogram()
  }
}
