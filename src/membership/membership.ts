/**
 * Membership: SWIM + Lifeguard over an injected Transport, Clock and Random.
 *
 * This class wires the parts together and owns the I/O: it encodes frames (piggybacking gossip on every
 * one), decodes and validates inbound frames before any state is touched, and runs the periodic loops:
 * probe (prober.ts), gossip, push-pull anti-entropy and reconnect (re-trying dead members and seeds so a
 * healed partition re-merges without an operator). The state transitions live in member-table.ts.
 */
import { every } from '../core/clock.js'
import type { Clock, Timer } from '../core/clock.js'
import { TypedEmitter } from '../core/emitter.js'
import { Histogram } from '../core/histogram.js'
import type { HistogramSnapshot } from '../core/histogram.js'
import { idleTicker } from '../core/idle-ticker.js'
import type { IdleTicker } from '../core/idle-ticker.js'
import { DecodeError, NotRunningError } from '../core/errors.js'
import { RateLimitedLog, silentLogger } from '../core/logger.js'
import type { Logger } from '../core/logger.js'
import type { Random } from '../core/random.js'
import { Channel, DATAGRAM_MAX_FRAME_BYTES } from '../core/transport.js'
import type { Destination, PeerEvent, PeerId, SendOptions, Transport } from '../core/transport.js'
import { Awareness } from './awareness.js'
import { BroadcastQueue } from './broadcast-queue.js'
import { checkOwnMeta, decodeSwim, encodeSwim, encodedUpdateSize } from './codec.js'
import type { MessageTypeName, SwimMessage } from './codec.js'
import { resolveMembershipConfig } from './config.js'
import type { MembershipConfig, MembershipInit, PresetName } from './config.js'
import type { MembershipEvents } from './events.js'
import { pushPullIntervalMs, retransmitLimit } from './math.js'
import { MemberState } from './member.js'
import type { MemberInfo, MemberMeta, MemberUpdate } from './member.js'
import { MemberTable } from './member-table.js'
import type { RejectReason } from './member-table.js'
import { Prober } from './prober.js'
import { PushPull } from './push-pull.js'
import { RecordSigner } from './signing.js'
import { sampleIndices } from './id-set.js'
import { PeerLinks } from './peer-links.js'
import type { ProbeFrame } from './prober.js'

export interface MembershipComponents {
  transport: Transport
  clock: Clock
  random: Random
  log?: Logger
}

export interface MembershipOptions {
  /** Human-readable name, gossiped. Default: the peer id. */
  name?: string
  /** Metadata, gossiped. */
  tags?: Record<string, string>
  /** Addresses to advertise. Default: `transport.addresses()`. */
  addrs?: string[]
  /** Where to join through; re-tried when the view shrinks. */
  seeds?: Destination[]
  /** Timing preset (default `lan`). */
  profile?: PresetName
  /** Overrides of single fields of the preset. */
  config?: MembershipInit
  /** Starting incarnation (default 0; refutation raises it past anything the mesh remembers). */
  incarnation?: number
}

type Counts = Record<MessageTypeName, number>
const zeroCounts = (): Counts => ({ ping: 0, ack: 0, nack: 0, pingReq: 0, pushPull: 0, pushPullReply: 0, gossip: 0 })

/**
 * Upper bounds of the probe round-trip histogram, ms: a probe on a LAN answers in 1–5 ms, so the buckets
 * are finest there (a quantile is interpolated within its bucket: with 2 and 5 ms neighbours, a p50 of
 * 2.5 ms read anywhere up to 5), and the probe timeout is at most 1 s (beyond: the +Inf bucket).
 */
export const PROBE_RTT_BUCKETS_MS: readonly number[] = [0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 15, 25, 50, 100, 250, 500, 1000]

export interface MembershipStats {
  probes: number
  /** Direct probes' round trips: what a member's liveness checks cost it (hostile load shows here). */
  probeRtt: HistogramSnapshot
  probesFailed: number
  /** Probe rounds that ended undecided: the ping was still waiting for its connection (issue 14). */
  probesDeferred: number
  indirectProbes: number
  /**
   * Last-chance pings to a suspect whose suspicion ran out, before declaring it dead: from its few
   * verifiers, and from other observers only when no verifier's verdict reached them (issue 11).
   */
  verifications: number
  /**
   * Our dials to members that their hosts refused (nothing listening: the process gone), each our
   * accusation with a short suspicion (member-table.ts noteRefused), and of them those we made only to
   * check a member accused just after our connection to it closed (`refusalChecks`).
   */
  dialsRefused: number
  refusalChecks: number
  suspicions: number
  refutations: number
  /**
   * Refutations that did not raise our local health score: our own latest probe round was prompt (the
   * accusation was someone else's trouble, or forged), or one had already counted since (awareness.ts).
   * Climbing fast while this member's probes are prompt: someone is forging suspicions about it.
   */
  refutationsDiscounted: number
  pushPulls: number
  reconnectAttempts: number
  /** Push-pulls with a sender we had not heard of (a join whose gossip missed us). */
  unknownSenderPulls: number
  /** Verdicts in the full state or gossip of a member just back from the dead, about members alive here: told to the accused, not suspected (staleVerdict). */
  staleVerdicts: number
  decodeErrors: number
  unexpectedFrames: number
  /**
   * Acks and nacks nobody was waiting for from their sender: forged (a peer answering for another), or
   * late (the probe had already ended; a few on a lossy network are normal).
   */
  unexpectedAcks: number
  /**
   * Accusations claiming a newer incarnation than the accused member's own record we hold (counted at
   * ours instead): forged, or we missed a refutation (a few on a lossy network are normal).
   */
  implausibleUpdates: number
  /** Alive or left records not signed by the member they are about (forged or corrupt): refused. */
  badSignatures: number
  /** Records refused unchecked: their sender exceeded its signature checks (signing.ts VERIFY_PER_SENDER). */
  signaturesUnchecked: number
  /** New members refused because the table was full (maxMembers). */
  membersRefused: number
  /**
   * `alive` records of forgotten members no newer than their last record we remember: replays of an old
   * record (refused), or the member itself restarted, which is then told to refute (forgotten.ts).
   */
  staleRecords: number
  /** Forgotten members whose last record is remembered (at most `forgottenMembers`). */
  forgottenMembers: number
  /** ping-req refused: from a non-member, for an unknown target, or too many pending. */
  pingReqsRefused: number
  /** Push-pulls not started because too many were outstanding. */
  pushPullsRefused: number
  /** Push-pull requests not answered: the requester asks too often, or too much state is being served (push-pull.ts). */
  pushPullsServedRefused: number
  /** Push-pull requests answered with our table's digest alone: the requester's table was the same (push-pull.ts). */
  pushPullsSame: number
  messagesIn: Counts
  messagesOut: Counts
  bytesIn: Counts
  bytesOut: Counts
  awareness: number
  broadcastQueue: number
  broadcastsDropped: number
  /** Seeds remembered for re-joining (at most 64). */
  seeds: number
}

export interface JoinResult {
  /** Seeds that answered the push-pull. */
  contacted: number
  /** The seeds (of those asked, this member excluded) that did not answer. */
  unanswered: Destination[]
  /** Of those, the ones whose dial failed, with the transport's reason (refused, a handshake that failed). */
  dialFailures: ReadonlyMap<Destination, string>
  /** Of those, the ones never asked: MAX_PENDING_PUSH_PULLS requests were already waiting for answers. */
  notSent: readonly Destination[]
}

/** Seeds remembered (configured, joined through, discovered); past it the oldest is forgotten. */
export const MAX_SEEDS = 64

/** A seed's identity: its peer id, else its addresses (a bare-address bootstrap). */
function seedKey (d: Destination): string {
  return d.id ?? [...d.addrs].sort().join(' ')
}

/** Members remembered for the per-member spacings below; a map is simply reset when full. */
const MAX_DIRECT_ALIVE_TRACKED = 4096

/** Something done for a member at most once per period (a direct refutation, a direct accusation). */
class PerMemberSpacing {
  private readonly last = new Map<PeerId, number>()

  /** Whether it may be done for `id` now; if so, it counts as done. */
  take (id: PeerId, now: number, periodMs: number): boolean {
    const last = this.last.get(id)
    if (last !== undefined && now - last < periodMs) return false
    if (this.last.size >= MAX_DIRECT_ALIVE_TRACKED) this.last.clear()
    this.last.set(id, now)
    return true
  }
}
/** gossipRoundTargets draws this many times gossipNodes of all members (then of the connected), in O(gossipNodes). */
const GOSSIP_POOL_FACTOR = 4
/**
 * Probe intervals between gossip rounds that include a member we are not connected to (issue 14). After a
 * heal the only such members are the other side's, so with one every interval each member dialled one of
 * them a second while the heal's news spread: at 30 peers cut 6 | 24, four dials a second at each of the
 * six, whose handshakes queued past the dial deadline (test/sim/heal-storm.test.ts). Probes connect to every
 * member in turn anyway; gossip needs only a little mixing beyond the connected members.
 */
const GOSSIP_DIAL_INTERVALS = 5
/**
 * Room kept in a datagram for a frame's own fields (type, sequence number, target id and addresses of a
 * ping-req) beside its piggybacked gossip (piggybackBudget).
 */
const DATAGRAM_FRAME_MARGIN = 256
/**
 * Accused members told directly per probe period once someone we accused proved alive (restateAccusations):
 * a few dials at most, like an indirect probe's k helpers; the rest are told in the next periods.
 */
const RESTATED_ACCUSATIONS = 3
/**
 * After someone we accused proved alive, our standing accusations are restated once a probe period for this
 * many periods (restateAccusations): right after a heal the dials that carry them often fail, every member of
 * one side dialling the other at once (a 5 | 15 heal in the simulator, seed 1502: both restates to the
 * unlucky member's accused were lost to failed dials, and it held a live member dead 23 s, until a periodic
 * push-pull; test/membership/missed-revival.test.ts).
 */
const RESTATE_PERIODS = 8
/**
 * How long after our connection to a member closed an accusation of it makes us check its host (checkRefusal):
 * a crash is noticed by its first prober within a probe interval or two, and its accusation reaches us a
 * gossip round or two later; a connection closed longer ago says nothing about the accusation.
 */
const LOST_RECENT_MS = 10_000

export class Membership {
  readonly config: MembershipConfig
  readonly localId: PeerId
  private readonly transport: Transport
  private readonly clock: Clock
  private readonly random: Random
  private readonly log: Logger
  private readonly warnings: RateLimitedLog
  /** Suspect/alive changes and our own refutations: as many as others' accusations (rate-limited lines). */
  private readonly flaps: RateLimitedLog
  private readonly events = new TypedEmitter<MembershipEvents>()
  private readonly table: MemberTable
  private readonly records: RecordSigner
  private readonly queue: BroadcastQueue
  private readonly awareness: Awareness
  private readonly prober: Prober
  /** Where to (re)join, by seedKey: deduplicated (mDNS rediscovers the same peers for ever) and bounded. */
  private readonly seeds: Destination[] = []
  private readonly seedKeys = new Set<string>()
  private readonly pushPull: PushPull
  /** When we last sent a member our alive record directly (see owesAlive). */
  private readonly directAlive = new PerMemberSpacing()
  /** When we last told a member that we hold it suspect or dead (see accusationFor). */
  private readonly toldAccused = new PerMemberSpacing()
  /** When our standing accusations last went out again (see restateAccusations). */
  private lastRestate = -Infinity
  /** A restate asked for within a probe period of the last, due at that period's end. */
  private restateTimer: Timer | undefined
  /** Our deaths declared since this are restated by the restates until `restateUntil` (see onRevived). */
  private restateSince = Number.POSITIVE_INFINITY
  /** Restates go on once a probe period until then (RESTATE_PERIODS after the latest revival). */
  private restateUntil = Number.NEGATIVE_INFINITY
  /** When we last pulled the state of a sender we did not know (per sender, and of any sender). */
  private readonly unknownPulls = new Map<PeerId, number>()
  private lastUnknownPull = Number.NEGATIVE_INFINITY
  /** When gossip last went to a member without a connection (gossipRound). */
  private lastGossipDial = Number.NEGATIVE_INFINITY
  /** Dead members and seeds whose last reconnect push-pull went as a datagram, not answered yet (see reconnect). */
  private readonly reconnectsUnanswered = new Set<PeerId>()
  /** The push-pull due after a join (catchUpAfterJoin), while pending. */
  private catchUpTimer: Timer | undefined
  /**
   * Peers with an open connection, as the transport's events report them: gossip draws its targets here
   * first. A hint, not the truth (each draw asks `isConnected`); peers found connected elsewhere are added.
   * And when our last connection to a member closed, oldest first, at most maxMembers (checkRefusal).
   */
  private readonly links = new PeerLinks(() => this.config.maxMembers)
  private readonly timers: Timer[] = []
  /** The gossip loop, once started (after its random phase); undefined while stopped. */
  private gossipTicker: IdleTicker | undefined
  private readonly unsubscribe: Array<() => void> = []
  private readonly counters: Omit<MembershipStats, 'probeRtt' | 'awareness' | 'broadcastQueue' | 'broadcastsDropped' | 'seeds' | 'forgottenMembers'>
  private readonly probeRtt = new Histogram(PROBE_RTT_BUCKETS_MS)
  private seedIndex = 0
  /** aliveIds(), cached per alive generation of the table. */
  private aliveView: { generation: number, ids: readonly PeerId[] } | undefined
  private running = false
  private leaving = false
  /** join() calls still waiting for their seeds' answers. */
  private joinsPending = 0
  /** How to end each join still waiting for its seeds (stop() ends them: their timers would outlive it). */
  private readonly joinFinishers = new Set<() => void>()

  constructor (components: MembershipComponents, options: MembershipOptions = {}) {
    this.transport = components.transport
    this.clock = components.clock
    this.random = components.random
    this.log = components.log ?? silentLogger
    this.warnings = new RateLimitedLog(this.log, () => this.clock.now())
    this.flaps = new RateLimitedLog(this.log, () => this.clock.now(), 10)
    this.config = resolveMembershipConfig(options.config, options.profile ?? 'lan')
    this.localId = this.transport.localId
    for (const s of options.seeds ?? []) this.addSeed(s)
    this.counters = {
      probes: 0, probesFailed: 0, probesDeferred: 0, indirectProbes: 0, verifications: 0, dialsRefused: 0, refusalChecks: 0, suspicions: 0, refutations: 0, refutationsDiscounted: 0, pushPulls: 0,
      reconnectAttempts: 0, unknownSenderPulls: 0, staleVerdicts: 0, decodeErrors: 0, unexpectedFrames: 0, unexpectedAcks: 0, implausibleUpdates: 0, badSignatures: 0, signaturesUnchecked: 0, membersRefused: 0, staleRecords: 0, pingReqsRefused: 0, pushPullsRefused: 0, pushPullsServedRefused: 0, pushPullsSame: 0,
      messagesIn: zeroCounts(), messagesOut: zeroCounts(), bytesIn: zeroCounts(), bytesOut: zeroCounts()
    }
    const meta: MemberMeta = {
      name: options.name ?? this.localId,
      addrs: options.addrs ?? this.transport.addresses(),
      tags: { ...options.tags }
    }
    checkOwnMeta(meta)
    this.records = new RecordSigner(this.transport.signer, () => this.clock.now())
    this.queue = new BroadcastQueue(this.config.maxBroadcastQueue, encodedUpdateSize)
    this.awareness = new Awareness(this.config.awarenessMaxMultiplier, (score) => {
      this.log.debug('local health changed', { awareness: score })
      // Lifeguard §4.3 for the transport too: an overloaded peer stretches its handshake deadlines.
      this.transport.setLocalHealth?.(score + 1)
    })
    this.table = new MemberTable({
      clock: this.clock,
      config: this.config,
      localId: this.localId,
      localMeta: meta,
      initialIncarnation: options.incarnation ?? 0,
      records: this.records,
      broadcast: (u, maxTransmits) => {
        this.queue.enqueue(u, maxTransmits)
        this.gossipTicker?.wake()
      },
      emit: (type, info) => { this.onMemberEvent(type, info) },
      onRefute: (accusation) => {
        this.counters.refutations++
        // Lifeguard counts a refutation against our own health only if our latest probe round agrees (awareness.ts).
        const counted = this.awareness.refuted()
        if (!counted) this.counters.refutationsDiscounted++
        // Rate-limited: a member forging accusations would have us write a line for each (issue 10).
        this.flaps.info('refuted', 'refuted accusation', { about: 'self', claimed: accusation.state, by: accusation.from || undefined, incarnation: this.table.localInfo().incarnation, healthCounted: counted })
      },
      onNewMember: (id) => { this.prober.addMember(id) },
      // Deaths we declared about when this one's was, give or take gossipToTheDeadMs, are restated (restateAccusations).
      onRevived: (_id, deadSince) => {
        this.restateSince = Math.min(this.restateSince, deadSince - this.config.gossipToTheDeadMs)
        this.restateUntil = this.clock.now() + RESTATE_PERIODS * this.config.probeIntervalMs
      },
      onStaleVerdict: (accusation) => { this.tellAccused(accusation) },
      onRejected: (reason, u) => { this.onRejected(reason, u) },
      // Before declaring a suspect dead, one last direct ping carrying the suspicion: a live member answers
      // with its refutation. Costs one probe timeout on a real failure (none if the dial is refused). Sent
      // by the suspect's verifiers, and by other observers only if no verdict came (onSuspicionExpired).
      verifySuspect: (id, verdict) => {
        this.counters.verifications++
        this.prober.verify(id, verdict)
      }
    })
    this.prober = new Prober({
      clock: this.clock,
      random: this.random,
      config: this.config,
      table: this.table,
      awareness: this.awareness,
      send: (to, frame, carry, options) => { this.sendFrame(to, frame, this.suspicionOf(carry), options) },
      // A ping that goes as a datagram costs no dial: no dial ahead of it, and no waiting for one.
      dialStage: (id) => this.transport.datagramPath?.(id) === true ? 'open' : this.transport.dialStage?.(id) ?? (this.transport.isConnected?.(id) === false ? 'none' : 'open'),
      datagramPath: this.transport.datagramPath === undefined ? undefined : (id) => this.transport.datagramPath?.(id) === true,
      connect: this.transport.connect === undefined ? undefined : (to) => { this.transport.connect?.(to) },
      onProbe: (outcome) => {
        this.counters.probes++
        if (outcome === 'failed') this.counters.probesFailed++
        else if (outcome === 'deferred') this.counters.probesDeferred++
      },
      onProbeRtt: (ms) => { this.probeRtt.observe(ms) },
      onIndirectProbe: () => { this.counters.indirectProbes++ },
      onPingReqRefused: () => { this.counters.pingReqsRefused++ }
    })
    this.pushPull = new PushPull({
      clock: this.clock,
      config: this.config,
      table: this.table,
      maxFrameBytes: this.transport.maxFrameBytes(Channel.swim),
      counters: this.counters,
      warnings: this.warnings,
      nextSeq: () => this.prober.nextSeq(),
      takeGossip: () => this.takeGossip(),
      send: (to, msg, options) => { this.send(to, msg, options) },
      destinationOf: (id) => this.destinationOf(id)
    })
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────────

  /** Starts the protocol loops and announces ourselves. Call `join` next (or rely on seeds). */
  start (): void {
    if (this.running) return
    this.running = true
    // A restart in the same process (stop, then start): probing resumes, and after a leave we are back.
    this.leaving = false
    this.table.rejoinLocal()
    this.prober.start()
    this.unsubscribe.push(
      this.transport.onFrame(Channel.swim, (from, bytes, viaDatagram) => { this.onFrame(from, bytes, viaDatagram === true) }),
      this.transport.onPeerEvent((e) => { this.onPeerEvent(e) })
    )
    this.queue.enqueue(this.table.aliveSelf())
    const { config } = this
    // Stagger the loops by a random phase so that peers started together do not probe in lockstep.
    const jitter = (ms: number): number => this.random.int(Math.max(1, ms))
    this.timers.push(
      this.after(jitter(config.probeIntervalMs), () => every(this.clock, () => this.awareness.scale(config.probeIntervalMs), () => { this.prober.tick() })),
      // The gossip loop sleeps while it has nothing to send (or no one to send it to): a queued update or a
      // member event wakes it (gossipTicker.wake). An idle peer's process otherwise woke gossipIntervalMs⁻¹ times a
      // second for nothing.
      this.after(jitter(config.gossipIntervalMs), () => (this.gossipTicker = idleTicker(this.clock, config.gossipIntervalMs, () => this.gossipRound()))),
      // ±25 % per round: peers that saw the same members die at the same moment do not retry in step.
      this.after(jitter(config.reconnectIntervalMs), () => every(this.clock, () => config.reconnectIntervalMs * (0.75 + 0.5 * this.random.next()), () => { this.reconnectRound() })),
      this.after(jitter(config.pushPullIntervalMs), () => every(this.clock, () => pushPullIntervalMs(config.pushPullIntervalMs, this.table.activeMembers), () => { this.periodicPushPull() }))
    )
    this.log.info('membership started', { id: this.localId, name: this.table.localInfo().name, incarnation: this.table.localInfo().incarnation })
  }

  /**
   * Push-pull with each seed (full state exchange), resolving when each answered or its dial failed (the
   * transport's `unreachable`: refused, a handshake that failed; the request went down with it), when
   * `joinTimeoutMs` passed, or when the member stopped. Seeds that did not answer are re-tried by the reconnect
   * loop while we know no one alive. (`murmur join` at a port nobody listens on waited the whole 5 s.)
   */
  join (seeds: readonly Destination[] = this.seeds): Promise<JoinResult> {
    if (!this.running) return Promise.reject(new NotRunningError('membership is not running'))
    for (const s of seeds) this.addSeed(s)
    const targets = seeds.filter(s => s.id !== this.localId)
    if (targets.length === 0) return Promise.resolve({ contacted: 0, unanswered: [], dialFailures: new Map(), notSent: [] })
    this.joinsPending++
    return new Promise((resolve) => {
      let contacted = 0
      let outstanding = targets.length
      let done = false
      const answered = new Set<Destination>()
      const failed = new Map<Destination, string>()
      const notSent: Destination[] = []
      const finish = (): void => {
        if (done) return
        done = true
        this.joinsPending--
        this.joinFinishers.delete(finish)
        timer.cancel()
        offUnreachable()
        const unanswered = targets.filter(t => !answered.has(t))
        resolve({ contacted, unanswered, dialFailures: new Map(unanswered.flatMap(t => failed.has(t) ? [[t, failed.get(t) as string]] : [])), notSent })
      }
      const timer = this.clock.setTimeout(finish, this.config.joinTimeoutMs)
      this.joinFinishers.add(finish)
      const offUnreachable = this.transport.onPeerEvent((e) => {
        if (e.type !== 'unreachable' || done) return
        for (const seed of targets) {
          if (answered.has(seed) || failed.has(seed)) continue
          const same = e.id !== undefined ? e.id === seed.id : e.addrs.length === seed.addrs.length && e.addrs.every((a, i) => a === seed.addrs[i])
          if (!same) continue
          failed.set(seed, e.reason ?? (e.refused === true ? 'connection refused' : 'unreachable'))
          if (--outstanding === 0) finish()
        }
      })
      for (const seed of targets) {
        const sent = this.pushPull.request(seed, true, () => {
          answered.add(seed)
          if (contacted++ === 0) this.catchUpAfterJoin()
          if (!failed.has(seed) && --outstanding === 0) finish()
        })
        if (!sent) {
          notSent.push(seed)
          if (--outstanding === 0) finish()
        }
      }
    })
  }

  /**
   * One more push-pull, with a random member, once the rumors that were spreading while we joined have run
   * their course (twice a rumor's lifetime: retransmitLimit sends, gossipNodes a round). The seed's state
   * holds no record of members it lists dead, and gossip goes mostly to connected members: one who came
   * back while we joined was news we could only hear through our few first connections, and when 100 of
   * 1,000 members restarted at once a few missed some of the others until the periodic push-pull, 28 s on
   * (issue 11). A digest first: nothing more when the tables already agree.
   */
  private catchUpAfterJoin (): void {
    // One pending at a time: joins come with every mDNS discovery and every API call, and the one pull
    // that is due covers all of them.
    if (this.catchUpTimer !== undefined) return
    const { config } = this
    const rounds = retransmitLimit(config.retransmitMult, this.table.activeMembers) / config.gossipNodes
    const delay = Math.max(config.probeIntervalMs, 2 * rounds * config.gossipIntervalMs)
    this.catchUpTimer = this.clock.setTimeout(() => {
      this.catchUpTimer = undefined
      if (this.running) this.periodicPushPull()
    }, delay)
  }

  /**
   * Graceful leave: stop probing, announce `left`, push it to a few members at once, and resolve once it
   * has gone out (or after `leaveTimeoutMs`). Members that hear it list us as `left`, not `dead`, and do
   * not try to reconnect. Call `stop()` afterwards. A leave while a join still waits for its seeds (a peer
   * stopped right after start) waits for their answer: with no one known yet, it would reach nobody, and
   * the seeds, which had heard of us, would declare us dead.
   */
  leave (): Promise<void> {
    if (!this.running || this.leaving) return Promise.resolve()
    this.leaving = true
    this.prober.stop()
    const update = this.table.leaveLocal()
    this.log.info('leaving', { incarnation: update.incarnation })
    let wanted = this.gossipTargets(this.config.gossipNodes).length
    this.gossipRound()
    return new Promise((resolve) => {
      const deadline = this.clock.now() + this.config.leaveTimeoutMs
      const check = (): void => {
        if (wanted === 0) wanted = this.gossipTargets(this.config.gossipNodes).length
        const sent = this.queue.transmitsOf(this.localId)
        const awaitingJoin = wanted === 0 && this.joinsPending > 0
        if (!awaitingJoin && (sent === undefined || sent >= wanted) || this.clock.now() >= deadline) {
          resolve()
          return
        }
        this.gossipRound()
        this.clock.setTimeout(check, Math.min(this.config.gossipIntervalMs, Math.max(0, deadline - this.clock.now())))
      }
      check()
    })
  }

  /** Stops every loop and timer and detaches from the transport. Idempotent. */
  stop (): void {
    if (!this.running) return
    this.running = false
    for (const t of this.timers) t.cancel()
    this.timers.length = 0
    this.catchUpTimer?.cancel()
    this.catchUpTimer = undefined
    this.restateTimer?.cancel()
    this.restateTimer = undefined
    // Joins still waiting resolve with the seeds that answered so far (a library peer stopped right after
    // start exits at once instead of holding joinTimeoutMs).
    for (const finish of [...this.joinFinishers]) finish()
    this.gossipTicker = undefined
    for (const u of this.unsubscribe) u()
    this.unsubscribe.length = 0
    this.prober.stop()
    this.table.close()
    this.pushPull.clear()
    this.links.clear()
    this.log.info('membership stopped')
    this.events.removeAll()
  }

  get isRunning (): boolean {
    return this.running
  }

  // ── queries and updates ────────────────────────────────────────────────────────────────────────

  on<K extends keyof MembershipEvents>(type: K, listener: (info: MembershipEvents[K]) => void): () => void {
    return this.events.on(type, listener)
  }

  /** Every known member, ourselves included. */
  members (): MemberInfo[] {
    return this.table.all()
  }

  member (id: PeerId): MemberInfo | undefined {
    return this.table.info(id)
  }

  local (): MemberInfo {
    return this.table.localInfo()
  }

  /** Other members currently alive. */
  alivePeers (): MemberInfo[] {
    return this.aliveIds().map(id => this.table.info(id) as MemberInfo)
  }

  /**
   * Ids of the other members currently alive. The same frozen array is returned until someone becomes
   * alive or stops being alive, so a caller asking per message (replication) costs nothing per call, and
   * may cache what it derives from it by identity.
   */
  aliveIds (): readonly PeerId[] {
    const generation = this.table.aliveGeneration
    if (this.aliveView === undefined || this.aliveView.generation !== generation) {
      this.aliveView = { generation, ids: Object.freeze(this.table.inState(MemberState.alive).toArray()) }
    }
    return this.aliveView.ids
  }

  /** Whether `id` is suspect here: neither refuted nor declared dead yet (O(1)). */
  isSuspect (id: PeerId): boolean {
    return this.table.inState(MemberState.suspect).has(id)
  }

  /** How many other members are alive (O(1)). */
  get aliveCount (): number {
    return this.table.inState(MemberState.alive).size
  }

  /** Replaces our tags and announces them (raises our incarnation). */
  /**
   * Replaces our tags and announces them (raises our incarnation). After leave() they wait for a restart.
   * @throws ConfigError if they exceed the wire limits (SWIM_LIMITS) that every receiver enforces
   */
  setTags (tags: Record<string, string>): void {
    const self = this.table.localInfo()
    const meta = { name: self.name, addrs: self.addrs, tags: { ...tags } }
    checkOwnMeta(meta)
    this.table.updateLocalMeta(meta)
  }

  /**
   * Replaces the addresses we advertise (e.g. after the transport learned a new listen address).
   * @throws ConfigError if they exceed the wire limits
   */
  setAddresses (addrs: readonly string[]): void {
    const self = this.table.localInfo()
    const meta = { name: self.name, addrs: [...addrs], tags: self.tags }
    checkOwnMeta(meta)
    this.table.updateLocalMeta(meta)
  }

  stats (): MembershipStats {
    const q = this.queue.stats()
    return { ...structuredClone(this.counters), probeRtt: this.probeRtt.snapshot(), awareness: this.awareness.score, broadcastQueue: q.queued, broadcastsDropped: q.dropped, seeds: this.seeds.length, forgottenMembers: this.table.forgottenCount }
  }

  // ── sending ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Sends a frame with piggybacked gossip. `lead` updates go first, outside the queue's transmit
   * accounting: the suspicion a ping carries to its suspect (buddy system), or our own alive record for
   * a member that just accused us.
   */
  private sendFrame (to: Destination, frame: ProbeFrame | { type: 'gossip' }, lead: readonly MemberUpdate[] = [], options?: SendOptions): void {
    if (!this.running) return
    // The budget asks the transport about the target: only worth it when there is gossip to take.
    const budget = this.queue.length === 0 ? this.config.maxPiggybackBytes : this.piggybackBudget(to.id, options)
    this.send(to, { ...frame, gossip: this.takeGossip(lead, budget) }, options)
  }

  /**
   * Bytes of gossip a frame to `to` may carry: maxPiggybackBytes, or what still fits a datagram when `to` is
   * reached by datagram and not connected. A frame over the datagram limit goes on a stream, and without a
   * connection that is a handshake: after a heal, pings and gossip full of refutations to members just back
   * dialled them all (issue 14). memberlist fills a UDP packet the same way.
   */
  private piggybackBudget (to: PeerId | undefined, options?: SendOptions): number {
    const budget = this.config.maxPiggybackBytes
    if (to === undefined || options?.stream === true || this.transport.datagramPath?.(to) !== true || this.transport.isConnected?.(to) !== false) return budget
    return Math.min(budget, DATAGRAM_MAX_FRAME_BYTES - DATAGRAM_FRAME_MARGIN)
  }

  private takeGossip (lead: readonly MemberUpdate[] = [], piggybackBytes = this.config.maxPiggybackBytes): MemberUpdate[] {
    if (this.queue.length === 0) return [...lead]
    const limit = retransmitLimit(this.config.retransmitMult, this.table.activeMembers)
    let budget = piggybackBytes
    for (const u of lead) budget -= encodedUpdateSize(u)
    if (lead.length === 0) return this.queue.take(budget, limit)
    return [...lead, ...this.queue.take(budget, limit, new Set(lead.map(u => u.id)))]
  }

  /** Our suspicion of `target`, from the table (not the queue, which may have sent it out already). */
  private suspicionOf (target: PeerId | undefined): MemberUpdate[] {
    if (target === undefined) return []
    const u = this.table.updateFor(target)
    return u !== undefined && u.state === MemberState.suspect ? [u] : []
  }

  private send (to: Destination, msg: SwimMessage, options?: SendOptions): void {
    const bytes = encodeSwim(msg)
    if (bytes.byteLength > this.transport.maxFrameBytes(Channel.swim)) {
      // Cannot happen with the page and piggyback budgets below the frame limit; dropping beats crashing.
      this.warnings.warn('oversize-out', 'dropped oversized outbound frame', { type: msg.type, bytes: bytes.byteLength })
      return
    }
    this.counters.messagesOut[msg.type]++
    this.counters.bytesOut[msg.type] += bytes.byteLength
    if (options === undefined) this.transport.send(Channel.swim, to, bytes)
    else this.transport.send(Channel.swim, to, bytes, options)
  }

  private destinationOf (id: PeerId): Destination {
    return { id, addrs: this.table.addrsOf(id) ?? [] }
  }

  // ── receiving ──────────────────────────────────────────────────────────────────────────────────

  private onFrame (from: PeerId, bytes: Uint8Array, viaDatagram: boolean): void {
    if (!this.running) return
    let msg: SwimMessage
    try {
      msg = decodeSwim(bytes, this.transport.maxFrameBytes(Channel.swim))
    } catch (err) {
      this.counters.decodeErrors++
      this.warnings.warn(`decode:${from}`, 'rejected swim frame', { from, error: err instanceof DecodeError ? err.message : String(err) })
      return
    }
    this.counters.messagesIn[msg.type]++
    this.counters.bytesIn[msg.type] += bytes.byteLength
    // The signature checks this frame needs are charged to its sender (signing.ts VERIFY_PER_SENDER).
    this.records.setSender(from)
    try {
      this.handle(from, msg, viaDatagram)
    } finally {
      this.records.setSender(undefined)
    }
  }

  private handle (from: PeerId, msg: SwimMessage, viaDatagram: boolean): void {
    let accused = false
    for (const u of msg.gossip) {
      if (u.id === this.localId && u.state !== MemberState.alive) accused = true
      this.table.applyGossip(u, from)
    }
    // The sender believes we are suspect or dead (now or in an older incarnation): answer it directly
    // with our alive record, rather than hoping that gossip reaches it before its suspicion expires.
    const owed = accused && !this.leaving && this.owesAlive(from) ? [this.table.aliveSelf()] : []
    // And the other way round: we hold the sender suspect or dead, or forgot it, and it is talking to us.
    // (The sender's state is looked up once for both: nothing in between changes it.)
    const known = this.table.state(from)
    const fullState = msg.type === 'pushPull' || msg.type === 'pushPullReply'
    const told = this.accusationFor(from, known, fullState)
    // A sender we have never heard of, or hold as left (it restarted and rejoined: its newer alive record
    // missed us), knows more about itself than we do.
    if (!fullState && (known === undefined || known === MemberState.left)) this.pullUnknown(from, known === MemberState.left)
    switch (msg.type) {
      case 'ping':
        // Answered the way it came, as memberlist answers a TCP ping on its connection: a ping on the stream
        // is often the prober's fallback after datagrams went unanswered, and an ack sent back as a datagram
        // was lost the same way (lossy-dials at 10 % loss: 19 suspicions of healthy members against ≤ 5).
        this.sendFrame(this.destinationOf(from), { type: 'ack', seq: msg.seq }, [...owed, ...told], viaDatagram ? undefined : { stream: true })
        return
      case 'ack':
        if (!this.prober.handleAck(from, msg.seq)) this.counters.unexpectedAcks++
        break
      case 'nack':
        if (!this.prober.handleNack(from, msg.seq)) this.counters.unexpectedAcks++
        break
      case 'pingReq':
        if (!this.leaving) this.prober.handlePingReq(from, msg.seq, msg.target)
        break
      case 'pushPull': this.pushPull.onRequest(from, msg.seq, msg.page, msg.members, msg.digest, msg.noReply === true); break
      case 'pushPullReply': this.pushPull.onReply(from, msg.seq, msg.page, msg.members, msg.digest); break
      case 'gossip': break
    }
    if (owed.length > 0 || told.length > 0) this.sendFrame(this.destinationOf(from), { type: 'gossip' }, [...owed, ...told])
  }

  /**
   * Our suspicion (or death verdict) of `from`, which is talking to us, for us to send it directly, at most
   * once per probe period: it then refutes at once. Gossip alone may never tell it (issue 14): a member cut
   * off for less than a suspicion timeout suspects those it probes meanwhile, and the gossip of those
   * suspicions is spent on frames that cannot arrive; after the heal only it knew of them, and each accused
   * stayed suspect in its view until its round-robin probe got there or the suspicion expired into a death
   * (10–17 s in the simulator at N = 5; test/membership/short-partition.test.ts). Push-pull frames
   * (`fullState`) carry our whole view anyway.
   *
   * A member we forgot, whose last record we remember (forgotten.ts), is told that record, whatever the
   * frame (our full state no longer holds it): it restarted at incarnation 0, and its `alive` is refused
   * as a replay until it refutes that record one above — proven by the record's own signature, so the
   * refutation takes one round trip (test/membership/forgotten-replay.test.ts).
   */
  private accusationFor (from: PeerId, state: MemberState | undefined, fullState: boolean): MemberUpdate[] {
    if (this.leaving) return []
    let u: MemberUpdate | undefined
    if (state === undefined) u = this.table.forgottenRecord(from)
    else if (!fullState && (state === MemberState.suspect || state === MemberState.dead)) u = this.table.updateFor(from)
    if (u === undefined || !this.toldAccused.take(from, this.clock.now(), this.config.probeIntervalMs)) return []
    return [u]
  }

  /**
   * Another side's verdict about `accusation.id`, which we hold alive (MemberTable.staleVerdict): sent to
   * the accused alone, at most once a probe period, so that it refutes — the other side takes only its
   * refutation — without our suspecting it, or gossiping the suspicion to everyone.
   */
  private tellAccused (accusation: MemberUpdate): void {
    this.counters.staleVerdicts++
    if (this.leaving || !this.toldAccused.take(accusation.id, this.clock.now(), this.config.probeIntervalMs)) return
    this.sendFrame(this.destinationOf(accusation.id), { type: 'gossip' }, [accusation])
  }

  /**
   * Someone we held suspect or dead proved alive: our accusations may have come from our own isolation
   * (test/membership/short-partition.test.ts: a member cut off for 10 s at N = 30, 1–8 s from the heal
   * until everyone was alive everywhere; a real 30-peer soak, 7.4 s). Their gossip may have been spent on
   * frames that could not arrive, so the accused do not know to refute, and accusationFor tells one only
   * if it talks to us, which at N = 30 may take many seconds; nor do our own probes come round to it soon,
   * slowed as they are by our poor health score (Lifeguard). So, at most once a probe period, up to
   * RESTATED_ACCUSATIONS of those we still stand by are sent to the accused directly (each at most once a
   * probe period, as accusationFor does): a live one answers us directly with its refutation. Not gossiped
   * again: an overloaded member's false suspicions would go to everyone; and only our own accusations:
   * restating someone else's as ours would pass a forged one off as honest.
   *
   * Our deaths count too: after a heal, the gossip of one revived member's refutation can spend itself
   * before it reaches us, while we see the others come back (a real 20-peer soak, 5 | 15: one member listed
   * p06 dead 9.4 s after the heal, after everyone else had listed it alive for 9 s, until a periodic
   * push-pull brought it; test/membership/missed-revival.test.ts). Those we declared dead within
   * gossipToTheDeadMs (the members gossip still goes to), and, when a member we held dead came back, those
   * we declared dead since its death, give or take that window: the deaths of one partition or incident,
   * not members long gone, whom a restate would only dial in vain. A restate asked for within a probe
   * period of the last runs at the end of that period, so that revivals in quick succession still reach
   * every accusation, three a period.
   */
  private restateAccusations (): void {
    const now = this.clock.now()
    if (this.leaving || !this.running) return
    const wait = this.lastRestate + this.config.probeIntervalMs - now
    if (wait > 0) {
      this.restateTimer ??= this.clock.setTimeout(() => {
        this.restateTimer = undefined
        this.restateAccusations()
      }, wait)
      return
    }
    this.lastRestate = now
    const own = this.table.ownAccusations(Math.min(now - this.config.gossipToTheDeadMs, this.restateSince))
    if (own.length > 0 && now < this.restateUntil) {
      // What a lost dial did not carry goes again next period (RESTATE_PERIODS); a refuted accusation is gone from `own`.
      this.restateTimer ??= this.clock.setTimeout(() => {
        this.restateTimer = undefined
        this.restateAccusations()
      }, this.config.probeIntervalMs)
    } else {
      this.restateSince = Number.POSITIVE_INFINITY
    }
    for (const i of sampleIndices(this.random, own.length, RESTATED_ACCUSATIONS)) {
      const u = own[i] as MemberUpdate
      // The accusation alone: most of the accused may really be gone, and queued news would spend its
      // transmits on frames that never arrive (a crash under forged suspicions took 1.46× as long to be
      // seen dead by all: test/membership/local-health.test.ts).
      if (this.toldAccused.take(u.id, now, this.config.probeIntervalMs)) this.send(this.destinationOf(u.id), { type: 'gossip', gossip: [u] })
    }
  }

  /**
   * A member we have never heard of is talking to us, so it knows us and our view is missing it: the
   * gossip about its join is sent a bounded number of times and can miss a member (at N = 6 with the
   * local preset, about one join in a few dozen), which would otherwise learn of it only at the next
   * periodic push-pull, up to an interval later. Its probe reaches us within one probe round, so pull
   * its state now. The same for a member we hold as left that talks to us: it restarted and rejoined
   * through others, and the gossip of its new alive record missed us (5 peers, local timing, seed 52: one
   * member listed it as left for 9.5 s; a real 5-peer test waited 15 s in vain on a loaded machine).
   * At most once per sender per push-pull interval and once per probe period overall
   * (a push-pull request is something any peer may send us anyway, so this adds no new amplification).
   */
  private pullUnknown (from: PeerId, left = false): void {
    if (this.leaving || from === this.localId) return
    const now = this.clock.now()
    if (now - this.lastUnknownPull < this.config.probeIntervalMs) return
    // A member listed as left may be pulled again at its next frame: the first pull can come before it
    // heard of its own leave and refuted it (its reply then still says incarnation 0, no news to us).
    const last = this.unknownPulls.get(from)
    if (!left && last !== undefined && now - last < this.config.pushPullIntervalMs) return
    if (this.unknownPulls.size >= MAX_DIRECT_ALIVE_TRACKED) this.unknownPulls.clear()
    this.unknownPulls.set(from, now)
    this.lastUnknownPull = now
    this.counters.unknownSenderPulls++
    this.log.debug('pulling the state of an unknown sender', { from })
    this.pushPull.request({ id: from, addrs: [] }, false)
  }

  private onRejected (reason: RejectReason, u: MemberUpdate): void {
    const fields = { member: u.id, state: u.state, incarnation: u.incarnation }
    switch (reason) {
      case 'member-table-full':
        this.counters.membersRefused++
        this.warnings.warn(reason, 'member table full: refused a new member', { ...fields, max: this.config.maxMembers })
        return
      case 'bad-signature':
        this.counters.badSignatures++
        this.warnings.warn(reason, 'refused a member record not signed by that member', fields)
        return
      case 'implausible-incarnation':
        this.counters.implausibleUpdates++
        this.log.debug('accusation ahead of the incarnation we hold: counted at ours', fields)
        return
      case 'stale-record':
        this.counters.staleRecords++
        this.log.debug('refused an alive record no newer than the last one of a forgotten member', fields)
        return
      case 'verify-budget':
        this.counters.signaturesUnchecked++
        this.warnings.warn(reason, 'refused a member record: its sender spent its budget of signature checks', fields)
    }
  }

  /** Remembers `seed` unless it is us or known; past MAX_SEEDS the oldest is forgotten. */
  private addSeed (seed: Destination): void {
    if (seed.id === this.localId) return
    const key = seedKey(seed)
    if (this.seedKeys.has(key)) return
    if (this.seeds.length >= MAX_SEEDS) {
      const oldest = this.seeds.shift() as Destination
      this.seedKeys.delete(seedKey(oldest))
    }
    this.seeds.push(seed)
    this.seedKeys.add(key)
  }

  /** Rate limit for direct refutations: at most one per accuser per protocol period. */
  private owesAlive (to: PeerId): boolean {
    return this.directAlive.take(to, this.clock.now(), this.config.probeIntervalMs)
  }

  private onPeerEvent (e: PeerEvent): void {
    if (e.type === 'unreachable' && e.id !== undefined) {
      this.prober.handleUnreachable(e.id)
      if (e.refused === true && this.table.state(e.id) !== undefined) {
        this.counters.dialsRefused++
        // Our own dial already asked its host: no check after the lost connection (checkRefusal) is needed.
        this.links.forgetLost(e.id)
        this.table.noteRefused(e.id)
      }
    } else if (e.type === 'connected') {
      this.links.opened(e.id)
      this.table.noteConnected(e.id)
      this.prober.handleConnected(e.id)
    } else if (e.type === 'disconnected') {
      // Remembered for LOST_RECENT_MS (checkRefusal), at most maxMembers.
      this.links.closed(e.id, this.clock.now())
    } else if (e.type === 'datagramKeyReset') {
      this.prober.handleKeyReset(e.id)
    }
  }

  /**
   * `id` was just accused, and our connection to it closed moments before: dial it once. A crashed
   * process's connections all close as it dies (its kernel closes them), so every member that was
   * connected to it can ask its host directly, and a refusal is each one's own evidence (noteRefused)
   * where it would otherwise wait out Lifeguard's minimum for a verifier's verdict. A member accused while
   * our connection to it stays open, or one we were not connected to, costs nothing: with no connection
   * lost there is no sign of a crash, and an overloaded member gets no extra dials.
   */
  private checkRefusal (id: PeerId): void {
    const lost = this.links.lostAt(id)
    if (lost === undefined || !this.config.refusalEvidence) return
    this.links.forgetLost(id)
    if (this.clock.now() - lost > LOST_RECENT_MS || this.links.isConnected(id)) return
    if ((this.transport.dialStage?.(id) ?? 'none') !== 'none' || this.transport.connect === undefined) return
    this.counters.refusalChecks++
    this.transport.connect({ id, addrs: this.table.addrsOf(id) ?? [] })
  }

  private onMemberEvent<K extends keyof MembershipEvents>(type: K, info: MemberInfo): void {
    // A new member is someone to gossip to: the loop sleeps while the queue has no one to go to.
    this.gossipTicker?.wake()
    if (type === 'suspect') {
      this.counters.suspicions++
      this.checkRefusal(info.id)
    }
    if (type === 'alive') this.restateAccusations()
    if (type === 'dead' || type === 'left') this.transport.forget?.(info.id)
    const fields = { member: info.id, name: info.name !== info.id ? info.name : undefined, incarnation: info.incarnation }
    if (type === 'updated') this.log.debug('member updated', fields)
    // Suspicions and refutations can come many times a second (forged accusations, a flaky link): at most
    // 10 lines of each in 10 s, the rest counted in the next line (`suppressed`); /members has every state.
    else if (type === 'suspect' || type === 'alive') this.flaps.info(type, `member ${type}`, fields)
    else this.log.info(`member ${type}`, fields)
    this.events.emit(type, info)
  }

  // ── periodic loops ─────────────────────────────────────────────────────────────────────────────

  /**
   * `count` random members to gossip to: active ones, plus the recently dead so a falsely-dead member
   * learns it and refutes. Drawn in O(count) from the table's per-state sets (plus a scan of the dead).
   */
  private gossipTargets (count: number): PeerId[] {
    const now = this.clock.now()
    const alive = this.table.inState(MemberState.alive)
    const suspect = this.table.inState(MemberState.suspect)
    const recentlyDead: PeerId[] = []
    for (const id of this.table.inState(MemberState.dead).values()) {
      const changedAt = this.table.stateChangedAt(id) ?? 0
      if (now - changedAt < this.config.gossipToTheDeadMs) recentlyDead.push(id)
    }
    const n = alive.size + suspect.size + recentlyDead.length
    return sampleIndices(this.random, n, count).map(i =>
      i < alive.size ? alive.at(i) : i < alive.size + suspect.size ? suspect.at(i - alive.size) : recentlyDead[i - alive.size - suspect.size] as PeerId)
  }

  /** Whether `id` is someone gossipTargets could draw: active, or dead for less than gossipToTheDeadMs. */
  private gossipable (id: PeerId, now: number): boolean {
    const state = this.table.state(id)
    if (state === MemberState.alive || state === MemberState.suspect) return true
    return state === MemberState.dead && now - (this.table.stateChangedAt(id) ?? 0) < this.config.gossipToTheDeadMs
  }

  /**
   * Gossip goes to random targets, but a member we have no connection to is one of them at most once every
   * GOSSIP_DIAL_INTERVALS probe intervals while at least `gossipNodes` members are connected (once a round
   * while fewer are, as when joining), the others being drawn among the connected ones (issue 14). Over
   * TCP a frame to an unconnected member costs both ends a handshake; after a heal every member learns at
   * once that dozens are alive again, and unrestricted random targets had every peer dial every member of
   * the other side within a second or two — the dial storm, on the few peers of a minority most of all.
   * Dissemination needs random targets (SWIM §4.1), which the connected members still are; probes (one
   * per period, round-robin over everyone) and push-pull keep building the other connections at their pace.
   *
   * When the random pool holds too few connected members, more are drawn from `connected` (issue 11): with
   * 64 connections among 1,000 members, a pool of 12 held fewer than 3 connected members most rounds, and
   * the fallback dialled one member every round, 5 dials a second per member while anything was queued.
   * Under packet loss those dials (a lost SYN costs a second) delayed probes into suspicions whose own
   * gossip dialled more.
   *
   * A member we hold a datagram key for counts as connected: a datagram needs no handshake.
   */
  private gossipRoundTargets (): PeerId[] {
    const n = this.config.gossipNodes
    const isConnected = this.transport.isConnected?.bind(this.transport)
    if (isConnected === undefined) return this.gossipTargets(n)
    const datagramPath = this.transport.datagramPath?.bind(this.transport)
    // A random pool a few times larger than needed, in random order, keeps the draw O(gossipNodes) (no scan
    // of the table); connected members come first, unconnected ones only within the budget.
    const pool = this.gossipTargets(GOSSIP_POOL_FACTOR * n)
    const now = this.clock.now()
    let budget = now - this.lastGossipDial >= GOSSIP_DIAL_INTERVALS * this.config.probeIntervalMs ? 1 : 0
    const targets: PeerId[] = []
    const unconnected: PeerId[] = []
    /** Whether a target is unconnected (each member's connection asked once: this runs 5 times a second). */
    let dials = false
    for (const id of pool) {
      if (targets.length === n) break
      if (isConnected(id)) {
        this.links.addConnected(id)
        targets.push(id)
      } else if (datagramPath?.(id) === true) {
        // A datagram costs no handshake: as good a target as a connected member (after a heal, the members
        // declared dead on the other side hear of it at once, and refute).
        targets.push(id)
      } else if (budget > 0) {
        targets.push(id)
        dials = true
        budget--
      } else unconnected.push(id)
    }
    // Too few connected members in the pool: more from those we know to be connected, if there are any.
    if (targets.length < n) {
      for (const i of sampleIndices(this.random, this.links.connectedCount, GOSSIP_POOL_FACTOR * n)) {
        if (targets.length === n) break
        const id = this.links.connectedAt(i)
        if (!targets.includes(id) && isConnected(id) && this.gossipable(id, now)) targets.push(id)
      }
    }
    // Fewer than gossipNodes connected at all (joining, or a fresh heal): one unconnected member a round.
    if (targets.length < n && budget === 0 && !dials && unconnected.length > 0) {
      targets.push(unconnected[0] as PeerId)
      dials = true
    }
    if (dials) this.lastGossipDial = now
    return targets
  }

  /** One gossip round; whether the loop should keep ticking (something queued, and someone to send it to). */
  private gossipRound (): boolean {
    if (this.queue.length === 0) return false
    const targets = this.gossipRoundTargets()
    for (const id of targets) {
      const gossip = this.takeGossip([], this.piggybackBudget(id))
      if (gossip.length === 0) break
      this.send(this.destinationOf(id), { type: 'gossip', gossip })
    }
    return targets.length > 0 && this.queue.length > 0
  }

  private periodicPushPull (): void {
    if (this.leaving) return
    const id = this.table.inState(MemberState.alive).pick(this.random)
    if (id !== undefined) this.pushPull.request(this.destinationOf(id), false)
  }

  /**
   * Partition healing: push-pull with one random dead member per interval, and with a seed while the view
   * is degraded (nobody alive, or someone dead). A reply merges both views; refutations then spread.
   *
   * Each round runs with probability dead/alive, as Serf's reconnect does: the whole mesh then makes about
   * `dead` attempts per interval whatever its size, where one attempt per member per interval aimed
   * (N − 1)/interval requests at a member crashed for good, for the 24 h window. The side of a partition
   * that lost more than it kept (dead ≥ alive) still tries every interval, so a heal is found as fast.
   */
  private reconnectRound (): void {
    for (const id of this.table.reap()) {
      this.reconnectsUnanswered.delete(id)
      this.log.info('forgot member', { member: id })
    }
    if (this.leaving) return
    const dead = this.table.inState(MemberState.dead)
    const aliveOthers = this.table.activeMembers - 1
    if (aliveOthers > 0 && (dead.size === 0 || this.random.next() >= dead.size / aliveOthers)) return
    const target = dead.pick(this.random)
    if (target !== undefined) {
      this.counters.reconnectAttempts++
      this.reconnect(this.destinationOf(target), false)
    }
    if (this.seeds.length > 0 && (aliveOthers === 0 || dead.size > 0)) {
      const seed = this.seeds[this.seedIndex++ % this.seeds.length] as Destination
      const known = seed.id === undefined ? undefined : this.table.state(seed.id)
      if (known === undefined || known === MemberState.dead) this.reconnect(seed, aliveOthers === 0)
    }
  }

  /**
   * A reconnect push-pull: as a datagram where we hold a key for `to` (after a heal, no handshake), but on
   * the stream if the last one went as a datagram and was not answered. The transport keeps a dead member's
   * key (forget), and a member that restarted behind a partition, or on a host that went down, is a new
   * process that drops what is sealed with its previous life's key without a word: datagrams alone never
   * reached it again, and a restarted member with no seeds of its own (the one that started the mesh) stayed
   * apart for good. Every other try asks over a connection, where a new process answers, and its keys follow.
   */
  private reconnect (to: Destination, join: boolean): void {
    const id = to.id
    const unanswered = id !== undefined && this.reconnectsUnanswered.delete(id)
    if (id === undefined || unanswered || this.transport.datagramPath?.(id) !== true) {
      this.pushPull.request(to, join, undefined, { stream: true })
      return
    }
    this.reconnectsUnanswered.add(id)
    this.pushPull.request(to, join, () => { this.reconnectsUnanswered.delete(id) })
  }

  private after (delayMs: number, start: () => Timer): Timer {
    let inner: Timer | undefined
    const outer = this.clock.setTimeout(() => { inner = start() }, delayMs)
    return { cancel: () => { outer.cancel(); inner?.cancel() } }
  }
}
