/**
 * Prometheus metrics of the y-websocket bridge and of presence, registered beside the peer's own on the
 * HTTP API's registry and filled at scrape time from the counters (nothing on the hot paths).
 */
import { Counter, Gauge } from '../http/prom.js'
import type { Histogram, Registry } from '../http/prom.js'
import { snapshotHistogram } from '../http/metrics.js'
import type { PeerStats } from '../api.js'
import { CLOSE_CODE_NAMES } from './close-codes.js'
import type { YjsStats } from './stats.js'

type Sample = [Record<string, string>, number]

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? v as Record<string, unknown> : {})
const byKey = (v: unknown, label: string, extra: Record<string, string> = {}): Sample[] => Object.entries(obj(v)).map(([k, x]) => [{ ...extra, [label]: k }, num(x)])

/** `peerStats`: the peer's stats as the scrape took them (Metrics.peerStats), not a fresh `peer.stats()` per metric. */
export function registerYjsMetrics (registry: Registry, peerStats: () => PeerStats, bridge: { stats: () => YjsStats }): void {
  const gauge = (name: string, help: string, read: () => Sample[], labelNames: string[] = []): void => {
    new Gauge({ name, help, labelNames, registers: [registry], collect () { this.reset(); for (const [l, v] of read()) this.set(l, v) } })
  }
  const counter = (name: string, help: string, read: () => Sample[], labelNames: string[] = []): void => {
    new Counter({ name, help, labelNames, registers: [registry], collect () { this.reset(); for (const [l, v] of read()) this.inc(l, v) } })
  }
  const y = (): YjsStats => bridge.stats()
  const p = (): Record<string, unknown> => peerStats().presence
  gauge('murmur_yjs_connections', 'y-websocket clients connected.', () => [[{}, y().connections]])
  gauge('murmur_yjs_rooms', 'Documents with y-websocket clients.', () => [[{}, y().rooms]])
  counter('murmur_yjs_accepted_total', 'y-websocket clients accepted.', () => [[{}, y().accepted]])
  counter('murmur_yjs_refused_total', 'y-websocket clients refused at connect, by reason.', () => byKey(y().refused, 'reason'), ['reason'])
  counter('murmur_yjs_closed_total', 'y-websocket connections closed, by close code.', () =>
    Object.entries(y().closed).map(([code, n]) => [{ code, name: CLOSE_CODE_NAMES.get(Number(code)) ?? 'other' }, n] as Sample), ['code', 'name'])
  counter('murmur_yjs_messages_total', 'y-websocket messages by direction and type.', () => [
    ...byKey(y().messagesIn, 'type', { direction: 'in' }), ...byKey(y().messagesOut, 'type', { direction: 'out' })
  ], ['direction', 'type'])
  counter('murmur_yjs_bytes_total', 'y-websocket message bytes by direction.', () => [[{ direction: 'in' }, y().bytesIn], [{ direction: 'out' }, y().bytesOut]], ['direction'])
  counter('murmur_yjs_malformed_total', 'y-websocket messages that failed validation (client closed with 4400).', () => [[{}, y().malformed]])
  counter('murmur_yjs_throttled_total', 'Times a y-websocket client was paused by its rate limits.', () => [[{}, y().throttled]])
  counter('murmur_yjs_awareness_refused_total', 'Awareness entries of y-websocket clients dropped, by reason.', () => byKey(y().awarenessRefused, 'reason'), ['reason'])
  counter('murmur_yjs_awareness_echoes_total', 'Awareness entries y-websocket clients sent back unchanged (they echo every update they receive); ignored.', () => [[{}, y().awarenessEchoes]])
  counter('murmur_yjs_updates_total', 'Edits of y-websocket clients by result: durable, or failed (client closed).', () => [[{ result: 'durable' }, y().updatesDurable], [{ result: 'failed' }, y().updatesFailed]], ['result'])
  // registerMetric is typed for prom-client's own classes; the registry only calls `name` and `get()`.
  registry.registerMetric(snapshotHistogram('murmur_yjs_edit_durable_seconds',
    'y-websocket client edits, from arriving on this peer to durable (what relaying them to the other clients and the mesh waits for).',
    () => y().durableMs) as unknown as Histogram)
  gauge('murmur_presence_states', 'Awareness states held, by owner (this peer\'s clients, or other peers\').', () => [
    [{ owner: 'local' }, num(p().localStates)], [{ owner: 'remote' }, num(p().states) - num(p().localStates)]
  ], ['owner'])
  gauge('murmur_presence_docs', 'Documents with y-websocket clients on this peer (presence interest).', () => [[{}, num(p().localDocs)]])
  gauge('murmur_presence_subscriptions', '(doc, peer) pairs this peer sends its clients\' awareness to.', () => [[{}, num(p().subscriptions)]])
  counter('murmur_presence_messages_total', 'Presence-channel messages by direction and type.', () => [
    ...byKey(p().messagesIn, 'type', { direction: 'in' }), ...byKey(p().messagesOut, 'type', { direction: 'out' })
  ], ['direction', 'type'])
  counter('murmur_presence_bytes_total', 'Presence-channel bytes by direction and type.', () => [
    ...byKey(p().bytesIn, 'type', { direction: 'in' }), ...byKey(p().bytesOut, 'type', { direction: 'out' })
  ], ['direction', 'type'])
  counter('murmur_presence_refused_total', 'Presence input refused or dropped, by reason.', () => [
    [{ reason: 'decode' }, num(p().decodeErrors)],
    [{ reason: 'unexpected' }, num(p().unexpectedFrames)],
    [{ reason: 'uninterested' }, num(p().uninterestedFrames)],
    [{ reason: 'table_full' }, num(p().entriesRefused)],
    [{ reason: 'view_rate_limit' }, num(p().viewRequestsRefused)],
    [{ reason: 'oversize' }, num(p().oversizeDropped)]
  ], ['reason'])
  counter('murmur_presence_removed_total', 'Awareness states removed, by cause: expired (30 s without refresh) or their peer went away.', () => [
    [{ cause: 'expired' }, num(p().statesExpired)], [{ cause: 'peer_gone' }, num(p().statesDroppedWithPeer)]
  ], ['cause'])
}
