/**
 * Continuous writes: every peer PUTs into one shared doc at a steady rate, cycling through its own
 * `keysPerPeer` keys (a value a write replaces becomes a Yjs tombstone), so the doc's live data stays the
 * same size and a peer's RSS can be judged flat; with `keysPerPeer` 0 every key is new and the doc grows
 * with every write (it grew the peers' heaps by ~8 MB in five minutes at 30 peers, and failed the RSS bound).
 * A write counts as acknowledged only on HTTP 200 (the API answers once the write is durable); everything
 * else — the peer is down, partitioned from nobody but slow, timed out — is an attempt that proves nothing.
 * The ledger holds, per key, the last acknowledged value; the final check wants on every peer that value or
 * a later write of the same key (one slot writes one key at a time, in order, so a later `n` replaced it).
 */
import { paced } from '../lib/paced.ts'
import type { Mesh, Slot } from './mesh.ts'

export const SOAK_DOC = 'soak'

export interface WriteValue { slot: string, n: number, at: number }

export class Writer {
  /** key → the last value acknowledged for it. */
  readonly acked = new Map<string, WriteValue>()
  /** Acknowledged writes in all (a key written again counts again). */
  ackedCount = 0
  readonly attempts = new Map<string, number>()
  readonly failures = new Map<string, number>()
  private running = false
  private loops: Array<Promise<void>> = []
  private readonly mesh: Mesh
  private readonly perSecond: number
  private readonly keysPerPeer: number

  constructor (mesh: Mesh, perSecond: number, keysPerPeer: number) {
    this.mesh = mesh
    this.perSecond = perSecond
    this.keysPerPeer = keysPerPeer
  }

  start (): void {
    this.running = true
    this.loops = this.mesh.slots.map(async s => { await this.loop(s) })
  }

  /** Stops issuing writes and waits for the ones in flight. */
  async stop (): Promise<void> {
    this.running = false
    await Promise.all(this.loops)
  }

  get totalAttempts (): number {
    return [...this.attempts.values()].reduce((a, b) => a + b, 0)
  }

  get totalFailures (): number {
    return [...this.failures.values()].reduce((a, b) => a + b, 0)
  }

  private async loop (slot: Slot): Promise<void> {
    // Keys count the writes sent: none while the slot's peer is down.
    let n = 0
    await paced(this.perSecond, () => this.running, async () => {
      if (slot.proc === undefined) return
      const key = `${slot.name}-${this.keysPerPeer > 0 ? n % this.keysPerPeer : n}`
      const value: WriteValue = { slot: slot.name, n: ++n, at: Date.now() }
      this.attempts.set(slot.name, (this.attempts.get(slot.name) ?? 0) + 1)
      try {
        const r = await this.mesh.api(slot, 'PUT', `/docs/${SOAK_DOC}/kv/${key}`, value)
        if (r.status === 200) {
          this.acked.set(key, value)
          this.ackedCount++
        }
        else this.fail(slot)
      } catch {
        this.fail(slot)
      }
    })
  }

  private fail (slot: Slot): void {
    this.failures.set(slot.name, (this.failures.get(slot.name) ?? 0) + 1)
  }
}

export function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/** Whether `got` (a peer's value for a key) is the acknowledged `value` or a later write of the same key. */
export function holdsWrite (got: WriteValue | undefined, value: WriteValue): boolean {
  if (got === undefined || got.slot !== value.slot) return false
  return got.n > value.n || (got.n === value.n && got.at === value.at)
}
