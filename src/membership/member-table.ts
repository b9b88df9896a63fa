/**
 * The membership table: every member this peer knows of, and the transitions between their states
 * (memberlist state.go: aliveNode / suspectNode / deadNode / mergeState, split from the I/O).
 *
 * Every accepted change is queued for dissemination and reported as an event. Updates about ourselves are
 * never accepted: they are refuted by raising our own incarnation, which only we may do.
 */
import type { Clock } from '../core/clock.js'
import type { PeerId } from '../core/transport.js'
import type { MembershipConfig } from './config.js'
import type { MembershipEvents } from './events.js'
import { expectedConfirmations, suspicionTimeoutMs } from './math.js'
import { MemberState, isActive, metaEqual, needsRefutation, supersedes } from './member.js'
import type { MemberInfo, MemberMeta, MemberUpdate } from './member.js'
import { Suspicion } from './suspicion.js'

/** Largest incarnation the wire carries (uint32). */
export const MAX_INCARNATION = 0xffff_ffff
/** A member refutes at most once per suspicion; a jump of more than this in one update is not believable. */
export const INCARNATION_JUMP_LIMIT = 65_536

interface MemberRecord {
  id: PeerId
  meta: MemberMeta
  state: MemberState
  incarnation: number
  stateChangedAt: number
  suspicion?: Suspicion
}

export interface MemberTableDeps {
  clock: Clock
  config: MembershipConfig
  localId: PeerId
  localMeta: MemberMeta
  initialIncarnation: number
  /** Queue an update for dissemination. */
  broadcast: (update: MemberUpdate) => void
  /** Report a state change of another member. */
  emit: <K extends keyof MembershipEvents>(type: K, info: MemberInfo) => void
  /** We refuted an accusation about ourselves (Lifeguard: a sign we may be the slow one). */
  onRefute: (accusation: MemberUpdate) => void
  /** An update refused as implausible (incarnation jump) or because the table is full. */
  onRejected?: (reason: 'implausible-incarnation' | 'member-table-full', update: MemberUpdate) => void
  /** A member joined or came back: lets the prober add it to its rotation. */
  onNewMember?: (id: PeerId) => void
  /**
   * A suspicion expired. Call `verdict(false)` to declare the member dead, `verdict(true)` if it proved
   * alive meanwhile. Default: declare at once.
   */
  verifySuspect?: (id: PeerId, verdict: (alive: boolean) => void) => void
}

export class MemberTable {
  private readonly records = new Map<PeerId, MemberRecord>()
  private readonly self: MemberRecord
  private activeCount = 1

  constructor (private readonly deps: MemberTableDeps) {
    this.self = {
      id: deps.localId,
      meta: deps.localMeta,
      state: MemberState.alive,
      incarnation: deps.initialIncarnation,
      stateChangedAt: deps.clock.now()
    }
    this.records.set(deps.localId, this.self)
  }

  get localId (): PeerId {
    return this.self.id
  }

  /** Members that are alive or suspect, ourselves included: the n in the protocol's formulas. */
  get activeMembers (): number {
    return this.activeCount
  }

  get size (): number {
    return this.records.size
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

  /** Ids of other members in `states`. */
  ids (predicate: (state: MemberState, stateChangedAt: number) => boolean): PeerId[] {
    const out: PeerId[] = []
    for (const r of this.records.values()) {
      if (r !== this.self && predicate(r.state, r.stateChangedAt)) out.push(r.id)
    }
    return out
  }

  /** The update that describes member `id` as we see it (for push-pull and the buddy system). */
  updateFor (id: PeerId, from: PeerId = this.self.id): MemberUpdate | undefined {
    const r = this.records.get(id)
    if (r === undefined) return undefined
    return { state: r.state, id: r.id, incarnation: r.incarnation, from: r.state === MemberState.left ? r.id : from, meta: r.meta }
  }

  /** Our full state, ourselves first. */
  snapshot (): MemberUpdate[] {
    const out: MemberUpdate[] = []
    for (const r of this.records.values()) out.push(this.updateFor(r.id) as MemberUpdate)
    return out
  }

  // ── transitions ────────────────────────────────────────────────────────────────────────────────

  /** Apply one piggybacked update, from the gossip of `sender`. */
  applyGossip (u: MemberUpdate): void {
    if (!this.plausible(u)) return
    switch (u.state) {
      case MemberState.alive: this.applyAlive(u); break
      case MemberState.suspect: this.applySuspect(u); break
      case MemberState.dead: {
        // Another member's verdict is hearsay to us: typically, after a partition heals, the other side's
        // deaths of members that were alive all along on ours. It counts as a suspicion (or a confirmation
        // of ours), so a live member can refute; only our own suspicion expiring, and a last ping to the
        // member failing, declares it dead here. Costs a real failure about one dissemination delay.
        const state = this.records.get(u.id)?.state
        if (state === MemberState.alive || state === MemberState.suspect) {
          this.applySuspect({ state: MemberState.suspect, id: u.id, incarnation: u.incarnation, from: u.from })
        } else {
          this.applyDead(u) // about ourselves (refute), or a member already dead or left here
        }
        break
      }
      case MemberState.left: this.applyDead(u); break
    }
  }

  /**
   * Incarnations only grow by one per refutation, so an update far beyond what we know of a member is
   * forged or garbage: one forged suspect(x, 2³² − 1) would otherwise leave x unable to refute ever again.
   * Refused (and counted) when it is more than INCARNATION_JUMP_LIMIT above the known incarnation, or, for
   * a member we do not know, above the limit itself.
   */
  private plausible (u: MemberUpdate): boolean {
    const known = this.records.get(u.id)
    const base = known?.incarnation ?? 0
    if (u.incarnation - base <= INCARNATION_JUMP_LIMIT) return true
    this.deps.onRejected?.('implausible-incarnation', u)
    return false
  }

  /**
   * Merge one entry of a remote's full state (memberlist mergeState): alive and left are taken as they
   * are, but a remote's `dead` only makes us *suspect* the member, so a member that is alive on our side
   * of a healed partition gets the chance to refute rather than being declared dead by hearsay.
   */
  applyRemoteState (u: MemberUpdate, sender: PeerId): void {
    if (!this.plausible(u)) return
    switch (u.state) {
      case MemberState.alive:
      case MemberState.left:
        this.applyGossip(u)
        break
      case MemberState.suspect:
      case MemberState.dead:
        this.applySuspect({ state: MemberState.suspect, id: u.id, incarnation: u.incarnation, from: sender })
        break
    }
  }

  applyAlive (u: MemberUpdate): void {
    if (u.meta === undefined) return
    if (u.id === this.self.id) {
      if (needsRefutation(this.self, u) || (u.incarnation === this.self.incarnation && !metaEqual(u.meta, this.self.meta))) {
        this.refute(u)
      }
      return
    }
    const r = this.records.get(u.id)
    if (!supersedes(r, u)) return
    const now = this.deps.clock.now()
    if (r === undefined && this.records.size >= this.deps.config.maxMembers) {
      this.deps.onRejected?.('member-table-full', u)
      return
    }
    if (r === undefined) {
      const rec: MemberRecord = { id: u.id, meta: u.meta, state: MemberState.alive, incarnation: u.incarnation, stateChangedAt: now }
      this.records.set(u.id, rec)
      this.activeCount++
      this.deps.broadcast(u)
      this.deps.onNewMember?.(u.id)
      this.deps.emit('joined', toInfo(rec))
      return
    }
    const previous = r.state
    const metaChanged = !metaEqual(r.meta, u.meta)
    r.suspicion?.cancel()
    delete r.suspicion
    r.incarnation = u.incarnation
    r.meta = u.meta
    this.deps.broadcast(u)
    if (previous === MemberState.alive) {
      if (metaChanged) this.deps.emit('updated', toInfo(r))
      return
    }
    if (!isActive(previous)) this.activeCount++
    r.state = MemberState.alive
    r.stateChangedAt = now
    if (previous === MemberState.left) {
      this.deps.onNewMember?.(u.id)
      this.deps.emit('joined', toInfo(r))
    } else {
      if (previous === MemberState.dead) this.deps.onNewMember?.(u.id)
      this.deps.emit('alive', toInfo(r))
    }
  }

  applySuspect (u: MemberUpdate): void {
    const r = this.records.get(u.id)
    if (r === undefined || u.incarnation < r.incarnation) return
    if (r === this.self) {
      if (needsRefutation(this.self, u)) this.refute(u)
      return
    }
    if (r.state === MemberState.suspect && u.incarnation === r.incarnation) {
      // Lifeguard: an independent accuser shortens the timeout; pass the confirmation on so others count it.
      if (r.suspicion?.confirm(u.from) === true) this.deps.broadcast(u)
      return
    }
    // A suspicion at a newer incarnation than ours (the member refuted, we missed the refutation, and it
    // was suspected again) is a new suspicion: it gets its own timer at that incarnation. Raising the
    // incarnation under the running timer left it unable to expire (issue 10, defect 1).
    if (!supersedes(r, u)) return
    r.suspicion?.cancel()
    this.startSuspicion(r, u)
  }

  applyDead (u: MemberUpdate): void {
    const r = this.records.get(u.id)
    if (r === undefined || u.incarnation < r.incarnation) return
    if (r === this.self) {
      if (needsRefutation(this.self, u)) this.refute(u)
      return
    }
    if (!supersedes(r, u)) return
    const wasActive = isActive(r.state)
    r.suspicion?.cancel()
    delete r.suspicion
    r.state = u.state
    r.incarnation = u.incarnation
    r.stateChangedAt = this.deps.clock.now()
    if (wasActive) this.activeCount--
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

  /** Raise our incarnation and announce new metadata (tags, addresses). */
  updateLocalMeta (meta: MemberMeta): void {
    this.self.meta = meta
    this.self.incarnation++
    this.deps.broadcast(this.aliveSelf())
  }

  /** Mark ourselves as leaving and queue the `left` announcement. */
  leaveLocal (): MemberUpdate {
    this.self.state = MemberState.left
    this.self.stateChangedAt = this.deps.clock.now()
    const u: MemberUpdate = { state: MemberState.left, id: this.self.id, incarnation: this.self.incarnation, from: this.self.id, meta: this.self.meta }
    this.deps.broadcast(u)
    return u
  }

  /** The alive announcement of ourselves (gossiped at start and after each refutation). */
  aliveSelf (): MemberUpdate {
    return { state: MemberState.alive, id: this.self.id, incarnation: this.self.incarnation, from: '', meta: this.self.meta }
  }

  /**
   * Forget dead members older than the reconnect window and left members older than their retention.
   * Returns the ids removed.
   */
  reap (): PeerId[] {
    const now = this.deps.clock.now()
    const removed: PeerId[] = []
    for (const r of this.records.values()) {
      if (r === this.self) continue
      const age = now - r.stateChangedAt
      if ((r.state === MemberState.dead && age > this.deps.config.reconnectWindowMs) ||
          (r.state === MemberState.left && age > this.deps.config.leftRetentionMs)) {
        this.records.delete(r.id)
        removed.push(r.id)
      }
    }
    return removed
  }

  /** Cancels every suspicion timer (on stop). */
  close (): void {
    for (const r of this.records.values()) {
      r.suspicion?.cancel()
      delete r.suspicion
    }
  }

  private startSuspicion (r: MemberRecord, u: MemberUpdate): void {
    const { config, clock } = this.deps
    const n = this.activeCount
    const k = expectedConfirmations(config.suspicionMult, n)
    const min = suspicionTimeoutMs(config.suspicionMult, n, config.probeIntervalMs)
    const max = config.suspicionMaxTimeoutMult * min
    r.state = MemberState.suspect
    r.incarnation = u.incarnation
    r.stateChangedAt = clock.now()
    const suspicion: Suspicion = new Suspicion(clock, u.from, k, min, max, () => { this.onSuspicionExpired(r, suspicion, min) })
    r.suspicion = suspicion
    this.deps.broadcast(u)
    this.deps.emit('suspect', toInfo(r))
  }

  /** `suspicion` ran out; it is still the one that counts if the record still holds it (nothing refuted or replaced it). */
  private onSuspicionExpired (r: MemberRecord, suspicion: Suspicion, minMs: number): void {
    const current = (): boolean => r.state === MemberState.suspect && r.suspicion === suspicion && this.records.get(r.id) === r
    if (!current()) return
    const declare = (): void => {
      if (current()) this.applyDead({ state: MemberState.dead, id: r.id, incarnation: r.incarnation, from: this.self.id })
    }
    if (this.deps.verifySuspect === undefined) {
      declare()
      return
    }
    this.deps.verifySuspect(r.id, (alive) => {
      if (!alive) {
        declare()
      } else if (current()) {
        // It answered but its refutation has not reached us yet: keep suspecting, for one more minimum.
        suspicion.cancel()
        const extra: Suspicion = new Suspicion(this.deps.clock, this.self.id, 0, minMs, minMs, () => { this.onSuspicionExpired(r, extra, minMs) })
        r.suspicion = extra
      }
    })
  }

  private refute (accusation: MemberUpdate): void {
    // Never past the wire's maximum (it would wrap to 0); plausible() keeps accusations far below it.
    this.self.incarnation = Math.min(MAX_INCARNATION, Math.max(this.self.incarnation, accusation.incarnation) + 1)
    this.deps.broadcast(this.aliveSelf())
    this.deps.onRefute(accusation)
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
