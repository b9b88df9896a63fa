import type { ReplicaCluster } from '../../src/sim/replica-cluster.js'

/** Lets promise continuations (write/flush resolutions) run after a synchronous simulation step. */
export async function settleMicrotasks (): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

/** Runs the simulation until `p` settles (at most `maxMs` of virtual time); rejects as `p` does. */
export async function until<T> (c: ReplicaCluster, p: Promise<T>, maxMs = 10_000): Promise<T> {
  let out: { v: T } | { e: unknown } | undefined
  p.then(v => { out = { v } }, (e: unknown) => { out = { e } })
  for (let t = 0; t < maxMs && out === undefined; t += 10) {
    c.runFor(10)
    await settleMicrotasks()
  }
  if (out === undefined) throw new Error(`not settled within ${maxMs} ms of virtual time`)
  if ('e' in out) throw out.e
  return out.v
}
