/**
 * `?w=<n>` on the write routes: after the write is durable here, wait until n durable copies on distinct
 * peers hold it (`peer.flush`; README "What an acknowledgement promises").
 *
 * Read before the write, and refused before anything is applied (a 4xx or 503 says "nothing applied"):
 *  - a malformed value: 400 `invalid_write_concern`;
 *  - more copies than there are members up (alive or suspect, this peer included): 503
 *    `write_concern_unsatisfiable`. Copies are counted on distinct peers, so no wait could meet it until
 *    more peers join; applying the write and then waiting 5 s for a certain 504 would leave the client
 *    with a write it was told failed (MongoDB refuses such a `w` at once too, Cassandra with Unavailable).
 *    A member that is up in this peer's view but unreachable still ends in the 504 after the wait;
 *  - more copies than R (`--replicas`): 400 `invalid_write_concern`. Rebalancing drops every copy off a
 *    doc's R homes once they hold it, so copies beyond R would be gone seconds after the answer: R = 1,
 *    `?w=2` answered 200, and losing the one home lost the write.
 */
import type { IncomingMessage } from 'node:http'
import type { Peer } from '../api.js'
import { HttpError } from './errors.js'
import { MAX_REPLICAS } from '../replication/max-replicas.js'

/** `?w=` at most (more durable copies than that is not a write concern but a broadcast). */
export const MAX_WRITE_CONCERN = MAX_REPLICAS

/** Members that could hold a copy now: alive or suspect (a suspect may refute in time), this peer included. */
function membersUp (peer: Pick<Peer, 'members'>): number {
  return peer.members().filter(m => m.state === 'alive' || m.state === 'suspect').length
}

/**
 * The write concern of `req` (undefined: none, i.e. durable here), or the refusal to throw before writing.
 * `replicas`: this peer's R.
 */
export function writeConcernOf (req: IncomingMessage, peer: Pick<Peer, 'members'>, replicas: number): number | undefined {
  const all = new URL(req.url ?? '/', 'http://localhost').searchParams.getAll('w')
  if (all.length > 1) throw new HttpError(400, 'invalid_write_concern', `give w once, got ${all.length} values`)
  const raw = all[0]
  if (raw === undefined) return undefined
  const w = Number(raw)
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(w) || w < 1 || w > MAX_WRITE_CONCERN) {
    throw new HttpError(400, 'invalid_write_concern', `w must be an integer from 1 to ${MAX_WRITE_CONCERN}, got ${JSON.stringify(raw)}`)
  }
  if (w > replicas) {
    throw new HttpError(400, 'invalid_write_concern',
      `w=${w} asks for more durable copies than the ${replicas} homes each doc is kept on (--replicas ${replicas}): copies beyond them are dropped once the homes hold the doc, so the answer would promise what is not kept. Nothing was applied; use w ≤ ${replicas}`)
  }
  const up = membersUp(peer)
  if (w > up) {
    throw new HttpError(503, 'write_concern_unsatisfiable',
      `w=${w} needs ${w} durable copies on distinct peers, but only ${up} member${up === 1 ? ' is' : 's are'} up (this peer included): nothing was applied; retry once more peers are in the mesh, or with a smaller w`,
      { 'retry-after': '1' })
  }
  return w
}

/**
 * Waits for the write concern `w` of a write to `name` that is durable here at `version`. Whatever ends the
 * wait early — a timeout, too many waits pending (RateLimitError), the peer stopping — the write stays
 * durable: a 504, never an answer of the refused class (a 429 here said "nothing applied" of an applied write).
 */
export async function awaitWriteConcern (peer: Pick<Peer, 'flush'>, w: number | undefined, name: string, version: unknown): Promise<void> {
  if (w === undefined) return
  try {
    await peer.flush(name, { replicas: w })
  } catch (err) {
    const why = err instanceof Error && err.name === 'TimeoutError' ? err.message : `its copies could not be awaited (${err instanceof Error ? err.message : String(err)})`
    throw new HttpError(504, 'write_concern_timeout', `the write is durable here and replicating (version ${JSON.stringify(version)}), but ${why}`)
  }
}
