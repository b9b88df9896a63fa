/**
 * Failure detection (SWIM §3–4 with Lifeguard §4): one probe per protocol period, round-robin over a
 * shuffled list of members; a missed ack leads to indirect probes through k members, then to suspicion.
 *
 * The prober also serves the other side of the protocol: it answers pings and performs indirect probes
 * for members that ask (ping-req), answering with an ack or, if the target stays silent, a nack
 * (Lifeguard's signal that the helper itself is healthy).
 */
import type { Clock, Timer } from '../core/clock.js'
import type { Random } from '../core/random.js'
import type { Destination, DialStage, PeerId, SendOptions } from '../core/transport.js'
import type { Awareness } from './awareness.js'
import type { MembershipConfig } from './config.js'
import { MemberState, isActive } from './member.js'
import type { MemberTable } from './member-table.js'
import { sampleIndices } from './id-set.js'

/** Frames the prober sends; Membership adds piggybacked gossip and encodes them. */
export type ProbeFrame =
  | { type: 'ping', seq: number }
  | { type: 'ack', seq: number }
  | { type: 'nack', seq: number }
  | { type: 'pingReq', seq: number, target: PeerId, targetAddrs: readonly string[] }

export interface ProberDeps {
  clock: Clock
  random: Random
  config: MembershipConfig
  table: MemberTable
  awareness: Awareness
  /**
   * Send a frame; `carrySuspicionOf`: put our suspicion of that member first in the frame's gossip;
   * `options`: the transport's (a fallback ping goes on the stream).
   */
  send: (to: Destination, frame: ProbeFrame, carrySuspicionOf?: PeerId, options?: SendOptions) => void
  /**
   * Where our connection to `id` stands (Transport.dialStage). A probe whose ping needs a new connection
   * also waits for the handshake: its direct phase gets one more probe timeout, and a round that ends while
   * its ping still waits in line for a handshake, or inside one, is left undecided (issue 14). Optional:
   * without it every member counts as connected.
   */
  dialStage?: (id: PeerId) => DialStage
  /**
   * Whether a ping to `id` travels as a datagram (Transport.datagramPath): unordered, and lost for good if
   * lost, and silently so at a process that restarted since it gave us its key. A probe whose direct ping went
   * as one pings again on the stream when its direct phase times out (memberlist's TCP fallback). Optional.
   */
  datagramPath?: (id: PeerId) => boolean
  /**
   * Dial a member ahead of its probe (Transport.connect). The prober dials the members it probes in the
   * next few seconds, so that their pings do not wait for a dial. Optional.
   */
  connect?: (to: Destination) => void
  /**
   * Observability hooks. `deferred`: the round ended while our ping was still waiting for its connection,
   * so it says nothing about the target; the target is probed again next (see `Prober.finish`).
   */
  onProbe?: (outcome: 'ack' | 'indirect-ack' | 'failed' | 'deferred', target: PeerId) => void
  /** A direct ack came back: its round trip, ms. */
  onProbeRtt?: (ms: number) => void
  onIndirectProbe?: () => void
  onPingReqRefused?: () => void
}

/**
 * A ping waiting for its answer. The transport authenticates every frame's sender, so an answer counts
 * only from a peer that was asked: an ack from the pinged member or, in the indirect phase, from a
 * helper asked to probe it; a nack only from such a helper. Sequence numbers alone are guessable.
 */
interface PendingAck {
  target: PeerId
  helpers?: ReadonlySet<PeerId>
  onAck: () => void
  onNack: () => void
}

interface ProbeRound {
  readonly target: PeerId
  readonly seq: number
  phase: 'direct' | 'indirect'
  readonly sentAt: number
  /** Our ping needed a new connection when it was sent (it leaves once the handshake is done). */
  readonly dialing: boolean
  /** Our ping went as a datagram: the indirect phase pings the target again on the stream. */
  readonly datagram: boolean
  /** The transport gave up on reaching the target during this round (dial refused or timed out). */
  unreachable: boolean
  /** When the connection the ping was waiting for opened, if it did during this round. */
  connectedAt?: number
  acked: boolean
  nacks: number
  expectedNacks: number
  indirectTimer?: Timer
  finishTimer?: Timer
  pending?: PendingAck
}

/** Helpers answer a ping-req with a nack after this fraction of the probe timeout, leaving the requester time to receive it. */
const NACK_TIMEOUT_FRACTION = 0.8
/** Bound on concurrently pending ack handlers (probe rounds plus indirect probes we serve). */
const MAX_PENDING_ACKS = 4096
/**
 * Rounds in a row that may end undecided because our ping was still waiting for its connection. The
 * transport bounds each dial (a deadline once its handshake starts), but a dial can also wait in line
 * behind others; past this many rounds a member we cannot get a ping to is suspected as before, so a
 * member that accepts TCP and then stalls its handshakes is detected at most this many rounds later by
 * the members not already connected to it (those connected to it are not delayed at all).
 */
const MAX_DEFERRED_ROUNDS = 3
/** How far ahead of its probe a member is dialled: long enough for TCP's first two SYN resends (1 s, then 2 s). */
const DIAL_AHEAD_MS = 3000
/** Candidates drawn per indirect helper needed, among which those already connected are preferred. */
const HELPER_CANDIDATES = 16
/** Send options of a ping that must not go as a datagram. */
const STREAM: SendOptions = { stream: true }

export class Prober {
  private order: PeerId[] = []
  private readonly inOrder = new Set<PeerId>()
  private index = 0
  private seq: number
  private readonly pending = new Map<number, PendingAck>()
  private readonly rounds = new Set<ProbeRound>()
  /** Members whose last rounds ended undecided (ping still waiting for a dial): rounds in a row. */
  private readonly deferred = new Map<PeerId, number>()
  /** Members to probe next, ahead of the rotation: their last round ended undecided. */
  private readonly retry = new Set<PeerId>()
  /** Pings we sent outside a probe round (indirect probes for others, verifications), keyed by seq, so an unreachable target fails them at once. */
  private readonly helping = new Map<number, { target: PeerId, fail: () => void }>()
  /**
   * `order[activeFrom, activeTo)` were active members when the table's changeCount was `activeAt` (issue
   * 11): each tick asks whether the next few members in the rotation are active (nextTarget, upcoming),
   * the same ones as the tick before but one, and a lookup in a table of N records costs cache misses at
   * N = 1,000. While the table has not changed, the answers have not either.
   */
  private activeFrom = 0
  private activeTo = 0
  private activeAt = -1
  private stopped = false

  constructor (private readonly deps: ProberDeps) {
    // Start anywhere in the sequence space: a forger cannot count along from 0.
    this.seq = deps.random.int(0x1_0000_0000)
  }

  nextSeq (): number {
    this.seq = (this.seq + 1) >>> 0
    if (this.seq === 0) this.seq = 1
    return this.seq
  }

  /** One protocol period: probe the next member in the round-robin order. */
  tick (): void {
    if (this.stopped) return
    const target = this.nextTarget()
    if (target !== undefined) this.probe(target)
    this.connectAhead()
  }

  /**
   * Dials the members due in the next DIAL_AHEAD_MS, ahead of their probes (issue 11). With more members
   * than connections most probes need a new one, and over a lossy network one dial in ten loses its SYN or
   * SYN-ACK, which TCP resends after 1 s and again 2 s later. Dialled a period ahead, a dial whose first
   * two SYNs were lost (one in a hundred at 5 % packet loss) was still connecting when its round ended, and
   * the helpers, who had to dial the target too, often failed it as well: a healthy member was suspected
   * and the suspicion and its refutation went to every member (a 1,000-member simulation at 5 % packet
   * loss: 12 such probes a minute tripled the frames per member). Three seconds ahead, the third SYN
   * leaves as the probe starts. These are the dials the probes would have made anyway, only earlier; a
   * dial still waiting for TCP when its probe starts is as before.
   */
  private connectAhead (): void {
    const connect = this.deps.connect
    if (connect === undefined) return
    const lead = Math.max(1, Math.ceil(DIAL_AHEAD_MS / this.deps.config.probeIntervalMs))
    for (const id of this.upcoming(lead)) {
      if (this.deps.dialStage?.(id) === 'none') connect({ id, addrs: this.deps.table.addrsOf(id) ?? [] })
    }
  }

  /** The next `count` members `nextTarget` would return, without taking them (within the current round). */
  private upcoming (count: number): PeerId[] {
    const out: PeerId[] = []
    for (const id of this.retry) if (this.takeUpcoming(out, id, count)) return out
    for (let i = this.index; i < this.order.length; i++) {
      if (!this.activeInOrder(i)) continue
      const id = this.order[i] as PeerId
      if (!out.includes(id)) out.push(id)
      if (out.length >= count) return out
    }
    return out
  }

  /** Whether `order[i]` is an active member (`table.state`, remembered while the table does not change). */
  private activeInOrder (i: number): boolean {
    const table = this.deps.table
    const at = table.changeCount
    if (at === this.activeAt && i >= this.activeFrom && i < this.activeTo) return true
    const state = table.state(this.order[i] as PeerId)
    if (state === undefined || !isActive(state)) return false
    if (at === this.activeAt && i === this.activeTo) this.activeTo++
    else {
      this.activeAt = at
      this.activeFrom = i
      this.activeTo = i + 1
    }
    return true
  }

  /** `order` changed: nothing is known about its positions. */
  private forgetActive (): void {
    this.activeAt = -1
    this.activeFrom = 0
    this.activeTo = 0
  }

  /** Adds `id` to `out` if it is an active member not there yet; whether `out` has `count` (upcoming, without a closure per tick). */
  private takeUpcoming (out: PeerId[], id: PeerId, count: number): boolean {
    const state = this.deps.table.state(id)
    if (state !== undefined && isActive(state) && !out.includes(id)) out.push(id)
    return out.length >= count
  }

  /**
   * A new member (or one back from the dead) joins the rotation at a random later position: it takes
   * that position and the member there moves to the end (still probed this round). O(1): inserting into
   * the array made a forming cluster's rotation O(N²) per member (issue 11).
   */
  addMember (id: PeerId): void {
    if (this.inOrder.has(id)) return
    this.inOrder.add(id)
    this.forgetActive()
    const pos = this.index + this.deps.random.int(this.order.length - this.index + 1)
    if (pos < this.order.length) this.order.push(this.order[pos] as PeerId)
    this.order[pos] = id
  }

  /** Routes an ack from `from`; returns false if nobody was waiting for it from that peer (late, unknown or forged). */
  handleAck (from: PeerId, seq: number): boolean {
    const p = this.pending.get(seq)
    if (p === undefined || (from !== p.target && p.helpers?.has(from) !== true)) return false
    p.onAck()
    return true
  }

  /** Routes a nack from `from`; returns false unless it comes from a helper asked for `seq`. */
  handleNack (from: PeerId, seq: number): boolean {
    const p = this.pending.get(seq)
    if (p === undefined || p.helpers?.has(from) !== true) return false
    p.onNack()
    return true
  }

  /**
   * One direct ping to `target` carrying its suspicion; `verdict(true)` if it acks within the (scaled)
   * probe timeout, `verdict(false)` on timeout or if it is unreachable.
   */
  verify (target: PeerId, verdict: (acked: boolean) => void): void {
    if (this.stopped) return
    const { clock, config, awareness, table } = this.deps
    const seq = this.nextSeq()
    let done = false
    const finish = (acked: boolean): void => {
      if (done) return
      done = true
      timer.cancel()
      this.pending.delete(seq)
      this.helping.delete(seq)
      verdict(acked)
    }
    // On the stream: the last word before a death must not hang on a datagram, lost for good if lost, and
    // lost without a word at a process that restarted since it gave us its key; a dial refused is an answer too.
    // (With a datagram path the stream may need a dial: the allowance, in case.)
    const dialing = this.needsDial(target) || this.deps.datagramPath?.(target) === true
    const timer = clock.setTimeout(() => { finish(false) }, awareness.scale(config.probeTimeoutMs + this.dialAllowance(dialing)))
    this.pending.set(seq, { target, onAck: () => { finish(true) }, onNack: () => {} })
    this.helping.set(seq, { target, fail: () => { finish(false) } })
    this.deps.send({ id: target, addrs: table.addrsOf(target) ?? [] }, { type: 'ping', seq }, target, STREAM)
  }

  /**
   * Someone asks us to probe `target` for them (ping-req). Served only for members we know on both ends,
   * and always at the addresses our own table has for the target: otherwise any peer could make us dial
   * addresses of its choosing.
   */
  handlePingReq (from: PeerId, seq: number, target: PeerId): void {
    const { clock, config, table } = this.deps
    const requesterState = table.state(from)
    const targetInfo = table.info(target)
    if (requesterState === undefined || !isActive(requesterState) || this.pending.size >= MAX_PENDING_ACKS) {
      this.deps.onPingReqRefused?.() // a stranger, or overloaded: stay silent, the requester copes
      return
    }
    const requester: Destination = { id: from, addrs: table.addrsOf(from) ?? [] }
    if (targetInfo === undefined || targetInfo.state === MemberState.left) {
      // We cannot vouch for a member we do not know: a nack tells the requester that we, at least, are fine.
      this.deps.onPingReqRefused?.()
      this.deps.send(requester, { type: 'nack', seq })
      return
    }
    const localSeq = this.nextSeq()
    let done = false
    const finish = (reply: 'ack' | 'nack'): void => {
      if (done) return
      done = true
      timer.cancel()
      this.pending.delete(localSeq)
      this.helping.delete(localSeq)
      this.deps.send(requester, { type: reply, seq })
    }
    const timer = clock.setTimeout(() => { finish('nack') }, (config.probeTimeoutMs + this.dialAllowance(this.needsDial(target))) * NACK_TIMEOUT_FRACTION)
    this.pending.set(localSeq, { target, onAck: () => { finish('ack') }, onNack: () => {} })
    this.helping.set(localSeq, { target, fail: () => { finish('nack') } })
    this.deps.send({ id: target, addrs: targetInfo.addrs }, { type: 'ping', seq: localSeq })
  }

  /**
   * The transport could not reach `id` at all (dial refused): finish pending direct probes of it early
   * and nack indirect probes we perform on it. Never a verdict by itself.
   */
  handleUnreachable (id: PeerId): void {
    for (const round of this.rounds) {
      if (round.target !== id) continue
      round.unreachable = true
      if (round.phase === 'direct' && !round.acked) this.startIndirect(round)
    }
    for (const h of [...this.helping.values()]) if (h.target === id) h.fail()
  }
  /**
   * `id` reset the datagram key our ping to it was sealed with (it restarted): that ping is lost, so a round
   * of it waiting out its direct phase moves on now — the stream ping and the ping-reqs leave at once instead
   * of a probe timeout later, and the dial the stream ping needs has the rest of the period. Under 5 % packet
   * loss a dial that started at the timeout missed the period often enough that each holder's first probe of
   * a restarted member could end in a suspicion: 10 of 100 members restarted, a minute at 5 % packet loss
   * after, suspicions of them over five seeds (11–15) 186, 0, 70, 0, 44 without this, 0, 0, 11, 0, 0 with it
   * (a scratch copy of test/membership/datagrams.sim.test.ts's case).
   */
  handleKeyReset (id: PeerId): void {
    for (const round of this.rounds) if (round.target === id && round.phase === 'direct' && !round.acked && round.datagram) this.startIndirect(round)
  }

  /** A connection to `id` opened: the pings of rounds waiting for it leave now. */
  handleConnected (id: PeerId): void {
    const now = this.deps.clock.now()
    for (const round of this.rounds) if (round.target === id && round.dialing) round.connectedAt ??= now
  }


  /** Resumes probing after stop() (a membership restarted in the same process). */
  start (): void {
    this.stopped = false
  }

  stop (): void {
    this.stopped = true
    for (const round of this.rounds) {
      round.indirectTimer?.cancel()
      round.finishTimer?.cancel()
    }
    this.rounds.clear()
    this.retry.clear()
    this.deferred.clear()
    for (const h of [...this.helping.values()]) h.fail()
    this.pending.clear()
  }

  /**
   * Extra time for the direct phase of a probe whose frames must wait for a new connection: one more
   * probe timeout, as far as the round has room for it (local timing: 200 ms; LAN timing, where the two
   * phases fill the interval: none); scaled by local health with the rest.
   * Over TCP the ping of a member we are not connected to leaves only once a handshake is done, which on a
   * loaded machine (after a heal, every peer at once) takes longer than the probe timeout: without it, members just back from a partition were suspected, and some declared
   * dead, for the time their handshake took. A crashed member costs nothing extra (its dial is refused at
   * once, which starts the indirect probes); a hung one keeps its connection, so it gets no allowance.
   */
  private dialAllowance (dialing: boolean): number {
    if (!dialing) return 0
    // Only out of the round's slack: the indirect phase keeps at least a probe timeout before the round ends.
    const { probeTimeoutMs, probeIntervalMs } = this.deps.config
    return Math.max(0, Math.min(probeTimeoutMs, probeIntervalMs - 2 * probeTimeoutMs))
  }

  private nextTarget (): PeerId | undefined {
    const { table, random } = this.deps
    for (const id of this.retry) {
      this.retry.delete(id)
      const state = table.state(id)
      if (state !== undefined && isActive(state)) return id
      this.deferred.delete(id)
    }
    for (let attempts = 0; attempts < 2; attempts++) {
      while (this.index < this.order.length) {
        const i = this.index++
        if (this.activeInOrder(i)) return this.order[i] as PeerId
      }
      // End of a round: reshuffle the active members (SWIM §4.3: bounded time to first detection).
      this.order = random.shuffle(table.ids(isActive))
      this.forgetActive()
      this.inOrder.clear()
      for (const id of this.order) this.inOrder.add(id)
      this.index = 0
      if (this.order.length === 0) return undefined
    }
    return undefined
  }

  private probe (target: PeerId): void {
    const { clock, config, awareness, table } = this.deps
    const dialing = this.needsDial(target)
    const datagram = this.deps.datagramPath?.(target) === true
    const round: ProbeRound = { target, seq: this.nextSeq(), phase: 'direct', sentAt: clock.now(), dialing, datagram, unreachable: false, acked: false, nacks: 0, expectedNacks: 0 }
    this.rounds.add(round)
    const pending: PendingAck = {
      target,
      onAck: () => {
        if (round.acked) return
        round.acked = true
        // Done early: no need to wait for the rest of the period.
        if (round.phase === 'direct') {
          this.deps.onProbeRtt?.(clock.now() - round.sentAt)
          this.finish(round)
        }
      },
      onNack: () => {
        round.nacks++
        // Every helper reported the target unreachable: nothing is left to wait for.
        if (round.phase === 'indirect' && round.nacks >= round.expectedNacks && !round.acked) this.finish(round)
      }
    }
    round.pending = pending
    this.pending.set(round.seq, pending)
    const buddy = config.buddySystem && table.state(target) === MemberState.suspect ? target : undefined
    const dial = this.dialAllowance(dialing)
    round.indirectTimer = clock.setTimeout(() => { this.startIndirect(round) }, awareness.scale(config.probeTimeoutMs + dial))
    round.finishTimer = clock.setTimeout(() => { this.finish(round) }, awareness.scale(config.probeIntervalMs) - 1)
    this.deps.send({ id: target, addrs: table.addrsOf(target) ?? [] }, { type: 'ping', seq: round.seq }, buddy)
  }

  private startIndirect (round: ProbeRound): void {
    if (round.phase !== 'direct' || round.acked || !this.rounds.has(round)) return
    round.phase = 'indirect'
    round.indirectTimer?.cancel()
    const { table, random, config } = this.deps
    // k alive members other than the target, drawn in O(k), those we are connected to first: a helper we must
    // dial first may not pass our ping-req on in time (over a lossy network one dial in ten waits a second
    // for a lost SYN), and the helper may have to dial the target too.
    const alive = table.inState(MemberState.alive)
    const k = config.indirectChecks
    const drawn = sampleIndices(random, alive.size, HELPER_CANDIDATES * k + 1).map(i => alive.at(i)).filter(id => id !== round.target)
    const open: PeerId[] = []
    const others: PeerId[] = []
    for (const id of drawn) (this.deps.dialStage?.(id) === 'open' ? open : others).push(id)
    const helpers = [...open, ...others].slice(0, k)
    round.expectedNacks = helpers.length
    if (round.pending !== undefined) round.pending.helpers = new Set(helpers)
    const targetAddrs = table.addrsOf(round.target) ?? []
    if (round.datagram && !round.unreachable) {
      // memberlist's TCP fallback ping, same seq: a restarted process (our key for it lost) or a path that
      // drops datagrams answers on the stream; a process gone refuses the dial (handleUnreachable).
      const buddy = this.deps.config.buddySystem && table.state(round.target) === MemberState.suspect ? round.target : undefined
      this.deps.send({ id: round.target, addrs: targetAddrs }, { type: 'ping', seq: round.seq }, buddy, STREAM)
    }
    for (const helper of helpers) {
      this.deps.onIndirectProbe?.()
      this.deps.send({ id: helper, addrs: table.addrsOf(helper) ?? [] }, { type: 'pingReq', seq: round.seq, target: round.target, targetAddrs })
    }
  }

  private needsDial (id: PeerId): boolean {
    const stage = this.deps.dialStage?.(id)
    return stage !== undefined && stage !== 'open'
  }

  /**
   * Whether a failed round is undecided: its ping needed a new connection, and when the round ended that
   * dial was still waiting in line for a handshake slot or was inside its handshake (TCP connected: the
   * remote answered), or had opened the connection too late for an answer (less than a probe timeout
   * before the end). An ack cannot come back for a ping that has not left, so such a failure says nothing
   * about the target (issue 14: after a heal, a loaded peer dials dozens of members two at a time, and
   * those last in line used to be suspected for their wait). A dial still waiting for TCP to connect is
   * no excuse: that is what a partition or a host gone looks like. At most MAX_DEFERRED_ROUNDS in a row.
   */
  private undecided (round: ProbeRound): boolean {
    if (!round.dialing || round.unreachable || this.stopped) return false
    if ((this.deferred.get(round.target) ?? 0) >= MAX_DEFERRED_ROUNDS) return false
    const { clock, awareness, config } = this.deps
    if (round.connectedAt !== undefined) return clock.now() - round.connectedAt < awareness.scale(config.probeTimeoutMs)
    const stage = this.deps.dialStage?.(round.target)
    return stage === 'queued' || stage === 'handshaking'
  }

  private finish (round: ProbeRound): void {
    if (!this.rounds.delete(round)) return
    round.indirectTimer?.cancel()
    round.finishTimer?.cancel()
    this.pending.delete(round.seq)
    const { awareness, table, clock, config } = this.deps
    if (round.acked) {
      this.deferred.delete(round.target)
      // A direct ack means we are healthy (Lifeguard: −1); an indirect one says nothing against us.
      const direct = round.phase === 'direct'
      awareness.probeRound(direct ? -1 : 0, direct && clock.now() - round.sentAt <= config.probeTimeoutMs)
      this.deps.onProbe?.(round.phase === 'direct' ? 'ack' : 'indirect-ack', round.target)
      return
    }
    if (this.undecided(round)) {
      // Our ping has not reached the target (or only just): no evidence about it, nor about our own health.
      this.deferred.set(round.target, (this.deferred.get(round.target) ?? 0) + 1)
      this.retry.add(round.target)
      this.deps.onProbe?.('deferred', round.target)
      return
    }
    this.deferred.delete(round.target)
    // Lifeguard: if helpers did not even nack, the problem is more likely on our side.
    awareness.probeRound(round.expectedNacks > 0 ? round.expectedNacks - round.nacks : 1, false)
    this.deps.onProbe?.('failed', round.target)
    if (!this.stopped) table.suspect(round.target)
  }
}
