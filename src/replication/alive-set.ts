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
