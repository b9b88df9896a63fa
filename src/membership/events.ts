import type { MemberInfo } from './member.js'

/** Events a Membership emits, one per state change of another member as seen by this peer. */
export interface MembershipEvents {
  /** A member was seen for the first time (or again after it left). */
  joined: MemberInfo
  /** A suspected or dead member is alive again (it refuted, or a partition healed). */
  alive: MemberInfo
  /** A member failed a probe and is suspected; it may still refute. */
  suspect: MemberInfo
  /** A suspicion expired: the member is considered failed. It is re-tried during the reconnect window. */
  dead: MemberInfo
  /** A member left gracefully. It is not re-tried. */
  left: MemberInfo
  /** An alive member changed its name, addresses or tags. */
  updated: MemberInfo
}
export type MembershipEventName = keyof MembershipEvents
