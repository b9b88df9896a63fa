/**
 * The membership table: every member this peer knows of, and the transitions between their states
 * (memberlist state.go: aliveNode / suspectNode / deadNode / mergeState, split from the I/O).
 *
 * Every accepted change is queued for dissemination and reported as an event. Updates about ourselves are
 * never accepted: they are refuted by raising our own incarnation, which only we may do.
 *
 * Who may say what (issue 10, defects 2 and 5): a member's incarnation and self-description change only
 * through its own signed record — an `alive` or a `left` it signed (signing.ts), relayed by anyone.
 * Accusations (suspect, dead) are other members' opinions: they change a member's state, never the
 * incarnation we hold for it; one claiming a newer incarnation than the member's own record we have counts
 * at ours. So nobody but a member can raise its incarnation, and no size of jump needs to be judged.
 */
import type { Clock, Timer } from '../core/clock.js'
import type { PeerId } from '../core/transport.js'
import type { MembershipConfig } from './config.js'
import type { MembershipEvents } from './events.js'
import { expectedConfirmations, suspicionTimeoutMs } from './math.js'
import { MemberState, isActive, metaEqual, needsRefutation, supersedes } from './member.js'
import type { MemberInfo, MemberMeta, MemberUpdate } from './member.js'
import type { RecordSigner, SignedState } from './signing.js'
import { Suspicion } from './suspicion.js'
import { ForgottenMembers } from './forgotten.js'
import { IdSet } from './id-set.js'
import { StateDigest } from './state-digest.js'
import { pickVerifiers } from './verifiers.js'

/**
 * How often a member first heard of through another's full state (push-pull) is passed on, rather than the
 * retransmit limit's 12–28 sends (issue 11). Whoever sent the state had heard of it already, and so, most
 * likely, has the rest of the mesh: a joiner learns every member that way, and passing each on in full
 * cost O(N · retransmit limit) updates of stale news per join. At N = 1,000 that was most of the gossip a
 * forming or restarting mesh sent. A few sends still start an epidemic when the news is real (two meshes
 * merging): whoever hears it by gossip passes it on in full.
 */
export const MERGED_NEWS_TRANSMITS = 3

/** Largest incarnation the wire carries (uint32). */
export const MAX_INCARNATION = 0xffff_ffff

/**
 * A suspicion backed by our own refused dial ends after this many probe intervals at most (noteRefused),
 * and such evidence counts for as long. Two: long enough for a member that restarts at once to announce
 * itself, and for a refusal that was a fluke (a listener between two binds) to be contradicted by the next
 * dial; much shorter than Lifeguard's minimum (4 · log10 n intervals at LAN timing), which exists to give a
 * live member that missed acks time to hear of its suspicion and refute. A member whose host refuses its
 * address is not live there.
 */
export const REFUSED_SUSPICION_INTERVALS = 2

interface MemberRecord {
  id: PeerId
  meta: MemberMeta
  state: MemberState
  /** The incarnation of the member's own latest record (below); accusations never change it. */
  incarnation: number
  stateChangedAt: number
  /** When it last came back from dead or left here (−∞: never): its view may hold the other side's verdicts (staleVerdict). */
  revivedAt: number
  /** The member's signature of its latest own record, and which state that record announced. */
  signature: Uint8Array | undefined
  signedState: SignedState
  suspicion: Suspicion | undefined
  /** How the current suspicion ends (onSuspicionExpired); set when it starts. */
  verification: Verification | undefined
  /** When our own dial to it was last refused (−∞: not since it last proved alive): noteRefused. */
  refusedAt: number
}

/** The verification of one suspicion (issue 11): see onSuspicionExpired. */
interface Verification {
  /** 'suspecting' until our suspicion first runs out; 'waiting' for a verifier's verdict; then 'verifying' ourselves. */
  phase: 'suspecting' | 'waiting' | 'verifying'
  /** The suspect's verifiers as we see them (pickVerifiers), drawn when first needed. */
  verifiers: readonly PeerId[] | undefined
  /** A verifier whose `dead` reached us while we were still suspecting. */
  verdict: PeerId | undefined
  /**
   * Members that sent us a `dead` about the suspect (at the incarnation we suspect), up to
   * `suspicionVerifiers` of them, and the first such verdict: that many count as a verifier's (noteVerdict).
   */
  declarers: PeerId[]
  firstVerdict: PeerId | undefined
}

/** Why an update was refused (counted by the caller). */
export type RejectReason = 'implausible-incarnation' | 'member-table-full' | 'bad-signature' | 'verify-budget' | 'stale-record'

/**
 * How long, in probe periods, a member back from the dead holds a view we do not take its verdicts from:
 * the push-pulls that merge two sides of a heal run within a few periods of it.
 */
const STALE_VIEW_PERIODS = 10

export interface MemberTableDeps {
  clock: Clock
  config: MembershipConfig
  localId: PeerId
  localMeta: MemberMeta
  initialIncarnation: number
  /** Signs our records and checks others' (pass-through when the transport has no signer). */
  records: RecordSigner
  /**
   * Queue an update for dissemination: sent `retransmitLimit` times, or at most `maxTransmits` (a member
   * learned from another's full state, which the rest of the mesh has most likely heard of already).
   */
  broadcast: (update: MemberUpdate, maxTransmits?: number) => void
  /** Report a state change of another member. */
  emit: <K extends keyof MembershipEvents>(type: K, info: MemberInfo) => void
  /** We refuted an accusation about ourselves (Lifeguard: a sign we may be the slow one). */
  onRefute: (accusation: MemberUpdate) => void
  /**
   * An update refused: not signed by the member it is about, the table full, an `alive` of a forgotten
   * member no newer than its last record we remember (a replay), or (still applied, at the incarnation we
   * hold) an accusation claiming a newer incarnation than the member's own record we have.
   */
  onRejected?: (reason: RejectReason, update: MemberUpdate) => void
  /** A member joined or came back: lets the prober add it to its rotation. */
  onNewMember?: (id: PeerId) => void
  /** A member we held dead since `deadSince` proved alive (called before its `alive` event). */
  onRevived?: (id: PeerId, deadSince: number) => void
  /**
   * A full state or gossip from a member that was itself dead here until lately held `accusation` about a
   * member we hold alive: a verdict from the sender's side of a partition, not taken as our suspicion
   * (staleVerdict). Lets the caller tell the accused, who refutes.
   */
  onStaleVerdict?: (accusation: MemberUpdate) => void
  /**
   * A suspicion expired. Call `verdict(false)` to declare the member dead, `verdict(true)` if it proved
   * alive meanwhile. Default: declare at once.
   */
  verifySuspect?: (id: PeerId, verdict: (alive: boolean) => void) => void
}

export class MemberTable {
  private readonly records = new Map<PeerId, MemberRecord>()
  /** The last records of members reap() removed (forgotten.ts). */
  private readonly forgotten: ForgottenMembers
  private readonly self: MemberRecord
  /** Other members by state: random picks and counts without scanning the table (issue 11). */
  private readonly byState: Readonly<Record<MemberState, IdSet>> = { alive: new IdSet(), suspect: new IdSet(), dead: new IdSet(), left: new IdSet() }
  /** Bumped at every change of who is alive (lets views of the alive members be cached). */
  private aliveVersion = 0
  /** Bumped at every change of a record's state or incarnation, and of the table's membership: keys the digest cache. */
  private changes = 0
  private cachedDigest: { changes: number, bytes: Uint8Array } | undefined
  /** Records whose `refusedAt` is set (not −∞): while there are none, noteConnected has nothing to do. */
  private refusedRecords = 0
  /** Meta set after we left, announced if we rejoin. */
  private metaAfterLeave: MemberMeta | undefined
  /** Our last refutation, and an accusation held for the next one (refute()). */
  private lastRefutedAt = Number.NEGATIVE_INFINITY
  private refuteTimer: Timer | undefined
  private heldAccusation: MemberUpdate | undefined

  constructor (private readonly deps: MemberTableDeps) {
    this.forgotten = new ForgottenMembers(deps.config.forgottenMembers)
    this.self = {
      id: deps.localId,
      meta: deps.localMeta,
      state: MemberState.alive,
      incarnation: Math.min(MAX_INCARNATION, Math.max(0, deps.initialIncarnation)),
      stateChangedAt: deps.clock.now(),
      revivedAt: Number.NEGATIVE_INFINITY,
      signature: undefined,
      signedState: 'alive',
      suspicion: undefined,
      verification: undefined,
      refusedAt: Number.NEGATIVE_INFINITY
    }
    this.signSelf()
    this.records.set(deps.localId, this.self)
  }

  get localId (): PeerId {
    return this.self.id
  }

  /** Members that are alive or suspect, ourselves included: the n in the protocol's formulas. */
  get activeMembers (): number {
    return 1 + this.byState.alive.size + this.byState.suspect.size
  }

  /** Other members in `state` (read-only view: do not modify). */
  inState (state: MemberState): IdSet {
    return this.byState[state]
  }

  /** Changes whenever a member becomes alive or stops being alive. */
  get aliveGeneration (): number {
    return this.aliveVersion
  }

  get size (): number {
    return this.records.size
  }

  /**
   * Changes whenever a record's state or incarnation changes and whenever a member is added or removed:
   * what `state(id)` returns for any id is the same while this is (a cache of answers may rely on it).
   */
  get changeCount (): number {
    return this.changes
  }

  /** Forgotten members whose last record is remembered. */
  get forgottenCount (): number {
    return this.forgotten.size
  }

  /**
   * The last own record of forgotten member `id` (dead or left, with the signature behind it), if
   * remembered: what the member, restarted, needs to be told to refute it.
   */
  forgottenRecord (id: PeerId): MemberUpdate | undefined {
    return this.records.has(id) ? undefined : this.forgotten.get(id)
  }

  info (id: PeerId): MemberInfo | undefined {
    const r = this.records.get(id)
    return r === undefined ? undefined : toInfo(r)
  }

  localInfo (): MemberInfo {
    return toInfo(this.self)
  }

  all (): MemberInfo[] {
    return [...this.records.values()].map(toInfo)
  }

  state (id: PeerId): MemberState | undefined {
    return this.records.get(id)?.state
  }

  /** When member `id` last changed state (info(id).stateChangedAt without building the info). */
  stateChangedAt (id: PeerId): number | undefined {
    return this.records.get(id)?.stateChangedAt
  }

  /** The addresses member `id` announced (info(id).addrs without building the info: asked at every frame sent). */
  addrsOf (id: PeerId): readonly string[] | undefined {
    return this.records.get(id)?.meta.addrs
  }

  /** Ids of other members in `states`. */
  ids (predicate: (state: MemberState, stateChangedAt: number) => boolean): PeerId[] {
    const out: PeerId[] = []
    for (const r of this.records.values()) {
      if (r !== this.self && predicate(r.state, r.stateChangedAt)) out.push(r.id)
    }
    return out
  }

  /**
   * The update that describes member `id` as we see it (for push-pull and the buddy system), with the
   * member's signed record behind it: a receiver can check the incarnation and meta whatever the state.
   */
  updateFor (id: PeerId, from: PeerId = this.self.id): MemberUpdate | undefined {
    const r = this.records.get(id)
    if (r === undefined) return undefined
    const u = { state: r.state, id: r.id, incarnation: r.incarnation, from: r.state === MemberState.left ? r.id : from, meta: r.meta }
    return r.signature === undefined ? u : { ...u, signature: r.signature }
  }

  /**
   * Our own standing accusations: every member we hold suspect because we accused it (or confirmed it),
   * and every member we declared dead at or after `deadSince`. A `dead` here is always our own verdict (our
   * suspicion ran out and the last ping failed, ours, or a verifier's or `suspicionVerifiers` members' we took as ours): another member's is
   * only a suspicion to us (applyGossip).
   */
  ownAccusations (deadSince: number): MemberUpdate[] {
    const out: MemberUpdate[] = []
    for (const id of this.inState(MemberState.suspect).values()) {
      const r = this.records.get(id)
      if (r?.suspicion?.accusedBy(this.self.id) === true) out.push(this.updateFor(id) as MemberUpdate)
    }
    for (const id of this.inState(MemberState.dead).values()) {
      const r = this.records.get(id)
      if (r !== undefined && r.stateChangedAt >= deadSince) out.push(this.updateFor(id) as MemberUpdate)
    }
    return out
  }

  /** The digest of our table (state-digest.ts): equal to another member's if both hold the same entries. */
  digest (): Uint8Array {
    // Cached until the table changes: a push-pull request (which anyone may send) costs no O(N) hashing.
    if (this.cachedDigest?.changes !== this.changes) {
      const d = new StateDigest()
      for (const r of this.records.values()) d.add(r.id, r.incarnation, r.state)
      this.cachedDigest = { changes: this.changes, bytes: d.bytes() }
    }
    return this.cachedDigest.bytes
  }

  /** Our full state, ourselves first. */
  snapshot (): MemberUpdate[] {
    const out: MemberUpdate[] = []
    for (const r of this.records.values()) out.push(this.updateFor(r.id) as MemberUpdate)
    return out
  }

  // ── transitions ────────────────────────────────────────────────────────────────────────────────

  /** Apply one piggybacked update; `sender` sent the frame (not the accuser an accusation names): see staleVerdict. */
  applyGossip (u: MemberUpdate, sender?: PeerId): void {
    if ((u.state === MemberState.suspect || u.state === MemberState.dead) && sender !== undefined && this.staleVerdict(u, sender)) {
      this.deps.onStaleVerdict?.({ state: MemberState.suspect, id: u.id, incarnation: u.incarnation, from: u.from })
      return
    }
    switch (u.state) {
      case MemberState.alive: this.applyAlive(u); break
      case MemberState.suspect: this.applySuspect(u); break
      case MemberState.dead: {
        // Another member's verdict is hearsay to us: typically, after a partition heals, the other side's
        // deaths of members that were alive all along on ours. It counts as a suspicion (or a confirmation
        // of ours), so a live member can refute; only our own suspicion expiring, and then a last ping to
        // the member failing — ours, that of one of its verifiers (onSuspicionExpired), or those of
        // `suspicionVerifiers` distinct members (noteVerdict) — declares it dead here. Costs a real
        // failure about one dissemination delay.
        const r = this.records.get(u.id)
        if (u.id !== this.self.id && r !== undefined && isActive(r.state)) {
          if (this.takeVerdict(r, u)) break
          this.applySuspect({ state: MemberState.suspect, id: u.id, incarnation: u.incarnation, from: u.from })
          if (sender !== undefined) this.noteVerdict(r, u, sender)
        } else {
          this.applyDead(u) // about ourselves (refute), or a member already dead or left here
        }
        break
      }
      case MemberState.left: this.applyDead(u); break
    }
  }

  /**
   * Merge one entry of a remote's full state (memberlist mergeState): alive and left are taken as they
   * are, but a remote's `dead` only makes us *suspect* the member, so a member that is alive on our side
   * of a healed partition gets the chance to refute rather than being declared dead by hearsay. Entries
   * about ourselves carry our own signed record from the remote's table: after a restart, the proof of the
   * incarnation we had reached before it.
   */
  applyRemoteState (u: MemberUpdate, sender: PeerId): void {
    switch (u.state) {
      case MemberState.alive:
        this.applyAlive(u, MERGED_NEWS_TRANSMITS)
        break
      case MemberState.left:
        this.applyGossip(u)
        break
      case MemberState.suspect:
      case MemberState.dead: {
        if (u.id === this.self.id) {
          this.applyDead(u)
          break
        }
        const accusation: MemberUpdate = { state: MemberState.suspect, id: u.id, incarnation: u.incarnation, from: sender }
        if (this.staleVerdict(u, sender)) this.deps.onStaleVerdict?.(accusation)
        else this.applySuspect(accusation)
        break
      }
    }
  }

  /**
   * Whether `verdict` (suspect or dead), in `sender`'s full state or gossip, is one of the sender's side of
   * a partition about a member of ours (issue 14): the sender is dead here, or came back from the dead within
   * STALE_VIEW_PERIODS probe periods, and the accused is alive here at the very incarnation accused (an
   * older accusation is moot, a newer one implausible: applySuspect). At a heal each side's push-pulls and
   * gossip bring the other's view — every member of our own side dead — and suspecting them on that hearsay
   * made every member suspect most of its own side, members it had been talking to all along (30 real
   * peers, 15 | 15: 12 of one member's 14 within 0.6 s of the heal; 372–474 suspicions over a heal, now
   * 11–125, `npm run bench -- heal`; test/membership/heal-hearsay.test.ts). The accused still has to
   * refute, for the sender's side: the caller tells it directly. Any other sender gets memberlist's merge: its `dead` makes us suspect.
   * Back from a suspicion is not enough: under a member forging suspicions of everyone, every member flaps,
   * and all their gossip would be discounted (a real crash then took 1.8× as long to be seen dead by all).
   */
  private staleVerdict (verdict: MemberUpdate, sender: PeerId): boolean {
    const accused = this.records.get(verdict.id)
    if (accused === undefined || accused.state !== MemberState.alive || verdict.incarnation !== accused.incarnation) return false
    const from = this.records.get(sender)
    if (from === undefined || from === this.self) return false
    if (from.state === MemberState.dead || from.state === MemberState.left) return true
    return this.deps.clock.now() - from.revivedAt < STALE_VIEW_PERIODS * this.deps.config.probeIntervalMs
  }

  /**
   * `newMemberTransmits`: how often to pass the update on if it introduces a member we had no record of
   * (the retransmit limit's sends by default).
   */
  applyAlive (u: MemberUpdate, newMemberTransmits?: number): void {
    if (u.meta === undefined) return
    if (u.id === this.self.id) {
      const claim = needsRefutation(this.self, u) || (u.incarnation === this.self.incarnation && !metaEqual(u.meta, this.self.meta))
      if (!claim) return
      // Only a record we signed ourselves (before a restart) makes us move: anything else is a forgery,
      // refused by every member that checks it too.
      if (!this.authentic(u, 'alive')) return
      this.refute(u, true)
      return
    }
    const r = this.records.get(u.id)
    if (!supersedes(r, u)) return
    if (r === undefined) {
      // A member we forgot: only a record newer than its last one is news. An older one is a replay (its
      // member, back for real, refutes that last record when told: Membership.accusationFor).
      const last = this.forgotten.get(u.id)
      if (last !== undefined && !supersedes(last, u)) {
        this.deps.onRejected?.('stale-record', u)
        return
      }
    }
    if (r === undefined && this.records.size >= this.deps.config.maxMembers) {
      this.deps.onRejected?.('member-table-full', u)
      return
    }
    if (!this.authentic(u, 'alive')) return
    const now = this.deps.clock.now()
    if (r === undefined) {
      // Every field set here, in one order, and never deleted (issue 11): a deleted property used to turn
      // a record into a dictionary, slower to read and larger, and the table holds N of them in each member.
      const rec: MemberRecord = { id: u.id, meta: u.meta, state: MemberState.alive, incarnation: u.incarnation, stateChangedAt: now, revivedAt: Number.NEGATIVE_INFINITY, signature: u.signature, signedState: 'alive', suspicion: undefined, verification: undefined, refusedAt: Number.NEGATIVE_INFINITY }
      this.records.set(u.id, rec)
      this.forgotten.delete(u.id)
      this.index(rec, undefined)
      this.deps.broadcast(u, newMemberTransmits)
      this.deps.onNewMember?.(u.id)
      this.deps.emit('joined', toInfo(rec))
      return
    }
    const previous = r.state
    const metaChanged = !metaEqual(r.meta, u.meta)
    r.suspicion?.cancel()
    r.suspicion = undefined
    this.takeRecord(r, u, 'alive')
    this.deps.broadcast(u)
    if (previous === MemberState.alive) {
      if (metaChanged) this.deps.emit('updated', toInfo(r))
      return
    }
    const deadSince = r.stateChangedAt
    r.state = MemberState.alive
    this.index(r, previous)
    r.stateChangedAt = now
    if (previous === MemberState.dead || previous === MemberState.left) r.revivedAt = now
    if (previous === MemberState.left) {
      this.deps.onNewMember?.(u.id)
      this.deps.emit('joined', toInfo(r))
    } else {
      if (previous === MemberState.dead) {
        this.deps.onNewMember?.(u.id)
        this.deps.onRevived?.(u.id, deadSince)
      }
      this.deps.emit('alive', toInfo(r))
    }
  }

  applySuspect (u: MemberUpdate): void {
    const r = this.records.get(u.id)
    if (r === undefined) return
    if (r === this.self) {
      if (needsRefutation(this.self, u)) this.refute(u, false)
      return
    }
    if (u.incarnation > r.incarnation) {
      // The accuser claims a newer incarnation than the member's own record we have: we missed a
      // refutation, or it is forged (a huge one would leave the member unable to ever refute). It counts
      // at the incarnation we hold; the member's own refutation, when it comes, supersedes it.
      this.deps.onRejected?.('implausible-incarnation', u)
      u = { state: MemberState.suspect, id: u.id, incarnation: r.incarnation, from: u.from }
    }
    if (u.incarnation < r.incarnation) return
    if (r.state === MemberState.suspect) {
      // Lifeguard: an independent accuser shortens the timeout; pass the confirmation on so others count it.
      if (r.suspicion?.confirm(u.from) === true) this.deps.broadcast(u)
      return
    }
    if (!supersedes(r, u)) return
    this.startSuspicion(r, u)
  }

  /** A `dead` verdict (ours, or about ourselves) or a `left` (a member's own, signed). */
  applyDead (u: MemberUpdate): void {
    const r = this.records.get(u.id)
    if (r === undefined) return
    if (r === this.self) {
      if (!needsRefutation(this.self, u)) return
      // "We left" can only be our own record from before a restart; anything else is forged.
      if (u.state === MemberState.left && !this.authentic(u, 'left')) return
      this.refute(u, u.state === MemberState.left || (u.meta !== undefined && this.deps.records.verify(u, 'alive') === 'valid'))
      return
    }
    if (u.incarnation < r.incarnation || !supersedes(r, u)) return
    if (u.state === MemberState.left) {
      // Only the member itself can say it left (a forged `left` made every member list a live one as gone).
      if (!this.authentic(u, 'left')) return
      this.takeRecord(r, u, 'left')
    } else if (u.incarnation > r.incarnation) {
      return // a verdict ahead of the member's own record we hold: never ours (we declare at what we hold)
    }
    const previous = r.state
    r.suspicion?.cancel()
    r.suspicion = undefined
    r.state = u.state
    r.stateChangedAt = this.deps.clock.now()
    this.index(r, previous)
    this.deps.broadcast(u)
    this.deps.emit(u.state === MemberState.left ? 'left' : 'dead', toInfo(r))
  }

  /**
   * Our probe of `id` failed: suspect it, or, if it is already suspect, add our independent confirmation
   * (Lifeguard: every prober that fails counts, which is what shortens the timeout).
   */
  suspect (id: PeerId): void {
    const r = this.records.get(id)
    if (r === undefined || r === this.self || !isActive(r.state)) return
    this.applySuspect({ state: MemberState.suspect, id, incarnation: r.incarnation, from: this.self.id })
  }

  /**
   * Our own dial to `id` was refused (the transport's `unreachable` with `refused`): its host answered, and
   * nothing listens at the member's address. A missed ack may be a slow member, a lost frame or our own
   * load, which is why Lifeguard waits at least `suspicionMult · log10 n` intervals for a refutation; a
   * refusal is the member's process gone (SIGKILL, a crash, a stop without leave). So it counts as our
   * accusation, and our suspicion of it ends within REFUSED_SUSPICION_INTERVALS probe intervals, then our
   * own last-chance ping (onSuspicionExpired), refused again, declares it dead. The member can still
   * refute meanwhile, and a restarted one rejoins as after any death. Only our own dials count: a refusal
   * cannot be relayed, so no member can speed up a verdict about another.
   */
  noteRefused (id: PeerId): void {
    const r = this.records.get(id)
    if (!this.deps.config.refusalEvidence || r === undefined || r === this.self || !isActive(r.state)) return
    this.setRefusedAt(r, this.deps.clock.now())
    this.suspect(id)
    r.suspicion?.expireWithin(this.refusedSuspicionMs())
  }

  /** A connection to `id` opened: it listens (or dialled us), and an earlier refusal no longer counts. */
  noteConnected (id: PeerId): void {
    // Nothing to forget (as almost always): no lookup (issue 11: a connection opens about once a second per
    // member at N = 1,000, and a lookup in a table of N records costs cache misses).
    if (this.refusedRecords === 0) return
    const r = this.records.get(id)
    if (r !== undefined) this.setRefusedAt(r, Number.NEGATIVE_INFINITY)
  }

  /** Sets `r.refusedAt`, counting the records that hold a refusal (refusedRecords). */
  private setRefusedAt (r: MemberRecord, at: number): void {
    const had = r.refusedAt !== Number.NEGATIVE_INFINITY
    const has = at !== Number.NEGATIVE_INFINITY
    if (had !== has) this.refusedRecords += has ? 1 : -1
    r.refusedAt = at
  }

  private refusedSuspicionMs (): number {
    return REFUSED_SUSPICION_INTERVALS * this.deps.config.probeIntervalMs
  }

  /** Whether our own dial to `r` was refused within the last `ms` (and nothing since showed it listening). */
  private refusedWithin (r: MemberRecord, ms: number): boolean {
    return this.deps.clock.now() - r.refusedAt <= ms
  }

  /**
   * Raise our incarnation and announce new metadata (tags, addresses). After we left, the leave stands:
   * the meta waits for a rejoin (announcing it would replace the queued `left` with an `alive`).
   */
  updateLocalMeta (meta: MemberMeta): void {
    if (this.self.state === MemberState.left) {
      this.metaAfterLeave = meta
      return
    }
    this.self.meta = meta
    this.self.incarnation = Math.min(MAX_INCARNATION, this.self.incarnation + 1)
    this.signSelf()
    this.deps.broadcast(this.aliveSelf())
  }

  /** Mark ourselves as leaving and queue the `left` announcement (signed: only we can say it). */
  leaveLocal (): MemberUpdate {
    this.self.state = MemberState.left
    this.self.stateChangedAt = this.deps.clock.now()
    this.self.signedState = 'left'
    this.signSelf()
    const u = this.selfRecord(MemberState.left)
    this.deps.broadcast(u)
    return u
  }

  /** Back from a leave (restarted in the same process): alive again, one incarnation above the `left`. */
  rejoinLocal (): void {
    if (this.self.state !== MemberState.left) return
    this.self.state = MemberState.alive
    this.self.stateChangedAt = this.deps.clock.now()
    this.self.signedState = 'alive'
    if (this.metaAfterLeave !== undefined) this.self.meta = this.metaAfterLeave
    delete this.metaAfterLeave
    this.self.incarnation = Math.min(MAX_INCARNATION, this.self.incarnation + 1)
    this.signSelf()
  }

  /** The alive announcement of ourselves (gossiped at start and after each refutation). */
  aliveSelf (): MemberUpdate {
    return this.selfRecord(MemberState.alive)
  }

  /**
   * Forget dead members older than the reconnect window and left members older than their retention,
   * remembering each one's last record (forgotten.ts). Returns the ids removed.
   */
  reap (): PeerId[] {
    const now = this.deps.clock.now()
    const removed: PeerId[] = []
    // Only dead and left members can expire: scan those, not the whole table.
    const expired = (state: MemberState, maxAgeMs: number): void => {
      const set = this.byState[state]
      for (let i = set.size - 1; i >= 0; i--) {
        const r = this.records.get(set.at(i)) as MemberRecord
        if (now - r.stateChangedAt > maxAgeMs) removed.push(r.id)
      }
    }
    expired(MemberState.dead, this.deps.config.reconnectWindowMs)
    expired(MemberState.left, this.deps.config.leftRetentionMs)
    if (removed.length > 0) this.changes++
    for (const id of removed) {
      const r = this.records.get(id) as MemberRecord
      this.forgotten.remember(this.updateFor(id) as MemberUpdate)
      if (r.refusedAt !== Number.NEGATIVE_INFINITY) this.refusedRecords--
      this.records.delete(id)
      this.byState[r.state].delete(id)
    }
    return removed
  }

  /** Cancels every suspicion timer and a held refutation (on stop). */
  close (): void {
    this.refuteTimer?.cancel()
    this.refuteTimer = undefined
    this.heldAccusation = undefined
    for (const r of this.records.values()) {
      r.suspicion?.cancel()
      r.suspicion = undefined
    }
  }

  private startSuspicion (r: MemberRecord, u: MemberUpdate): void {
    const { config, clock } = this.deps
    const n = this.activeMembers
    const k = expectedConfirmations(config.suspicionMult, n)
    const min = suspicionTimeoutMs(config.suspicionMult, n, config.probeIntervalMs)
    const max = config.suspicionMaxTimeoutMult * min
    const previous = r.state
    r.state = MemberState.suspect
    this.index(r, previous)
    r.incarnation = u.incarnation
    r.stateChangedAt = clock.now()
    const suspicion: Suspicion = new Suspicion(clock, u.from, k, min, max, () => { this.onSuspicionExpired(r, suspicion, min) })
    r.suspicion = suspicion
    r.verification = { phase: 'suspecting', verifiers: undefined, verdict: undefined, declarers: [], firstVerdict: undefined }
    // Accused after our own dial was refused (noteRefused): our evidence, not the accuser's, shortens it.
    if (this.refusedWithin(r, this.refusedSuspicionMs())) suspicion.expireWithin(this.refusedSuspicionMs())
    this.deps.broadcast(u)
    this.deps.emit('suspect', toInfo(r))
  }

  /**
   * `suspicion` ran out; it is still the one that counts if the record still holds it (nothing refuted or
   * replaced it). Before declaring the member dead, one last direct ping carrying the suspicion, so a live
   * member can still answer — but not from every observer (issue 11): N − 1 last-chance pings at once fall
   * on a member that may be alive but overloaded, the one least able to take them.
   *
   * - The suspect's verifiers (`suspicionVerifiers` members, chosen by hash: verifiers.ts) ping it, as
   *   every observer used to: no ack, and they declare it dead; an ack, and they suspect it for one more
   *   minimum (its refutation is on its way).
   * - Every other observer sends nothing: it suspects the member for one more minimum, waiting for a
   *   verifier's `dead`, which it then takes as its own verdict (takeVerdict), or for the refutation. A
   *   verifier's `dead` that came while we still suspected counts at once when our suspicion runs out.
   * - If neither comes in that minimum, it verifies the member itself, as a verifier would: a lost, slow or
   *   cut-off verifier set costs one suspicion minimum of detection time, never a member left suspect.
   *
   * So a suspect gets about `suspicionVerifiers` pings, plus those of observers whose views disagree on
   * the verifiers or whose verdict is late, instead of one from each observer.
   */
  private onSuspicionExpired (r: MemberRecord, suspicion: Suspicion, minMs: number): void {
    const current = (): boolean => r.state === MemberState.suspect && r.suspicion === suspicion && this.records.get(r.id) === r
    if (!current()) return
    const declare = (from: PeerId): void => {
      if (current()) this.applyDead({ state: MemberState.dead, id: r.id, incarnation: r.incarnation, from })
    }
    const verification = r.verification
    if (this.deps.verifySuspect === undefined || verification === undefined) {
      declare(this.self.id)
      return
    }
    const again = (): void => {
      // One more minimum of suspicion, ours now (a confirmation cannot shorten it).
      suspicion.cancel()
      const extra: Suspicion = new Suspicion(this.deps.clock, this.self.id, 0, minMs, minMs, () => { this.onSuspicionExpired(r, extra, minMs) })
      r.suspicion = extra
    }
    // Our own dial was refused lately: we have the evidence a verifier would fetch, so we verify ourselves
    // (a dial to a process that is gone costs its host one refusal) instead of waiting another minimum.
    const refused = this.refusedWithin(r, 2 * this.refusedSuspicionMs())
    if (verification.phase === 'suspecting' && !refused && !this.verifiersOf(r).includes(this.self.id)) {
      const verdict = verification.verdict ?? this.independentVerdict(verification)
      if (verdict !== undefined) {
        declare(verdict)
      } else {
        verification.phase = 'waiting'
        again()
      }
      return
    }
    verification.phase = 'verifying'
    this.deps.verifySuspect(r.id, (alive) => {
      if (!alive) declare(this.self.id)
      else if (current()) again() // it answered but its refutation has not reached us yet
    })
  }

  /**
   * A `dead` about suspect `r`, from one of its verifiers, at the incarnation we suspect: once our own
   * suspicion has run out it is our verdict too (true: applied); before that it is remembered for then,
   * and counts as a confirmation as any accusation does (false).
   */
  private takeVerdict (r: MemberRecord, u: MemberUpdate): boolean {
    const verification = r.verification
    if (r.state !== MemberState.suspect || verification === undefined || u.incarnation !== r.incarnation) return false
    if (!this.verifiersOf(r).includes(u.from)) return false
    if (verification.phase === 'waiting') {
      this.applyDead(u)
      return true
    }
    verification.verdict ??= u.from
    return false
  }

  /**
   * Another member's `dead` about suspect `r` (hearsay, counted as a confirmation by applySuspect), sent to
   * us by `sender`: almost always its declarer, which suspected `r` for its own timeout and then failed its
   * last-chance ping. Once `suspicionVerifiers` distinct senders (authenticated by the transport, unlike an
   * update's `from`: one hostile member cannot pass for three) have sent us such a verdict, they count as a
   * verifier's: our suspicion ends within REFUSED_SUSPICION_INTERVALS (not at once, so a live member still
   * has two probe intervals to refute) and then takes the first verdict without a ping of ours, or at once
   * if we are already waiting for a verdict.
   *
   * Without this, a member that had joined just before a crash — with no connection to the crashed one,
   * so no refused dial of its own — waited out its whole suspicion minimum (6.8 s at N = 50) and, when no
   * verdict of the suspect's few verifiers happened to reach it among the others' verdicts, a second one:
   * dead everywhere 7–14 s after a crash, where every other member took 2–3 s (issue 11,
   * test/membership/newest-member.test.ts).
   */
  private noteVerdict (r: MemberRecord, u: MemberUpdate, sender: PeerId): void {
    const verification = r.verification
    const k = this.deps.config.suspicionVerifiers
    if (r.state !== MemberState.suspect || verification === undefined || u.incarnation !== r.incarnation) return
    if (sender === this.self.id || sender === r.id || verification.declarers.length >= k || verification.declarers.includes(sender)) return
    verification.declarers.push(sender)
    verification.firstVerdict ??= u.from
    if (verification.declarers.length < k) return
    if (verification.phase === 'waiting') this.applyDead(u)
    else if (verification.phase === 'suspecting') r.suspicion?.expireWithin(this.refusedSuspicionMs())
  }

  /** The first of `suspicionVerifiers` senders' verdicts (noteVerdict), once that many have come. */
  private independentVerdict (verification: Verification): PeerId | undefined {
    return verification.declarers.length >= this.deps.config.suspicionVerifiers ? verification.firstVerdict : undefined
  }

  /** The verifiers of suspect `r` in our view, drawn once per suspicion (O(N)). */
  private verifiersOf (r: MemberRecord): readonly PeerId[] {
    const verification = r.verification as Verification
    verification.verifiers ??= pickVerifiers(r.id, r.incarnation, this.self.id, [this.byState.alive, this.byState.suspect], this.deps.config.suspicionVerifiers)
    return verification.verifiers
  }

  /**
   * Refute `accusation` by announcing ourselves alive at a higher incarnation. Past our own only when the
   * accusation is `proven` — it carries a record we signed, from before a restart, so the mesh may hold
   * that incarnation of ours. An unproven claim above ours is forged or ahead of what any member holds
   * (they count accusations at the incarnation of our record they have, never above): one step is enough,
   * and a forger cannot spend our incarnations. Never past the wire's maximum (it would wrap to 0).
   */
  private refute (accusation: MemberUpdate, proven: boolean): void {
    const { clock, config } = this.deps
    const now = clock.now()
    const windowMs = config.probeIntervalMs / 2
    if (proven || (this.refuteTimer === undefined && now - this.lastRefutedAt >= windowMs)) {
      this.refuteNow(accusation, proven)
      return
    }
    // Refuted less than half a probe interval ago: one refutation at the end of that half interval answers
    // every accusation meanwhile. A member forging suspicions re-accuses each new incarnation it hears of;
    // refuting each one at once had every honest member announce itself ~4 times a second, every announcement
    // re-gossiped by all (issue 10). The delay is small against the suspicion timeout (≥ suspicionMult
    // probe intervals), so a real accusation is still refuted long before it could expire.
    this.heldAccusation = accusation
    this.refuteTimer ??= clock.setTimeout(() => {
      this.refuteTimer = undefined
      const held = this.heldAccusation
      this.heldAccusation = undefined
      if (held !== undefined && needsRefutation(this.self, held)) this.refuteNow(held, false)
    }, Math.max(0, this.lastRefutedAt + windowMs - now))
  }

  private refuteNow (accusation: MemberUpdate, proven: boolean): void {
    const base = proven ? Math.max(this.self.incarnation, accusation.incarnation) : this.self.incarnation
    this.self.incarnation = Math.min(MAX_INCARNATION, base + 1)
    this.lastRefutedAt = this.deps.clock.now()
    this.signSelf()
    this.deps.broadcast(this.aliveSelf())
    this.deps.onRefute(accusation)
  }

  /** Whether `u` is its member's own record; if not, it is refused and reported. */
  private authentic (u: MemberUpdate, state: SignedState): boolean {
    const verdict = this.deps.records.verify(u, state)
    if (verdict === 'valid') return true
    this.deps.onRejected?.(verdict === 'invalid' ? 'bad-signature' : 'verify-budget', u)
    return false
  }

  /** Adopts `u`, the member's own signed record, as what we hold for it. */
  private takeRecord (r: MemberRecord, u: MemberUpdate, state: SignedState): void {
    this.changes++
    // A newer record of its own: whatever refused us before, the member has announced itself since.
    if (u.incarnation > r.incarnation) this.setRefusedAt(r, Number.NEGATIVE_INFINITY)
    r.incarnation = u.incarnation
    if (u.meta !== undefined) r.meta = u.meta
    r.signedState = state
    r.signature = u.signature
  }

  /** Moves another member's record from the set of `previous` (undefined: new) to that of its state. */
  private index (r: MemberRecord, previous: MemberState | undefined): void {
    this.changes++
    if (r === this.self || previous === r.state) return
    if (previous !== undefined) this.byState[previous].delete(r.id)
    this.byState[r.state].add(r.id)
    if (previous === MemberState.alive || r.state === MemberState.alive) this.aliveVersion++
  }

  private signSelf (): void {
    this.changes++
    const s = this.deps.records.sign(this.self.signedState, this.self.id, this.self.incarnation, this.self.meta)
    this.self.signature = s
  }

  private selfRecord (state: SignedState): MemberUpdate {
    const { id, incarnation, meta, signature } = this.self
    const u = { state, id, incarnation, from: state === MemberState.left ? id : '', meta }
    return signature === undefined ? u : { ...u, signature }
  }
}

function toInfo (r: MemberRecord): MemberInfo {
  return {
    id: r.id,
    name: r.meta.name,
    addrs: r.meta.addrs,
    tags: r.meta.tags,
    state: r.state,
    incarnation: r.incarnation,
    stateChangedAt: r.stateChangedAt
  }
}
