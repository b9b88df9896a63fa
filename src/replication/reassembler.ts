/**
 * Reassembly of chunked transfers, with bounded memory: per transfer (maxTransferBytes), per sender
 * (maxTransfersPerPeer), in all (maxTransfers, maxReassemblyBytes), and in time (a transfer idle for
 * timeoutMs is dropped). On any overflow the transfer is dropped whole: the data is a diff or an update
 * that anti-entropy will send again, so dropping costs a round, never correctness.
 */
import type { PeerId } from '../core/transport.js'

export interface ReassemblyLimits {
  maxTransferBytes: number
  maxReassemblyBytes: number
  maxTransfersPerPeer: number
  maxTransfers: number
  timeoutMs: number
}

export interface ChunkIn {
  readonly transfer: number
  readonly index: number
  readonly count: number
  readonly data: Uint8Array
}

export type ReassemblyResult =
  | { readonly status: 'partial' }
  | { readonly status: 'complete', readonly bytes: Uint8Array }
  | { readonly status: 'dropped', readonly reason: string }

interface Transfer {
  readonly from: PeerId
  readonly count: number
  readonly parts: Array<Uint8Array | undefined>
  received: number
  bytes: number
  lastChunkAt: number
}

export class Reassembler {
  private readonly transfers = new Map<string, Transfer>()
  private readonly perPeer = new Map<PeerId, number>()
  private totalBytes = 0
  /** Transfers dropped since creation (for stats). */
  dropped = 0

  constructor (private readonly limits: ReassemblyLimits, private readonly now: () => number) {}

  get size (): number {
    return this.transfers.size
  }

  get bytes (): number {
    return this.totalBytes
  }

  add (from: PeerId, chunk: ChunkIn): ReassemblyResult {
    this.expire()
    const key = `${from}\u0000${chunk.transfer}`
    let t = this.transfers.get(key)
    if (t === undefined) {
      if ((this.perPeer.get(from) ?? 0) >= this.limits.maxTransfersPerPeer) return this.refuse('too many transfers from this peer')
      if (this.transfers.size >= this.limits.maxTransfers) return this.refuse('too many transfers')
      t = { from, count: chunk.count, parts: new Array<Uint8Array | undefined>(chunk.count), received: 0, bytes: 0, lastChunkAt: this.now() }
      this.transfers.set(key, t)
      this.perPeer.set(from, (this.perPeer.get(from) ?? 0) + 1)
    }
    if (chunk.count !== t.count) return this.drop(key, t, 'chunk count changed within a transfer')
    if (t.parts[chunk.index] !== undefined) return { status: 'partial' } // a duplicate: nothing new
    if (t.bytes + chunk.data.byteLength > this.limits.maxTransferBytes) return this.drop(key, t, 'transfer exceeds maxTransferBytes')
    if (this.totalBytes + chunk.data.byteLength > this.limits.maxReassemblyBytes) return this.drop(key, t, 'reassembly buffers full')
    // Copy: the frame's buffer may be reused by the transport once the handler returns.
    t.parts[chunk.index] = chunk.data.slice()
    t.received++
    t.bytes += chunk.data.byteLength
    t.lastChunkAt = this.now()
    this.totalBytes += chunk.data.byteLength
    if (t.received < t.count) return { status: 'partial' }
    const out = new Uint8Array(t.bytes)
    let offset = 0
    for (const part of t.parts) {
      out.set(part as Uint8Array, offset)
      offset += (part as Uint8Array).byteLength
    }
    this.release(key, t)
    return { status: 'complete', bytes: out }
  }

  /** Drops transfers idle for longer than the timeout; returns how many. */
  expire (): number {
    const deadline = this.now() - this.limits.timeoutMs
    let n = 0
    for (const [key, t] of this.transfers) {
      if (t.lastChunkAt < deadline) {
        this.release(key, t)
        this.dropped++
        n++
      }
    }
    return n
  }

  clear (): void {
    this.transfers.clear()
    this.perPeer.clear()
    this.totalBytes = 0
  }

  private refuse (reason: string): ReassemblyResult {
    this.dropped++
    return { status: 'dropped', reason }
  }

  private drop (key: string, t: Transfer, reason: string): ReassemblyResult {
    this.release(key, t)
    return this.refuse(reason)
  }

  private release (key: string, t: Transfer): void {
    if (!this.transfers.delete(key)) return
    this.totalBytes -= t.bytes
    const n = (this.perPeer.get(t.from) ?? 1) - 1
    if (n <= 0) this.perPeer.delete(t.from)
    else this.perPeer.set(t.from, n)
  }
}
