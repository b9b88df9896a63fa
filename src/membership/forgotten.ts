/**
 * Members this peer has forgotten (left past leftRetentionMs, dead past reconnectWindowMs), remembered by
 * their last own record for much longer, bounded by count and bytes, oldest first out.
 *
 * Why: a member's `alive` is signed, so nobody can forge one, but every relay holds a copy. Once its member
 * was forgotten, nothing told a peer which incarnation it had reached: the old copy, replayed by anyone,
 * was news of a new member — listed alive, gossiped, probed and dialled until declared dead again, at
 * every replay (test/membership/forgotten-replay.test.ts). Kept here, the last record refuses any `alive`
 * that does not supersede it (member-table.ts applyAlive). The record is kept whole (meta and signature),
 * not just its incarnation, because it is also the proof the member itself needs when it comes back: a
 * restarted member starts at incarnation 0, and, told this record (Membership.accusationFor), refutes it
 * one above, with a record it signs afresh — which a replayer cannot make.
 *
 * Each entry holds what the member table held for it (the same meta and signature objects, not copies):
 * ~0.7 KiB of V8 heap for a libp2p member (a 52-character id, a name, two addresses, a 64-byte signature).
 */
import type { PeerId } from '../core/transport.js'
import type { MemberUpdate } from './member.js'

/** Bytes the memory may hold per entry on average (recordBytes): past count × this, the oldest go too. */
export const FORGOTTEN_BYTES_PER_ENTRY = 1024

/**
 * An estimate of a record's size (its strings, signature and a fixed overhead), the same on every
 * platform: a member minting identities with 20 KiB of tags each fills the byte bound long before the count.
 */
export function recordBytes (u: MemberUpdate): number {
  let n = 128 + 2 * u.id.length + (u.signature?.byteLength ?? 0)
  const meta = u.meta
  if (meta !== undefined) {
    n += 2 * meta.name.length
    for (const a of meta.addrs) n += 2 * a.length
    for (const [k, v] of Object.entries(meta.tags)) n += 2 * (k.length + v.length)
  }
  return n
}

export class ForgottenMembers {
  /** By id, oldest first (a Map keeps insertion order). */
  private readonly entries = new Map<PeerId, { record: MemberUpdate, bytes: number }>()
  private totalBytes = 0
  private readonly maxBytes: number

  /** `max`: entries at most (0: remember none); bytes at most max × FORGOTTEN_BYTES_PER_ENTRY. */
  constructor (private readonly max: number) {
    this.maxBytes = max * FORGOTTEN_BYTES_PER_ENTRY
  }

  get size (): number {
    return this.entries.size
  }

  get bytes (): number {
    return this.totalBytes
  }

  /** The last record of forgotten member `id`, if remembered. */
  get (id: PeerId): MemberUpdate | undefined {
    return this.entries.get(id)?.record
  }

  /** Remembers `record` (dead or left) as the newest entry; evicts the oldest past the bounds. */
  remember (record: MemberUpdate): void {
    this.delete(record.id)
    const bytes = recordBytes(record)
    if (this.max <= 0 || bytes > this.maxBytes) return
    this.entries.set(record.id, { record, bytes })
    this.totalBytes += bytes
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.max && this.totalBytes <= this.maxBytes) break
      this.entries.delete(id)
      this.totalBytes -= e.bytes
    }
  }

  /** Forgets `id` (it is back in the member table). */
  delete (id: PeerId): void {
    const e = this.entries.get(id)
    if (e === undefined) return
    this.entries.delete(id)
    this.totalBytes -= e.bytes
  }
}
