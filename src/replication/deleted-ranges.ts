/**
 * A doc's delete set, kept up to date transaction by transaction instead of rebuilt for every digest.
 *
 * Why (issue 14): the digest (version-vector.ts) hashes the doc's snapshot, and `Y.snapshot` rebuilds the
 * delete set by walking every struct of every replica (`createDeleteSetFromStructStore`). The digest goes
 * into the meta written with every append, so each applied update cost a walk of the whole doc: in the
 * 30-peer soak, whose one doc grows by ~60 entries a second, digests were 6 % of the peers' CPU and grew
 * with the doc. Here each transaction adds only what it deleted and the structs it integrated already
 * deleted, so a digest costs the size of the delete set and the state vector, not of the doc.
 *
 * Exact, not approximate: the ranges are those `createDeleteSetFromStructStore` would build — per replica,
 * sorted, merged where they touch — so `digestOf` returns the bytes `digestBytes` does (a property test
 * compares the two after every transaction of random edits, syncs and garbage collection).
 *
 * Why a transaction cannot escape it: a struct's deleted flag is only ever set by `Item.delete` (or by
 * ContentDeleted's integration), which records the range in the transaction's delete set; a struct that
 * arrives deleted (a GC struct from a remote update) is new in that transaction, i.e. within
 * [beforeState, afterState) of its replica, which `noteTransaction` scans. Splitting and merging structs
 * (and garbage collection turning deleted items into GC structs) never changes which clocks are deleted.
 */
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { snapshotDigest } from './version-vector.js'

/** One run of deleted clocks of a replica: [clock, clock + len). */
interface Run { clock: number, len: number }

export class DeletedRanges {
  private readonly runs = new Map<number, Run[]>()

  /** The delete set of `doc` as of now (one walk of its structs). */
  static of (doc: Y.Doc): DeletedRanges {
    const out = new DeletedRanges()
    for (const [client, structs] of doc.store.clients) {
      for (const s of structs) if (s.deleted) out.add(client, s.id.clock, s.length)
    }
    return out
  }

  /** Adds what `tr` deleted and the structs it integrated that were already deleted. */
  noteTransaction (tr: Y.Transaction): void {
    for (const [client, items] of tr.deleteSet.clients) {
      for (const item of items) this.add(client, item.clock, item.len)
    }
    const clients = tr.doc.store.clients
    for (const [client, after] of tr.afterState) {
      const before = tr.beforeState.get(client) ?? 0
      if (after <= before) continue
      const structs = clients.get(client)
      if (structs === undefined) continue
      for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
        const s = structs[i] as Y.Item | Y.GC
        if (s.deleted) this.add(client, s.id.clock, s.length)
      }
    }
  }

  /** Marks [clock, clock + len) of `client` deleted, merging with the runs it overlaps or touches. */
  add (client: number, clock: number, len: number): void {
    if (len <= 0) return
    let runs = this.runs.get(client)
    if (runs === undefined) {
      this.runs.set(client, [{ clock, len }])
      return
    }
    const end = clock + len
    const last = runs[runs.length - 1] as Run
    // The common case: past (or touching) the last run.
    if (clock >= last.clock) {
      const lastEnd = last.clock + last.len
      if (clock > lastEnd) runs.push({ clock, len })
      else if (end > lastEnd) last.len = end - last.clock
      return
    }
    // First run that ends at or after `clock` (it may merge); runs before it end strictly before.
    let lo = 0
    let hi = runs.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const r = runs[mid] as Run
      if (r.clock + r.len < clock) lo = mid + 1
      else hi = mid
    }
    let j = lo
    let start = clock
    let stop = end
    while (j < runs.length && (runs[j] as Run).clock <= stop) {
      const r = runs[j] as Run
      start = Math.min(start, r.clock)
      stop = Math.max(stop, r.clock + r.len)
      j++
    }
    runs.splice(lo, j - lo, { clock: start, len: stop - start })
  }

  /** Writes the delete set into an update as Yjs's `writeDeleteSet` does: replicas with a run, highest id first. */
  write (encoder: Y.UpdateEncoderV1): void {
    const clients = [...this.runs.keys()].filter(c => (this.runs.get(c) as Run[]).length > 0).sort((a, b) => b - a)
    encoding.writeVarUint(encoder.restEncoder, clients.length)
    for (const client of clients) {
      const runs = this.runs.get(client) as Run[]
      encoder.resetDsCurVal()
      encoding.writeVarUint(encoder.restEncoder, client)
      encoding.writeVarUint(encoder.restEncoder, runs.length)
      for (const r of runs) {
        encoder.writeDsClock(r.clock)
        encoder.writeDsLen(r.len)
      }
    }
  }

  /** As a Yjs DeleteSet (for `Y.encodeSnapshot`): replicas with at least one run, as Yjs builds it. */
  toDeleteSet (): ReturnType<typeof Y.createDeleteSet> {
    const ds = Y.createDeleteSet()
    // Copies: Yjs's DeleteItem is exactly { clock, len }, and what Yjs is handed is its to change.
    for (const [client, runs] of this.runs) ds.clients.set(client, runs.map(r => ({ clock: r.clock, len: r.len })))
    return ds
  }
}

/** `digestBytes(doc)` (version-vector.ts) computed from `ranges`, the doc's delete set kept up to date. */
export function digestOf (doc: Y.Doc, ranges: DeletedRanges): Uint8Array {
  // The state vector as Y.snapshot takes it (Yjs does not export its getStateVector): each replica's next clock.
  const sv = new Map<number, number>()
  for (const [client, structs] of doc.store.clients) {
    const last = structs[structs.length - 1]
    if (last !== undefined) sv.set(client, last.id.clock + last.length)
  }
  return snapshotDigest(Y.createSnapshot(ranges.toDeleteSet(), sv))
}
