/**
 * The alive peers as a Set, built once per distinct array the directory returns. Membership's directory
 * returns the same array until someone becomes or stops being alive, so replication no longer builds an
 * N-element Set for every update it pushes or flushes (issue 11); a directory that returns a fresh array
 * each call (tests) simply gets a fresh Set.
 */
import type { PeerDirectory } from '../core/directory.js'

const sets = new WeakMap<readonly string[], ReadonlySet<string>>()

export function aliveSet (peers: Pick<PeerDirectory, 'alivePeers'>): ReadonlySet<string> {
  const ids = peers.alivePeers()
  let set = sets.get(ids)
  if (set === undefined) {
    set = new Set(ids)
    sets.set(ids, set)
  }
  return set
}

/**
 * The peers a push (or a fetch) goes to: alive or suspect (`isSuspect`). SWIM suspects a member that is slow as well as
 * one that is gone, and on a loaded mesh (the 30-peer soak, issue 14) slow members are suspected many times
 * a minute. A push withheld from one leaves it a gap: Yjs parks every later update of that writer as
 * pending, merging each into a growing blob (O(pending) per update), until anti-entropy brings the missing
 * one. Sent anyway, it is queued on the open connection; if the member is really gone, the bounded queue
 * drops it with the connection.
 */
export function pushTargets (peers: Pick<PeerDirectory, 'alivePeers' | 'isSuspect'>): Pick<ReadonlySet<string>, 'has'> {
  const alive = aliveSet(peers)
  const suspect = peers.isSuspect
  if (suspect === undefined) return alive
  return { has: (id: string) => alive.has(id) || suspect(id) }
}
