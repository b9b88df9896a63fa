/**
 * `Y.encodeStateAsUpdate(doc, vector)` without walking the whole doc: the same bytes, built from the delete
 * set this peer keeps up to date (deleted-ranges.ts) instead of the one Yjs rebuilds for every call.
 *
 * Why (issue 14): an update Yjs encodes ends with the doc's whole delete set, and Yjs builds it by visiting
 * every struct of every replica (`createDeleteSetFromStructStore`), however little the other side lacks.
 * Every anti-entropy exchange encodes two such diffs, every fetch and read repair one: on the 50-peer soak's
 * doc (45,000 structs, 560 KB) a diff of nothing cost 1.7–2.5 ms, growing with the doc. Here the structs
 * part costs what it writes (a binary search per replica, then the structs the target lacks) and the delete
 * set its own size.
 *
 * Exact: the structs are written as Yjs writes them (replicas in descending id order, the first struct from
 * the target's clock on, cut with an offset), and the delete set is the one `createDeleteSetFromStructStore`
 * would build, in the order Yjs writes it. A property test compares the bytes with Yjs's after random edits.
 * Nothing pending is included (doc-entry.ts `diffFor` says why).
 */
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import type { DeletedRanges } from './deleted-ranges.js'

/** A struct as Yjs writes it into an update (Item, GC and Skip share this method). */
interface WritableStruct {
  readonly id: { readonly client: number, readonly clock: number }
  write(encoder: Y.UpdateEncoderV1, offset: number): void
}

/**
 * The update that brings a replica at `target` (replica → next clock it lacks; empty: the whole doc) up to
 * `doc`: V1 encoding, byte for byte what `Y.encodeStateAsUpdate(doc, Y.encodeStateVector(target))` returns
 * while nothing is pending. `ranges` must be `doc`'s delete set as of now.
 */
export function encodeDiff (doc: Y.Doc, ranges: DeletedRanges, target: ReadonlyMap<number, number>): Uint8Array {
  const encoder = new Y.UpdateEncoderV1()
  const store = doc.store
  // Replicas with something the target lacks, and where it starts (Yjs's writeClientsStructs).
  const from: Array<[number, number]> = []
  for (const [client, clock] of target) if (Y.getState(store, client) > clock) from.push([client, clock])
  for (const client of store.clients.keys()) if (!target.has(client)) from.push([client, 0])
  from.sort((a, b) => b[0] - a[0])
  encoding.writeVarUint(encoder.restEncoder, from.length)
  for (const [client, clock] of from) writeStructs(encoder, store.clients.get(client) as unknown as WritableStruct[], client, clock)
  ranges.write(encoder)
  return encoder.toUint8Array()
}

/** Yjs's writeStructs: the structs of `client` from `clock` on, the first one cut at `clock`. */
function writeStructs (encoder: Y.UpdateEncoderV1, structs: readonly WritableStruct[], client: number, clock: number): void {
  const first = structs[0] as WritableStruct
  const start = Math.max(clock, first.id.clock)
  const index = Y.findIndexSS(structs as unknown as Parameters<typeof Y.findIndexSS>[0], start)
  encoding.writeVarUint(encoder.restEncoder, structs.length - index)
  encoder.writeClient(client)
  encoding.writeVarUint(encoder.restEncoder, start)
  const cut = structs[index] as WritableStruct
  cut.write(encoder, start - cut.id.clock)
  for (let i = index + 1; i < structs.length; i++) (structs[i] as WritableStruct).write(encoder, 0)
}
