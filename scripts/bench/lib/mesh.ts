/**
 * The system-neutral face of a cluster under test (murmur peers or Serf agents), each member in its own
 * network namespace of one lab: the detection benchmark drives both through this and times both from the
 * same kind of source (the members' own event streams), so their figures are comparable.
 */
import type { NetnsLab } from '../../lib/netns.ts'
import type { MembershipViews, ViewState } from './views.ts'

export interface MeshMember {
  /** Identity in views: murmur's peer id, Serf's node name. */
  readonly key: string
  /** Short name for logs. */
  readonly name: string
  /** Index of its namespace in the lab. */
  readonly ns: number
  readonly pid: number
  /** performance.now() when the process started joining (see each implementation for the exact moment). */
  readonly joinAt: number
}

export interface Mesh {
  /** e.g. "murmur", "serf", "serf (encrypted)". */
  readonly label: string
  readonly lab: NetnsLab
  readonly views: MembershipViews
  /** Members started and neither killed nor left, in start order (the first ones are the seeds). */
  live(): MeshMember[]
  /** Starts a member in namespace `ns`, joining through `seeds`; resolves once it is running and observed. */
  spawn(ns: number, seeds: readonly MeshMember[]): Promise<MeshMember>
  /** SIGKILL; returns performance.now() at the kill. */
  kill(m: MeshMember): number
  /** Graceful leave (each system's own way); returns performance.now() at the signal. The exit is awaited in the background. */
  leave(m: MeshMember): number
  /** Asks each observer's own API which of `subjects` it does not see in `state`; returns "observer: subject=state" lines. */
  check(observers: readonly MeshMember[], subjects: readonly MeshMember[], state: ViewState): Promise<string[]>
  /** Kills every member (teardown also does, this is for the end of a phase). */
  stopAll(): void
}
