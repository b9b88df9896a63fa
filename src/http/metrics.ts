/**
 * Prometheus metrics: a registry per peer (several peers may share a process in tests), filled at scrape
 * time from the peer's own counters, so nothing is counted twice and the hot paths carry no metric code.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { Peer } from '../api.js'

type Labels = Record<string, string>
type Sample = [Labels, number]

interface Spec {
  name: string
  help: string
  type: 'counter' | 'gauge'
  labels?: string[]
  read: (s: Snapshot) => Sample[]
}

interface Snapshot {
  peer: Peer
  m: Record<string, unknown>
  t: Record<string, unknown>
  r: Record<string, unknown>
  http: HttpCounters
}

export interface HttpCounters {
  requests: Map<string, number>
  rejected: Map<string, number>
  /** Event-stream clients dropped because they did not keep up. */
  sseDropped: () => number
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? v as Record<string, unknown> : {})
const one = (v: unknown): Sample[] => [[{}, num(v)]]
/** `{ a: 1, b: 2 }` → one sample per key, under label `label`. */
const byKey = (v: unknown, label: string, extra: Labels = {}): Sample[] =>
  Object.entries(obj(v)).map(([k, x]) => [{ ...extra, [label]: k }, num(x)])
const both = (inV: unknown, outV: unknown, label: string): Sample[] =>
  [...byKey(inV, label, { direction: 'in' }), ...byKey(outV, label, { direction: 'out' })]

const SPECS: Spec[] = [
  {
    name: 'murmur_members', help: 'Members by state, as this peer sees them (itself included).', type: 'gauge', labels: ['state'],
    read: ({ peer }) => {
      const counts: Record<string, number> = { alive: 0, suspect: 0, dead: 0, left: 0 }
      for (const m of peer.members()) counts[m.state] = (counts[m.state] ?? 0) + 1
      return Object.entries(counts).map(([state, n]) => [{ state }, n])
    }
  },
  { name: 'murmur_probes_total', help: 'Probe rounds completed.', type: 'counter', read: s => one(s.m.probes) },
  { name: 'murmur_probes_failed_total', help: 'Probe rounds with no ack (direct or indirect).', type: 'counter', read: s => one(s.m.probesFailed) },
  { name: 'murmur_indirect_probes_total', help: 'ping-req messages sent after a missed direct ack.', type: 'counter', read: s => one(s.m.indirectProbes) },
  { name: 'murmur_suspicions_total', help: 'Members this peer saw become suspect.', type: 'counter', read: s => one(s.m.suspicions) },
  { name: 'murmur_refutations_total', help: 'Accusations about this peer that it refuted.', type: 'counter', read: s => one(s.m.refutations) },
  { name: 'murmur_push_pulls_total', help: 'Push-pull state exchanges started.', type: 'counter', read: s => one(s.m.pushPulls) },
  { name: 'murmur_reconnect_attempts_total', help: 'Push-pulls with dead members (partition healing).', type: 'counter', read: s => one(s.m.reconnectAttempts) },
  { name: 'murmur_unknown_sender_pulls_total', help: 'Push-pulls with a sender this peer had not heard of (a join whose gossip missed it).', type: 'counter', read: s => one(s.m.unknownSenderPulls) },
  { name: 'murmur_local_health', help: 'Lifeguard local health score (0 = healthy; timeouts scale by score + 1).', type: 'gauge', read: s => one(s.m.awareness) },
  { name: 'murmur_broadcast_queue', help: 'Membership updates waiting for dissemination.', type: 'gauge', read: s => one(s.m.broadcastQueue) },
  { name: 'murmur_swim_messages_total', help: 'Membership messages by direction and type.', type: 'counter', labels: ['direction', 'type'], read: s => both(s.m.messagesIn, s.m.messagesOut, 'type') },
  { name: 'murmur_swim_bytes_total', help: 'Membership bytes (encoded frames) by direction and type.', type: 'counter', labels: ['direction', 'type'], read: s => both(s.m.bytesIn, s.m.bytesOut, 'type') },
  {
    name: 'murmur_rejected_frames_total', help: 'Inbound frames rejected, by layer and reason.', type: 'counter', labels: ['layer', 'reason'],
    read: s => [
      ...byKey(s.t.rejectedFrames, 'reason', { layer: 'transport' }),
      [{ layer: 'membership', reason: 'decode' }, num(s.m.decodeErrors)],
      [{ layer: 'membership', reason: 'unexpected' }, num(s.m.unexpectedFrames)],
      [{ layer: 'replication', reason: 'decode' }, num(s.r.decodeErrors)],
      [{ layer: 'replication', reason: 'unexpected' }, num(s.r.unexpectedFrames)],
      [{ layer: 'replication', reason: 'unhosted' }, num(s.r.unhostedFrames)]
    ]
  },
  {
    name: 'murmur_transport_frames_total', help: 'Frames through the transport, by channel and direction.', type: 'counter', labels: ['channel', 'direction'],
    read: s => Object.entries(obj(s.t.channels)).flatMap(([channel, c]) => [
      [{ channel, direction: 'in' }, num(obj(c).framesIn)], [{ channel, direction: 'out' }, num(obj(c).framesOut)]
    ] as Sample[])
  },
  {
    name: 'murmur_transport_bytes_total', help: 'Frame bytes through the transport, by channel and direction.', type: 'counter', labels: ['channel', 'direction'],
    read: s => Object.entries(obj(s.t.channels)).flatMap(([channel, c]) => [
      [{ channel, direction: 'in' }, num(obj(c).bytesIn)], [{ channel, direction: 'out' }, num(obj(c).bytesOut)]
    ] as Sample[])
  },
  { name: 'murmur_dials_total', help: 'Outbound dials by result.', type: 'counter', labels: ['result'], read: s => byKey(s.t.dials, 'result') },
  { name: 'murmur_dropped_outbound_total', help: 'Outbound frames dropped, by reason.', type: 'counter', labels: ['reason'], read: s => byKey(s.t.droppedOutbound, 'reason') },
  { name: 'murmur_rejected_connections_total', help: 'Connections refused, by reason: handshake failure (e.g. pre-shared key mismatch), allowlist, blocked, flood cooldown, unprotected, pending-upgrade cap, per-IP limit.', type: 'counter', labels: ['reason'], read: s => byKey(s.t.rejectedConnections, 'reason') },
  { name: 'murmur_rejected_streams_total', help: 'Inbound streams refused (per-peer cap, blocked or unauthorized).', type: 'counter', read: s => one(s.t.rejectedStreams) },
  { name: 'murmur_flooders_total', help: 'Peers throttled, and disconnected for flooding.', type: 'counter', labels: ['action'], read: s => byKey(s.t.flooders, 'action') },
  { name: 'murmur_connections', help: 'Open connections.', type: 'gauge', read: s => one(s.t.openConnections) },
  { name: 'murmur_queued_outbound_bytes', help: 'Bytes waiting in outbound queues.', type: 'gauge', read: s => one(s.t.queuedBytes) },
  { name: 'murmur_sync_messages_total', help: 'Replication messages by direction and type.', type: 'counter', labels: ['direction', 'type'], read: s => both(s.r.messagesIn, s.r.messagesOut, 'type') },
  { name: 'murmur_sync_bytes_total', help: 'Replication frame bytes by direction and type.', type: 'counter', labels: ['direction', 'type'], read: s => both(s.r.bytesIn, s.r.bytesOut, 'type') },
  {
    name: 'murmur_replication_events_total', help: 'Replication events by kind.', type: 'counter', labels: ['event'],
    read: s => ['localUpdates', 'updatesApplied', 'updatesDuplicate', 'updatesPending', 'pendingDropped', 'pushes', 'forwards', 'antiEntropyRounds', 'antiEntropyCompleted',
      'antiEntropyTimedOut', 'antiEntropySkipped', 'diffsSent', 'transfersDropped', 'oversizeDropped', 'openRefused', 'handlerErrors', 'flushes', 'flushesSucceeded', 'flushesFailed',
      'compactions', 'storeErrors']
      .map(k => [{ event: k }, num(s.r[k])] as Sample)
  },
  { name: 'murmur_docs', help: 'Documents open on this peer.', type: 'gauge', read: s => one(s.r.docs) },
  { name: 'murmur_pending_update_bytes', help: 'Bytes of remote updates waiting for missing dependencies.', type: 'gauge', read: s => one(s.r.pendingUpdateBytes) },
  {
    name: 'murmur_membership_refused_total', help: 'Membership work refused to stay within limits, by reason.', type: 'counter', labels: ['reason'],
    read: s => [
      [{ reason: 'implausible_incarnation' }, num(s.m.implausibleUpdates)],
      [{ reason: 'member_table_full' }, num(s.m.membersRefused)],
      [{ reason: 'ping_req' }, num(s.m.pingReqsRefused)],
      [{ reason: 'push_pull' }, num(s.m.pushPullsRefused)],
      [{ reason: 'broadcast_queue_full' }, num(s.m.broadcastsDropped)]
    ]
  },
  { name: 'murmur_pruned_connections_total', help: 'Connections closed by the connection budget (LRU).', type: 'counter', read: s => one(s.t.prunedConnections) },
  {
    name: 'murmur_rate_limited_bytes_total', help: 'Inbound frames (and their bytes) dropped by the per-peer byte rate (a subset of rejected frames with reason rateLimited).', type: 'counter', labels: ['unit'],
    read: s => byKey(s.t.rateLimitedBytes, 'unit')
  },
  { name: 'murmur_silent_connections_closed_total', help: 'Connections closed because the peer stopped answering.', type: 'counter', read: s => one(s.t.silentConnectionsClosed) },
  { name: 'murmur_http_requests_total', help: 'HTTP requests by route and status.', type: 'counter', labels: ['route', 'status'], read: s => [...s.http.requests].map(([k, n]) => { const [route = '', status = ''] = k.split(' '); return [{ route, status }, n] as Sample }) },
  { name: 'murmur_sse_dropped_total', help: 'Event-stream clients disconnected for not keeping up.', type: 'counter', read: s => one(s.http.sseDropped()) },
  { name: 'murmur_http_rejected_total', help: 'HTTP requests refused, by reason.', type: 'counter', labels: ['reason'], read: s => [...s.http.rejected].map(([reason, n]) => [{ reason }, n] as Sample) }
]

export function createMetrics (peer: Peer, http: HttpCounters): Registry {
  const registry = new Registry()
  let snapshot: Snapshot | undefined
  // One stats() call per scrape, shared by every metric's collect().
  const current = (): Snapshot => {
    if (snapshot === undefined) {
      const stats = peer.stats()
      snapshot = { peer, m: stats.membership, t: stats.transport, r: stats.replication, http }
      queueMicrotask(() => { snapshot = undefined })
    }
    return snapshot
  }
  for (const spec of SPECS) {
    const labelNames = spec.labels ?? []
    if (spec.type === 'counter') {
      new Counter({ name: spec.name, help: spec.help, labelNames, registers: [registry], collect () { this.reset(); for (const [l, v] of spec.read(current())) this.inc(l, v) } })
    } else {
      new Gauge({ name: spec.name, help: spec.help, labelNames, registers: [registry], collect () { this.reset(); for (const [l, v] of spec.read(current())) this.set(l, v) } })
    }
  }
  collectDefaultMetrics({ register: registry, prefix: 'murmur_process_' })
  return registry
}
