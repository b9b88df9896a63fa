/**
 * The table of murmur's Prometheus metrics, read at scrape time from `peer.stats()` (see metrics.ts). One
 * metric per meaning; labels only split a meaning into parts (direction, message type, result).
 */
import type { Peer, PeerStats } from '../api.js'
import { eventLoopDelay } from '../core/event-loop.js'

type Labels = Record<string, string>
type Sample = [Labels, number]

export interface Spec {
  name: string
  help: string
  type: 'counter' | 'gauge'
  labels?: string[]
  read: (s: Snapshot) => Sample[]
}

export interface Snapshot {
  peer: Peer
  /** `peer.stats()`, taken once for the scrape. */
  stats: PeerStats
  m: Record<string, unknown>
  t: Record<string, unknown>
  r: Record<string, unknown>
  /** Store counters ({} for an in-memory peer). */
  st: Record<string, unknown>
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
/** One sample list per handshake direction, labelled with it. */
const handshakes = (s: Snapshot, read: (h: Record<string, unknown>) => Sample[]): Sample[] =>
  Object.entries(obj(s.t.handshakes)).flatMap(([direction, h]) => read(obj(h)).map(([l, v]) => [{ direction, ...l }, v] as Sample))
const both = (inV: unknown, outV: unknown, label: string): Sample[] =>
  [...byKey(inV, label, { direction: 'in' }), ...byKey(outV, label, { direction: 'out' })]

/**
 * Replication counters, one metric per meaning: a label only splits one meaning into parts that add up
 * (updates received, by what they did). Keyed by the `peer.stats().replication` field they read; the
 * benchmarks use the same table to find a stat's metric.
 */
export const REPLICATION_COUNTERS: Readonly<Record<string, { name: string, help: string, labels?: Labels }>> = {
  localUpdates: { name: 'murmur_local_updates_total', help: 'Local transactions that changed a document.' },
  updatesApplied: { name: 'murmur_remote_updates_total', help: 'Remote updates received, by what they did: applied (something new), duplicate (known already), pending (waiting for missing dependencies).', labels: { result: 'applied' } },
  updatesDuplicate: { name: 'murmur_remote_updates_total', help: '', labels: { result: 'duplicate' } },
  updatesPending: { name: 'murmur_remote_updates_total', help: '', labels: { result: 'pending' } },
  pendingDropped: { name: 'murmur_pending_updates_dropped_total', help: 'Times a document\'s updates waiting for dependencies outgrew maxPendingUpdateBytes and were dropped (anti-entropy fetches them again).' },
  gapFills: { name: 'murmur_gap_fills_total', help: 'Rounds started with the sender of a pushed update that arrived with an earlier one missing (it fills the gap at once).' },
  pushes: { name: 'murmur_pushes_total', help: 'Update frames pushed to hosts for local writes (once durable).' },
  forwards: { name: 'murmur_forwards_total', help: 'Update frames forwarded for new remote pushes.' },
  antiEntropyRounds: { name: 'murmur_anti_entropy_rounds_started_total', help: 'Anti-entropy rounds started by this peer.' },
  antiEntropyCompleted: { name: 'murmur_anti_entropy_rounds_ended_total', help: 'Anti-entropy rounds that ended, by result: completed or timed out.', labels: { result: 'completed' } },
  antiEntropyTimedOut: { name: 'murmur_anti_entropy_rounds_ended_total', help: '', labels: { result: 'timed_out' } },
  antiEntropySkipped: { name: 'murmur_anti_entropy_rounds_skipped_total', help: 'Anti-entropy rounds not started because too many were outstanding.' },
  diffsSent: { name: 'murmur_anti_entropy_diffs_sent_total', help: 'Per-document diffs sent by anti-entropy.' },
  transfersCompleted: { name: 'murmur_chunked_transfers_total', help: 'Chunked transfers received, by result: completed, or dropped (timeout, over a limit, inconsistent chunks).', labels: { result: 'completed' } },
  transfersDropped: { name: 'murmur_chunked_transfers_total', help: '', labels: { result: 'dropped' } },
  oversizeDropped: { name: 'murmur_oversize_messages_dropped_total', help: 'Messages too large even for a chunked transfer (maxTransferBytes): not sent.' },
  openRefused: { name: 'murmur_doc_opens_refused_total', help: 'Document opens refused at maxOpenDocs (TooManyDocsError).' },
  handlerErrors: { name: 'murmur_replication_handler_errors_total', help: 'Valid replication frames whose handler failed (a bug): counted, logged, dropped.' },
  flushes: { name: 'murmur_flushes_started_total', help: 'Write-concern waits started (flush / WriteTo(n)).' },
  flushesSucceeded: { name: 'murmur_flushes_ended_total', help: 'Write-concern waits that ended, by result: succeeded or failed (timeout, not enough replicas).', labels: { result: 'succeeded' } },
  flushesFailed: { name: 'murmur_flushes_ended_total', help: '', labels: { result: 'failed' } },
  compactions: { name: 'murmur_compactions_total', help: 'Document compactions written to the store.' },
  storeErrors: { name: 'murmur_store_errors_total', help: 'Store operations that failed (writes not acknowledged, loads failed).' },
  summariesEqual: { name: 'murmur_anti_entropy_summaries_equal_total', help: 'Shared anti-entropy rounds that ended at the summary: both peers hold the same docs at the same digests.' },
  sharedRoundsSkipped: { name: 'murmur_anti_entropy_rounds_skipped_total', help: 'Shared anti-entropy rounds not started: this peer holds nothing both home with that member and holds no connection to it (the member\'s own round brings what it holds; no dial for an empty summary).' },
  bucketsDiffering: { name: 'murmur_anti_entropy_buckets_differing_total', help: 'Summary buckets found differing (only their docs are listed and compared).' },
  batchesSent: { name: 'murmur_sync_batches_sent_total', help: 'SyncBatch frames sent (several per-document steps in one frame).' },
  handoffRounds: { name: 'murmur_handoff_rounds_total', help: 'Handoff rounds started: guest copies (docs held here but homed elsewhere) offered to their homes.' },
  handoffProofsFailed: { name: 'murmur_handoff_proofs_failed_total', help: 'Compact handoff pages whose proof did not match (a name hash or digest mark matched by chance); their docs are listed in full.' },
  listingDocsDropped: { name: 'murmur_listing_docs_dropped_total', help: 'Docs anti-entropy listings asked this peer to work for past their sender\'s budget (4 rounds\' worth at once, then 2 rounds per interval): left to later rounds. Climbing steadily: a member sending made-up listings.' },
  readRepairs: { name: 'murmur_read_repairs_total', help: 'Read repairs: reads answered from a guest copy that asked one of the doc\'s homes for what it holds beyond it (at most once per doc per readRepairIntervalMs, 1 s).' },
  coHomeRelays: { name: 'murmur_co_home_relays_total', help: 'Rounds a home started with its co-homes to hand on what its own fetch or read repair found of a doc on a peer that is not one of the doc\'s homes (the writer across a healed partition).' },
  docsDropped: { name: 'murmur_guest_copies_dropped_total', help: 'Guest copies dropped after every current home confirmed holding them durably.' },
  framesPaced: { name: 'murmur_sync_frames_paced_total', help: 'Sync frames that waited for the per-peer send pace (kept under the receivers\' frame and byte limits).' },
  framesPaceDropped: { name: 'murmur_sync_frames_pace_dropped_total', help: 'Sync frames dropped because a peer\'s pace queue was full (anti-entropy sends them again later).' },
  framesHeldBack: { name: 'murmur_sync_frames_held_back_total', help: 'Sync frames not sent because they needed a dial to a peer whose last dial failed moments ago (1 s, doubling to 8 s; anti-entropy repairs them).' },
  writesTooLarge: { name: 'murmur_writes_too_large_total', help: 'Writes refused because they would take a document past maxDocBytes (DocTooLargeError, HTTP 413).' },
  writesMalformed: { name: 'murmur_writes_malformed_total', help: 'Local edits that stored a lone surrogate (text UTF-8 cannot carry), withdrawn before or right after they were applied (InvalidTextError).' },
  evictions: { name: 'murmur_doc_evictions_total', help: 'Loaded documents evicted from memory because they were idle or to make room (they stay stored).' },
  opsForgotten: { name: 'murmur_idempotency_records_forgotten_total', help: 'Idempotency records forgotten because their window (idempotencyWindowMs) or count (maxIdempotencyKeys) passed: a retry of such a key is a new operation.' },
  opsFolded: { name: 'murmur_keyed_increments_folded_total', help: 'Keyed counter increments folded into their peer\'s counter slot when their idempotency record was forgotten.' }
}

/** One Spec per metric name of REPLICATION_COUNTERS, its samples from every stat that maps to it. */
function replicationCounterSpecs (): Spec[] {
  const byName = new Map<string, { help: string, stats: Array<[string, Labels]> }>()
  for (const [stat, c] of Object.entries(REPLICATION_COUNTERS)) {
    const entry = byName.get(c.name) ?? { help: c.help, stats: [] }
    entry.stats.push([stat, c.labels ?? {}])
    byName.set(c.name, entry)
  }
  return [...byName].map(([name, { help, stats }]) => ({
    name, help, type: 'counter', labels: Object.keys(stats[0]?.[1] ?? {}), read: s => stats.map(([stat, labels]): Sample => [labels, num(s.r[stat])])
  }))
}

export const SPECS: Spec[] = [
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
  { name: 'murmur_probes_deferred_total', help: 'Probe rounds left undecided because the ping was still waiting for its connection; the member is probed again next.', type: 'counter', read: s => one(s.m.probesDeferred) },
  { name: 'murmur_indirect_probes_total', help: 'ping-req messages sent after a missed direct ack.', type: 'counter', read: s => one(s.m.indirectProbes) },
  { name: 'murmur_suspect_verifications_total', help: 'Last-chance pings to a suspect whose suspicion ran out, sent before declaring it dead (by its verifiers, or when no verdict came).', type: 'counter', read: s => one(s.m.verifications) },
  { name: 'murmur_member_dials_refused_total', help: "Our dials to members that their host refused (nothing listens at the member's address: its process is gone). Each is our accusation, and our suspicion of it ends within two probe intervals.", type: 'counter', read: s => one(s.m.dialsRefused) },
  { name: 'murmur_member_refusal_checks_total', help: 'Dials made only to check a member accused just after our connection to it closed (a crash closes them all); a refusal is then our own evidence.', type: 'counter', read: s => one(s.m.refusalChecks) },
  { name: 'murmur_suspicions_total', help: 'Members this peer saw become suspect.', type: 'counter', read: s => one(s.m.suspicions) },
  { name: 'murmur_refutations_total', help: 'Accusations about this peer that it refuted.', type: 'counter', read: s => one(s.m.refutations) },
  { name: 'murmur_refutations_discounted_total', help: 'Refutations that did not raise the local health score: our own latest probe round was prompt, or one already counted since (Lifeguard, awareness.ts). Climbing while probes are prompt: someone is forging suspicions about this peer.', type: 'counter', read: s => one(s.m.refutationsDiscounted) },
  { name: 'murmur_push_pulls_total', help: 'Push-pull state exchanges started.', type: 'counter', read: s => one(s.m.pushPulls) },
  { name: 'murmur_push_pulls_same_total', help: 'Push-pull requests answered with the digest alone: the requester held the same member table (no state sent either way).', type: 'counter', read: s => one(s.m.pushPullsSame) },
  { name: 'murmur_reconnect_attempts_total', help: 'Push-pulls with dead members (partition healing): each reconnect interval with probability dead/alive, so the mesh makes about one per dead member per interval.', type: 'counter', read: s => one(s.m.reconnectAttempts) },
  { name: 'murmur_stale_verdicts_total', help: 'Suspect or dead entries in the full state or gossip of a member just back from the dead, about members alive here: sent to the accused to refute, not suspected.', type: 'counter', read: s => one(s.m.staleVerdicts) },
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
  { name: 'murmur_sync_steps_declined_total', help: 'Anti-entropy exchanges of a doc this peer no longer held, answered so that the other side stops waiting for them (its claim on the doc ends).', type: 'counter', read: s => one(s.r.stepsDeclined) },
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
  {
    name: 'murmur_dials_started_total', help: 'Outbound dials started, by reason: the channel whose frame needed the connection (swim, sync, presence), ahead (the prober dials a member before probing it), address (a seed without a peer id), discovery (mDNS).', type: 'counter', labels: ['reason'],
    read: s => byKey(s.t.dialsBy, 'reason')
  },
  {
    name: 'murmur_datagrams_total', help: 'Datagrams (small membership frames over UDP, and their path checks) by direction; failed: sends the socket refused.', type: 'counter', labels: ['direction'],
    read: s => [[{ direction: 'out' }, num(obj(s.t.datagrams).sent)], [{ direction: 'in' }, num(obj(s.t.datagrams).received)], [{ direction: 'failed' }, num(obj(s.t.datagrams).sendFailed)]]
  },
  { name: 'murmur_datagrams_rejected_total', help: 'Datagrams dropped, by reason: malformed (not murmur\'s), unknownKey (a key not issued by this process, e.g. sealed for its previous life), unauthenticated (forged or corrupted, a key reset included), replayed.', type: 'counter', labels: ['reason'], read: s => byKey(obj(s.t.datagrams).rejected, 'reason') },
  { name: 'murmur_datagram_key_resets_total', help: 'Datagram key resets (a restarted peer answering datagrams sealed with its previous life\'s keys), by direction: sent by this peer, or a held key dropped on a verified one.', type: 'counter', labels: ['direction'], read: s => [[{ direction: 'sent' }, num(obj(s.t.datagrams).resetsSent)], [{ direction: 'dropped' }, num(obj(s.t.datagrams).keysReset)]] },
  { name: 'murmur_datagram_paths_unconfirmed_total', help: 'Peers whose datagram path check went unanswered (UDP dropped on the way): their frames go over the connection.', type: 'counter', read: s => one(obj(s.t.datagrams).pathsUnconfirmed) },
  // Issue 14: what a heal costs, and whether this peer's thread keeps up.
  {
    name: 'murmur_handshakes_started_total', help: 'Security handshakes started (TCP connected), by direction (outbound: our dials; inbound: connections accepted).', type: 'counter', labels: ['direction'],
    read: s => handshakes(s, (h) => [[{}, num(h.started)]])
  },
  {
    name: 'murmur_handshakes_ended_total', help: 'Security handshakes ended, by direction and result: completed, timed_out (deadline passed: an overloaded end), failed.', type: 'counter', labels: ['direction', 'result'],
    read: s => handshakes(s, (h) => [[{ result: 'completed' }, num(h.completed)], [{ result: 'timed_out' }, num(h.timedOut)], [{ result: 'failed' }, num(h.failed)]])
  },
  {
    name: 'murmur_handshakes_abandoned_in_line_total', help: 'Inbound connections that waited for a handshake slot and whose remote hung up before their turn (its dial gave up): skipped, no handshake work spent.', type: 'counter', labels: ['direction'],
    read: s => handshakes(s, (h) => [[{}, num(h.abandonedInLine)]])
  },
  { name: 'murmur_handshakes_in_progress', help: 'Security handshakes in progress now (at most maxConcurrentHandshakes outbound, maxConcurrentInboundHandshakes inbound).', type: 'gauge', labels: ['direction'], read: s => byKey(s.t.handshakesInProgress, 'direction') },
  { name: 'murmur_handshakes_queued', help: 'Security handshakes waiting for a slot, by direction.', type: 'gauge', labels: ['direction'], read: s => byKey(s.t.handshakesQueued, 'direction') },
  { name: 'murmur_event_loop_delay_max_seconds', help: 'Worst event-loop delay of this process since it started: how late after its due time a protocol timer (probe, timeout, gossip, sync) ran.', type: 'gauge', read: () => one(eventLoopDelay().maxMs / 1000) },
  { name: 'murmur_event_loop_delay_p99_seconds', help: '99th percentile of the event-loop delay since the process started, over every protocol timer run (within 19 %).', type: 'gauge', read: () => one(eventLoopDelay().p99Ms / 1000) },
  { name: 'murmur_dropped_outbound_total', help: 'Outbound frames dropped, by reason.', type: 'counter', labels: ['reason'], read: s => byKey(s.t.droppedOutbound, 'reason') },
  { name: 'murmur_rejected_connections_total', help: 'Connections refused, by reason: handshake failure (e.g. pre-shared key mismatch), allowlist, blocked, flood cooldown, unprotected, pending-upgrade cap, per-IP limit.', type: 'counter', labels: ['reason'], read: s => byKey(s.t.rejectedConnections, 'reason') },
  { name: 'murmur_rejected_streams_total', help: 'Inbound streams refused (per-peer cap, blocked or unauthorized).', type: 'counter', read: s => one(s.t.rejectedStreams) },
  { name: 'murmur_flooders_total', help: 'Peers throttled, and disconnected for flooding.', type: 'counter', labels: ['action'], read: s => byKey(s.t.flooders, 'action') },
  { name: 'murmur_connections', help: 'Open connections.', type: 'gauge', read: s => one(s.t.openConnections) },
  { name: 'murmur_queued_outbound_bytes', help: 'Bytes waiting in outbound queues.', type: 'gauge', read: s => one(s.t.queuedBytes) },
  { name: 'murmur_sync_messages_unconnected_total', help: 'Replication messages sent to a peer with no open connection (each waits for a dial, or dials), by kind: type, update:direct / update:spread, digests:<scope>.', type: 'counter', labels: ['kind'], read: s => byKey(s.r.unconnectedSends, 'kind') },
  { name: 'murmur_sync_messages_total', help: 'Replication messages by direction and type.', type: 'counter', labels: ['direction', 'type'], read: s => both(s.r.messagesIn, s.r.messagesOut, 'type') },
  { name: 'murmur_sync_bytes_total', help: 'Replication frame bytes by direction and type.', type: 'counter', labels: ['direction', 'type'], read: s => both(s.r.bytesIn, s.r.bytesOut, 'type') },
  ...replicationCounterSpecs(),
  { name: 'murmur_docs', help: 'Documents loaded in memory on this peer.', type: 'gauge', read: s => one(s.r.docs) },
  { name: 'murmur_doc_structs', help: 'Yjs structs held by the documents loaded on this peer (items, deleted ones included, and GC ranges): their CRDT history, which grows with every overwrite.', type: 'gauge', read: s => one(s.r.docStructs) },
  {
    name: 'murmur_docs_held', help: 'Documents this peer holds (stored), by kind: homed here, or a guest copy (kept until its homes hold it, or open here).', type: 'gauge', labels: ['kind'],
    read: s => [[{ kind: 'homed' }, num(s.r.homedDocs)], [{ kind: 'guest' }, num(s.r.guestDocs)]]
  },
  { name: 'murmur_members_replicas_disagreeing', help: 'Members whose anti-entropy summaries say another --replicas than this peer\'s: the two disagree on every document\'s homes (see GET /placement).', type: 'gauge', read: s => one(s.r.replicasDisagreeing) },
  { name: 'murmur_paced_bytes', help: 'Sync bytes waiting for the per-peer send pace.', type: 'gauge', read: s => one(s.r.pacedBytes) },
  {
    name: 'murmur_store_state', help: 'Store health: 1 for the current state (ok; full: no space, writes refused; failing: I/O errors, writes refused).', type: 'gauge', labels: ['state'],
    read: ({ peer }) => {
      const current = peer.storeHealth().state
      return (['ok', 'full', 'failing'] as const).map(state => [{ state }, state === current ? 1 : 0])
    }
  },
  {
    name: 'murmur_writes_total', help: 'Local writes by outcome: durable, refused (nothing applied), unknown (maybe applied), and replayed (an idempotency key applied before; counted as durable too when it was).', type: 'counter', labels: ['outcome'],
    read: s => [['durable', s.r.writesDurable], ['refused', s.r.writesRefused], ['unknown', s.r.writesUnknown], ['replayed', s.r.writesReplayed]].map(([outcome, v]) => [{ outcome: outcome as string }, num(v)] as Sample)
  },
  { name: 'murmur_pending_update_bytes', help: 'Bytes of remote updates waiting for missing dependencies.', type: 'gauge', read: s => one(s.r.pendingUpdateBytes) },
  {
    name: 'murmur_membership_refused_total', help: 'Membership work refused to stay within limits, by reason.', type: 'counter', labels: ['reason'],
    read: s => [
      [{ reason: 'implausible_incarnation' }, num(s.m.implausibleUpdates)],
      [{ reason: 'member_table_full' }, num(s.m.membersRefused)],
      [{ reason: 'ping_req' }, num(s.m.pingReqsRefused)],
      [{ reason: 'push_pull' }, num(s.m.pushPullsRefused)],
      [{ reason: 'push_pull_served' }, num(s.m.pushPullsServedRefused)],
      [{ reason: 'bad_signature' }, num(s.m.badSignatures)],
      [{ reason: 'signature_budget' }, num(s.m.signaturesUnchecked)],
      [{ reason: 'stale_record' }, num(s.m.staleRecords)],
      [{ reason: 'unexpected_ack' }, num(s.m.unexpectedAcks)],
      [{ reason: 'broadcast_queue_full' }, num(s.m.broadcastsDropped)]
    ]
  },
  { name: 'murmur_pruned_connections_total', help: 'Connections closed by the connection budget (LRU).', type: 'counter', read: s => one(s.t.prunedConnections) },
  { name: 'murmur_identity_clashes_total', help: 'Times frames of one peer id kept arriving on two open connections at once: two processes run with that identity (a copied data dir, or one peer.key given to two peers).', type: 'counter', read: s => one(s.t.identityClashes) },
  { name: 'murmur_duplicate_connections_closed_total', help: 'Connections this end closed because a simultaneous dial left two to one peer (both handshakes were paid).', type: 'counter', read: s => one(s.t.duplicateConnectionsClosed) },
  {
    name: 'murmur_rate_limited_bytes_total', help: 'Inbound frames (and their bytes) dropped by the per-peer byte rate (a subset of rejected frames with reason rateLimited).', type: 'counter', labels: ['unit'],
    read: s => byKey(s.t.rateLimitedBytes, 'unit')
  },
  { name: 'murmur_silent_connections_closed_total', help: 'Connections closed because the peer stopped answering.', type: 'counter', read: s => one(s.t.silentConnectionsClosed) },
  { name: 'murmur_http_requests_total', help: 'HTTP requests by route and status.', type: 'counter', labels: ['route', 'status'], read: s => [...s.http.requests].map(([k, n]) => { const [route = '', status = ''] = k.split(' '); return [{ route, status }, n] as Sample }) },
  { name: 'murmur_sse_dropped_total', help: 'Event-stream clients disconnected for not keeping up.', type: 'counter', read: s => one(s.http.sseDropped()) },
  { name: 'murmur_http_rejected_total', help: 'HTTP requests refused (every error answer but 404), by error code.', type: 'counter', labels: ['code'], read: s => [...s.http.rejected].map(([code, n]) => [{ code }, n] as Sample) },
  { name: 'murmur_store_batches_total', help: 'Batches of writes made durable on disk (group commit: one fsync each).', type: 'counter', read: s => one(s.st.batches) },
  { name: 'murmur_store_batches_failed_total', help: 'Batches the disk refused (every write in them was not acknowledged).', type: 'counter', read: s => one(s.st.failedBatches) },
  { name: 'murmur_store_queued_writes', help: 'Writes waiting for the disk.', type: 'gauge', read: s => one(s.st.queuedEntries) }
]

