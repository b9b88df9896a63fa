/** Counters of the y-websocket bridge (scraped into /metrics by metrics.ts). */
import { CLIENT_MESSAGE_TYPES } from './messages.js'
import type { ClientMessageType } from './messages.js'

export const OUT_KINDS = ['syncStep1', 'syncStep2', 'update', 'awareness', 'auth'] as const
export type OutKind = typeof OUT_KINDS[number]

export interface YjsCounters {
  /** Clients accepted. */
  accepted: number
  /** Clients refused at connect, by reason. */
  refused: Record<string, number>
  /** Connections closed, by close code (whoever closed). */
  closed: Record<number, number>
  messagesIn: Record<ClientMessageType, number>
  messagesOut: Record<OutKind, number>
  bytesIn: number
  bytesOut: number
  /** Messages that failed decoding or validation (the client is closed with 4400). */
  malformed: number
  /** Times a client was paused by its rate limits. */
  throttled: number
  /** Awareness entries dropped, by reason: another live connection speaks for that client id, or too many ids. */
  awarenessRefused: Record<'notOwner' | 'tooManyClientIds', number>
  /** Awareness entries a client sent back unchanged (y-websocket clients echo every update they receive). */
  awarenessEchoes: number
  /** Client edits applied and made durable, and those that failed (store error or overload). */
  updatesDurable: number
  updatesFailed: number
  /** Time from a client's edit arriving to it being durable (relay waits for it): histogram, ms. */
  durableMs: { buckets: number[], counts: number[], sum: number, count: number }
}

/** Upper bounds (ms) of the durable-wait histogram buckets (the last bucket is +Inf). */
export const DURABLE_MS_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]

export function observeDurable (c: YjsCounters, ms: number): void {
  const h = c.durableMs
  let i = h.buckets.findIndex(b => ms <= b)
  if (i < 0) i = h.buckets.length
  h.counts[i] = (h.counts[i] ?? 0) + 1
  h.sum += ms
  h.count++
}

export interface YjsStats extends YjsCounters {
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
    awarenessRefused: { notOwner: 0, tooManyClientIds: 0 },
    awarenessEchoes: 0,
    updatesDurable: 0,
    updatesFailed: 0,
    durableMs: { buckets: [...DURABLE_MS_BUCKETS], counts: new Array<number>(DURABLE_MS_BUCKETS.length + 1).fill(0), sum: 0, count: 0 }
  }
}
