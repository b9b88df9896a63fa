/**
 * Byte-exact copies of the Yjs updates murmur made for a series of kv writes, to size "what the other side
 * was missing" after a partition.
 *
 * Each write is `doc.getMap('kv').set(key, value)` in one transaction on the writer's replica (its Yjs
 * clientID). Its answer carries the doc's version vector once durable; the writer's entry is the one that
 * moved past everything seen so far, and its clock says where the new item sits. Replaying each replica's
 * writes in clock order on a Y.Doc with that clientID re-creates the same items — same client, clock, key,
 * value, parent — so the same update bytes. `verify` checks it: the replayed docs' digest must equal the
 * digest murmur reports once converged.
 */
import * as Y from 'yjs'
import { digest } from '../../../dist/replication/version-vector.js'
import type { VersionJson } from './doc-events.ts'

export const KV_MAP = 'kv'

interface Write { replica: number, clock: number, key: string, value: unknown }

export interface MirrorSizes {
  writes: number
  /** Sum of the sizes of the writes' individual updates (what push sends, one update per write). */
  updateBytes: number
  /** Size of all of them as one update (`encodeStateAsUpdate` of the merged doc): the most compact diff. */
  mergedBytes: number
}

export class WriteMirror {
  private readonly writes: Write[] = []
  /** replica → highest clock recorded (the number of its items). */
  private readonly known = new Map<number, number>()
  /** writer name → its replica id, once identified. */
  private readonly replicaOf = new Map<string, number>()

  /**
   * Records a write acknowledged by `writer` with `version` (the doc's vector after it). Writes of one
   * mirror must be acknowledged one at a time, so that only the writer's own entry can have moved.
   * @throws if the vector does not show exactly one new item of the writer
   */
  record (writer: string, version: VersionJson, key: string, value: unknown): void {
    const moved = Object.entries(version).map(([k, v]) => [Number(k), v] as const).filter(([r, v]) => v > (this.known.get(r) ?? 0))
    const replica = this.replicaOf.get(writer) ?? moved[0]?.[0]
    if (moved.length !== 1 || replica === undefined || moved[0]?.[0] !== replica || moved[0][1] !== (this.known.get(replica) ?? 0) + 1) {
      throw new Error(`cannot attribute ${writer}'s write of ${key}: entries moved ${JSON.stringify(moved)}`)
    }
    this.replicaOf.set(writer, replica)
    this.known.set(replica, moved[0][1])
    this.writes.push({ replica, clock: moved[0][1] - 1, key, value })
  }

  /** The replayed doc holding every recorded write, and the sizes of its updates. */
  replay (): { doc: Y.Doc, sizes: MirrorSizes } {
    let updateBytes = 0
    const merged = new Y.Doc()
    for (const replica of new Set(this.writes.map(w => w.replica))) {
      const doc = new Y.Doc()
      doc.clientID = replica
      doc.on('update', (u: Uint8Array) => { updateBytes += u.byteLength })
      const mine = this.writes.filter(w => w.replica === replica).sort((a, b) => a.clock - b.clock)
      mine.forEach((w, i) => {
        if (w.clock !== i) throw new Error(`replica ${replica}: clock ${w.clock} where ${i} was expected`)
        doc.getMap(KV_MAP).set(w.key, w.value)
      })
      Y.applyUpdate(merged, Y.encodeStateAsUpdate(doc))
      doc.destroy()
    }
    return { doc: merged, sizes: { writes: this.writes.length, updateBytes, mergedBytes: Y.encodeStateAsUpdate(merged).byteLength } }
  }
}

/** murmur's own convergence digest (SHA-256 of the snapshot: state vector + delete set), hex. */
export function digestOf (doc: Y.Doc): string {
  return digest(doc)
}

/** One doc holding all of `docs`' content. */
export function union (...docs: Y.Doc[]): Y.Doc {
  const out = new Y.Doc()
  for (const d of docs) Y.applyUpdate(out, Y.encodeStateAsUpdate(d))
  return out
}
