/**
 * Awaiting a promise of a simulated node: the simulation runs in steps of virtual time, with the promise
 * continuations (which only run once the synchronous loop returns) flushed between steps.
 */
import type { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { settle } from '../replication/helpers.js'

/** How `p` settled, after running the simulation until it did (at most `maxMs` of virtual time). */
export async function settledIn<T> (c: ReplicaCluster, p: Promise<T>, maxMs = 30_000): Promise<{ value: T } | { error: Error }> {
  let out: { value: T } | { error: Error } | undefined
  p.then(value => { out = { value } }, (e: unknown) => { out = { error: e as Error } })
  for (let t = 0; t < maxMs && out === undefined; t += 10) {
    c.runFor(10)
    await settle()
  }
  if (out === undefined) throw new Error(`not settled within ${maxMs} ms of virtual time`)
  return out
}

/** The value of `p` once the simulation has settled it; throws its error. */
export async function until<T> (c: ReplicaCluster, p: Promise<T>, maxMs = 30_000): Promise<T> {
  const out = await settledIn(c, p, maxMs)
  if ('error' in out) throw out.error
  return out.value
}
