/**
 * A PN-counter on a Y.Doc: one slot per writer instance in a Y.Map, summed.
 *
 * Why slots: concurrent `map.set` on one key do not add up in Yjs — the higher clientID wins on every
 * replica — so a shared `count` key would lose increments. Each writer instance writes only its own slot
 * `{ p, n }` (increments, decrements), so concurrent increments by different peers never conflict and the
 * sum converges (a state-based PN-counter, Shapiro et al. 2011, §3.1.3).
 *
 * Why the slot key is `<peer id>#<clientID>`: the peer id makes slots attributable (stable per peer);
 * the clientID — fresh for every doc instance and never one already in the doc's history
 * (doc-registry.ts) — makes two live instances never share a slot. That matters across restarts: an
 * instance that starts from an older or empty copy of the doc (lost disk, or a write that was replicated
 * but not yet persisted when the peer crashed) would otherwise overwrite its old slot concurrently with
 * a newer value elsewhere, and the clientID tie-break could drop increments. The cost is one slot per
 * peer restart that incremented; slots are a few bytes each.
 *
 * Keyed increments (`counter.add(delta, { opId })`, idempotency.ts) are not idempotent by themselves, so
 * they are not added to a slot at once: each is stored as its key's record (op-records.ts) and counts from
 * there, once per key even if two peers applied the same retry on either side of a partition. When the
 * key's window has passed, the record's owner folds it into its slot in one transaction (the value does
 * not change). `value()` is therefore Σ slots + Σ keyed increments still held as records.
 */
import type * as Y from 'yjs'
import { opIndexOf } from './op-records.js'

/** Default name of the Y.Map holding the slots. */
export const COUNTER_MAP = 'counter'

export interface CounterSlot {
  /** Sum of increments. */
  readonly p: number
  /** Sum of decrements (as a positive number). */
  readonly n: number
}

export class PNCounter {
  private readonly map: Y.Map<unknown>

  /**
   * @param doc the doc holding the counter
   * @param peerId this peer's stable id (e.g. `replicator.localId`)
   * @param mapName the Y.Map to use (several counters can live in one doc)
   */
  constructor (private readonly doc: Y.Doc, private readonly peerId: string, readonly mapName = COUNTER_MAP) {
    this.map = doc.getMap(mapName)
  }

  /** This instance's slot key. Read at each increment: Yjs may replace a clientID it sees reused. */
  get slotKey (): string {
    return `${this.peerId}#${this.doc.clientID}`
  }

  /**
   * Adds `delta` (negative to decrement) to this instance's slot. Call it inside `replicator.write` to get
   * an acknowledgement once it is durable.
   * @throws RangeError unless `delta` is a safe integer.
   */
  increment (delta: number): void {
    if (!Number.isSafeInteger(delta)) throw new RangeError(`counter delta must be a safe integer, got ${delta}`)
    if (delta === 0) return
    this.doc.transact(() => {
      const key = this.slotKey
      const slot = readSlot(this.map.get(key)) ?? { p: 0, n: 0 }
      this.map.set(key, delta > 0 ? { p: slot.p + delta, n: slot.n } : { p: slot.p, n: slot.n - delta })
    })
  }

  /**
   * The counter's value: Σ (p − n) over all slots, plus the keyed increments not yet folded into a slot.
   * Malformed slots and records (another app's data) count as 0.
   */
  value (): number {
    let sum = 0
    for (const v of this.map.values()) {
      const slot = readSlot(v)
      if (slot !== undefined) sum += slot.p - slot.n
    }
    return sum + opIndexOf(this.doc).counterSum(this.mapName)
  }

  /** Every slot, by key (for inspection and tests). */
  slots (): Record<string, CounterSlot> {
    const out: Record<string, CounterSlot> = {}
    for (const [key, v] of this.map.entries()) {
      const slot = readSlot(v)
      if (slot !== undefined) out[key] = slot
    }
    return out
  }
}

function readSlot (value: unknown): CounterSlot | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { p, n } = value as { p?: unknown, n?: unknown }
  if (typeof p !== 'number' || typeof n !== 'number' || !Number.isSafeInteger(p) || !Number.isSafeInteger(n) || p < 0 || n < 0) return undefined
  return { p, n }
}
