/**
 * Transaction origins. Yjs passes the origin of each transaction to `doc.on('update')`: that is how the
 * replicator tells the app's own edits (persist, acknowledge, push) from updates it applied itself (loaded
 * from the store: nothing to do; received from a peer: persist, maybe forward, never echo back).
 */
import type { PeerId } from '../core/transport.js'

/** Updates replayed from the store when a doc is opened. Already durable. */
export const LOAD_ORIGIN: unique symbol = Symbol('murmur.replication.load')

/** The origin `Replicator.write` runs the app's function under. Any origin that is not remote is local. */
export const WRITE_ORIGIN: unique symbol = Symbol('murmur.replication.write')

/** The origin of the edit that takes back text UTF-8 cannot carry, made on the doc outside `write` (well-formed.ts). */
export const WITHDRAW_ORIGIN: unique symbol = Symbol('murmur.replication.withdraw')

/**
 * How a remote update arrived: `spread` (an epidemic push: forward it once if it was new), `push` (the
 * sender reached every host itself, or it is already a forwarded copy: do not forward), `sync`
 * (anti-entropy: never forwarded, diffs can be large and are pulled anyway).
 */
export type RemoteKind = 'spread' | 'push' | 'sync'

/** The origin of one applied remote update; the update handler marks whether it changed the doc. */
export class RemoteOrigin {
  changed = false

  /** `asked` (sync only): it answers a round this peer started — a fetch, a read repair — rather than one `from` started (a handoff to us). */
  constructor (readonly from: PeerId, readonly kind: RemoteKind, readonly asked = false) {}
}
