/**
 * Member records and SWIM's precedence rules (Das et al., SWIM §4.2; memberlist state.go).
 * Pure functions only: the stateful table lives in member-table.ts.
 */
import type { PeerId } from '../core/transport.js'

export const MemberState = { alive: 'alive', suspect: 'suspect', dead: 'dead', left: 'left' } as const
export type MemberState = typeof MemberState[keyof typeof MemberState]

/** Wire numbers of the states (MemberUpdate.state). */
export const WIRE_STATE: Readonly<Record<MemberState, number>> = { alive: 1, suspect: 2, dead: 3, left: 4 }
export const STATE_FROM_WIRE: ReadonlyMap<number, MemberState> = new Map(
  Object.entries(WIRE_STATE).map(([state, n]) => [n, state as MemberState])
)

/** What a member says about itself: gossiped with every `alive` update. */
export interface MemberMeta {
  readonly name: string
  readonly addrs: readonly string[]
  readonly tags: Readonly<Record<string, string>>
}

/** A snapshot of one member as this peer currently sees it. */
export interface MemberInfo extends MemberMeta {
  readonly id: PeerId
  readonly state: MemberState
  readonly incarnation: number
  /** Clock time (ms) of the last state change, on this peer's clock. */
  readonly stateChangedAt: number
}

/** A membership update as gossiped and as exchanged in push-pull. */
export interface MemberUpdate {
  readonly state: MemberState
  readonly id: PeerId
  readonly incarnation: number
  /** suspect/dead: the member that made the accusation. Empty otherwise. */
  readonly from: PeerId
  /** alive (always) and push-pull entries: the member's self-description. */
  readonly meta?: MemberMeta
  /** alive, left and push-pull entries: the member's own signature of its record (signing.ts). */
  readonly signature?: Uint8Array
}

export interface Versioned {
  readonly state: MemberState
  readonly incarnation: number
}

/**
 * Whether `update` overrides what we know (`current`) about another member. SWIM §4.2 with memberlist's
 * refinements:
 *  - alive(i) overrides alive/suspect/dead/left(j) iff i > j (a member's own word, with a new incarnation);
 *  - suspect(i) overrides alive(j) iff i ≥ j, and suspect(j) iff i > j; never dead or left;
 *  - dead(i) overrides alive/suspect(j) iff i ≥ j; never dead or left;
 *  - left(i) overrides alive/suspect/dead(j) iff i ≥ j (a leave is more precise than a death).
 * Updates about unknown members are accepted only when `alive` (we never learn of a member through gossip
 * of its death). Same-incarnation suspect about a suspect is a *confirmation*, handled by the caller.
 */
export function supersedes (current: Versioned | undefined, update: Versioned): boolean {
  if (current === undefined) return update.state === MemberState.alive
  const i = update.incarnation
  const j = current.incarnation
  switch (update.state) {
    case MemberState.alive:
      return i > j
    case MemberState.suspect:
      if (current.state === MemberState.alive) return i >= j
      if (current.state === MemberState.suspect) return i > j
      return false
    case MemberState.dead:
      return (current.state === MemberState.alive || current.state === MemberState.suspect) && i >= j
    case MemberState.left:
      return current.state !== MemberState.left && i >= j
  }
}

/** Whether an update about *ourselves* must be refuted by raising our incarnation. */
export function needsRefutation (self: Versioned, update: Versioned): boolean {
  if (self.state === MemberState.left) return false // we are leaving: let it stand
  if (update.state === MemberState.alive) return update.incarnation > self.incarnation
  // suspect / dead / left claimed by someone else, at or above our incarnation (older claims are stale)
  return update.incarnation >= self.incarnation
}

export function metaEqual (a: MemberMeta, b: MemberMeta): boolean {
  if (a.name !== b.name || a.addrs.length !== b.addrs.length) return false
  for (let i = 0; i < a.addrs.length; i++) if (a.addrs[i] !== b.addrs[i]) return false
  const ak = Object.keys(a.tags)
  if (ak.length !== Object.keys(b.tags).length) return false
  return ak.every(k => b.tags[k] === a.tags[k])
}

/** Members worth probing and gossiping to. */
export function isActive (state: MemberState): boolean {
  return state === MemberState.alive || state === MemberState.suspect
}
